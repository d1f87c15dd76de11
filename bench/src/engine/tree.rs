//! The generated state tree: N templated `file.managed` states and N/10
//! `cmd.run` states with `onlyif`, with its pillar, and the config each tool
//! needs to run it on this machine.
//!
//! The same files are valid for converge and for Salt; only the config
//! differs (`converge.yaml` + `roster.yaml`, or a minion config for
//! `salt-call --local`). Everything the states touch lies under the tree's
//! own directory, and file contents never mention that directory, so the
//! targets of two copies can be compared byte for byte.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// States per sls file (`app/partK.sls`).
const PER_SLS: usize = 100;

/// The minion id in both tools (the roster id for converge).
pub(super) const ID: &str = "bench";

/// A generated tree in `root`.
pub(super) struct Tree {
    pub root: PathBuf,
    pub n: usize,
}

impl Tree {
    /// Write a fresh tree into `root` (which must not exist yet).
    pub(super) fn generate(root: &Path, n: usize) -> io::Result<Tree> {
        let tree = Tree {
            root: root.to_path_buf(),
            n,
        };
        fs::create_dir_all(tree.target())?;
        fs::create_dir_all(root.join("states/app"))?;
        fs::create_dir_all(root.join("pillar"))?;
        fs::write(
            root.join("flag"),
            "the onlyif of even cmd.run states tests for this file\n",
        )?;
        fs::write(root.join("states/top.sls"), "base:\n  '*':\n    - app\n")?;
        fs::write(root.join("states/app/init.sls"), tree.init_sls())?;
        for part in 0..tree.parts() {
            fs::write(
                root.join(format!("states/app/part{part}.sls")),
                tree.part_sls(part),
            )?;
        }
        fs::write(root.join("states/app/header.j2"), HEADER_J2)?;
        fs::write(root.join("states/app/service.conf.j2"), SERVICE_J2)?;
        fs::write(root.join("states/app/short.j2"), SHORT_J2)?;
        fs::write(root.join("pillar/top.sls"), "base:\n  '*':\n    - bench\n")?;
        fs::write(root.join("pillar/bench.sls"), tree.pillar_sls())?;
        fs::write(
            root.join("roster.yaml"),
            format!("{ID}:\n  host: localhost\n  connection: local\n"),
        )?;
        fs::write(
            root.join("converge.yaml"),
            "file_roots:\n  base:\n    - states\npillar_roots:\n  base:\n    - pillar\nroster_file: roster.yaml\n",
        )?;
        fs::create_dir_all(tree.salt_config_dir())?;
        fs::write(tree.salt_config_dir().join("minion"), tree.minion_config())?;
        Ok(tree)
    }

    /// Where the states write.
    pub(super) fn target(&self) -> PathBuf {
        self.root.join("target")
    }

    /// The config directory given to `salt-call -c`.
    pub(super) fn salt_config_dir(&self) -> PathBuf {
        self.root.join("salt")
    }

    /// The number of `cmd.run` states.
    pub(super) fn commands(&self) -> usize {
        self.n / 10
    }

    /// States a first run changes: every file, and the commands whose
    /// `onlyif` holds (the even ones), which then `creates` their file.
    pub(super) fn first_run_changes(&self) -> usize {
        self.n + self.commands().div_ceil(2)
    }

    pub(super) fn states(&self) -> usize {
        self.n + self.commands()
    }

    fn parts(&self) -> usize {
        self.n.div_ceil(PER_SLS).max(1)
    }

    fn init_sls(&self) -> String {
        let mut s = String::from("include:\n");
        for part in 0..self.parts() {
            writeln!(s, "  - app.part{part}").unwrap();
        }
        s
    }

    /// One sls: its file states, and a command for every tenth of them,
    /// requiring that file. Paths come from the pillar through Jinja.
    fn part_sls(&self, part: usize) -> String {
        let mut s = String::from(
            "{% set target = pillar['bench']['target'] %}\n{% set root = pillar['bench']['root'] %}\n",
        );
        for i in part * PER_SLS..((part + 1) * PER_SLS).min(self.n) {
            s.push_str(&file_state(i));
            if i.is_multiple_of(10) && i / 10 < self.commands() {
                s.push_str(&cmd_state(i / 10, i));
            }
        }
        s
    }

    fn pillar_sls(&self) -> String {
        let root = self.root.display();
        format!(
            r#"bench:
  root: {root}
  target: {root}/target
  owner: ops-team
  env: staging
  base_port: 8000
  ratio: 0.75
  enabled: True
  peers:
{{% for i in range(3) %}}    - 10.1.0.{{{{ i + 1 }}}}
{{% endfor %}}
  tiers: [web, api, db, cache]
  settings:
    timeout: 30
    retries: 3
    label: alpha beta
"#
        )
    }

    fn minion_config(&self) -> String {
        let root = self.root.display();
        format!(
            "id: {ID}\nfile_client: local\nfile_roots:\n  base:\n    - {root}/states\npillar_roots:\n  base:\n    - {root}/pillar\n\
             cachedir: {root}/salt/cache\npki_dir: {root}/salt/pki\nsock_dir: {root}/salt/run\n\
             log_file: {root}/salt/log\nroot_dir: {root}/salt/root\n"
        )
    }
}

/// State `i`: four kinds in turn, so that templates, `context`, `defaults`,
/// `mode` and `contents` all take part.
fn file_state(i: usize) -> String {
    let head = format!(
        "file-{i}:\n  file.managed:\n    - name: {{{{ target }}}}/d{dir}/f{i}.conf\n    - makedirs: True\n",
        dir = i / PER_SLS
    );
    let body = match i % 4 {
        0 => format!(
            "    - source: salt://app/service.conf.j2\n    - template: jinja\n    - context:\n        index: {i}\n        name: svc-{i}\n"
        ),
        1 => format!(
            "    - source: salt://app/service.conf.j2\n    - template: jinja\n    - mode: '0640'\n    - defaults:\n        index: {i}\n        name: default-{i}\n    - context:\n        name: svc-{i}\n"
        ),
        2 => format!(
            "    - source: salt://app/short.j2\n    - template: jinja\n    - mode: 600\n    - context:\n        index: {i}\n        name: svc-{i}\n"
        ),
        _ => format!(
            "    - contents: |\n        index {i} in {{{{ pillar['bench']['env'] }}}}\n        owner {{{{ pillar['bench']['owner'] }}}}\n"
        ),
    };
    head + &body
}

/// Command `j`: its `onlyif` holds for even `j` (the flag file exists),
/// and then it runs once, until the file it `creates` exists.
fn cmd_state(j: usize, file: usize) -> String {
    let flag = if j.is_multiple_of(2) {
        "flag"
    } else {
        "no-such-flag"
    };
    format!(
        "cmd-{j}:\n  cmd.run:\n    - name: touch {{{{ target }}}}/cmd-{j}.done\n    - onlyif: test -e {{{{ root }}}}/{flag}\n    - creates: {{{{ target }}}}/cmd-{j}.done\n    - require:\n      - file: file-{file}\n"
    )
}

const HEADER_J2: &str =
    "# Managed by {{ pillar['bench']['owner'] }} for {{ grains['id'] }}: do not edit\n";

const SERVICE_J2: &str = r#"{% include 'app/header.j2' %}
[service]
name = {{ name }}
index = {{ index }}
port = {{ pillar['bench']['base_port'] + index }}
env = {{ pillar['bench']['env'] | upper }}
tier = {{ pillar['bench']['tiers'][index % 4] }}
enabled = {{ pillar['bench']['enabled'] }}
ratio = {{ pillar['bench']['ratio'] }}
label = {{ salt['pillar.get']('bench:settings:label') }}
peers = {{ pillar['bench']['peers'] | join(', ') }}
{% for key, value in pillar['bench']['settings'] | dictsort %}
{{ key }} = {{ value }}
{%- endfor %}
{% if index is divisibleby 2 %}
parity = even
{% else %}
parity = odd
{% endif %}
"#;

/// A template without a final newline: Salt keeps it that way.
const SHORT_J2: &str = "index={{ index }} name={{ name }} tier={{ pillar['bench']['tiers'] | last }}\nno final newline";
