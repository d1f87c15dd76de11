//! Everything under a directory, with owner, group and mode: what
//! `file.directory` with `recurse` or `clean` and `file.recurse` with
//! `clean` look at. One `find` lists it all; the listing is then put in
//! the order Python's `os.walk` gives (each directory's entries before
//! its subdirectories', in directory order), the order Salt reports in.

use std::collections::HashMap;

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

use super::paths::Kind;

/// One entry under the walked directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The path relative to the walked directory (`a/b`).
    pub rel: String,
    /// The entry itself.
    pub kind: Kind,
    /// What it leads to, symlinks followed.
    pub follows: Kind,
    pub mode: u32,
    pub user: String,
    pub group: String,
}

impl Entry {
    /// Whether `os.walk` lists it among directories (a directory, or a
    /// symlink to one, which it does not descend into).
    pub(crate) fn walks_as_dir(&self) -> bool {
        self.follows == Kind::Dir
    }
}

/// A directory's tree, in `find`'s order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Walk {
    pub root: String,
    pub entries: Vec<Entry>,
}

/// One directory as `os.walk` yields it: its path, the names of its
/// subdirectories and of its other entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Level {
    pub dir: String,
    pub dirs: Vec<String>,
    pub files: Vec<String>,
}

impl Walk {
    /// At most `depth` levels down (`None`: all). NUL-separated fields:
    /// type, type followed, mode, user, group, relative path.
    pub(crate) fn command(root: &str, depth: Option<usize>) -> Exec {
        let depth = depth.map(|d| format!(" -maxdepth {d}")).unwrap_or_default();
        Exec::new(format!(
            "find -P {} -mindepth 1{depth} -printf '%y\\0%Y\\0%m\\0%u\\0%g\\0%P\\0' 2>/dev/null; true",
            quote(root)
        ))
    }

    pub(crate) fn parse(root: &str, out: &Output) -> Walk {
        let fields: Vec<&str> = out.stdout.split('\0').collect();
        let kind = |t: &str| match t {
            "d" => Kind::Dir,
            "f" => Kind::File,
            "l" => Kind::Link,
            "N" | "L" | "?" => Kind::Missing,
            _ => Kind::Other,
        };
        let entries = fields
            .chunks(6)
            .filter(|c| c.len() == 6)
            .map(|c| Entry {
                kind: kind(c[0]),
                follows: kind(c[1]),
                mode: u32::from_str_radix(c[2], 8).unwrap_or(0),
                user: c[3].to_string(),
                group: c[4].to_string(),
                rel: c[5].to_string(),
            })
            .collect();
        Walk {
            root: root.trim_end_matches('/').to_string(),
            entries,
        }
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        root: &str,
        depth: Option<usize>,
    ) -> Result<Walk, String> {
        Ok(Walk::parse(
            root,
            &super::run(host, &Walk::command(root, depth)).await?,
        ))
    }

    /// The absolute path of an entry.
    pub(crate) fn path(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.root.clone()
        } else {
            format!("{}/{rel}", self.root)
        }
    }

    pub(crate) fn entry(&self, rel: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.rel == rel)
    }

    /// `os.walk(root)`, top down: the root first, each directory's
    /// subdirectories after it in directory order; symlinked directories
    /// listed but not entered.
    pub(crate) fn levels(&self) -> Vec<Level> {
        let mut children: HashMap<&str, Vec<&Entry>> = HashMap::new();
        for e in &self.entries {
            let parent = e.rel.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
            children.entry(parent).or_default().push(e);
        }
        let mut out = Vec::new();
        let mut pending = vec![String::new()];
        while let Some(rel) = pending.pop() {
            let kids = children.get(rel.as_str()).cloned().unwrap_or_default();
            let name = |e: &Entry| e.rel.rsplit('/').next().unwrap_or_default().to_string();
            let dirs: Vec<&Entry> = kids.iter().copied().filter(|e| e.walks_as_dir()).collect();
            let files = kids
                .iter()
                .filter(|e| !e.walks_as_dir())
                .map(|e| name(e))
                .collect();
            // Depth first, in order: push the subdirectories reversed.
            for d in dirs.iter().rev().filter(|d| d.kind == Kind::Dir) {
                pending.push(d.rel.clone());
            }
            out.push(Level {
                dir: self.path(&rel),
                dirs: dirs.iter().map(|e| name(e)).collect(),
                files,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    /// Recorded from the probe on Debian 12: a directory `b` holding a
    /// file with a space and a symlink to a directory, a dangling
    /// symlink and a file at the top.
    const FIND: &str = "d\x00d\x00755\x00root\x00root\x00b\x00l\x00d\x00777\x00root\x00root\x00b/up\x00f\x00f\x00644\x00root\x00root\x00b/x y\x00l\x00N\x00777\x00root\x00root\x00dang\x00f\x00f\x00600\x00postgres\x00postgres\x00f\x00";

    #[test]
    fn lists_as_os_walk_does() {
        let w = Walk::parse("/srv/a/", &recorded(FIND));
        assert_eq!(w.entry("f").unwrap().mode, 0o600);
        assert_eq!(w.entry("f").unwrap().user, "postgres");
        let levels = w.levels();
        assert_eq!(
            levels,
            vec![
                Level {
                    dir: "/srv/a".into(),
                    dirs: vec!["b".into()],
                    files: vec!["dang".into(), "f".into()],
                },
                Level {
                    dir: "/srv/a/b".into(),
                    dirs: vec!["up".into()],
                    files: vec!["x y".into()],
                },
            ]
        );
    }

    #[test]
    fn the_probe_lists_a_real_tree() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/f"), "x").unwrap();
        std::os::unix::fs::symlink("b", dir.path().join("a/l")).unwrap();
        let root = dir.path().join("a").display().to_string();
        let w = crate::testing::runtime()
            .block_on(Walk::read(
                &crate::transport::local::Local::new(10),
                &root,
                None,
            ))
            .unwrap();
        let mut rels: Vec<(&str, Kind, Kind)> = w
            .entries
            .iter()
            .map(|e| (e.rel.as_str(), e.kind, e.follows))
            .collect();
        rels.sort();
        assert_eq!(
            rels,
            [
                ("b", Kind::Dir, Kind::Dir),
                ("b/f", Kind::File, Kind::File),
                ("l", Kind::Link, Kind::Dir)
            ]
        );
        let missing = crate::testing::runtime()
            .block_on(Walk::read(
                &crate::transport::local::Local::new(10),
                &format!("{root}/none"),
                None,
            ))
            .unwrap();
        assert!(missing.entries.is_empty());
    }
}
