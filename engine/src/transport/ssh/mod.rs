//! The `ssh` transport: one OpenSSH master connection per host (kept for the
//! next run by ControlPersist), and on it one channel running a small shell
//! agent that answers framed requests, one at a time.
//!
//! A new channel, even over an open master, starts a login shell on the
//! host (its rc files included: 0.2 s for a root whose ~/.bashrc runs
//! `pyenv init`); a request to the agent starts only the command, about
//! 2–3 ms. A read of many files, or a write, is one request too. Calls are
//! serialized per host (the agent is lockstep).
//! Timeouts are ours (the openssh crate has none): on one, the command's
//! process group is killed on the host and the agent is replaced, so the next
//! call works; a connection that is gone fails every later call at once.

mod agent;
mod control;
mod master;
mod protocol;
mod reason;
#[cfg(test)]
mod sshd;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use openssh::{Session, Stdio};
use tokio::sync::Mutex;
use tokio::time::{timeout, timeout_at, Instant};

use self::agent::{Agent, Replies};
use self::master::Master;
use self::protocol::{Files, NulInField, ProtocolError, Refusal, Request};
use super::{no_such_owner, shell, Exec, FileFact, Output, Transport, TransportError, WriteFile};
use crate::roster::Host;

pub(crate) struct Ssh {
    master: Master,
    agent: Mutex<Slot>,
    /// Marks this transport's requests (see protocol.rs).
    nonce: String,
    /// Seconds a call may take when it sets no timeout of its own.
    timeout: u64,
    /// Seconds to open a channel or hear from a fresh agent.
    connect_timeout: u64,
}

/// Seconds a master found alive gets at most to open the agent's channel.
const STALE: u64 = 3;

/// A connect budget of `seconds` shared: what a master found alive gets to
/// open a channel, and what a new master gets to log in after it failed.
fn shares(seconds: u64) -> (u64, u64) {
    let stale = (seconds / 2).clamp(1, STALE);
    (stale, seconds.saturating_sub(stale).max(1))
}

/// The agent channel: none yet (or replaced after a timeout), running, or
/// gone with the connection.
enum Slot {
    Idle,
    Ready(Box<Agent>),
    Dead(String),
}

type Reading<'r, T> = Pin<Box<dyn Future<Output = Result<T, ProtocolError>> + Send + 'r>>;

impl Ssh {
    /// Attach to the host's master (or make one) and start the agent.
    /// `timeout` is the default for each call, in seconds.
    pub(crate) async fn connect(host: &Host, timeout: u64) -> Result<Ssh, TransportError> {
        let nonce = nonce();
        let connect_timeout = host.timeout.max(1);
        // A live master opens a channel in milliseconds; one found alive
        // whose connection died (ssh notices only after its keepalives)
        // would hold it until then: it gets half the roster's timeout (at
        // most STALE seconds), and a new master the rest, so that the
        // roster's timeout bounds the whole connect (a cut-off host given
        // 3 s is known in 3 s, not 6).
        let (stale, fresh) = shares(connect_timeout);
        let mut host = std::borrow::Cow::Borrowed(host);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = std::time::Instant::now();
            let master = Master::open(&host).await?;
            let opened = started.elapsed();
            let wait = if master.created {
                connect_timeout
            } else {
                stale
            };
            match within(wait, Agent::start(&master.session, &nonce)).await {
                Ok(agent) => {
                    tracing::debug!(
                        host = %host.id,
                        created = master.created,
                        master = ?opened,
                        agent = ?(started.elapsed() - opened),
                        "ssh transport ready"
                    );
                    return Ok(Ssh {
                        master,
                        agent: Mutex::new(Slot::Ready(Box::new(agent))),
                        nonce,
                        timeout,
                        connect_timeout,
                    });
                }
                // A master found alive may have died since; make a new one.
                Err(_) if !master.created && attempt == 1 => {
                    master.discard().await;
                    host.to_mut().timeout = fresh;
                    continue;
                }
                Err(e) => {
                    return Err(TransportError::Connect(format!(
                        "{}: cannot start converge's agent: {e}",
                        master.target
                    )))
                }
            }
        }
    }

    /// The running agent, started if there is none.
    async fn ready<'s>(&self, slot: &'s mut Slot) -> Result<&'s mut Agent, TransportError> {
        if let Slot::Idle = slot {
            match within(
                self.connect_timeout,
                Agent::start(&self.master.session, &self.nonce),
            )
            .await
            {
                Ok(agent) => *slot = Slot::Ready(Box::new(agent)),
                Err(e) => {
                    return Err(self
                        .gone(slot, format!("cannot start converge's agent: {e}"))
                        .await)
                }
            }
        }
        match slot {
            Slot::Ready(agent) => Ok(agent),
            Slot::Dead(why) => Err(TransportError::Broken(why.clone())),
            Slot::Idle => unreachable!("an agent was just started"),
        }
    }

    /// The agent's stream broke: tell whether the connection went with it
    /// (then every later call fails the same way) or only the agent did
    /// (then the next call starts another).
    async fn lost(&self, slot: &mut Slot, e: ProtocolError) -> TransportError {
        let why = match std::mem::replace(slot, Slot::Idle) {
            Slot::Ready(agent) => agent.why(e).await,
            _ => e.to_string(),
        };
        self.gone(slot, why).await
    }

    async fn gone(&self, slot: &mut Slot, why: String) -> TransportError {
        let alive = matches!(
            timeout(Duration::from_secs(2), self.master.session.check()).await,
            Ok(Ok(()))
        );
        let message = if alive {
            *slot = Slot::Idle;
            format!("{}: converge's agent stopped: {why}", self.master.target)
        } else {
            let m = format!(
                "the ssh connection to {} closed ({why})",
                self.master.target
            );
            *slot = Slot::Dead(m.clone());
            m
        };
        TransportError::Broken(message)
    }

    /// After a timeout: kill the command's process group (if one ran) and
    /// the agent on the host, and start afresh on the next call. If even
    /// that gets no answer, the connection is taken as gone.
    async fn abandon(&self, slot: &mut Slot, group: Option<u32>) {
        let Slot::Ready(agent) = std::mem::replace(slot, Slot::Idle) else {
            return;
        };
        let mut line = String::new();
        if let Some(pgid) = group {
            line.push_str(&format!("kill -s KILL -- -{pgid} 2>/dev/null; "));
        }
        line.push_str(&format!("kill -s TERM {} 2>/dev/null; exit 0", agent.pid));
        let kill = format!("exec bash --noprofile --norc -c {}", shell::quote(&line));
        let session = Arc::clone(&self.master.session);
        let answered = within(self.connect_timeout.min(5), async move {
            let mut cmd = Session::to_raw_command(session, kill);
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd.status().await.map_err(|e| e.to_string())
        })
        .await;
        drop(agent);
        if answered.is_err() {
            *slot = Slot::Dead(format!(
                "no answer from {} (the connection seems to be gone)",
                self.master.target
            ));
        }
    }

    /// One request and its reply, within `seconds`.
    async fn round<T>(
        &self,
        request: &[u8],
        seconds: u64,
        what: String,
        read: impl for<'r> FnOnce(&'r mut Replies) -> Reading<'r, Result<T, Refusal>>,
    ) -> Result<T, Result<Refusal, TransportError>> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut slot = self.agent.lock().await;
        let agent = self.ready(&mut slot).await.map_err(Err)?;
        let reply = timeout_at(deadline, async {
            agent.send(request).await?;
            read(agent.replies()).await
        })
        .await;
        match reply {
            Ok(Ok(Ok(t))) => Ok(t),
            Ok(Ok(Err(refusal))) => {
                if refusal.fatal {
                    if let Slot::Ready(agent) = std::mem::replace(&mut *slot, Slot::Idle) {
                        agent.close().await;
                    }
                }
                Err(Ok(refusal))
            }
            Ok(Err(e)) => Err(Err(self.lost(&mut slot, e).await)),
            Err(_) => {
                self.abandon(&mut slot, None).await;
                Err(Err(TransportError::Timeout { what, seconds }))
            }
        }
    }
}

#[async_trait]
impl Transport for Ssh {
    async fn exec(&self, exec: &Exec) -> Result<Output, TransportError> {
        let line = shell::wrap(exec);
        let request = Request::Exec {
            line: &line,
            stdin: exec.stdin.as_deref(),
        }
        .encode(&self.nonce)
        .map_err(|NulInField(_)| TransportError::Io {
            path: exec.shell.clone(),
            message: "the command holds a NUL byte".into(),
        })?;
        let seconds = exec.timeout.unwrap_or(self.timeout);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut slot = self.agent.lock().await;
        let agent = self.ready(&mut slot).await?;
        let started = timeout_at(deadline, async {
            agent.send(&request).await?;
            protocol::started(agent.replies()).await
        })
        .await;
        let pid = match started {
            Ok(Ok(pid)) => pid,
            Ok(Err(e)) => return Err(self.lost(&mut slot, e).await),
            Err(_) => {
                self.abandon(&mut slot, None).await;
                return Err(exec.timed_out(seconds));
            }
        };
        match timeout_at(deadline, protocol::finished(agent.replies())).await {
            Ok(Ok(f)) => Ok(Output::decode(f.code, &f.stdout, &f.stderr, Some(pid))),
            Ok(Err(e)) => Err(self.lost(&mut slot, e).await),
            Err(_) => {
                self.abandon(&mut slot, Some(pid)).await;
                Err(exec.timed_out(seconds))
            }
        }
    }

    async fn read_files(&self, paths: &[String]) -> Result<Vec<FileFact>, TransportError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let request = Request::Read { paths }
            .encode(&self.nonce)
            .map_err(|NulInField(p)| TransportError::Io {
                path: p,
                message: "a path cannot hold a NUL byte".into(),
            })?;
        let what = match paths {
            [one] => format!("reading {one}"),
            _ => format!("reading {} files", paths.len()),
        };
        // A file that changes between the agent's stat and cat is read again, once.
        for _ in 0..2 {
            let owned = paths.to_vec();
            let reply = self
                .round(&request, self.timeout, what.clone(), move |r| {
                    Box::pin(async move { protocol::files(r, &owned).await })
                })
                .await;
            match reply {
                Ok(Files::Read(facts)) => return Ok(facts),
                Ok(Files::Changed) => continue,
                Err(Ok(refusal)) => {
                    return Err(TransportError::Io {
                        path: refusal.path,
                        message: refusal.message,
                    })
                }
                Err(Err(e)) => return Err(e),
            }
        }
        Err(TransportError::Io {
            path: paths[0].clone(),
            message: format!(
                "{} kept changing while being read",
                if paths.len() == 1 {
                    "it"
                } else {
                    "these files"
                }
            ),
        })
    }

    async fn write_file(&self, write: &WriteFile) -> Result<(), TransportError> {
        let request = Request::Write(write)
            .encode(&self.nonce)
            .map_err(|NulInField(_)| TransportError::Io {
                path: write.path.clone(),
                message: "the path, user or group holds a NUL byte".into(),
            })?;
        let reply = self
            .round(
                &request,
                self.timeout,
                format!("writing {}", write.path),
                |r| Box::pin(protocol::written(r)),
            )
            .await;
        match reply {
            Ok(()) => Ok(()),
            Err(Ok(refusal)) => Err(TransportError::Io {
                path: write.path.clone(),
                message: worded(&refusal.message, write),
            }),
            Err(Err(e)) => Err(e),
        }
    }

    async fn close(&self) {
        let mut slot = self.agent.lock().await;
        if let Slot::Ready(agent) = std::mem::replace(&mut *slot, Slot::Idle) {
            agent.close().await;
        }
        self.master.close().await;
    }
}

/// A write's failure in the local transport's words where they differ.
fn worded(message: &str, write: &WriteFile) -> String {
    match (&write.user, &write.group) {
        (Some(u), _) if message.contains("invalid user") => no_such_owner(u, false),
        (_, Some(g)) if message.contains("invalid group") => no_such_owner(g, true),
        _ => message.to_string(),
    }
}

/// `future` within `seconds`, its error or the timeout as a message.
async fn within<T>(
    seconds: u64,
    future: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match timeout(Duration::from_secs(seconds), future).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {seconds} s")),
    }
}

/// A token unlikely to appear by chance in a stream out of step.
fn nonce() -> String {
    let mut bytes = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .is_err()
    {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        bytes = (t ^ ((std::process::id() as u64) << 32)).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
