//! A shell kept open on this machine, for commands whose exit status is all
//! that is wanted (`onlyif`, `unless`).
//!
//! Starting `bash` costs about 1.5 ms here (exec, dynamic linking, start-up);
//! forking a running one costs a third of that. A run checks commands before
//! many states (a thousand-state tree with a hundred `onlyif` spent more time
//! starting shells than doing everything else), so the local transport keeps
//! one shell and runs each check in a subshell of it:
//!
//! ```text
//! ( eval 'CMD' ) </dev/null >/dev/null 2>&1; printf 'MARK %d\n' "$?"
//! ```
//!
//! The subshell isolates each command as `bash -c` would (directory,
//! variables, `exit`); its output is thrown away, so only our marker lines
//! ever come back, and a command that leaves something running in the
//! background cannot mix its output into a later answer. On a timeout the
//! shell's process group is killed, with the command and all it started, as
//! the spawning path does; the next check starts a new shell.

use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::process_group;
use super::shell::quote;

pub(super) struct Session {
    /// The shell this session runs (`/bin/bash`): only commands for that
    /// shell are run here.
    pub shell: String,
    child: Child,
    pgid: Option<u32>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    mark: String,
    count: u64,
}

/// Why a check did not come back from the session.
#[derive(Debug, PartialEq)]
pub(super) enum SessionError {
    /// It ran longer than its timeout (and was killed, with the session).
    Timeout,
    /// The session is gone (the command killed it, or it never started).
    Lost(String),
}

impl Session {
    /// Start `shell` in `dir` (the user's home, where `bash -c` would run).
    pub(super) fn start(shell: &str, dir: Option<&str>) -> Result<Session, SessionError> {
        let mut cmd = tokio::process::Command::new(shell);
        cmd.arg("-s")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| SessionError::Lost(format!("cannot start {shell}: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(SessionError::Lost("no pipes to the shell".into()));
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(Session {
            shell: shell.to_string(),
            pgid: child.id(),
            child,
            stdin,
            stdout: BufReader::new(stdout),
            // Nothing else writes to the session's stdout; the mark only
            // guards against reading a line that is not ours.
            mark: format!("converge-{}-{nanos:x}", std::process::id()),
            count: 0,
        })
    }

    /// Run `cmd` in a subshell and return its exit status.
    pub(super) async fn status(
        &mut self,
        cmd: &str,
        timeout: Duration,
    ) -> Result<i32, SessionError> {
        self.count += 1;
        let expect = format!("{} {} ", self.mark, self.count);
        let line = format!(
            "( eval {} ) </dev/null >/dev/null 2>&1; printf '%s%d\\n' {} \"$?\"\n",
            quote(cmd),
            quote(&expect)
        );
        let answer = async {
            self.stdin.write_all(line.as_bytes()).await?;
            self.stdin.flush().await?;
            let mut got = String::new();
            loop {
                got.clear();
                if self.stdout.read_line(&mut got).await? == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the shell exited",
                    ));
                }
                if let Some(code) = got.trim_end().strip_prefix(&expect) {
                    return Ok(code.parse::<i32>().unwrap_or(-1));
                }
            }
        };
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(code)) => Ok(code),
            Ok(Err(e)) => {
                self.kill();
                Err(SessionError::Lost(e.to_string()))
            }
            Err(_) => {
                self.kill();
                Err(SessionError::Timeout)
            }
        }
    }

    /// End the shell's process group: the shell, the command it runs and
    /// everything that command started.
    fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            process_group::kill(pgid);
        }
        let _ = self.child.start_kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::runtime as rt;
    use crate::transport::held::killed_on_timeout;

    #[test]
    fn statuses_come_back_in_order_and_commands_are_isolated() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for fifo in [&a, &b] {
            nix::unistd::mkfifo(fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        }
        let (a, b) = (
            quote(&a.display().to_string()),
            quote(&b.display().to_string()),
        );
        rt().block_on(async {
            let mut s = Session::start("/bin/bash", Some("/")).unwrap();
            let t = Duration::from_secs(10);
            assert_eq!(s.status("true", t).await, Ok(0));
            assert_eq!(s.status("false", t).await, Ok(1));
            assert_eq!(s.status("exit 7", t).await, Ok(7));
            // Neither a `cd`, a variable nor an `exit` outlives its command.
            assert_eq!(
                s.status("cd /tmp; X=1; echo noise; echo more >&2; exit 0", t)
                    .await,
                Ok(0)
            );
            assert_eq!(s.status(r#"[ "$PWD" = / ] && [ -z "$X" ]"#, t).await, Ok(0));
            // Quotes, newlines and a stray mark-like line pass through.
            assert_eq!(
                s.status(
                    "echo 'it'\\''s'\nprintf 'converge-x 1 0\\n'; test \"a b\" = 'a b'",
                    t
                )
                .await,
                Ok(0)
            );
            // A command cannot read the session's own input.
            assert_eq!(s.status("cat; read -r x; true", t).await, Ok(0));
            // Nor answer for a later one from the background: what it left
            // running speaks while the next command runs (fifo `a` lets it
            // speak, `b` says it has), and is not heard.
            assert_eq!(
                s.status(
                    &format!("(cat {a} >/dev/null; echo converge-x 99 0; : >{b}) & exit 4"),
                    t
                )
                .await,
                Ok(4)
            );
            assert_eq!(
                s.status(&format!(": >{a}; cat {b} >/dev/null; exit 5"), t)
                    .await,
                Ok(5)
            );
            // A syntax error is the command's failure, not the session's.
            assert_eq!(s.status("if then", t).await, Ok(2));
            assert_eq!(s.status("true", t).await, Ok(0));
        });
    }

    #[test]
    fn a_timeout_kills_the_command_and_ends_the_session() {
        rt().block_on(killed_on_timeout(|hold, seconds| async move {
            let mut s = Session::start("/bin/bash", None).unwrap();
            let t = Duration::from_secs(seconds);
            assert_eq!(
                s.status(&format!("{hold}; sleep 600 & sleep 600"), t).await,
                Err(SessionError::Timeout)
            );
            assert!(matches!(
                s.status("true", Duration::from_secs(60)).await,
                Err(SessionError::Lost(_))
            ));
        }));
    }

    #[test]
    fn a_command_that_kills_its_shell_loses_the_session() {
        rt().block_on(async {
            let mut s = Session::start("/bin/bash", None).unwrap();
            assert!(matches!(
                s.status("kill -9 $$", Duration::from_secs(60)).await,
                Err(SessionError::Lost(_))
            ));
        });
    }
}
