//! `pkgrepo.managed` and `pkgrepo.absent` on Debian: a `deb` line in
//! apt's sources, as Salt's `aptpkg` keeps it (`get_repo`'s matching on
//! type, URI, suite and components; its "already configured" test), then
//! `apt-get update` as Salt's `refresh_db`.
//!
//! Keys are not fetched: a repository names its keyring in the line
//! (`[signed-by=...]`, Debian's way since apt-key was deprecated), put in
//! place by a `file.managed` or a package, as the formulas do. `keyid` in
//! `absent` is removed with `apt-key del`, as Salt does. Sources are read
//! from `/etc/apt`; a function holds that root so tests can point it at a
//! scratch directory.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{would, Ctx, Function};
use crate::facts::apt_sources::{Source, Sources};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, WriteFile};

pub(super) struct Managed {
    pub root: &'static str,
}
pub(super) struct Absent {
    pub root: &'static str,
}

pub(super) const APT: &str = "/etc/apt";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ManagedArgs {
    pub name: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub refresh: Option<bool>,
    #[serde(default)]
    pub refresh_db: Option<bool>,
    #[serde(default)]
    pub clean_file: Option<bool>,
    #[serde(default)]
    pub comments: Option<Value>,
    /// Yum's and zypper's; accepted (and unused) on Debian, as by Salt.
    #[serde(default)]
    #[allow(dead_code)]
    pub humanname: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub keyid: Option<Value>,
    #[serde(default)]
    pub keyserver: Option<Value>,
    #[serde(default)]
    pub key_url: Option<Value>,
    #[serde(default)]
    pub key_text: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AbsentArgs {
    pub name: String,
    #[serde(default)]
    pub keyid: Option<Value>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The entry a state names, or Salt's words for a line that is none.
fn entry(name: &str, file: &str) -> Result<Source, Failure> {
    Source::parse(name, file).ok_or_else(|| {
        Failure::new(format!(
            "Failed to examine repo '{name}': Error: repo '{name}' is not a well formatted definition"
        ))
    })
}

/// Salt's `get_repo`: the first source of the same type, URI and suite
/// sharing a component (any, when the line names none).
fn find<'a>(sources: &'a Sources, want: &Source) -> Option<&'a Source> {
    sources.sources.iter().find(|s| {
        s.kind == want.kind
            && s.uri.trim_end_matches('/') == want.uri.trim_end_matches('/')
            && s.dist == want.dist
            && (want.comps.is_empty() || want.comps.iter().any(|c| s.comps.contains(c)))
    })
}

/// The fields Salt compares (`_expand_repo_def`'s, `file` aside), in its
/// order.
fn fields(s: &Source) -> Vec<(&'static str, Value)> {
    vec![
        ("comps", json!(s.comps)),
        ("disabled", json!(s.disabled)),
        ("dist", json!(s.dist)),
        ("suites", json!(s.suites)),
        ("type", json!(s.kind)),
        ("types", json!(s.types)),
        ("uri", json!(s.uri)),
        ("uris", json!(s.uris)),
        (
            "line",
            json!(s.line.clone().unwrap_or_else(|| s.repo_line())),
        ),
        ("architectures", json!(s.architectures)),
        ("signedby", json!(s.signedby)),
    ]
}

/// Salt's "already configured" loop: every field alike, components and
/// architectures as sets, the line but for the order of what follows
/// the URI.
fn configured(pre: &Source, want: &Source) -> bool {
    let sorted = |v: &Value| {
        let mut items: Vec<String> = v
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default();
        items.sort();
        items
    };
    let split = |line: &str| {
        let body = line.split('#').next().unwrap_or("").trim().to_string();
        let mut w: Vec<String> = body.split_whitespace().map(str::to_string).collect();
        if w.len() > 3 {
            w[3..].sort();
        }
        w
    };
    let old: std::collections::HashMap<&str, Value> = fields(pre).into_iter().collect();
    fields(want).into_iter().all(|(k, new)| {
        let o = &old[k];
        match k {
            "comps" => sorted(&new) == sorted(o),
            "line" if !want.disabled => split(&text(&new)) == split(&text(o)),
            "line" => true,
            "architectures" if sorted(&new).is_empty() => true,
            "architectures" => {
                let set = |v: &Value| {
                    sorted(v)
                        .into_iter()
                        .collect::<std::collections::BTreeSet<_>>()
                };
                set(&new) == set(o)
            }
            _ => &new == o,
        }
    })
}

async fn file_text(ctx: &Ctx<'_>, path: &str) -> Result<Option<String>, Failure> {
    let f = ctx.host.file(path).await?;
    Ok(f.content
        .as_deref()
        .map(|c| String::from_utf8_lossy(c).into_owned()))
}

fn write(path: &str, text: String) -> Action {
    Action::write(WriteFile {
        path: path.to_string(),
        content: text.into_bytes(),
        user: None,
        group: None,
        mode: None,
        makedirs: false,
    })
}

fn refresh_db() -> Action {
    Action::run(
        Exec::new("export DEBIAN_FRONTEND=noninteractive; { apt-get -q update; } >/dev/null 2> >(tail -n 1 >&2)"),
        "Error updating the package database",
    )
}

#[async_trait]
impl Function for Managed {
    type Args = ManagedArgs;

    async fn plan(&self, args: &ManagedArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        for (key, given) in [
            ("keyid", &args.keyid),
            ("keyserver", &args.keyserver),
            ("key_url", &args.key_url),
            ("key_text", &args.key_text),
        ] {
            if given.is_some() {
                return Err(Failure::new(format!(
                    "pkgrepo.managed: `{key}` is not supported by converge: name the keyring in the line (`deb [signed-by=/path/to/keyring.gpg] ...`) and put it in place with file.managed or a package"
                )));
            }
        }
        if args.enabled.is_some() && args.disabled.is_some() {
            return Err(Failure::new("Only one of enabled/disabled is allowed"));
        }
        let disabled = match (args.enabled, args.disabled) {
            (Some(e), _) => !e,
            (_, Some(d)) => d,
            _ => false,
        };
        let file = args
            .file
            .clone()
            .unwrap_or_else(|| format!("{}/sources.list", self.root));
        if file.ends_with(".sources") {
            return Err(Failure::new(
                "pkgrepo.managed: converge writes one-line sources (`.list` files), not deb822 `.sources`",
            ));
        }
        let mut want = entry(name, &file)?;
        want.disabled = disabled;
        want.line = None;
        if let Some(c) = &args.comments {
            let c = match c {
                Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(" "),
                other => text(other),
            };
            want.comment = format!(" {}", c.trim_start_matches('#').trim());
        }
        let sources = Sources::read(ctx.host.transport.as_ref(), self.root)
            .await
            .map_err(Failure::new)?;
        let pre = find(&sources, &want).cloned();
        let clean = args.clean_file == Some(true);
        let stale = match (&pre, clean) {
            (Some(_), true) => file_text(ctx, &file).await?.is_some_and(|t| {
                t.lines()
                    .map(str::trim)
                    .any(|l| !l.is_empty() && !l.starts_with('#') && l != name.trim())
            }),
            _ => false,
        };
        if let Some(p) = &pre {
            if !stale && configured(p, &want) {
                return Ok(Plan::noop(format!(
                    "Package repo '{name}' already configured"
                )));
            }
        }
        let comment = format!(
            "Package repo '{name}' would be configured. This may cause pkg states to behave differently than stated if this action is repeated without test=True, due to the differences in the configured repositories."
        );
        let mut changes = Changes::new();
        match &pre {
            Some(p) => {
                let (old, new) = (fields(p), fields(&want));
                for ((k, o), (_, n)) in old.into_iter().zip(new) {
                    if o != n {
                        changes.insert(k.to_string(), json!({"new": n, "old": o}));
                    }
                }
            }
            None => {
                changes.insert("repo".into(), json!(name));
            }
        }
        // The new text of the file the entry goes to: in place of the
        // entry found there, else at its end.
        let line = want.repo_line();
        let mut actions = Vec::new();
        let target = match &pre {
            Some(p) if p.line.is_some() && !clean => p.file.clone(),
            Some(p) if p.line.is_none() && !clean => {
                return Err(Failure::new(format!(
                    "pkgrepo.managed: '{name}' is configured in {}, a deb822 file that converge does not edit",
                    p.file
                )))
            }
            _ => file.clone(),
        };
        let current = if clean {
            None
        } else {
            file_text(ctx, &target).await?
        };
        let new_text = match (&pre, current) {
            (Some(p), Some(t)) if !clean => {
                let old = p.line.clone().unwrap_or_default();
                let mut replaced = false;
                let mut out = String::new();
                for l in t.split_inclusive('\n') {
                    if !replaced && l.trim() == old {
                        out.push_str(&line);
                        out.push('\n');
                        replaced = true;
                    } else {
                        out.push_str(l);
                    }
                }
                out
            }
            (_, Some(t)) => {
                let mut t = t;
                if !t.is_empty() && !t.ends_with('\n') {
                    t.push('\n');
                }
                format!("{t}{line}\n")
            }
            (_, None) => format!("{line}\n"),
        };
        actions.push(write(&target, new_text));
        if args.refresh != Some(false) && args.refresh_db != Some(false) {
            actions.push(refresh_db());
        }
        let applied = if pre.is_some() {
            changes.clone()
        } else {
            Changes::from_iter([("repo".to_string(), json!(name))])
        };
        Ok(Plan::change(
            changes,
            comment,
            format!("Configured package repo '{name}'"),
            actions,
        )
        .applied(applied))
    }
}

#[async_trait]
impl Function for Absent {
    type Args = AbsentArgs;

    async fn plan(&self, args: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let want = entry(name, "")?;
        let sources = Sources::read(ctx.host.transport.as_ref(), self.root)
            .await
            .map_err(Failure::new)?;
        let set = |v: &Vec<String>| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
        let found =
            find(&sources, &want).filter(|s| set(&s.architectures) == set(&want.architectures));
        if found.is_none() {
            return Ok(Plan::noop(format!("Package repo {name} is absent")));
        }
        // Salt's `del_repo`: the entries of this type, architectures, URI
        // and suite lose the named components (all of them: the entry).
        let mut files: Vec<String> = Vec::new();
        for s in &sources.sources {
            let hit = s.kind == want.kind
                && set(&s.architectures) == set(&want.architectures)
                && s.uri.trim_end_matches('/') == want.uri.trim_end_matches('/')
                && s.dist == want.dist;
            let overlap = want.comps.iter().any(|c| s.comps.contains(c))
                || (s.comps.is_empty() && want.comps.is_empty())
                || set(&s.comps) == set(&want.comps);
            if hit && overlap && !files.contains(&s.file) {
                if s.line.is_none() {
                    return Err(Failure::new(format!(
                        "pkgrepo.absent: '{name}' is configured in {}, a deb822 file that converge does not edit",
                        s.file
                    )));
                }
                files.push(s.file.clone());
            }
        }
        let mut actions = Vec::new();
        for f in &files {
            let text = file_text(ctx, f).await?.unwrap_or_default();
            let mut out = String::new();
            let mut left = 0;
            for l in text.split_inclusive('\n') {
                let Some(mut s) = Source::parse(l, f) else {
                    out.push_str(l);
                    continue;
                };
                let hit = s.kind == want.kind
                    && set(&s.architectures) == set(&want.architectures)
                    && s.uri.trim_end_matches('/') == want.uri.trim_end_matches('/')
                    && s.dist == want.dist;
                if hit
                    && (set(&s.comps) == set(&want.comps)
                        || want.comps.iter().any(|c| s.comps.contains(c)))
                {
                    s.comps.retain(|c| !want.comps.contains(c));
                    if s.comps.is_empty() || set(&s.comps) == set(&want.comps) {
                        continue;
                    }
                    out.push_str(&s.repo_line());
                    out.push('\n');
                    left += 1;
                } else {
                    out.push_str(l);
                    if !l.trim().starts_with('#') {
                        left += 1;
                    }
                }
            }
            if left == 0 && f.contains("sources.list.d/") {
                actions.push(Action::run(
                    Exec::new(format!("rm -f -- {}", quote(f))),
                    format!("Failed to remove repo {name}"),
                ));
            } else {
                actions.push(write(f, out));
            }
        }
        actions.push(refresh_db());
        let mut changes = Changes::from_iter([("repo".to_string(), json!(name))]);
        let mut done = format!("Removed repo {name}");
        if let Some(k) = args.keyid.as_ref().filter(|k| !k.is_null()) {
            let k = text(k);
            actions.push(Action::run(
                Exec::new(format!("apt-key del {} >/dev/null", quote(&k))),
                format!("Removed repo {name}, but failed to remove key"),
            ));
            changes.insert("keyid".into(), json!(k));
            done.push_str(&format!(", and keyid {k}"));
        }
        Ok(would::change(format!(
                "Package repo '{name}' will be removed. This may cause pkg states to behave differently than stated if this action is repeated without test=True, due to the differences in the configured repositories."
            ),
            done,
            actions,
        )
        .applied(changes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::Entry;
    use crate::host::Host;
    use crate::testing::TestTree;
    use crate::transport::local::Local;
    use std::sync::Arc;

    const PGDG: &str = "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.gpg] http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main";

    /// A repository added, found configured, then removed, in a scratch
    /// `/etc/apt` (without the `apt-get update` that follows each change).
    #[tokio::test(flavor = "multi_thread")]
    async fn a_repository_in_a_scratch_apt_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root: &'static str = Box::leak(dir.path().display().to_string().into_boxed_str());
        std::fs::create_dir_all(dir.path().join("sources.list.d")).unwrap();
        std::fs::write(
            dir.path().join("sources.list.d/other.list"),
            "deb http://example.org/debian bookworm main\n",
        )
        .unwrap();
        let list = format!("{root}/sources.list.d/pgdg.list");
        let tree = TestTree::new(&[]);
        let host = Host::new(
            "h",
            Arc::new(Local::new(10)),
            Arc::clone(&tree.tree),
            "base",
            tree.render.clone(),
        );
        let managed = Managed { root };
        let absent = Absent { root };
        let args = |text: String| crate::testing::chunk("pkgrepo.managed", &text);
        let m = args(format!("name: '{PGDG}'\nfile: {list}\nrefresh: false"));
        let parsed = match Entry::function(Managed { root }) {
            Entry::Plans(f) => f.parse(&m.args_node()).unwrap(),
            _ => unreachable!(),
        };
        let m = crate::compile::Chunk { parsed, ..m };
        let ctx = Ctx {
            host: &host,
            chunk: &m,
        };
        let margs = crate::functions::args::<ManagedArgs>(&m).unwrap();
        let p = managed.plan(margs, &ctx).await.unwrap();
        assert_eq!(p.changes["repo"], json!(PGDG));
        assert_eq!(p.describe(), [format!("write {list}")]);
        let Action::Write { file, .. } = &p.actions[0] else {
            panic!()
        };
        host.transport.write_file(file).await.unwrap();
        host.forget_all();
        assert_eq!(std::fs::read_to_string(&list).unwrap(), format!("{PGDG}\n"));
        let p = managed.plan(margs, &ctx).await.unwrap();
        assert_eq!(
            p.comment,
            format!("Package repo '{PGDG}' already configured")
        );

        let a = args(format!("name: '{PGDG}'\nkeyid: ACCC4CF8"));
        let parsed = match Entry::function(Absent { root }) {
            Entry::Plans(f) => f.parse(&a.args_node()).unwrap(),
            _ => unreachable!(),
        };
        let a = crate::compile::Chunk { parsed, ..a };
        let actx = Ctx {
            host: &host,
            chunk: &a,
        };
        let aargs = crate::functions::args::<AbsentArgs>(&a).unwrap();
        let p = absent.plan(aargs, &actx).await.unwrap();
        assert_eq!(p.done, format!("Removed repo {PGDG}, and keyid ACCC4CF8"));
        assert_eq!(
            p.describe(),
            [
                format!("run `rm -f -- {list}`"),
                "run `export DEBIAN_FRONTEND=noninteractive; { apt-get -q update; } >/dev/null 2> >(tail -n 1 >&2)`".to_string(),
                "run `apt-key del ACCC4CF8 >/dev/null`".to_string(),
            ]
        );
        assert_eq!(
            serde_json::Value::Object(p.applied.clone().unwrap()),
            json!({"repo": PGDG, "keyid": "ACCC4CF8"})
        );
    }
}
