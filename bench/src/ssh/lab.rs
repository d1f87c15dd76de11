//! The lab as this benchmark sees it: the hosts that are up (from the
//! roster the lab writes), bare hosts added and set back, each host's
//! sshd log (its `Accepted publickey` lines count logins) and its files,
//! reached from outside through `$LAB_DIR/h/<host>/fs` (no ssh, so that
//! preparing a run never counts as a login).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Lab 0's state directory (`tests/lab/lab`'s default).
const LAB0_DIR: &str = "/tmp/converge-lab";

pub(super) struct Lab {
    pub dir: PathBuf,
    script: PathBuf,
}

/// One roster entry, as the lab writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub id: String,
    pub address: String,
    /// The entry's lines, the id's included.
    pub text: String,
}

impl Lab {
    /// The lab whose state is in `dir`; but when `dir` is lab 0's default
    /// directory and only `LAB_ID` chose a lab (no `LAB_DIR`), that lab's
    /// (`--lab-dir` defaults to lab 0's and knows nothing of `LAB_ID`).
    pub(super) fn new(dir: &Path, repo: &Path) -> Lab {
        let env = load::lab::LabEnv::from_env().ok();
        let dir = match env {
            Some(env) if dir == Path::new(LAB0_DIR) && std::env::var_os("LAB_DIR").is_none() => {
                env.dir
            }
            _ => dir.to_path_buf(),
        };
        Lab {
            dir,
            script: repo.join("tests/lab/lab"),
        }
    }

    /// The hosts that are up: the lab's roster, or none when it has none.
    pub(super) fn entries(&self) -> Vec<Entry> {
        std::fs::read_to_string(self.dir.join("roster.yaml"))
            .map(|t| parse_roster(&t))
            .unwrap_or_default()
    }

    /// The bare hosts that are up, `node01`.., in order.
    pub(super) fn nodes(&self) -> Vec<Entry> {
        let mut nodes: Vec<Entry> = self
            .entries()
            .into_iter()
            .filter(|e| e.id.starts_with("node"))
            .collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        nodes
    }

    /// Exactly `n` bare hosts (`lab up-bare N`).
    pub(super) fn up_bare(&self, n: usize) -> Result<(), String> {
        let out = Command::new(&self.script)
            .args(["up-bare", &n.to_string()])
            .env("LAB_DIR", &self.dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "lab up-bare {n} failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Logins so far on `host`: the `Accepted publickey` lines of its sshd.
    pub(super) fn logins(&self, host: &str) -> usize {
        std::fs::read_to_string(self.host_path(host, "/var/log/sshd.log"))
            .map(|t| t.matches("Accepted publickey").count())
            .unwrap_or(0)
    }

    /// `path` (absolute, under one of the host's own directories such as
    /// /tmp) as seen from outside the host.
    pub(super) fn host_path(&self, host: &str, path: &str) -> PathBuf {
        self.dir
            .join("h")
            .join(host)
            .join("fs")
            .join(path.trim_start_matches('/'))
    }

    /// Remove `path` (a directory under /tmp) on `host`.
    pub(super) fn remove(&self, host: &str, path: &str) -> Result<(), String> {
        let p = self.host_path(host, path);
        match std::fs::remove_dir_all(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("removing {}: {e}", p.display())),
        }
    }

    /// The pid (in this machine's namespace) of `host`'s PID 1.
    pub(super) fn pid1(&self, host: &str) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("h").join(host).join("pid1"))
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }
}

/// The lab's roster: `id:` at the left margin, then indented `key: value`
/// lines (the lab writes nothing else).
fn parse_roster(text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            if let Some(id) = line.strip_suffix(':') {
                out.push(Entry {
                    id: id.trim().to_string(),
                    address: String::new(),
                    text: format!("{line}\n"),
                });
            }
            continue;
        }
        if let Some(e) = out.last_mut() {
            e.text.push_str(line);
            e.text.push('\n');
            if let Some(a) = line.trim().strip_prefix("host:") {
                e.address = a.trim().to_string();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_labs_roster() {
        let text = "pgdb1:\n  host: 10.77.0.11\n  user: root\nnode01:\n  host: 10.77.0.101\n  priv: /lab/id\n";
        let e = parse_roster(text);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].id.as_str(), e[0].address.as_str()),
            ("pgdb1", "10.77.0.11")
        );
        assert_eq!(e[1].text, "node01:\n  host: 10.77.0.101\n  priv: /lab/id\n");
    }

    #[test]
    fn host_paths_are_under_the_hosts_fs() {
        let lab = Lab::new(Path::new("/lab"), Path::new("/repo"));
        assert_eq!(
            lab.host_path("node01", "/tmp/converge-bench"),
            Path::new("/lab/h/node01/fs/tmp/converge-bench")
        );
    }
}
