//! The agent: one long-lived channel per host running a small bash loop
//! (`agent.sh`) that answers framed requests in lockstep. A command, a read
//! of many files or a write is then one round trip on an open channel,
//! instead of a new ssh channel (and a remote shell) each.

use std::sync::{Arc, Mutex};

use openssh::{Session, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::protocol::{self, ProtocolError};
use crate::transport::shell;

const SCRIPT: &str = include_str!("agent.sh");

/// Lines of the agent's stderr kept to explain why it stopped.
const KEEP: usize = 5;

pub(super) type Replies = BufReader<openssh::ChildStdout>;

pub(super) struct Agent {
    /// Keeps the channel open; dropping it closes the channel.
    child: openssh::Child<Arc<Session>>,
    stdin: openssh::ChildStdin,
    replies: Replies,
    /// The agent's pid on the host.
    pub pid: u32,
    complaints: Arc<Mutex<Vec<String>>>,
    complaints_done: tokio::task::JoinHandle<()>,
}

impl Agent {
    /// Open the channel and wait for the agent's greeting (the caller
    /// bounds the wait).
    pub(super) async fn start(session: &Arc<Session>, nonce: &str) -> Result<Agent, String> {
        let line = format!(
            "exec bash --noprofile --norc -c {} converge-agent {}",
            shell::quote(SCRIPT),
            shell::quote(nonce)
        );
        let mut child = Session::to_raw_command(Arc::clone(session), line)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .await
            .map_err(|e| format!("cannot open a channel: {e}"))?;
        let (Some(stdin), Some(stdout), Some(stderr)) = (
            child.stdin().take(),
            child.stdout().take(),
            child.stderr().take(),
        ) else {
            return Err("the channel has no stdio".into());
        };
        let complaints = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&complaints);
        let complaints_done = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                tracing::debug!(agent = %l, "agent stderr");
                if is_job_notice(&l) {
                    continue;
                }
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                kept.push(l);
                if kept.len() > KEEP {
                    kept.remove(0);
                }
            }
        });
        let mut agent = Agent {
            child,
            stdin,
            replies: BufReader::with_capacity(64 * 1024, stdout),
            pid: 0,
            complaints,
            complaints_done,
        };
        match protocol::hello(&mut agent.replies, nonce).await {
            Ok(pid) => {
                agent.pid = pid;
                Ok(agent)
            }
            Err(e) => Err(agent.why(e).await),
        }
    }

    pub(super) async fn send(&mut self, request: &[u8]) -> Result<(), ProtocolError> {
        self.stdin.write_all(request).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    pub(super) fn replies(&mut self) -> &mut Replies {
        &mut self.replies
    }

    /// What went wrong, with the last thing the agent said on stderr.
    pub(super) async fn why(self, e: ProtocolError) -> String {
        let Agent {
            child,
            complaints,
            complaints_done,
            ..
        } = self;
        drop(child);
        // stderr ends with the channel; give it a moment to say its last.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), complaints_done).await;
        let said = complaints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("; ");
        if said.is_empty() {
            e.to_string()
        } else {
            format!("{e} ({said})")
        }
    }

    /// End the agent: its stdin closes, its loop ends, its temporary
    /// directory goes.
    pub(super) async fn close(self) {
        let Agent { child, stdin, .. } = self;
        drop(stdin);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), child.wait()).await;
    }
}

/// bash's `[1]+  Done  ...` lines: with job control on (for process
/// groups), bash reports each command's end on stderr.
fn is_job_notice(line: &str) -> bool {
    line.strip_prefix('[')
        .and_then(|l| l.split_once(']'))
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn job_notices_are_not_complaints() {
        assert!(super::is_job_notice(
            "[1]+  Done                    ( set +m; eval \"$1\" )"
        ));
        assert!(!super::is_job_notice("[: too many arguments"));
        assert!(!super::is_job_notice("bash: line 1: x: command not found"));
    }
}
