//! The `Test` builder: a temporary repo (states, pillar, roster), a
//! `converge` command line run in it, and assertions on what it printed,
//! its exit code and what it left on disk.

#![allow(dead_code)]

pub(crate) mod compare;
pub(crate) mod formula;

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

pub(crate) struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    pub root: PathBuf,
}

impl Test {
    /// An empty repo whose roster has one local host, `local`.
    pub(crate) fn new() -> Test {
        let t = Test {
            dir: tempfile::tempdir().expect("a temporary directory"),
            args: Vec::new(),
            env: Vec::new(),
        };
        t.file("roster.yaml", "local:\n  connection: local\n")
    }

    /// The repo's own states and pillar (through a converge.yaml), with
    /// `pgdb1` and `pgdb2` as local hosts: the shipped tree, compiled here.
    pub(crate) fn shipped() -> Test {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let repo = repo.canonicalize().expect("the repo").display().to_string();
        let config = format!("file_roots:\n  base:\n    - {repo}/states\npillar_roots:\n  base:\n    - {repo}/pillar\n");
        Test::new().file("converge.yaml", &config).file(
            "roster.yaml",
            "pgdb1:\n  connection: local\npgdb2:\n  connection: local\n",
        )
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Write `text` at `path` in the repo; `{root}` in the text becomes the
    /// repo's absolute path (for states that write files there).
    pub(crate) fn file(self, path: &str, text: &str) -> Test {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(
            &p,
            text.replace("{root}", &self.dir.path().display().to_string()),
        )
        .expect("write");
        self
    }

    /// Copy the file `from` to `path` in the repo, byte for byte.
    pub(crate) fn copy(self, path: &str, from: &Path) -> Test {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(from, &p).unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
        self
    }

    /// A top file giving every host the sls `names`.
    pub(crate) fn top(self, names: &[&str]) -> Test {
        let list: String = names.iter().map(|n| format!("    - {n}\n")).collect();
        self.file("states/top.sls", &format!("base:\n  '*':\n{list}"))
    }

    pub(crate) fn args(mut self, args: &[&str]) -> Test {
        self.args = args.iter().map(std::string::ToString::to_string).collect();
        self
    }

    pub(crate) fn env(mut self, k: &str, v: &str) -> Test {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Run `converge` with the current arguments (the repo stays for more runs).
    pub(crate) fn run(&self) -> Output {
        run_in(self.dir.path(), &self.args, &self.env)
    }

    /// Run with other arguments.
    pub(crate) fn run_with(&self, args: &[&str]) -> Output {
        let args: Vec<String> = args.iter().map(std::string::ToString::to_string).collect();
        run_in(self.dir.path(), &args, &self.env)
    }
}

pub(crate) fn converge_bin() -> &'static str {
    env!("CARGO_BIN_EXE_converge")
}

pub(crate) fn run_in(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    let out = Command::new(converge_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("converge runs");
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
        root: dir.to_path_buf(),
    }
}

impl Output {
    pub(crate) fn code(&self, code: i32) -> &Output {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub(crate) fn stdout_has(&self, text: &str) -> &Output {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub(crate) fn stderr_has(&self, text: &str) -> &Output {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }

    /// The JSON printed with `--out json`.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }

    /// The Summary's "Succeeded" line for `host`, e.g. `Succeeded: 3 (changed=2)`.
    pub(crate) fn succeeded_line(&self) -> String {
        self.stdout
            .lines()
            .find(|l| l.starts_with("Succeeded:"))
            .unwrap_or_default()
            .to_string()
    }

    /// Content of a file under the repo.
    pub(crate) fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }
}

/// Every file under `dir`, relative, sorted (to prove a run wrote nothing).
pub(crate) fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.strip_prefix(base).unwrap().display().to_string());
            if p.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
