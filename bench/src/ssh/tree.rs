//! The small tree applied to the bare hosts: five `file.managed` (three
//! with `contents:` rendered in the sls, two from a Jinja template that
//! uses grains and pillar) and one `cmd.run` guarded by `onlyif`, all under
//! /tmp/converge-bench on each host. A first run changes all six; a second
//! changes nothing. The same files are a tree for salt-ssh.
//!
//! Beside it: a roster per host count (the lab's entries for node01..nodeN,
//! with `--ssh-option`s added) and a salt-ssh config directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::lab::Entry;

/// Where the tree writes on each host.
pub(super) const TARGET: &str = "/tmp/converge-bench";

/// States per host, and how many of them a first run changes.
pub(super) const STATES: usize = 6;

const TOP: &str = "base:\n  '*':\n    - bench\n";

const SLS: &str = r#"{% set dir = pillar['bench']['dir'] %}
{% for i in range(3) %}
bench-file-{{ i }}:
  file.managed:
    - name: {{ dir }}/file{{ i }}.conf
    - makedirs: True
    - mode: '0644'
    - contents: |
        # {{ grains['id'] }}: file {{ i }}
        port = {{ pillar['bench']['port'] + i }}
{% endfor %}
{% for i in range(3, 5) %}
bench-file-{{ i }}:
  file.managed:
    - name: {{ dir }}/file{{ i }}.conf
    - source: salt://bench/app.conf.j2
    - template: jinja
    - makedirs: True
    - mode: '0640'
    - context:
        index: {{ i }}
{% endfor %}
bench-marker:
  cmd.run:
    - name: date > {{ dir }}/marker
    - onlyif: test ! -e {{ dir }}/marker
    - require:
      - file: bench-file-0
"#;

const TEMPLATE: &str = r#"# Managed by the benchmark on {{ grains['id'] }} ({{ grains['os'] }} {{ grains['osrelease'] }})
[app]
index = {{ index }}
{% for k, v in pillar['bench']['settings'] | dictsort %}
{{ k }} = {{ v }}
{% endfor %}
"#;

const PILLAR: &str = "bench:\n  dir: /tmp/converge-bench\n  port: 7000\n  settings:\n    workers: 4\n    timeout: 30\n    log: /var/log/app.log\n";

pub(super) struct Tree {
    pub root: PathBuf,
}

impl Tree {
    /// Write the tree, and a roster of the first N `nodes` for each N in
    /// `counts`, in `root`.
    pub(super) fn write(
        root: &Path,
        nodes: &[Entry],
        counts: &[usize],
        ssh_options: &[String],
    ) -> std::io::Result<Tree> {
        let w = |rel: &str, text: &str| -> std::io::Result<()> {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().expect("a relative path"))?;
            std::fs::write(p, text)
        };
        w("states/top.sls", TOP)?;
        w("states/bench/init.sls", SLS)?;
        w("states/bench/app.conf.j2", TEMPLATE)?;
        w("pillar/top.sls", TOP)?;
        w("pillar/bench.sls", PILLAR)?;
        let tree = Tree {
            root: root.to_path_buf(),
        };
        for &n in counts {
            std::fs::write(tree.roster(n), roster(&nodes[..n], ssh_options))?;
        }
        Ok(tree)
    }

    pub(super) fn roster(&self, hosts: usize) -> PathBuf {
        self.root.join(format!("roster-{hosts}.yaml"))
    }

    /// A salt-ssh config directory for `node` (a master config whose
    /// file_roots and pillar_roots are this tree, and a roster), with the
    /// lab's key and known_hosts. Its path, for `salt-ssh -c`.
    pub(super) fn salt_config(&self, node: &Entry, lab: &Path) -> std::io::Result<PathBuf> {
        let dir = self.root.join("salt");
        std::fs::create_dir_all(&dir)?;
        let d = |sub: &str| dir.join(sub).display().to_string();
        let master = format!(
            "root_dir: {root}\nfile_roots:\n  base: [{states}]\npillar_roots:\n  base: [{pillar}]\n\
             pki_dir: {pki}\ncachedir: {cache}\nsock_dir: {sock}\nlog_file: {log}\nssh_log_file: {log}\n",
            root = d("root"),
            states = self.root.join("states").display(),
            pillar = self.root.join("pillar").display(),
            pki = d("pki"),
            cache = d("cache"),
            sock = d("sock"),
            log = d("salt.log"),
        );
        std::fs::write(dir.join("master"), master)?;
        let roster = format!(
            "{id}:\n  host: {host}\n  user: root\n  priv: {lab}/id_ed25519\n  ssh_options:\n    - UserKnownHostsFile={lab}/known_hosts\n",
            id = node.id,
            host = node.address,
            lab = lab.display(),
        );
        std::fs::write(dir.join("roster"), roster)?;
        Ok(dir)
    }
}

/// The lab's entries, each with `ssh_options` added when there are any.
fn roster(nodes: &[Entry], ssh_options: &[String]) -> String {
    let mut s = String::new();
    for n in nodes {
        s.push_str(&n.text);
        if !ssh_options.is_empty() {
            s.push_str("  ssh_options:\n");
            for o in ssh_options {
                writeln!(s, "    - {o}").unwrap();
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosters_take_the_first_hosts_with_the_options() {
        let e = |id: &str| Entry {
            id: id.into(),
            address: "a".into(),
            text: format!("{id}:\n  host: a\n"),
        };
        let r = roster(&[e("node01"), e("node02")], &["Compression=no".into()]);
        assert_eq!(
            r,
            "node01:\n  host: a\n  ssh_options:\n    - Compression=no\nnode02:\n  host: a\n  ssh_options:\n    - Compression=no\n"
        );
        assert_eq!(roster(&[e("node01")], &[]), "node01:\n  host: a\n");
    }
}
