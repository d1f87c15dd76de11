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
//! The wait for masters to end is on their pidfds (rustix: nix has no
//! `pidfd_open`), which become readable when the process exits: the event
//! itself, not a poll of `/proc`. A master closes its control connections
//! before it is done exiting, so their end would not do.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::process::{pidfd_open, Pid, PidfdFlags};

/// How long the masters told to exit may take to be gone.
const EXIT_WITHIN: Duration = Duration::from_secs(5);

pub(super) struct Masters {
    runtime: tempfile::TempDir,
}

impl Masters {
    pub(super) fn new() -> Result<Masters, String> {
        // Short: converge refuses a control directory over 60 bytes.
        let runtime = tempfile::Builder::new()
            .prefix("cvb-ssh-")
            .tempdir_in("/tmp")
            .map_err(|e| format!("cannot make a runtime directory: {e}"))?;
        Ok(Masters { runtime })
    }

    /// Set on every converge run measured.
    pub(super) fn env(&self) -> (&'static str, &Path) {
        ("XDG_RUNTIME_DIR", self.runtime.path())
    }

    /// Where converge puts the control sockets.
    pub(super) fn dir(&self) -> PathBuf {
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
    pub(super) fn end_all(&self) -> Result<usize, String> {
        // Watched from before they are told to exit; one already gone has
        // no pidfd to get.
        let watched: Vec<(u32, OwnedFd)> = self
            .processes()
            .into_iter()
            .filter_map(|pid| Some((pid, pidfd(pid)?)))
            .collect();
        let sockets = self.sockets();
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
        let left = exited(watched, Instant::now() + EXIT_WITHIN);
        if !left.is_empty() {
            return Err(format!(
                "ssh masters in {} did not end within {} s: pids {left:?}",
                self.dir().display(),
                EXIT_WITHIN.as_secs()
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
    pub(super) fn processes(&self) -> Vec<u32> {
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

/// A pidfd for `pid`, if it is still there.
fn pidfd(pid: u32) -> Option<OwnedFd> {
    let pid = Pid::from_raw(i32::try_from(pid).ok()?)?;
    pidfd_open(pid, PidfdFlags::empty()).ok()
}

/// Wait until every process `watched` has exited, or `deadline`: the pids
/// still running then.
fn exited(mut watched: Vec<(u32, OwnedFd)>, deadline: Instant) -> Vec<u32> {
    while !watched.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let timeout = Timespec::try_from(left).unwrap_or(Timespec {
            tv_sec: 1,
            tv_nsec: 0,
        });
        let mut fds: Vec<PollFd> = watched
            .iter()
            .map(|(_, fd)| PollFd::new(fd, PollFlags::IN))
            .collect();
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(_) => break,
        }
        let gone: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
        let mut gone = gone.into_iter();
        watched.retain(|_| !gone.next().unwrap_or(false));
    }
    watched.into_iter().map(|(pid, _)| pid).collect()
}

impl Drop for Masters {
    fn drop(&mut self) {
        let _ = self.end_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper() -> std::process::Child {
        Command::new("sleep").arg("600").spawn().unwrap()
    }

    #[test]
    fn the_wait_ends_when_the_processes_have_exited() {
        let (mut a, mut b) = (sleeper(), sleeper());
        let watched = vec![
            (a.id(), pidfd(a.id()).unwrap()),
            (b.id(), pidfd(b.id()).unwrap()),
        ];
        a.kill().unwrap();
        b.kill().unwrap();
        assert_eq!(
            exited(watched, Instant::now() + Duration::from_secs(60)),
            Vec::<u32>::new()
        );
        a.wait().unwrap();
        b.wait().unwrap();
    }

    #[test]
    fn one_that_runs_on_is_named_at_the_deadline() {
        let (mut a, mut b) = (sleeper(), sleeper());
        let watched = vec![
            (a.id(), pidfd(a.id()).unwrap()),
            (b.id(), pidfd(b.id()).unwrap()),
        ];
        a.kill().unwrap();
        let left = exited(watched, Instant::now() + Duration::from_millis(200));
        b.kill().unwrap();
        a.wait().unwrap();
        b.wait().unwrap();
        assert_eq!(left, [b.id()]);
    }
}
