//! The lab as the failover benchmarks drive it: brought up in its first
//! layout and converged, a copy of the repo's pillar whose writer they
//! swap (the repo is left alone), converge run as an operator runs it
//! (with its progress lines read as they come, so that a benchmark can act
//! right after a given step), and the lab's own fault commands.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use load::lab::LabEnv;

use crate::progress::{self, Anchor, Line, Span};

pub(crate) struct Lab {
    pub repo: PathBuf,
    pub converge: PathBuf,
    pillar: tempfile_dir::Dir,
    /// The roster converge runs with: the lab's own when `LAB_ID` or
    /// `LAB_DIR` chose a lab, else the repo's (which names lab 0).
    roster: PathBuf,
    pub env: LabEnv,
}

/// A temporary directory removed on drop (no extra crate needed).
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub(super) struct Dir(PathBuf);

    impl Dir {
        pub(super) fn new(prefix: &str) -> std::io::Result<Dir> {
            let p = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
            std::fs::create_dir_all(&p)?;
            Ok(Dir(p))
        }

        pub(super) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repo")
}

pub(crate) fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{cmd:?} failed ({}):\n{text}", out.status))
    }
}

/// A clock shared by the load, the probes and the runs: seconds since
/// `started`.
#[derive(Clone, Copy)]
pub(crate) struct Clock(pub Instant);

impl Clock {
    pub(crate) fn now(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }

    /// The time of day (UTC, as converge prints it with `TZ=UTC`) now,
    /// against this clock.
    pub(crate) fn anchor(&self) -> Anchor {
        let at = self.now();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        Anchor {
            tod: wall.rem_euclid(86_400.0),
            at,
        }
    }
}

/// A converge run as it went.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConvergeRun {
    pub args: Vec<String>,
    pub start: f64,
    pub end: f64,
    /// Its exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    /// Its stderr lines, each with when it was read.
    pub stderr: Vec<(f64, String)>,
    pub spans: Vec<Span>,
}

impl ConvergeRun {
    pub(crate) fn wall(&self) -> f64 {
        self.end - self.start
    }

    /// The first span with this id.
    pub(crate) fn span(&self, id: &str) -> Option<&Span> {
        self.spans.iter().find(|s| s.id == id)
    }
}

impl Lab {
    /// Bring the lab up (the one `LAB_ID` names) in its initial layout and
    /// converge it.
    pub(crate) fn up() -> Result<Lab, String> {
        let repo = repo();
        let env = LabEnv::from_env()?;
        let roster = if env.chosen {
            env.roster()
        } else {
            repo.join("roster.yaml")
        };
        run(Command::new("cargo")
            .args(["build", "--release", "-q", "-p", "converge-cli"])
            .current_dir(&repo))?;
        let converge = repo.join("target/release/converge");
        let pillar = tempfile_dir::Dir::new("converge-demo-pillar").map_err(|e| e.to_string())?;
        for f in std::fs::read_dir(repo.join("pillar"))
            .map_err(|e| e.to_string())?
            .flatten()
        {
            std::fs::copy(f.path(), pillar.path().join(f.file_name()))
                .map_err(|e| e.to_string())?;
        }
        let lab = Lab {
            repo,
            converge,
            pillar,
            roster,
            env,
        };
        lab.lab(&["up"])?;
        lab.reset()?;
        Ok(lab)
    }

    /// Back to the first layout: `reset-pg`, pgdb1 the writer in pillar,
    /// both hosts converged.
    pub(crate) fn reset(&self) -> Result<(), String> {
        self.lab(&["reset-pg"])?;
        self.set_writer("pgdb1", "pgdb2")?;
        self.converge(&["highstate", "pgdb*"])?;
        Ok(())
    }

    pub(crate) fn set_writer(&self, writer: &str, query: &str) -> Result<(), String> {
        let text = format!("postgres:\n  writer: {writer}\n  query: {query}\n");
        std::fs::write(self.pillar.path().join("globals.sls"), text).map_err(|e| e.to_string())
    }

    /// pgbouncer:pause_timeout from the pillar copy (5 unless set).
    pub(crate) fn pause_timeout(&self) -> u64 {
        let text =
            std::fs::read_to_string(self.pillar.path().join("postgres.sls")).unwrap_or_default();
        text.lines()
            .find_map(|l| l.trim().strip_prefix("pause_timeout:"))
            .and_then(|v| v.split('#').next()?.trim().parse().ok())
            .unwrap_or(5)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.converge);
        cmd.current_dir(&self.repo)
            .env("TZ", "UTC")
            .arg("--pillar-root")
            .arg(self.pillar.path())
            .arg("--roster")
            .arg(&self.roster)
            .args(args);
        cmd
    }

    /// Run converge to its end; its output, or why it failed.
    pub(crate) fn converge(&self, args: &[&str]) -> Result<String, String> {
        run(&mut self.command(args))
    }

    /// Run converge (add `--out json` to `args` for its JSON), calling `on_line` with each
    /// progress line as it comes (with converge's pid, to signal it) and
    /// recording what `on_line` returns as events at the time it returned.
    pub(crate) fn converge_watched(
        &self,
        args: &[&str],
        clock: Clock,
        events: &mut Vec<(f64, String)>,
        mut on_line: impl FnMut(&Line, u32) -> Option<String>,
    ) -> Result<ConvergeRun, String> {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let anchor = clock.anchor();
        let start = clock.now();
        let mut child = cmd.spawn().map_err(|e| format!("{cmd:?}: {e}"))?;
        let pid = child.id();
        let mut out = child.stdout.take().expect("piped");
        let (otx, orx) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || otx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let err = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel::<(f64, String)>();
        // ssh masters converge leaves behind may hold its stderr open:
        // lines are read on a thread of their own and the run ends with
        // the process, not with the pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send((clock.now(), line)).is_err() {
                    break;
                }
            }
        });
        let mut stderr = Vec::new();
        let mut lines = Vec::new();
        let mut exited_at: Option<Instant> = None;
        let status = loop {
            match rx.recv_timeout(Duration::from_millis(10)) {
                Ok((at, text)) => {
                    if let Some(l) = progress::parse(&text) {
                        if let Some(e) = on_line(&l, pid) {
                            events.push((clock.now(), e));
                        }
                        lines.push(l);
                    }
                    stderr.push((at, text));
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    break child.wait().map_err(|e| e.to_string())?;
                }
            }
            if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                // Whatever it wrote before it ended, then stop listening.
                match exited_at {
                    Some(t) if t.elapsed() > Duration::from_millis(200) => break st,
                    Some(_) => {}
                    None => exited_at = Some(Instant::now()),
                }
            }
        };
        let end = clock.now();
        // All of stdout is in the pipe once converge has exited.
        let mut bytes = Vec::new();
        while let Ok(chunk) = orx.recv_timeout(Duration::from_millis(300)) {
            bytes.extend(chunk);
        }
        let stdout = String::from_utf8_lossy(&bytes).into_owned();
        Ok(ConvergeRun {
            args: args.iter().map(std::string::ToString::to_string).collect(),
            start,
            end,
            code: status.code(),
            stdout,
            stderr,
            spans: progress::spans(&lines, anchor),
        })
    }

    /// A command of the lab's script (`tests/lab/lab`), for the lab the
    /// environment names.
    pub(crate) fn lab(&self, args: &[&str]) -> Result<String, String> {
        run(Command::new(self.repo.join("tests/lab/lab")).args(args))
    }
}
