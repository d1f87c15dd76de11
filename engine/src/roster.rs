//! The roster: which hosts exist and how to reach them (salt-ssh format).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::glob;
use crate::source::{Source, Span};
use crate::yaml::{self, Node};

#[derive(Clone, Debug, PartialEq)]
pub struct Host {
    pub id: String,
    pub address: String,
    pub user: String,
    pub port: u16,
    pub key: Option<PathBuf>,
    pub connection: Connection,
    pub host_key_check: HostKeyCheck,
    pub known_hosts_file: Option<PathBuf>,
    /// Connect timeout in seconds.
    pub timeout: u64,
    /// Extra `-o` options for ssh, as salt-ssh's `ssh_options`.
    pub ssh_options: Vec<String>,
    /// Seconds the ssh master connection outlives the run, so that the next
    /// run re-attaches to it (OpenSSH's `ControlPersist`; Ansible's default
    /// is 60). 0 closes it at the end of the run.
    pub control_persist: u64,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connection {
    Ssh,
    Local,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyCheck {
    Strict,
    AcceptNew,
    Off,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    host: Option<String>,
    user: Option<String>,
    port: Option<u16>,
    #[serde(rename = "priv")]
    key: Option<PathBuf>,
    connection: Option<Connection>,
    host_key_check: Option<serde_json::Value>,
    known_hosts_file: Option<PathBuf>,
    timeout: Option<u64>,
    #[serde(default)]
    ssh_options: Vec<String>,
    control_persist: Option<u64>,
    /// salt-ssh keys that mean nothing here but are accepted so that an
    /// existing roster loads.
    #[allow(dead_code)]
    minion_opts: Option<serde_json::Value>,
    #[allow(dead_code)]
    thin_dir: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Roster {
    pub hosts: Vec<Host>,
}

impl Roster {
    pub fn load(path: &Path) -> Result<Roster, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::invalid(
                None,
                format!("no roster at {} (give one with --roster FILE, or roster_file in converge.yaml)", path.display()),
            ),
            _ => Error::io(path, e),
        })?;
        let source = Source::new(path.display().to_string(), text);
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        match yaml::load(&source)? {
            Some(node) => Roster::from_node(&node, &base),
            None => Ok(Roster { hosts: vec![] }),
        }
    }

    /// `base` is the roster's directory: relative key paths are relative to it.
    pub fn from_node(node: &Node, base: &Path) -> Result<Roster, Error> {
        let map = node
            .as_map()
            .ok_or_else(|| Error::expected(node, "a mapping of host ids", "roster"))?;
        let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let mut hosts = Vec::new();
        for (key, value) in map.iter() {
            let id = key.scalar_string().unwrap_or_default();
            let entry: Entry = yaml::from_node(value).map_err(|e| {
                Error::invalid(Some(e.span), format!("roster entry `{id}`: {}", e.message))
            })?;
            let host_key_check = match entry.host_key_check {
                None | Some(serde_json::Value::Bool(true)) => HostKeyCheck::Strict,
                Some(serde_json::Value::Bool(false)) => HostKeyCheck::Off,
                Some(serde_json::Value::String(s)) if s == "accept-new" => HostKeyCheck::AcceptNew,
                Some(serde_json::Value::String(s)) if s == "yes" || s == "strict" => {
                    HostKeyCheck::Strict
                }
                Some(serde_json::Value::String(s)) if s == "no" || s == "off" => HostKeyCheck::Off,
                Some(other) => {
                    let span = value
                        .as_map()
                        .and_then(|m| m.entry("host_key_check"))
                        .map(|(k, _)| k.span.clone());
                    return Err(Error::invalid(
                        span,
                        format!("roster entry `{id}`: host_key_check is true, false or accept-new, not {other}"),
                    ));
                }
            };
            hosts.push(Host {
                address: entry.host.unwrap_or_else(|| id.clone()),
                user: entry.user.unwrap_or_else(|| "root".into()),
                port: entry.port.unwrap_or(22),
                key: entry.key.map(rel),
                connection: entry.connection.unwrap_or(Connection::Ssh),
                host_key_check,
                known_hosts_file: entry.known_hosts_file.map(rel),
                timeout: entry.timeout.unwrap_or(10),
                ssh_options: entry.ssh_options,
                control_persist: entry.control_persist.unwrap_or(60),
                span: key.span.clone(),
                id,
            });
        }
        Ok(Roster { hosts })
    }

    /// The hosts whose id matches the glob `target`, in roster order; an
    /// error if none does.
    pub fn select(&self, target: &str) -> Result<Vec<&Host>, Error> {
        let hosts: Vec<&Host> = self
            .hosts
            .iter()
            .filter(|h| glob::matches_any(target, &h.id))
            .collect();
        if hosts.is_empty() {
            return Err(Error::NoTargets {
                target: target.to_string(),
            });
        }
        Ok(hosts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(text: &str) -> Result<Roster, Error> {
        let node = yaml::load(&Source::new("roster.yaml", text))
            .unwrap()
            .unwrap();
        Roster::from_node(&node, Path::new("/repo"))
    }

    #[test]
    fn salt_ssh_format_with_defaults() {
        let r = roster(
            "pgdb1:\n  host: 10.0.0.11\n  priv: lab/id\npgdb2:\n  host: 10.0.0.12\n  user: admin\n  port: 2222\n  host_key_check: accept-new\nlocal:\n  connection: local\n",
        )
        .unwrap();
        let h = &r.hosts[0];
        assert_eq!(
            (h.id.as_str(), h.address.as_str(), h.user.as_str(), h.port),
            ("pgdb1", "10.0.0.11", "root", 22)
        );
        assert_eq!(h.key.as_deref(), Some(Path::new("/repo/lab/id")));
        assert_eq!(h.host_key_check, HostKeyCheck::Strict);
        assert_eq!(r.hosts[1].host_key_check, HostKeyCheck::AcceptNew);
        assert_eq!(r.hosts[1].port, 2222);
        assert_eq!(r.hosts[2].connection, Connection::Local);
        assert_eq!(r.hosts[2].address, "local");
        assert_eq!(h.control_persist, 60);
    }

    #[test]
    fn control_persist_is_seconds_and_zero_closes() {
        let r = roster("a:\n  control_persist: 0\nb:\n  control_persist: 300\n").unwrap();
        assert_eq!(r.hosts[0].control_persist, 0);
        assert_eq!(r.hosts[1].control_persist, 300);
        let err = roster("a:\n  control_persist: soon\n").unwrap_err();
        assert!(err.to_string().contains("roster.yaml:2:"), "{err}");
    }

    #[test]
    fn targets_are_globs_and_must_match() {
        let r = roster("pgdb1: {}\npgdb2: {}\nweb1: {}\n").unwrap();
        let ids = |t| {
            r.select(t)
                .unwrap()
                .iter()
                .map(|h| h.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("pgdb*"), ["pgdb1", "pgdb2"]);
        assert_eq!(ids("web1"), ["web1"]);
        assert!(matches!(r.select("nope*"), Err(Error::NoTargets { .. })));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let err = roster("pgdb1:\n  hots: x\n").unwrap_err();
        assert!(err.to_string().contains("roster.yaml:2:3"), "{err}");
    }
}
