//! The two programs under test and how each is asked to converge a tree:
//! `converge highstate` with the tree's `converge.yaml`, and
//! `salt-call --local state.highstate` with the tree's minion config.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::args::Out;
use super::counts::Counts;
use super::tree::{Tree, ID};

#[derive(Clone, Debug)]
pub(super) enum Tool {
    Converge(PathBuf),
    Salt(PathBuf),
}

/// What a run is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// On a fresh tree: every state changes something.
    First,
    /// Again, on the converged tree: nothing changes.
    NoChange,
    /// `--test` (Salt's `test=True`) on the converged tree.
    Test,
}

impl Phase {
    pub(super) const ALL: [Phase; 3] = [Phase::First, Phase::NoChange, Phase::Test];

    pub(super) fn key(self) -> &'static str {
        match self {
            Phase::First => "first",
            Phase::NoChange => "no_change",
            Phase::Test => "test",
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Phase::First => "first run",
            Phase::NoChange => "no-change run",
            Phase::Test => "test on converged",
        }
    }
}

/// One timed run of a whole process.
pub(super) struct Run {
    pub seconds: f64,
    pub code: Option<i32>,
    pub counts: Result<Counts, String>,
    pub stdout: String,
    pub stderr: String,
}

impl Tool {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Tool::Converge(_) => "converge",
            Tool::Salt(_) => "salt",
        }
    }

    pub(super) fn binary(&self) -> &Path {
        match self {
            Tool::Converge(p) | Tool::Salt(p) => p,
        }
    }

    fn command(&self, tree: &Tree, phase: Phase, out: Out) -> Command {
        let out = match out {
            Out::Json => "json",
            Out::Text => match self {
                Tool::Converge(_) => "text",
                Tool::Salt(_) => "highstate",
            },
        };
        let mut cmd = Command::new(self.binary());
        cmd.current_dir(&tree.root);
        match self {
            Tool::Converge(_) => {
                cmd.arg("--config").arg(tree.root.join("converge.yaml"));
                cmd.args(["--out", out, "highstate", ID]);
                if phase == Phase::Test {
                    cmd.arg("--test");
                }
            }
            Tool::Salt(_) => {
                cmd.arg("-c").arg(tree.salt_config_dir());
                cmd.args([
                    "--local",
                    "--retcode-passthrough",
                    "--no-color",
                    "-l",
                    "error",
                    "--out",
                    out,
                    "state.highstate",
                ]);
                if phase == Phase::Test {
                    cmd.arg("test=True");
                }
            }
        }
        cmd
    }

    /// Run `phase` on `tree` and time the whole process, start to exit.
    pub(super) fn run(&self, tree: &Tree, phase: Phase, out: Out) -> std::io::Result<Run> {
        let mut cmd = self.command(tree, phase, out);
        let started = Instant::now();
        let output = cmd.output()?;
        let seconds = started.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let counts = match out {
            Out::Json => Counts::from_json(&stdout),
            Out::Text => Counts::from_text(&stdout),
        };
        Ok(Run {
            seconds,
            code: output.status.code(),
            counts,
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}
