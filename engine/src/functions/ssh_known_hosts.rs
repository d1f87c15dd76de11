//! `ssh_known_hosts.present` and `ssh_known_hosts.absent`: a host's keys
//! in a user's known_hosts file (or the system's, `config`), as Salt's
//! `ssh` module keeps them.
//!
//! What the file holds for the host is read with `ssh-keygen -F` (hashed
//! names included), fingerprints on the host, and the keys the host
//! offers with `ssh-keyscan` when no `key` is given (at planning, and
//! only when Salt's real run would scan). The new file is written
//! atomically; hashing (`hash_known_hosts`) and removal are `ssh-keygen`'s,
//! as in Salt.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::guard::UserExists;
use super::ssh_keys::{self, dirname, join};
use super::{would, Ctx, Function};
use crate::facts::known_hosts::{Entry, Fingerprints, KnownHosts, Scan};
use crate::facts::{Accounts, Home, Passwd};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind, WriteFile};

pub(super) struct Present;
pub(super) struct Absent;

const DEFAULT_PORT: u16 = 22;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PresentArgs {
    pub name: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub fingerprint: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub enc: Option<String>,
    #[serde(default)]
    pub config: Option<String>,
    #[serde(default)]
    pub hash_known_hosts: Option<bool>,
    #[serde(default)]
    pub timeout: Option<u64>,
    #[serde(default)]
    pub fingerprint_hash_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AbsentArgs {
    pub name: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub config: Option<String>,
}

/// The `config` as Salt defaults it, or Salt's refusal.
fn config(user: Option<&str>, config: Option<&str>) -> Result<String, Failure> {
    let c = match (user, config) {
        (_, Some(c)) if !c.is_empty() => c.to_string(),
        (Some(_), _) => ".ssh/known_hosts".into(),
        (None, _) => "/etc/ssh/ssh_known_hosts".into(),
    };
    if user.is_none() && !c.starts_with('/') {
        return Err(Failure::new(
            "If not specifying a \"user\", specify an absolute \"config\".",
        ));
    }
    Ok(c)
}

/// Where the file is: `config` itself, or under the user's home. `None`
/// when the user does not exist.
async fn full_path(
    ctx: &Ctx<'_>,
    user: Option<&str>,
    config: &str,
) -> Result<Option<(String, Option<Passwd>)>, Failure> {
    let Some(user) = user else {
        return Ok(Some((config.to_string(), None)));
    };
    let acc = Accounts::read(ctx.host.transport.as_ref(), Some(user), Home::None)
        .await
        .map_err(Failure::new)?;
    let Some(u) = acc.user else {
        return Ok(None);
    };
    let full = if config.starts_with('/') {
        config.to_string()
    } else {
        join(&u.home, config)
    };
    Ok(Some((full, Some(u))))
}

fn ssh_hostname(name: &str, port: Option<u16>) -> String {
    match port {
        Some(p) if p != DEFAULT_PORT => format!("[{name}]:{p}"),
        _ => name.to_string(),
    }
}

/// Entries as Salt reports them (`hostname`, `key`, `enc`, `fingerprint`),
/// keys that are not base64 left out as Salt leaves them out.
async fn described(
    ctx: &Ctx<'_>,
    entries: &[Entry],
    hash: &str,
) -> Result<Vec<(Entry, String)>, Failure> {
    let valid: Vec<Entry> = entries
        .iter()
        .filter(|e| ssh_keys::decode(&e.key).is_some())
        .cloned()
        .collect();
    let keys: Vec<String> = valid.iter().map(|e| e.key.clone()).collect();
    let prints = Fingerprints::read(ctx.host.transport.as_ref(), &keys, hash)
        .await
        .map_err(Failure::new)?;
    Ok(valid.into_iter().zip(prints).collect())
}

fn as_json(entries: &[(Entry, String)]) -> Value {
    if entries.is_empty() {
        return Value::Null;
    }
    Value::Array(
        entries
            .iter()
            .map(|(e, f)| json!({"hostname": e.hostname, "key": e.key, "enc": e.enc, "fingerprint": f}))
            .collect(),
    )
}

#[async_trait]
impl Function for Present {
    type Args = PresentArgs;

    async fn plan(&self, args: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let user = args.user.as_deref().filter(|u| !u.is_empty());
        let config = config(user, args.config.as_deref())?;
        if args.key.is_some() && args.fingerprint.is_some() {
            return Err(Failure::new(
                "Specify either \"key\" or \"fingerprint\", not both.",
            ));
        }
        if args.key.is_some() && args.enc.is_none() {
            return Err(Failure::new(
                "Required argument \"enc\" if using \"key\" argument.",
            ));
        }
        ssh_keys::check_hash_type(args.fingerprint_hash_type.as_deref()).map_err(Failure::new)?;
        let hash = args
            .fingerprint_hash_type
            .as_deref()
            .unwrap_or("sha256")
            .to_lowercase();
        let Some((full, owner)) = full_path(ctx, user, &config).await? else {
            return Err(Failure::new(format!(
                "User {} does not exist",
                user.unwrap_or_default()
            )));
        };
        let host_name = ssh_hostname(name, args.port);
        let file = ctx.host.file(&full).await?;
        let found = if file.kind == FileKind::File {
            KnownHosts::read(ctx.host.transport.as_ref(), &host_name, &full)
                .await
                .map_err(Failure::new)?
        } else {
            KnownHosts::default()
        };
        let stored = described(ctx, &found.entries, &hash).await?;
        let prints: Vec<&String> = stored.iter().map(|(_, f)| f).collect();
        let stored_keys: Vec<&String> = stored
            .iter()
            .filter(|(e, _)| !matches!(&args.enc, Some(enc) if &e.enc != enc))
            .map(|(e, _)| &e.key)
            .collect();
        // The test run's answer (Salt's `check_known_host`).
        let status = if stored.is_empty() {
            "add"
        } else if let Some(k) = &args.key {
            if stored.iter().any(|(e, _)| &e.key == k) {
                "exists"
            } else {
                "update"
            }
        } else if let Some(f) = &args.fingerprint {
            if prints.contains(&f) {
                "exists"
            } else {
                "update"
            }
        } else {
            "exists"
        };
        let comment = match status {
            "exists" => format!("Host {name} is already in {config}"),
            "add" => format!("Key for {name} is set to be added to {config}"),
            _ => format!("Key for {name} is set to be updated in {config}"),
        };
        let hash_names = args.hash_known_hosts != Some(false);
        if args.port.is_some_and(|p| p != DEFAULT_PORT) && hash_names {
            return Err(Failure::new(
                "argument port can not be used in conjunction with argument hash_known_hosts",
            ));
        }
        // What the real run does (Salt's `set_known_host`).
        let update = stored.is_empty()
            || args
                .fingerprint
                .as_ref()
                .is_some_and(|f| !prints.contains(&f))
            || args.key.as_ref().is_some_and(|k| !stored_keys.contains(&k));
        let check = args.key.is_none() && args.fingerprint.is_none();
        if !update && !check {
            return Ok(Plan::noop(comment));
        }
        let new: Vec<(Entry, Option<String>)> = match &args.key {
            Some(k) => vec![(
                Entry {
                    line: 0,
                    hostname: name.clone(),
                    enc: args.enc.clone().unwrap_or_default(),
                    key: k.clone(),
                },
                None,
            )],
            None => {
                let scan = Scan::command(
                    name,
                    args.enc.as_deref(),
                    args.port,
                    hash_names,
                    args.timeout.unwrap_or(5),
                );
                let out = ctx.host.exec(&scan).await?;
                let remote = described(ctx, &Scan::parse(&out), &hash).await?;
                if remote.is_empty() {
                    return Err(Failure::new("Unable to receive remote host keys"));
                }
                if let Some(f) = &args.fingerprint {
                    if !remote.iter().any(|(_, p)| p == f) {
                        return Err(Failure::new(
                            "Remote host public keys found but none of their fingerprints match the one you have provided",
                        ));
                    }
                }
                if check {
                    let mut a: Vec<&String> = remote.iter().map(|(e, _)| &e.key).collect();
                    let mut b = stored_keys.clone();
                    a.sort();
                    a.dedup();
                    b.sort();
                    b.dedup();
                    if a == b {
                        return Ok(Plan::noop(comment));
                    }
                }
                remote.into_iter().map(|(e, f)| (e, Some(f))).collect()
            }
        };
        // The file without the host's lines of this key type, then the
        // new lines.
        let remove: Vec<usize> = found
            .lines
            .iter()
            .filter(|(_, enc)| !matches!(&args.enc, Some(e) if e != enc))
            .map(|(n, _)| *n)
            .collect();
        let old_text = file
            .content
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default()
            .into_owned();
        let mut text: String = old_text
            .split_inclusive('\n')
            .enumerate()
            .filter(|(i, _)| !remove.contains(&(i + 1)))
            .map(|(_, l)| l)
            .collect();
        // Salt notes the port in an entry it writes as `[host]:port`.
        let mut ported = Vec::new();
        for (e, _) in &new {
            let plain = hash_names
                || matches!(args.port, None | Some(DEFAULT_PORT))
                || e.hostname.contains(':');
            let line = if plain {
                format!("{} {} {}\n", e.hostname, e.enc, e.key)
            } else {
                format!(
                    "[{}]:{} {} {}\n",
                    e.hostname,
                    args.port.unwrap_or(DEFAULT_PORT),
                    e.enc,
                    e.key
                )
            };
            ported.push(!plain);
            text.push_str(&line);
        }
        let mut actions = Vec::new();
        let dir = dirname(&full);
        if ctx.host.file(&dir).await?.kind != FileKind::Directory {
            let mut mk = format!("mkdir -p -- {}", quote(&dir));
            if let Some(u) = &owner {
                mk.push_str(&format!(
                    " && chown {}:{} -- {d} && chmod 700 -- {d}",
                    u.uid,
                    u.gid,
                    d = quote(&dir)
                ));
            }
            actions.push(Action::run(
                Exec::new(mk),
                format!("Unable to create directory {dir}"),
            ));
        }
        let mode = if file.kind == FileKind::File {
            file.mode
        } else {
            0o600
        };
        actions.push(Action::write(WriteFile {
            path: full.clone(),
            content: text.into_bytes(),
            user: owner.as_ref().map(|u| u.uid.to_string()),
            group: owner.as_ref().map(|u| u.gid.to_string()),
            mode: Some(mode),
            makedirs: false,
        }));
        if args.key.is_some() && hash_names {
            let mut h = format!(
                "ssh-keygen -H -f {f} >/dev/null 2>&1; chmod {mode:o} -- {f}",
                f = quote(&full)
            );
            if let Some(u) = &owner {
                h.push_str(&format!(
                    " && chown {}:{} -- {}",
                    u.uid,
                    u.gid,
                    quote(&full)
                ));
            }
            actions.push(Action::run(
                Exec::new(h),
                "Couldn't hash the known hosts file",
            ));
        }
        let new_json: Vec<Value> = new
            .iter()
            .zip(&ported)
            .map(|((e, f), ported)| {
                let mut j = match f {
                    None => json!({"hostname": e.hostname, "enc": e.enc, "key": e.key}),
                    Some(f) => {
                        json!({"hostname": e.hostname, "key": e.key, "enc": e.enc, "fingerprint": f})
                    }
                };
                if *ported {
                    j["port"] = json!(args.port);
                }
                j
            })
            .collect();
        let (first, first_print) = (&new[0].0, new[0].1.clone());
        let done = if args.key.is_some() {
            format!("{name}'s key saved to {config} (key: {})", first.key)
        } else if args.fingerprint.is_some() {
            format!(
                "{name}'s key saved to {config} (fingerprint: {})",
                first_print.unwrap_or_default()
            )
        } else if let Some(enc) = &args.enc {
            format!("{name}'s {enc} key saved to {config} (key: {})", first.key)
        } else {
            format!("{name}'s key(s) saved to {config}")
        };
        let changes = Changes::from_iter([
            ("old".to_string(), as_json(&stored)),
            ("new".to_string(), Value::Array(new_json)),
        ]);
        Ok(would::change(comment, done, actions).applied(changes))
    }
}

#[async_trait]
impl Function for Absent {
    type Args = AbsentArgs;

    async fn plan(&self, args: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let user = args.user.as_deref().filter(|u| !u.is_empty());
        let config = config(user, args.config.as_deref())?;
        let comment = format!("Key for {name} is set to be removed from {config}");
        let Some((full, owner)) = full_path(ctx, user, &config).await? else {
            let user = user.unwrap_or_default().to_string();
            let fail = format!("User {user} does not exist");
            return Ok(would::change(
                comment,
                "",
                vec![Action::verify(UserExists { user, fail }, "")],
            ));
        };
        let file = ctx.host.file(&full).await?;
        if file.kind != FileKind::File {
            return Ok(Plan::noop("Host is already absent"));
        }
        let found = KnownHosts::read(ctx.host.transport.as_ref(), name, &full)
            .await
            .map_err(Failure::new)?;
        let entries = described(ctx, &found.entries, "sha256").await?;
        if entries.is_empty() {
            return Ok(Plan::noop("Host is already absent"));
        }
        // What `ssh-keygen -R` says, which Salt's comment is.
        let mut done: String = found
            .lines
            .iter()
            .map(|(n, _)| format!("# Host {name} found: line {n}\n"))
            .collect();
        done.push_str(&format!(
            "{full} updated.\nOriginal contents retained as {full}.old"
        ));
        let mut cmd = format!("ssh-keygen -R {} -f {}", quote(name), quote(&full));
        if let Some(u) = &owner {
            cmd.push_str(&format!(
                " && chown {}:{} -- {}",
                u.uid,
                u.gid,
                quote(&full)
            ));
        }
        Ok(would::change(
            comment,
            done,
            vec![Action::run(
                Exec::new(cmd),
                format!("Unable to remove {name} from {full}"),
            )],
        )
        .applied(Changes::from_iter([
            ("old".to_string(), as_json(&entries)),
            ("new".to_string(), Value::Null),
        ])))
    }
}
