//! Do two targets hold the same files? Paths, kinds, bytes and permission
//! bits, for converge's target against Salt's on two copies of one tree.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[derive(Debug, PartialEq)]
enum Entry {
    Dir { mode: u32 },
    File { mode: u32, content: Vec<u8> },
    Other,
}

/// Every entry under `root`, by path relative to it.
fn walk(root: &Path) -> io::Result<BTreeMap<String, Entry>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir)? {
            let path = e?.path();
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .display()
                .to_string();
            let meta = fs::symlink_metadata(&path)?;
            let mode = meta.permissions().mode() & 0o7777;
            let entry = if meta.is_dir() {
                stack.push(path.clone());
                Entry::Dir { mode }
            } else if meta.is_file() {
                Entry::File {
                    mode,
                    content: fs::read(&path)?,
                }
            } else {
                Entry::Other
            };
            out.insert(rel, entry);
        }
    }
    Ok(out)
}

/// The differences between `ours` and `theirs`, one line each; empty when
/// they are the same. `names` say whose is whose.
pub(super) fn differences(
    ours: &Path,
    theirs: &Path,
    names: (&str, &str),
) -> io::Result<Vec<String>> {
    let (a, b) = (walk(ours)?, walk(theirs)?);
    let mut out = Vec::new();
    for (path, ea) in &a {
        let Some(eb) = b.get(path) else {
            out.push(format!("{path}: only in {}'s target", names.0));
            continue;
        };
        match (ea, eb) {
            (
                Entry::File {
                    mode: ma,
                    content: ca,
                },
                Entry::File {
                    mode: mb,
                    content: cb,
                },
            ) => {
                if ma != mb {
                    out.push(format!(
                        "{path}: mode {ma:04o} ({}) vs {mb:04o} ({})",
                        names.0, names.1
                    ));
                }
                if ca != cb {
                    out.push(format!(
                        "{path}: contents differ: {}",
                        first_difference(ca, cb, names)
                    ));
                }
            }
            (Entry::Dir { mode: ma }, Entry::Dir { mode: mb }) if ma != mb => {
                out.push(format!(
                    "{path}/: mode {ma:04o} ({}) vs {mb:04o} ({})",
                    names.0, names.1
                ));
            }
            (ea, eb) if std::mem::discriminant(ea) != std::mem::discriminant(eb) => {
                out.push(format!(
                    "{path}: a {} in {}'s target, a {} in {}'s",
                    kind(ea),
                    names.0,
                    kind(eb),
                    names.1
                ));
            }
            _ => {}
        }
    }
    for path in b.keys().filter(|p| !a.contains_key(*p)) {
        out.push(format!("{path}: only in {}'s target", names.1));
    }
    Ok(out)
}

/// The first line that differs, as `line L: ours "..." vs theirs "..."`.
fn first_difference(a: &[u8], b: &[u8], names: (&str, &str)) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let (la, lb): (Vec<&str>, Vec<&str>) = (
        a.split_inclusive('\n').collect(),
        b.split_inclusive('\n').collect(),
    );
    let line = (0..la.len().max(lb.len()))
        .find(|&i| la.get(i) != lb.get(i))
        .unwrap_or(0);
    let show = |l: Option<&&str>| l.map_or("<end of file>".to_string(), |l| format!("{l:?}"));
    format!(
        "line {}: {} {} vs {} {}",
        line + 1,
        names.0,
        show(la.get(line)),
        names.1,
        show(lb.get(line))
    )
}

fn kind(e: &Entry) -> &'static str {
    match e {
        Entry::Dir { .. } => "directory",
        Entry::File { .. } => "file",
        Entry::Other => "special file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_content_mode_and_missing_differences() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for d in [a.path(), b.path()] {
            fs::create_dir(d.join("sub")).unwrap();
            fs::write(d.join("sub/same"), "x").unwrap();
            fs::write(d.join("content"), "x").unwrap();
            fs::write(d.join("mode"), "x").unwrap();
        }
        fs::write(b.path().join("content"), "y").unwrap();
        fs::set_permissions(b.path().join("mode"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(a.path().join("extra"), "").unwrap();
        let diffs = differences(a.path(), b.path(), ("a", "b")).unwrap();
        assert_eq!(diffs.len(), 3, "{diffs:#?}");
        assert_eq!(
            diffs[0],
            r#"content: contents differ: line 1: a "x" vs b "y""#
        );
        assert_eq!(diffs[1], "extra: only in a's target");
        assert!(
            diffs[2].starts_with("mode: mode ") && diffs[2].ends_with("(a) vs 0600 (b)"),
            "{}",
            diffs[2]
        );
        assert!(differences(a.path(), a.path(), ("a", "a"))
            .unwrap()
            .is_empty());
    }
}
