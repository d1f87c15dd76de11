//! `ssh_auth.present` and `ssh_auth.absent`: keys in a user's
//! authorized_keys file (`config`, `%h/.ssh/authorized_keys` by default),
//! one key named by the state or every key of a `source` file.
//!
//! The user comes from one probe (`facts::Accounts`), the file and its
//! directory are read as file facts, and the new content is computed here
//! (`ssh_keys`, Salt's own line handling) and written atomically. A new
//! file belongs to the user, mode 0600, in a directory of mode 0700, as
//! Salt makes them. Test runs answer as Salt's `_present_test` and
//! `_absent_test` do.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::json;

use super::guard::UserExists;
use super::ssh_keys::{self, check, keys_of, Key, Status};
use super::{would, Ctx, Function};
use crate::facts::{Accounts, Home, Passwd};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind, WriteFile};

pub(super) struct Present;
pub(super) struct Absent;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    pub user: String,
    #[serde(default = "rsa")]
    pub enc: String,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub options: Option<Vec<String>>,
    #[serde(default)]
    pub config: Option<String>,
    #[serde(default)]
    pub fingerprint_hash_type: Option<String>,
}

fn rsa() -> String {
    "ssh-rsa".into()
}

const NO_HOME: &str =
    "Failed to add the ssh key. Is the home directory available, and/or does the key file exist?";

impl Args {
    fn config(&self) -> &str {
        self.config.as_deref().unwrap_or(".ssh/authorized_keys")
    }

    fn source(&self) -> Option<&str> {
        self.source.as_deref().filter(|s| !s.is_empty())
    }

    fn key(&self, maxsplit: Option<usize>) -> Key {
        ssh_keys::from_name(
            &self.name,
            &self.enc,
            self.comment.as_deref().unwrap_or(""),
            self.options.as_deref().unwrap_or(&[]),
            maxsplit,
        )
    }
}

/// The keys of a `source` file on the master: `None` when there is no
/// such file, Salt's error when it holds no key.
fn source_keys(ctx: &Ctx<'_>, source: &str) -> Result<Option<IndexMap<String, Key>>, Failure> {
    let found = ctx
        .host
        .tree
        .resolve_url(&ctx.chunk.env, source)
        .map_err(|e| Failure::new(e.to_string()))?;
    let Some((path, _)) = found else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("Unable to read {}: {e}", path.display())))?;
    let keys = keys_of(&text);
    if keys.is_empty() {
        return Err(Failure::new(format!(
            "No keys detected in {source}. Is file properly formatted?"
        )));
    }
    Ok(Some(keys))
}

/// The user's authorized_keys file: its path and text (`None`: missing).
struct KeyFile {
    user: Passwd,
    path: String,
    text: Option<String>,
    home_is_dir: bool,
    dir_exists: bool,
}

impl KeyFile {
    async fn read(ctx: &Ctx<'_>, args: &Args) -> Result<Option<KeyFile>, Failure> {
        let acc = Accounts::read(ctx.host.transport.as_ref(), Some(&args.user), Home::Own)
            .await
            .map_err(Failure::new)?;
        let Some(user) = acc.user else {
            return Ok(None);
        };
        let path =
            ssh_keys::config_path(args.config(), &user.name, &user.home).map_err(Failure::new)?;
        let file = ctx.host.file(&path).await?;
        let dir = ctx.host.file(&ssh_keys::dirname(&path)).await?;
        Ok(Some(KeyFile {
            text: (file.kind == FileKind::File).then(|| {
                String::from_utf8_lossy(file.content.as_deref().unwrap_or_default()).into_owned()
            }),
            dir_exists: dir.kind == FileKind::Directory,
            home_is_dir: acc.home_is_dir == Some(true),
            path,
            user,
        }))
    }

    fn keys(&self) -> IndexMap<String, Key> {
        self.text.as_deref().map(keys_of).unwrap_or_default()
    }

    /// The actions that put `text` in place: the directory first when it
    /// is missing, a new file owned by the user with mode 0600.
    fn write(&self, text: String) -> Vec<Action> {
        let mut actions = Vec::new();
        if !self.dir_exists {
            let d = quote(&ssh_keys::dirname(&self.path));
            actions.push(Action::run(
                Exec::new(format!(
                    "mkdir -p -- {d} && chown {}:{} -- {d} && chmod 700 -- {d}",
                    self.user.uid, self.user.gid
                )),
                NO_HOME,
            ));
        }
        let new = self.text.is_none();
        actions.push(Action::write(WriteFile {
            path: self.path.clone(),
            content: text.into_bytes(),
            user: new.then(|| self.user.uid.to_string()),
            group: new.then(|| self.user.gid.to_string()),
            mode: new.then_some(0o600),
            makedirs: false,
        }));
        actions
    }
}

fn one(name: &str, value: &str) -> Changes {
    Changes::from_iter([(name.to_string(), json!(value))])
}

/// The user does not exist (yet): what a test run expects an earlier state
/// to fix, and what fails the state once applied.
fn pending_user(args: &Args, comment: String, fail: &str) -> Plan {
    would::change(
        comment,
        "",
        vec![Action::verify(
            UserExists {
                user: args.user.clone(),
                fail: fail.to_string(),
            },
            "",
        )],
    )
}

#[async_trait]
impl Function for Present {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        ssh_keys::check_hash_type(args.fingerprint_hash_type.as_deref()).map_err(Failure::new)?;
        let (name, user) = (&args.name, &args.user);
        let kf = KeyFile::read(ctx, args).await?;
        let current = kf.as_ref().map(KeyFile::keys).unwrap_or_default();
        // The keys to put in place, and how the test run names them.
        let wanted: Vec<Key> = match args.source() {
            Some(source) => {
                let Some(keys) = source_keys(ctx, source)? else {
                    return Err(Failure::new(format!(
                        "Failed to add the ssh key. Source file {source} is missing"
                    )));
                };
                keys.into_values()
                    .map(|k| match &args.options {
                        Some(o) if !o.is_empty() => Key {
                            options: o.clone(),
                            ..k
                        },
                        _ => k,
                    })
                    .collect()
            }
            None => vec![args.key(Some(2))],
        };
        let mut statuses = Vec::new();
        for k in &wanted {
            let k = Key {
                enc: ssh_keys::refine_enc(&k.enc).map_err(Failure::new)?,
                ..k.clone()
            };
            statuses.push((check(&current, &k), k));
        }
        let (comment, key_name) = match args.source() {
            Some(source) => {
                let lines: String = statuses
                    .iter()
                    .filter(|(s, _)| *s != Status::Exists)
                    .map(|(s, k)| format!("Set to {}: {}\n", s.word(), k.key))
                    .collect();
                if lines.is_empty() {
                    return Ok(Plan::noop(format!(
                        "All host keys in file {source} are already present"
                    )));
                }
                (lines, name.clone())
            }
            None => {
                let (status, k) = &statuses[0];
                let comment = match status {
                    Status::Add => format!("Key {} for user {user} is set to be added", k.key),
                    Status::Update => format!("Key {} for user {user} is set to be updated", k.key),
                    Status::Exists => {
                        return Ok(Plan::noop(format!(
                            "The authorized host key {} is already present for user {user}",
                            k.key
                        )))
                    }
                };
                (comment, k.key.clone())
            }
        };
        let Some(kf) = kf else {
            return Ok(pending_user(args, comment, NO_HOME));
        };
        for (_, k) in &statuses {
            if k.key.split_whitespace().count() > 1 || ssh_keys::decode(&k.key).is_none() {
                return Err(Failure::new(
                    "Invalid public ssh key, most likely has spaces or invalid syntax",
                ));
            }
        }
        let mut text = kf.text.clone().unwrap_or_default();
        let mut replaced = false;
        for (status, k) in &statuses {
            match status {
                Status::Update => {
                    text = ssh_keys::replace(&text, k);
                    replaced = true;
                }
                Status::Add => {
                    if kf.path.starts_with(&kf.user.home) && !kf.home_is_dir {
                        return Err(Failure::new(NO_HOME));
                    }
                    text = ssh_keys::append(&text, &ssh_keys::auth_line(k));
                }
                Status::Exists => {}
            }
        }
        let (word, change) = if replaced {
            ("updated", "Updated")
        } else {
            ("added", "New")
        };
        Ok(would::change(
            comment,
            format!("The authorized host key {key_name} for user {user} was {word}"),
            kf.write(text),
        )
        .applied(one(&key_name, change)))
    }
}

#[async_trait]
impl Function for Absent {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        ssh_keys::check_hash_type(args.fingerprint_hash_type.as_deref()).map_err(Failure::new)?;
        let (name, user) = (&args.name, &args.user);
        let kf = KeyFile::read(ctx, args).await?;
        let current = kf.as_ref().map(KeyFile::keys).unwrap_or_default();
        let (gone, comment, change_name): (Vec<String>, String, String) = match args.source() {
            Some(source) => {
                let Some(keys) = source_keys(ctx, source)? else {
                    return Err(Failure::new(
                        "Failed to pull key file from salt file server",
                    ));
                };
                let present: Vec<String> = keys
                    .into_values()
                    .filter(|k| current.contains_key(&k.key))
                    .map(|k| k.key)
                    .collect();
                if present.is_empty() {
                    return Ok(Plan::noop(format!(
                        "All host keys in file {source} are already absent"
                    )));
                }
                let lines = present
                    .iter()
                    .map(|k| format!("Set to remove: {k}\n"))
                    .collect();
                (present, lines, name.clone())
            }
            None => {
                let k = args.key(None);
                if !current.contains_key(&k.key) {
                    return Ok(Plan::noop("Key is already absent"));
                }
                let comment = format!("Key {} for user {user} is set for removal", k.key);
                (vec![k.key.clone()], comment, k.key)
            }
        };
        let kf = kf.expect("keys were read from the user's file");
        let text = gone
            .iter()
            .fold(kf.text.clone().unwrap_or_default(), |t, k| {
                ssh_keys::remove(&t, k)
            });
        Ok(would::change(comment, "Key removed", kf.write(text))
            .applied(one(&change_name, "Removed")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fixture, plan};
    use crate::transport::fake::Fake;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    fn host() -> Fake {
        Fake::new()
            .answer(
                "echo @passwd; getent passwd -- postgres;",
                0,
                include_str!("../facts/fixtures/accounts-postgres.txt"),
            )
            .dir("/var/lib/postgresql")
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_new_key_makes_the_directory_and_a_private_file() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "ssh_auth.present",
            &format!("name: ssh-ed25519 {KEY} me@x\nuser: postgres"),
        )
        .await
        .unwrap();
        assert_eq!(
            p.comment,
            format!("Key {KEY} for user postgres is set to be added")
        );
        assert_eq!(
            p.done,
            format!("The authorized host key {KEY} for user postgres was added")
        );
        assert_eq!(p.applied.as_ref().unwrap()[KEY], "New");
        let [Action::Run { exec, .. }, Action::Write { file, .. }] = p.actions.as_slice() else {
            panic!("{p:?}")
        };
        assert_eq!(
            exec.cmd,
            "mkdir -p -- /var/lib/postgresql/.ssh && chown 101:104 -- /var/lib/postgresql/.ssh && chmod 700 -- /var/lib/postgresql/.ssh"
        );
        assert_eq!(file.path, "/var/lib/postgresql/.ssh/authorized_keys");
        assert_eq!(
            String::from_utf8_lossy(&file.content),
            format!("ssh-ed25519 {KEY} me@x\n")
        );
        assert_eq!(
            (file.user.as_deref(), file.mode),
            (Some("101"), Some(0o600))
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_existing_key_is_kept_updated_or_removed() {
        let file = format!("ssh-ed25519 {KEY} me@x\n");
        let fx = fixture(
            host()
                .dir("/var/lib/postgresql/.ssh")
                .file("/var/lib/postgresql/.ssh/authorized_keys", &file),
        );
        let p = plan(
            &fx,
            "ssh_auth.present",
            &format!("name: {KEY} me@x\nuser: postgres\nenc: ed25519"),
        )
        .await
        .unwrap();
        assert!(p.is_noop());
        assert_eq!(
            p.comment,
            format!("The authorized host key {KEY} is already present for user postgres")
        );
        let p = plan(
            &fx,
            "ssh_auth.present",
            &format!("name: {KEY}\nuser: postgres\nenc: ed25519\ncomment: you"),
        )
        .await
        .unwrap();
        assert_eq!(
            p.comment,
            format!("Key {KEY} for user postgres is set to be updated")
        );
        let [Action::Write { file: w, .. }] = p.actions.as_slice() else {
            panic!("{p:?}")
        };
        assert_eq!(
            String::from_utf8_lossy(&w.content),
            format!("ssh-ed25519 {KEY} you\n")
        );
        assert_eq!((w.user.as_ref(), w.mode), (None, None));
        let p = plan(
            &fx,
            "ssh_auth.absent",
            &format!("name: {KEY}\nuser: postgres"),
        )
        .await
        .unwrap();
        assert_eq!(
            p.comment,
            format!("Key {KEY} for user postgres is set for removal")
        );
        assert_eq!(
            (p.done.as_str(), &p.applied.as_ref().unwrap()[KEY]),
            ("Key removed", &json!("Removed"))
        );
        let p = plan(&fx, "ssh_auth.absent", "name: TWFu\nuser: postgres")
            .await
            .unwrap();
        assert_eq!(p.comment, "Key is already absent");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn salts_refusals() {
        let fx = fixture(host());
        let err = plan(&fx, "ssh_auth.present", "name: PUBLICKEY\nuser: postgres")
            .await
            .unwrap_err();
        assert_eq!(
            err.comment,
            "Invalid public ssh key, most likely has spaces or invalid syntax"
        );
        let err = plan(
            &fx,
            "ssh_auth.present",
            &format!("name: {KEY}\nuser: postgres\nenc: foo"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.comment, "Incorrect encryption key type 'foo'.");
        let err = plan(
            &fx,
            "ssh_auth.present",
            "name: x\nuser: postgres\nsource: salt://nope.pub",
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.comment,
            "Failed to add the ssh key. Source file salt://nope.pub is missing"
        );
    }
}
