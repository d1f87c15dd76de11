//! The ssh master connections of the runs measured, kept apart from
//! everyone else's.
//!
//! converge keeps a master per host in `$XDG_RUNTIME_DIR/converge` (else
//! `/tmp/converge-<uid>`) for ControlPersist's 60 s, and another run with
//! the same settings attaches to it. The runs measured here get a runtime
//! directory of their own: a warm run finds only the master an earlier
//! measured run left, and a cold run is made by ending those masters,
//! never one that another session's run is using.
//!
//! A master is known to have ended when a control connection opened to it
//! beforehand reaches its end: the kernel closes a process's sockets as it
//! exits. So the wait is for that event, not a poll of `/proc`.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the masters told to exit may take to be gone.
const EXIT_WITHIN: Duration = Duration::from_secs(5);

pub struct Masters {
    runtime: tempfile::TempDir,
}

impl Masters {
    pub fn new() -> Result<Masters, String> {
        // Short: converge refuses a control directory over 60 bytes.
        let runtime = tempfile::Builder::new()
            .prefix("cvb-ssh-")
            .tempdir_in("/tmp")
            .map_err(|e| format!("cannot make a runtime directory: {e}"))?;
        Ok(Masters { runtime })
    }

    /// Set on every converge run measured.
    pub fn env(&self) -> (&'static str, &Path) {
        ("XDG_RUNTIME_DIR", self.runtime.path())
    }

    /// Where converge puts the control sockets.
    pub fn dir(&self) -> PathBuf {
        self.runtime.path().join("converge")
    }

    fn sockets(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir())
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "sock"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// End every master (`ssh -O exit`) and wait until each is gone, so
    /// that the next run has to log in again. The number ended.
    pub fn end_all(&self) -> Result<usize, String> {
        let sockets = self.sockets();
        // Opened before the masters are told to exit; a socket nobody
        // answers on has no master to wait for.
        let watches: Vec<(&PathBuf, UnixStream)> = sockets
            .iter()
            .filter_map(|s| Some((s, UnixStream::connect(s).ok()?)))
            .collect();
        for s in &sockets {
            // The destination is required by the syntax, not used.
            let _ = Command::new("ssh")
                .arg("-S")
                .arg(s)
                .args(["-O", "exit", "converge-bench"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let deadline = Instant::now() + EXIT_WITHIN;
        for (socket, watch) in watches {
            closed(watch, deadline).map_err(|why| {
                format!(
                    "the ssh master of {} did not end within {} s: {why}",
                    socket.display(),
                    EXIT_WITHIN.as_secs()
                )
            })?;
        }
        let left = self.processes();
        if !left.is_empty() {
            return Err(format!(
                "ssh masters in {} outlived their sockets: pids {left:?}",
                self.dir().display()
            ));
        }
        // A master removes its socket as it ends; one left had no master.
        for s in self.sockets() {
            let _ = std::fs::remove_file(s);
        }
        Ok(sockets.len())
    }

    /// The pids of the masters alive: `ssh` processes whose control socket
    /// is in our directory.
    pub fn processes(&self) -> Vec<u32> {
        let mark = format!("{}/", self.dir().display());
        let Ok(proc) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        proc.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                    let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
                    args.first().is_some_and(|a| a.ends_with(b"ssh"))
                        && args
                            .iter()
                            .any(|a| a.starts_with(mark.as_bytes()) && a.ends_with(b".sock"))
                })
            })
            .collect()
    }
}

/// Read `stream` (the master's greeting, then nothing) until its end, by
/// `deadline`.
fn closed(mut stream: UnixStream, deadline: Instant) -> Result<(), String> {
    let mut buf = [0u8; 256];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("its control connection is still open".into());
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue
            }
            // Reset: gone all the same.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(()),
            Err(e) => return Err(e.to_string()),
        }
    }
}

impl Drop for Masters {
    fn drop(&mut self) {
        let _ = self.end_all();
    }
}
