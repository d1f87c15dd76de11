//! What paths are, beyond what a file read tells: where a symlink points,
//! what it leads to, whether a path's directory exists (symlinks
//! followed, as Python's `os.path.isdir` does), and who the remote user is.
//! `file.symlink`, `file.copy` and the line editors (which edit a
//! symlink's target) decide from these, in one round trip.

use crate::transport::shell::quote;
use crate::transport::{Exec, FileFact, FileKind, Output, Transport};

/// A path as the file functions see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PathFact {
    pub path: String,
    /// The entry itself (not followed).
    pub kind: Kind,
    /// Where a symlink points, as written.
    pub target: Option<String>,
    /// What the path leads to, symlinks followed (`Missing` when dangling).
    pub follows: Kind,
    /// The canonical path (`realpath`), when the path exists.
    pub real: Option<String>,
    /// The entry's own owner and group (a symlink's, not its target's).
    pub user: String,
    pub group: String,
    /// The entry's own permission bits (0777 for a symlink).
    pub mode: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    #[default]
    Missing,
    File,
    Dir,
    Link,
    Other,
}

impl PathFact {
    pub(crate) fn lexists(&self) -> bool {
        self.kind != Kind::Missing
    }

    pub(crate) fn is_link(&self) -> bool {
        self.kind == Kind::Link
    }

    /// Python's `os.path.isdir`: a directory, through symlinks.
    pub(crate) fn is_dir(&self) -> bool {
        self.follows == Kind::Dir
    }

    /// Python's `os.path.isfile`: a regular file, through symlinks.
    pub(crate) fn is_file(&self) -> bool {
        self.follows == Kind::File
    }

    /// Python's `os.path.exists`: something, through symlinks.
    pub(crate) fn exists(&self) -> bool {
        self.follows != Kind::Missing
    }
}

/// Paths, the remote user and the users and groups a state names, read
/// together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Paths {
    /// The user commands run as, and its primary group (Salt's defaults
    /// for a new symlink's or copy's owner).
    pub user: String,
    pub group: String,
    /// Each user asked about: its primary group, `None` when there is no
    /// such user.
    pub users: Vec<(String, Option<String>)>,
    /// Each group asked about: whether it exists.
    pub groups: Vec<(String, bool)>,
    /// The name a file owned by each user (or group) asked about shows
    /// (`stat`'s `%U`, `%G`): another name when an account earlier in
    /// passwd (group) has the same id (`useradd -o`, Salt's `unique:
    /// False`).
    pub shown_users: Vec<(String, String)>,
    pub shown_groups: Vec<(String, String)>,
    pub entries: Vec<PathFact>,
}

const KINDS: &str = r#"k() { if [ -L "$1" ]; then echo l; elif [ -d "$1" ]; then echo d; elif [ -f "$1" ]; then echo f; elif [ -e "$1" ]; then echo o; else echo m; fi; }"#;

impl Paths {
    /// Per path, NUL-separated: the path, its kind, its link target, the
    /// kind it leads to, its realpath, `user:group:mode` of the entry.
    /// Before them, one line each: the remote user, its group, then
    /// `u<TAB>user<TAB>primary group<TAB>name its id shows` and
    /// `g<TAB>group<TAB>y<TAB>name its id shows` (empty when there is
    /// none), then `---`.
    pub(crate) fn command(paths: &[String], users: &[String], groups: &[String]) -> Exec {
        let mut script = format!("{KINDS}; id -un; id -gn; ");
        for u in users {
            script.push_str(&format!(
                "printf 'u\\t%s\\t%s\\t%s\\n' {q} \"$(id -gn -- {q} 2>/dev/null)\" \"$(id -u -- {q} 2>/dev/null | xargs -r getent passwd | cut -d: -f1)\"; ",
                q = quote(u)
            ));
        }
        for g in groups {
            script.push_str(&format!(
                "printf 'g\\t%s\\t%s\\t%s\\n' {q} \"$(getent group {q} >/dev/null && echo y)\" \"$(getent group {q} | cut -d: -f3 | xargs -r getent group | cut -d: -f1)\"; ",
                q = quote(g)
            ));
        }
        script.push_str("echo ---; ");
        for p in paths {
            let q = quote(p);
            script.push_str(&format!(
                "p={q}; printf '%s\\0%s\\0' \"$p\" \"$(k \"$p\")\"; \
                 if [ -L \"$p\" ]; then readlink -n -- \"$p\"; fi; printf '\\0'; \
                 if [ -e \"$p\" ]; then if [ -d \"$p\" ]; then printf d; elif [ -f \"$p\" ]; then printf f; else printf o; fi; fi; printf '\\0'; \
                 if [ -e \"$p\" ]; then realpath -- \"$p\" | tr -d '\\n'; fi; printf '\\0'; \
                 if [ -L \"$p\" ] || [ -e \"$p\" ]; then stat -c '%U:%G:%a' -- \"$p\" | tr -d '\\n'; fi; printf '\\0'; "
            ));
        }
        Exec::new(script)
    }

    pub(crate) fn parse(out: &Output) -> Result<Paths, String> {
        let (head, rest) = out
            .stdout
            .split_once("---\n")
            .ok_or_else(|| format!("no answer about paths: {}", out.stderr.trim()))?;
        let mut lines = head.lines();
        let user = lines.next().unwrap_or_default().to_string();
        let group = lines.next().unwrap_or_default().to_string();
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        let (mut shown_users, mut shown_groups) = (Vec::new(), Vec::new());
        for line in lines {
            let mut f = line.splitn(4, '\t');
            let (kind, name, value) = (f.next(), f.next(), f.next().unwrap_or_default());
            let shown = f.next().unwrap_or_default();
            let (Some(kind), Some(name)) = (kind, name) else {
                continue;
            };
            match kind {
                "u" => {
                    users.push((
                        name.to_string(),
                        Some(value.to_string()).filter(|v| !v.is_empty()),
                    ));
                    if !shown.is_empty() {
                        shown_users.push((name.to_string(), shown.to_string()));
                    }
                }
                "g" => {
                    groups.push((name.to_string(), value == "y"));
                    if !shown.is_empty() {
                        shown_groups.push((name.to_string(), shown.to_string()));
                    }
                }
                _ => {}
            }
        }
        let fields: Vec<&str> = rest.split('\0').collect();
        let mut entries = Vec::new();
        for rec in fields.chunks(6).filter(|c| c.len() == 6) {
            let kind = |s: &str| match s {
                "l" => Kind::Link,
                "d" => Kind::Dir,
                "f" => Kind::File,
                "o" => Kind::Other,
                _ => Kind::Missing,
            };
            let mut owner = rec[5].splitn(3, ':');
            let (u, g, m) = (owner.next(), owner.next(), owner.next());
            entries.push(PathFact {
                path: rec[0].to_string(),
                kind: kind(rec[1]),
                target: Some(rec[2].to_string()).filter(|_| rec[1] == "l"),
                follows: kind(rec[3]),
                real: Some(rec[4].to_string()).filter(|r| !r.is_empty()),
                user: u.unwrap_or_default().to_string(),
                group: g.unwrap_or_default().to_string(),
                mode: m.and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0),
            });
        }
        if user.is_empty() {
            return Err(format!("no answer about paths: {}", out.stderr.trim()));
        }
        Ok(Paths {
            user,
            group,
            users,
            groups,
            shown_users,
            shown_groups,
            entries,
        })
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        paths: &[String],
        users: &[String],
        groups: &[String],
    ) -> Result<Paths, String> {
        Paths::parse(&super::run(host, &Paths::command(paths, users, groups)).await?)
    }

    /// The same facts from plain file reads (`FileFact`s, which the run
    /// batches and caches), when none of them is a symlink: nothing to
    /// follow, no round trip. `None` otherwise. The remote user and the
    /// users and groups are unknown this way.
    pub(crate) fn from_files(files: &[std::sync::Arc<FileFact>]) -> Option<Paths> {
        let mut entries = Vec::new();
        for f in files {
            let kind = match f.kind {
                FileKind::Missing => Kind::Missing,
                FileKind::File => Kind::File,
                FileKind::Directory => Kind::Dir,
                FileKind::Other => Kind::Other,
                FileKind::Symlink => return None,
            };
            entries.push(PathFact {
                path: f.path.clone(),
                kind,
                target: None,
                follows: kind,
                real: None,
                user: f.user.clone(),
                group: f.group.clone(),
                mode: f.mode,
            });
        }
        Some(Paths {
            entries,
            ..Paths::default()
        })
    }

    /// The primary group of `user`, `None` when there is no such user.
    pub(crate) fn primary_group(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .and_then(|(_, g)| g.as_deref())
    }

    /// Whether group `group` exists (asked about, or the remote user's).
    pub(crate) fn group_exists(&self, group: &str) -> bool {
        group == self.group || self.groups.iter().any(|(g, ok)| g == group && *ok)
    }

    /// Whether a file whose owner shows as `shown` belongs to `user`: the
    /// same name, or the same uid under an earlier name. Salt compares
    /// the names, and fails to give such a file to `user` ("Failed to
    /// change user to ..."): its owner is already that uid.
    pub(crate) fn owned_by(&self, shown: &str, user: &str) -> bool {
        shown == user
            || self
                .shown_users
                .iter()
                .any(|(u, s)| u == user && s == shown)
    }

    /// The same for groups.
    pub(crate) fn grouped_in(&self, shown: &str, group: &str) -> bool {
        shown == group
            || self
                .shown_groups
                .iter()
                .any(|(g, s)| g == group && s == shown)
    }

    /// The fact about `path` (missing when it was not asked).
    pub(crate) fn get(&self, path: &str) -> PathFact {
        self.entries
            .iter()
            .find(|e| e.path == path)
            .cloned()
            .unwrap_or_else(|| PathFact {
                path: path.to_string(),
                ..PathFact::default()
            })
    }
}

/// Python's `os.path.dirname`.
pub(crate) fn dirname(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => {
            let head = &path[..i];
            // `a//b` → `a`, as Python strips the separators it splits at.
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() {
                "/".into()
            } else {
                trimmed.into()
            }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    /// Recorded from this probe on Debian 12, for a file, a symlink to it,
    /// a dangling symlink, a directory and a missing path.
    #[test]
    fn reads_kinds_targets_and_owners() {
        let out = recorded(
            "root\nroot\nu\tpostgres\tpostgres\nu\tnobody42\t\ng\tadm\ty\ng\tnope\t\n---\n/t/f\x00f\x00\x00f\x00/t/f\x00root:root:644\x00/t/l\x00l\x00f\x00f\x00/t/f\x00root:root:777\x00/t/dang\x00l\x00nowhere\x00\x00\x00root:root:777\x00/t\x00d\x00\x00d\x00/t\x00root:root:755\x00/t/none\x00m\x00\x00\x00\x00\x00",
        );
        let p = Paths::parse(&out).unwrap();
        assert_eq!((p.user.as_str(), p.group.as_str()), ("root", "root"));
        assert_eq!(p.primary_group("postgres"), Some("postgres"));
        assert_eq!(p.primary_group("nobody42"), None);
        assert!(p.group_exists("adm") && p.group_exists("root") && !p.group_exists("nope"));
        let l = p.get("/t/l");
        assert!(l.is_link() && l.is_file() && l.exists());
        assert_eq!(l.target.as_deref(), Some("f"));
        assert_eq!(l.real.as_deref(), Some("/t/f"));
        let d = p.get("/t/dang");
        assert!(d.lexists() && !d.exists());
        assert_eq!(d.target.as_deref(), Some("nowhere"));
        assert!(p.get("/t").is_dir());
        assert_eq!(p.get("/t/f").mode, 0o644);
        assert!(!p.get("/t/none").lexists());
        assert!(!p.get("/never/asked").lexists());
    }

    /// buser made with `useradd -o -u 1001` after auser took 1001: its
    /// files show as auser's, and they are buser's.
    #[test]
    fn an_owner_may_show_under_another_name_of_its_id() {
        let out = recorded(
            "root\nroot\nu\tbuser\tprimarygroup\tauser\nu\tcarl\tcarl\tcarl\ng\tprimarygroup\ty\tprimarygroup\n---\n",
        );
        let p = Paths::parse(&out).unwrap();
        assert_eq!(p.primary_group("buser"), Some("primarygroup"));
        assert!(p.owned_by("auser", "buser") && p.owned_by("buser", "buser"));
        assert!(!p.owned_by("auser", "carl") && !p.owned_by("root", "buser"));
        assert!(
            p.grouped_in("primarygroup", "primarygroup") && !p.grouped_in("auser", "primarygroup")
        );
    }

    #[test]
    fn dirname_as_python() {
        assert_eq!(dirname("/a/b"), "/a");
        assert_eq!(dirname("/a"), "/");
        assert_eq!(dirname("/a//b"), "/a");
        assert_eq!(dirname("b"), "");
    }

    #[test]
    fn the_probe_runs_in_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("it's");
        std::fs::write(&f, "x").unwrap();
        std::os::unix::fs::symlink("it's", dir.path().join("l")).unwrap();
        let paths: Vec<String> = [f.clone(), dir.path().join("l"), dir.path().join("no")]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let p = crate::testing::runtime()
            .block_on(Paths::read(
                &crate::transport::local::Local::new(10),
                &paths,
                &["root".into(), "no-such-user-here".into()],
                &["root".into(), "no-such-group-here".into()],
            ))
            .unwrap();
        assert_eq!(p.primary_group("root"), Some("root"));
        assert_eq!(p.primary_group("no-such-user-here"), None);
        assert!(p.owned_by("root", "root") && !p.owned_by("root", "no-such-user-here"));
        assert_eq!(p.shown_groups, [("root".to_string(), "root".to_string())]);
        assert!(!p.group_exists("no-such-group-here"));
        assert_eq!(p.get(&paths[0]).kind, Kind::File);
        let l = p.get(&paths[1]);
        assert_eq!((l.kind, l.follows), (Kind::Link, Kind::File));
        assert_eq!(l.target.as_deref(), Some("it's"));
        assert_eq!(l.real.as_deref(), Some(paths[0].as_str()));
        assert_eq!(p.get(&paths[2]).kind, Kind::Missing);
    }
}
