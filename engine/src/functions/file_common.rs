//! What the file functions share: Salt's owner checks, its path
//! normalisation, the shell that creates missing directories with their
//! owner and mode, and `salt://` sources read and rendered on the
//! controller.

use std::sync::Arc;

use crate::facts::Paths;
use crate::plan::Failure;
use crate::source::Source;
use crate::transport::shell::quote;
use crate::transport::{FileFact, FileKind};

use super::mode::Mode;
use super::Ctx;

/// Salt's `_check_user`: the users and groups that do not exist, worded as
/// Salt words them; `None` when all do. Salt only warns in a test run,
/// so callers make this a failure of the real run alone.
pub(super) fn missing_owner(
    facts: &Paths,
    user: Option<&str>,
    group: Option<&str>,
) -> Option<String> {
    let mut err = String::new();
    if let Some(u) = user {
        if u != facts.user && facts.primary_group(u).is_none() {
            err.push_str(&format!("User {u} is not available "));
        }
    }
    if let Some(g) = group {
        if !facts.group_exists(g) {
            err.push_str(&format!("Group {g} is not available"));
        }
    }
    Some(err).filter(|e| !e.is_empty())
}

/// `file` with its owner and group named as asked when they are the
/// asked ones under another name of the same id (`Paths::owned_by`).
pub(super) fn owner_as_asked(
    file: Arc<FileFact>,
    facts: &Paths,
    user: Option<&str>,
    group: Option<&str>,
) -> Arc<FileFact> {
    let user = user.filter(|u| *u != file.user && facts.owned_by(&file.user, u));
    let group = group.filter(|g| *g != file.group && facts.grouped_in(&file.group, g));
    if user.is_none() && group.is_none() {
        return file;
    }
    let mut f = (*file).clone();
    if let Some(u) = user {
        f.user = u.to_string();
    }
    if let Some(g) = group {
        f.group = g.to_string();
    }
    Arc::new(f)
}

/// Salt's refusal of a file state's path that is not absolute.
pub(super) fn absolute(name: &str) -> Result<(), Failure> {
    if name.starts_with('/') {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "Specified file {name} is not an absolute path"
        )))
    }
}

/// Salt's refusals of a file state's `name`: none, or not absolute
/// (`fun`: `file.append`).
pub(super) fn named(name: &str, fun: &str) -> Result<(), Failure> {
    if name.is_empty() {
        return Err(Failure::new(format!("Must provide name to {fun}")));
    }
    absolute(name)
}

/// Python's `os.path.normpath` on a POSIX path.
pub(super) fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let initial = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else if path.starts_with('/') {
        1
    } else {
        0
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." if initial == 0 && (parts.is_empty() || parts.last() == Some(&"..")) => {
                parts.push("..");
            }
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    let out = format!("{}{joined}", "/".repeat(initial));
    if out.is_empty() {
        ".".into()
    } else {
        out
    }
}

/// Python's `os.path.join(a, b)` for two parts.
pub(super) fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_string()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// Salt's mode for directories `makedirs` creates when only a file mode
/// is given: each non-zero digit of the last three gets the execute bit.
pub(super) fn dir_mode_for(mode: Mode) -> Mode {
    let digits = format!("{:03o}", mode.0 & 0o777);
    let with_x: String = digits
        .chars()
        .map(|d| match d {
            '0' => '0',
            d => char::from_digit(d.to_digit(8).unwrap() | 1, 8).unwrap(),
        })
        .collect();
    Mode(u32::from_str_radix(&with_x, 8).unwrap_or(0o755))
}

/// A command that creates `dir` and its missing parents, each given
/// `user`, `group` and `mode` (those set), as Salt's `file.makedirs`
/// does; directories that exist are left as they are.
pub(super) fn makedirs(
    dir: &str,
    user: Option<&str>,
    group: Option<&str>,
    mode: Option<Mode>,
) -> String {
    let mut each = vec!["mkdir -- \"$d\"".to_string()];
    match (user, group) {
        (Some(u), Some(g)) => each.push(format!("chown -- {} \"$d\"", quote(&format!("{u}:{g}")))),
        (Some(u), None) => each.push(format!("chown -- {} \"$d\"", quote(u))),
        (None, Some(g)) => each.push(format!("chgrp -- {} \"$d\"", quote(g))),
        (None, None) => {}
    }
    if let Some(m) = mode {
        each.push(format!("chmod -- {m} \"$d\""));
    }
    format!(
        "set --; d={}; while [ ! -d \"$d\" ]; do set -- \"$d\" \"$@\"; d=$(dirname -- \"$d\"); done; for d in \"$@\"; do {} || exit 1; done",
        quote(dir),
        each.join(" && ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_as_python() {
        for (p, want) in [
            ("/a/b/../c/./d/", "/a/c/d"),
            ("a/../../b", "../b"),
            ("//a", "//a"),
            ("///a", "/a"),
            ("/..", "/"),
            ("", "."),
            ("a/..", "."),
        ] {
            assert_eq!(normpath(p), want, "{p}");
        }
    }

    #[test]
    fn directories_made_for_a_file_get_execute_bits() {
        assert_eq!(dir_mode_for(Mode(0o640)), Mode(0o750));
        assert_eq!(dir_mode_for(Mode(0o600)), Mode(0o700));
        assert_eq!(dir_mode_for(Mode(0o644)), Mode(0o755));
    }

    #[test]
    fn makedirs_creates_only_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("a");
        std::fs::create_dir(&top).unwrap();
        let deep = top.join("b c/d");
        let cmd = makedirs(&deep.display().to_string(), None, None, Some(Mode(0o700)));
        let out = crate::testing::runtime()
            .block_on(crate::transport::Transport::exec(
                &crate::transport::local::Local::new(10),
                &crate::transport::Exec::new(cmd),
            ))
            .unwrap();
        assert_eq!(out.code, 0, "{}", out.stderr);
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(mode(&top.join("b c")), 0o700);
        assert_eq!(mode(&top), 0o755);
    }
}

/// The first of `urls` the state tree has (Salt's order of a `source`
/// list): its path on the controller and its path in the tree; `None`
/// when none exists.
pub(super) fn first_source(
    ctx: &Ctx<'_>,
    urls: &[String],
) -> Result<Option<(std::path::PathBuf, String)>, Failure> {
    for url in urls {
        if let Some(hit) = ctx
            .host
            .tree
            .resolve_url(&ctx.chunk.env, url)
            .map_err(|e| Failure::new(e.headline()))?
        {
            return Ok(Some(hit));
        }
    }
    Ok(None)
}

/// A file of the state tree, read on the controller, and rendered when
/// `template` says so (`jinja`, the only engine converge has), with the
/// host's grains and pillar and `extra` variables. Errors are worded
/// `Unable to manage file: ...`, as Salt's `file.managed` words them;
/// callers that word them otherwise strip that.
pub(super) async fn render_source(
    ctx: &Ctx<'_>,
    found: (std::path::PathBuf, String),
    template: Option<&str>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<u8>, Failure> {
    let (path, rel) = found;
    let bytes = std::fs::read(&path)
        .map_err(|e| Failure::new(format!("Unable to read {}: {e}", path.display())))?;
    match template {
        None => Ok(bytes),
        Some("jinja") => {
            let text = String::from_utf8(bytes).map_err(|_| {
                Failure::new(format!("Unable to manage file: {rel} is not UTF-8 text"))
            })?;
            let root = path
                .to_str()
                .and_then(|p| p.strip_suffix(&rel))
                .map(std::path::PathBuf::from)
                .unwrap_or_default();
            let source = Source::file(&root, &rel, text);
            let (tree, env, sls) = (
                Arc::clone(&ctx.host.tree),
                ctx.chunk.env.clone(),
                ctx.chunk.sls.clone(),
            );
            let render = ctx.host.render.clone();
            // Rendering is synchronous and may call the host back
            // (`salt['cmd.run']`): it runs on a blocking thread.
            let out = tokio::task::spawn_blocking(move || {
                tree.renderer(&env)?
                    .render_file(&source, &sls, &render, &extra)
            })
            .await
            .map_err(|e| Failure::new(format!("Unable to manage file: {e}")))?
            .map_err(|e| {
                Failure::new(format!(
                    "Unable to manage file: {}",
                    e.to_string().trim_end()
                ))
            })?;
            Ok(out.into_bytes())
        }
        Some(other) => Err(Failure::new(format!(
            "Unsupported template engine `{other}` (converge renders jinja)"
        ))),
    }
}

/// One string or a list of them, as Salt's `source` and `text` take them.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(super) fn list(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// Python's `str(value)` for the scalars YAML gives (`True`, `None`, `1.5`).
pub(super) fn py_str(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "True".into(),
        serde_json::Value::Bool(false) => "False".into(),
        serde_json::Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Salt's `_validate_str_list`: a string alone, or each item of a list as
/// a string.
pub(super) fn str_list(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Array(items) => items.iter().map(py_str).collect(),
        other => vec![py_str(other)],
    }
}

/// A file reached through a symlink, as Python's `open` goes.
pub(super) struct Followed {
    /// The path to edit: the link's target, when the path is a link.
    pub path: String,
    /// What is there.
    pub fact: Arc<FileFact>,
    /// Where the link points, as written, when the path is a link.
    pub link: Option<String>,
}

/// The file at `path`, through a symlink.
pub(super) async fn read_followed(ctx: &Ctx<'_>, path: &str) -> Result<Followed, Failure> {
    let fact = ctx.host.file(path).await?;
    if fact.kind != FileKind::Symlink {
        return Ok(Followed {
            path: path.to_string(),
            fact,
            link: None,
        });
    }
    let facts = Paths::read(ctx.host.transport.as_ref(), &[path.to_string()], &[], &[])
        .await
        .map_err(Failure::new)?;
    let entry = facts.get(path);
    match entry.real {
        Some(real) => {
            let fact = ctx.host.file(&real).await?;
            Ok(Followed {
                path: real,
                fact,
                link: entry.target,
            })
        }
        None => Ok(Followed {
            path: path.to_string(),
            fact: Arc::new(FileFact::missing(path)),
            link: entry.target,
        }),
    }
}
