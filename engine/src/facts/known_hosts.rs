//! Entries of an OpenSSH known_hosts file for one host, as `ssh-keygen -F`
//! finds them (hashed names included), the keys a host offers
//! (`ssh-keyscan`), and key fingerprints: the facts Salt's `ssh` module
//! reads for `ssh_known_hosts`.
//!
//! Fingerprints are Salt's: the hash of the key's bytes as colon-separated
//! hex, computed on the host with coreutils (`sha256sum`...).

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// One known_hosts line that names the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// 1-based line number in the file.
    pub line: usize,
    pub hostname: String,
    pub enc: String,
    pub key: String,
}

/// What `ssh-keygen -F` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KnownHosts {
    /// Every matching line: (line number, its key type), as Salt's
    /// `_get_matched_host_line_numbers` reads them.
    pub lines: Vec<(usize, String)>,
    /// The matching lines Salt reads as entries (`host enc key`).
    pub entries: Vec<Entry>,
}

impl KnownHosts {
    /// `ssh_hostname` as ssh writes it (`[host]:port` off port 22).
    pub(crate) fn command(ssh_hostname: &str, file: &str) -> Exec {
        Exec::new(format!(
            "ssh-keygen -F {} -f {} 2>/dev/null; true",
            quote(ssh_hostname),
            quote(file)
        ))
    }

    pub(crate) fn parse(out: &Output) -> KnownHosts {
        let mut found = KnownHosts::default();
        let lines: Vec<&str> = out.stdout.lines().collect();
        let mut i = 0;
        while i + 1 < lines.len() {
            let header = lines[i].trim();
            let Some(n) = header
                .strip_prefix("# Host ")
                .and_then(|h| h.rsplit_once("found: line "))
                .and_then(|(_, n)| n.trim().parse::<usize>().ok())
            else {
                i += 1;
                continue;
            };
            let line = lines[i + 1].trim();
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() >= 2 {
                found.lines.push((n, words[words.len() - 2].to_string()));
            }
            if let [hostname, enc, key] = words.as_slice() {
                found.entries.push(Entry {
                    line: n,
                    hostname: hostname.to_string(),
                    enc: enc.to_string(),
                    key: key.to_string(),
                });
            }
            i += 2;
        }
        found
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        ssh_hostname: &str,
        file: &str,
    ) -> Result<KnownHosts, String> {
        Ok(KnownHosts::parse(
            &super::run(host, &KnownHosts::command(ssh_hostname, file)).await?,
        ))
    }
}

/// The keys a host offers, as `ssh-keyscan` prints them (Salt's
/// `recv_known_host_entries`: up to five tries while it prints nothing).
pub(crate) struct Scan;

impl Scan {
    pub(crate) fn command(
        hostname: &str,
        enc: Option<&str>,
        port: Option<u16>,
        hash: bool,
        timeout: u64,
    ) -> Exec {
        let mut cmd = String::from("ssh-keyscan");
        if let Some(p) = port {
            cmd.push_str(&format!(" -p {p}"));
        }
        if let Some(e) = enc {
            cmd.push_str(&format!(" -t {}", quote(e)));
        }
        if hash {
            cmd.push_str(" -H");
        }
        cmd.push_str(&format!(" -T {timeout} {}", quote(hostname)));
        Exec::new(format!(
            "for i in 1 2 3 4 5; do out=$({cmd} 2>/dev/null); [ -n \"$out\" ] && break; done; printf '%s\\n' \"$out\""
        ))
        .timeout(Some(timeout * 5 + 10))
    }

    /// `host enc key` lines (comments and other shapes skipped).
    pub(crate) fn parse(out: &Output) -> Vec<Entry> {
        out.stdout
            .lines()
            .filter(|l| !l.trim().starts_with('#'))
            .filter_map(
                |l| match l.split_whitespace().collect::<Vec<_>>().as_slice() {
                    [h, e, k] => Some(Entry {
                        line: 0,
                        hostname: h.to_string(),
                        enc: e.to_string(),
                        key: k.to_string(),
                    }),
                    _ => None,
                },
            )
            .collect()
    }
}

/// Fingerprints of base64 keys with one of Python's `hashlib` names.
pub(crate) struct Fingerprints;

impl Fingerprints {
    /// One line per key: the hex digest of its decoded bytes.
    pub(crate) fn command(keys: &[String], hash_type: &str) -> Exec {
        let tool = format!("{}sum", hash_type.to_lowercase());
        let list: Vec<String> = keys.iter().map(|k| quote(k)).collect();
        Exec::new(format!(
            "for k in {}; do printf '%s' \"$k\" | base64 -d | {tool} | cut -d' ' -f1; done",
            list.join(" ")
        ))
    }

    /// `aa:bb:...` per key, in order.
    pub(crate) fn parse(out: &Output) -> Vec<String> {
        out.stdout
            .lines()
            .map(|hex| {
                hex.trim()
                    .as_bytes()
                    .chunks(2)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(":")
            })
            .collect()
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        keys: &[String],
        hash_type: &str,
    ) -> Result<Vec<String>, String> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let out = super::run(host, &Fingerprints::command(keys, hash_type)).await?;
        let prints = Fingerprints::parse(&out);
        if prints.len() != keys.len() {
            return Err(format!(
                "could not fingerprint the keys: {}",
                out.stderr.trim()
            ));
        }
        Ok(prints)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn reads_ssh_keygen_find_output() {
        // `ssh-keygen -F importanthost -f known_hosts`, recorded.
        let out = "# Host importanthost found: line 1 \nimportanthost ssh-ed25519 AAAAC3Nz\n# Host importanthost found: line 3 \n|1|F2K1=|mYt= ssh-rsa AAAAB3Nz\n";
        let k = KnownHosts::parse(&recorded(out));
        assert_eq!(
            k.lines,
            [(1, "ssh-ed25519".to_string()), (3, "ssh-rsa".to_string())]
        );
        assert_eq!(k.entries.len(), 2);
        assert_eq!(k.entries[1].hostname, "|1|F2K1=|mYt=");
        assert_eq!(KnownHosts::parse(&recorded("")), KnownHosts::default());
    }

    #[test]
    fn fingerprints_are_colon_hex() {
        let p = Fingerprints::parse(&recorded("16278a\n"));
        assert_eq!(p, ["16:27:8a"]);
        let c = Fingerprints::command(&["AAAA".into()], "MD5").cmd;
        assert!(c.ends_with("| md5sum | cut -d' ' -f1; done"), "{c}");
        let s = Scan::parse(&recorded("# x SSH-2.0\n|1|a=|b= ssh-ed25519 AAAA\n"));
        assert_eq!(s[0].enc, "ssh-ed25519");
    }
}
