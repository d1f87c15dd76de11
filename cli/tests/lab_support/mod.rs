//! The lab as end-to-end tests use it: brought up in its first layout for
//! one test at a time (holding the lab's lock against other processes), a
//! scratch pillar, converge run against the lab's roster, and commands
//! inside the hosts. Shared by the lab tests and the fault tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use load::lab::LabEnv;

use crate::support::{run_in, Output};

pub(crate) mod writers;

static LAB: Mutex<()> = Mutex::new(());

/// The lab the environment names.
pub(crate) fn lab_env() -> &'static LabEnv {
    static ENV: OnceLock<LabEnv> = OnceLock::new();
    ENV.get_or_init(|| LabEnv::from_env().unwrap_or_else(|e| panic!("{e}")))
}

/// `host`'s address on the lab's network.
pub(crate) fn address(host: &str) -> String {
    lab_env().address(host).expect("a lab host")
}

/// The roster converge runs with: the repo's own (which names lab 0) unless
/// `LAB_ID` or `LAB_DIR` chose another lab, then the one that lab writes.
pub(crate) fn roster() -> PathBuf {
    if lab_env().chosen {
        lab_env().roster()
    } else {
        repo().join("roster.yaml")
    }
}

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// `tests/lab/lab ARGS` run by a test, which holds the lab's lock (see
/// [`Hold`]): its commands must not wait for it.
pub(crate) fn lab_command() -> Command {
    let mut cmd = Command::new(repo().join("tests/lab/lab"));
    cmd.env("CONVERGE_LAB_LOCKED", "1");
    cmd
}

/// `tests/lab/lab ARGS`, which must succeed; its stdout.
pub(crate) fn lab_script(args: &[&str]) -> String {
    let out = lab_command()
        .args(args)
        .output()
        .expect("tests/lab/lab runs");
    assert!(
        out.status.success(),
        "lab {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run `cmd` inside `host` without ssh (nsenter); its stdout.
pub(crate) fn on(host: &str, cmd: &str) -> String {
    lab_script(&["exec", host, "--", "sh", "-c", cmd])
}

pub(crate) fn sql(host: &str, q: &str) -> String {
    on(
        host,
        &format!("runuser -u postgres -- psql -XAtq -h /var/run/postgresql -c \"{q}\""),
    )
    .trim()
    .to_string()
}

/// The lab's lock (`lab hold`), held until dropped: a mutating `lab`
/// command of any other process (another test run, the selftest, an
/// engineer's `reset-pg`) waits until this test is done instead of
/// resetting the hosts under it.
pub(crate) struct Hold(Child);

impl Hold {
    pub(crate) fn take() -> Hold {
        let mut child = Command::new(repo().join("tests/lab/lab"))
            .arg("hold")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("tests/lab/lab hold runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("lab hold answers");
        assert_eq!(line.trim(), "held", "lab hold did not take the lock");
        Hold(child)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        drop(self.0.stdin.take()); // end of input: the holder exits, the lock is free
        let _ = self.0.wait();
    }
}

/// The lab, up, in its first layout (pgdb1 primary, pgdb2 streaming from
/// it), for this test alone; and a scratch copy of the repo's pillar.
pub(crate) struct Lab {
    _hold: Hold,
    _guard: MutexGuard<'static, ()>,
    pub pillar: tempfile::TempDir,
}

impl Lab {
    pub(crate) fn fresh() -> Lab {
        let guard = LAB
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let hold = Hold::take();
        // `up` refuses a pair an earlier test left split; `reset-pg` mends it.
        if !lab_command()
            .arg("up")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            lab_script(&["reset-pg"]);
            lab_script(&["up"]);
        }
        lab_script(&["reset-pg"]);
        let pillar = tempfile::tempdir().unwrap();
        for f in std::fs::read_dir(repo().join("pillar")).unwrap().flatten() {
            std::fs::copy(f.path(), pillar.path().join(f.file_name())).unwrap();
        }
        Lab {
            _hold: hold,
            _guard: guard,
            pillar,
        }
    }

    pub(crate) fn writer(&self, writer: &str, query: &str) {
        let text = format!("postgres:\n  writer: {writer}\n  query: {query}\n");
        std::fs::write(self.pillar.path().join("globals.sls"), text).unwrap();
    }

    pub(crate) fn converge(&self, args: &[&str]) -> Output {
        let mut all = vec![
            "--pillar-root".to_string(),
            self.pillar.path().display().to_string(),
            "--roster".to_string(),
            roster().display().to_string(),
        ];
        all.extend(args.iter().map(std::string::ToString::to_string));
        run_in(&repo(), &all, &[])
    }
}

/// What converge manages on the hosts, and each server's role: to prove a
/// test run changed nothing.
pub(crate) fn snapshot() -> String {
    let files = "/etc/pgbouncer/pgbouncer.ini /etc/pgbouncer/userlist.txt /etc/postgresql/15/main/conf.d/standby.conf /var/lib/postgresql/15/main/standby.signal";
    ["pgdb1", "pgdb2"]
        .iter()
        .map(|h| {
            let role = sql(h, "select pg_is_in_recovery()");
            let content = on(
                h,
                &format!("for f in {files}; do echo \"== $f\"; cat $f 2>&1; done; true"),
            );
            format!("{h} in_recovery={role}\n{content}")
        })
        .collect()
}

/// Logins sshd on `host` accepted so far.
pub(crate) fn logins(host: &str) -> usize {
    std::fs::read_to_string(lab_env().dir.join(format!("h/{host}/fs/var/log/sshd.log")))
        .unwrap_or_default()
        .matches("Accepted publickey")
        .count()
}

pub(crate) fn succeeded_lines(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .filter(|l| l.starts_with("Succeeded:"))
        .map(str::to_string)
        .collect()
}

/// A `converge` run in the background (its progress read from stderr as
/// it comes), to be killed at a chosen moment.
pub(crate) struct Running {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Lab {
    /// `converge ARGS` started, not waited for.
    pub(crate) fn start(&self, args: &[&str]) -> Running {
        let mut all = vec![
            "--pillar-root".to_string(),
            self.pillar.path().display().to_string(),
            "--roster".to_string(),
            roster().display().to_string(),
        ];
        all.extend(args.iter().map(std::string::ToString::to_string));
        let mut child = Command::new(crate::support::converge_bin())
            .args(&all)
            .current_dir(repo())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("converge runs");
        let stderr = child.stderr.take().expect("its stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }
}

impl Running {
    /// Wait (at most 60 s) for a progress line that contains `text`.
    pub(crate) fn wait_for(&mut self, text: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(text);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(e) => panic!(
                    "no progress line with {text:?} ({e}); seen:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// SIGKILL, as a controller dies.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("killed");
        let _ = self.child.wait();
    }

    /// Its exit code, once it ends.
    pub(crate) fn code(mut self) -> i32 {
        let status = self.child.wait().expect("converge ends");
        status.code().unwrap_or(-1)
    }
}

/// Whether `host`'s PgBouncer holds its clients (the lab reads PgBouncer's
/// own log).
pub(crate) fn paused(host: &str) -> bool {
    lab_script(&["pause-state", host]).starts_with("paused")
}

/// Wait until no PgBouncer is paused, at most `within`: how long it took.
pub(crate) fn until_resumed(within: std::time::Duration) -> std::time::Duration {
    let started = std::time::Instant::now();
    loop {
        if !paused("pgdb1") && !paused("pgdb2") {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "a PgBouncer is still paused after {within:?}: pgdb1 {}, pgdb2 {}",
            lab_script(&["pause-state", "pgdb1"]).trim(),
            lab_script(&["pause-state", "pgdb2"]).trim()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The cluster as pillar wants it: `writer` the primary, `query`
/// streaming from it on its timeline, no PgBouncer paused, and writes
/// through both PgBouncers landing.
pub(crate) fn healthy(writer: &str, query: &str) {
    assert_eq!(
        sql(writer, "select pg_is_in_recovery()"),
        "f",
        "{writer} is not the primary: {}",
        lab_script(&["role", writer])
    );
    let tli = sql(writer, "select timeline_id from pg_control_checkpoint()");
    let wal_tli = sql(
        writer,
        "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int",
    );
    // A standby whose upstream just restarted reconnects within seconds.
    let want = format!("streaming {wal_tli}");
    let started = std::time::Instant::now();
    let mut receiver = String::new();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        receiver = sql(
            query,
            "select status || ' ' || received_tli from pg_stat_wal_receiver",
        );
        if receiver == want {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        receiver,
        want,
        "{query} does not stream on {writer}'s timeline (checkpoint timeline {tli}): {}",
        lab_script(&["role", query])
    );
    assert!(
        !paused("pgdb1") && !paused("pgdb2"),
        "a PgBouncer is paused"
    );
}
