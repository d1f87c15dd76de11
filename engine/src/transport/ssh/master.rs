//! One OpenSSH ControlMaster connection per host, made by the system `ssh`
//! (so the user's ~/.ssh/config, agent and known_hosts apply) and used
//! through its control socket by openssh's native mux client.
//!
//! We start the master ourselves (`ssh -M -f -N -S SOCKET`) rather than with
//! openssh's builder so that the socket has a name of our choosing: a master
//! kept by ControlPersist is found, checked and reused by the next run, which
//! saves it the 0.25–0.4 s of a new connection.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use openssh::Session;

use super::{control, reason};
use crate::roster::{Host, HostKeyCheck};
use crate::transport::TransportError;

/// How long a run-scoped master (`control_persist: 0`) outlives its last
/// channel if this process dies without closing it.
const SCOPED_PERSIST: u64 = 10;

/// How long to wait for an existing master to answer.
const CHECK: Duration = Duration::from_secs(2);

pub(super) struct Master {
    pub session: Arc<Session>,
    pub socket: PathBuf,
    /// `user@address:port`, for messages.
    pub target: String,
    /// Made by this call, rather than found alive.
    pub created: bool,
    persist: u64,
}

static SCOPED: AtomicU64 = AtomicU64::new(0);

impl Master {
    /// The host's master: found alive, else made (one process at a time).
    pub(super) async fn open(host: &Host) -> Result<Master, TransportError> {
        let target = format!("{}@{}:{}", host.user, host.address, host.port);
        let connect = |m: String| TransportError::Connect(m);
        let dir = control::dir().map_err(connect)?;
        let scoped = (host.control_persist == 0).then(|| SCOPED.fetch_add(1, Ordering::Relaxed));
        let name = control::name(host, scoped);
        let socket = dir.join(format!("{name}.sock"));
        let master = |session: Session, created| Master {
            session: Arc::new(session),
            socket: socket.clone(),
            target: target.clone(),
            created,
            persist: host.control_persist,
        };
        if let Some(session) = attach(&socket).await {
            return Ok(master(session, false));
        }
        // A shared master is made by one process at a time; a run-scoped
        // one has a name of its own and needs no lock (nor leaves one).
        let mut _lock = None;
        if scoped.is_none() {
            let wait = Duration::from_secs(budget(host.timeout) + 5);
            _lock = Some(
                control::Lock::acquire(&dir.join(format!("{name}.lock")), wait)
                    .await
                    .map_err(connect)?,
            );
            // Another run may have made it while we waited for the lock.
            if let Some(session) = attach(&socket).await {
                return Ok(master(session, false));
            }
        }
        // A socket nobody answers on is left from a master that died.
        let _ = std::fs::remove_file(&socket);
        control::sweep(&dir);
        spawn(host, &socket).await?;
        match attach(&socket).await {
            Some(session) => Ok(master(session, true)),
            None => Err(connect(format!(
                "{target}: ssh connected but its control socket {} does not answer",
                socket.display()
            ))),
        }
    }

    /// A master found alive that cannot open a channel (its connection
    /// died and ssh has not noticed yet): asked to exit, and its socket
    /// removed, so that the next `open` makes a new one.
    pub(super) async fn discard(&self) {
        let session = Session::resume_mux(self.socket.clone().into_boxed_path(), None);
        let _ = tokio::time::timeout(CHECK, session.close()).await;
        let _ = std::fs::remove_file(&self.socket);
    }

    /// At the end of a run: a run-scoped master stops (once its channels
    /// have closed); any other is left to ControlPersist for the next run.
    pub(super) async fn close(&self) {
        if self.persist == 0 {
            let session = Session::resume_mux(self.socket.clone().into_boxed_path(), None);
            let _ = tokio::time::timeout(CHECK, session.close()).await;
        }
    }
}

/// Seconds ssh may take to connect and log in: the roster's connect timeout,
/// at least 1.
fn budget(timeout: u64) -> u64 {
    timeout.max(1)
}

/// A session on a live master at `socket`, if there is one.
async fn attach(socket: &Path) -> Option<Session> {
    std::fs::symlink_metadata(socket).ok()?;
    let session = Session::resume_mux(socket.to_path_buf().into_boxed_path(), None);
    match tokio::time::timeout(CHECK, session.check()).await {
        Ok(Ok(())) => Some(session),
        _ => None,
    }
}

/// Run `ssh -M -f -N`: it returns once logged in (the master then lives on
/// in the background), or fails with ssh's reason on stderr.
async fn spawn(host: &Host, socket: &Path) -> Result<(), TransportError> {
    let seconds = budget(host.timeout);
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.args(args(host, socket))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    tracing::debug!(host = %host.id, args = ?args(host, socket), "starting an ssh master");
    let child = cmd
        .spawn()
        .map_err(|e| TransportError::Connect(format!("cannot run ssh: {e}")))?;
    // ConnectTimeout covers the TCP connection and the key exchange; this
    // covers the rest (authentication), which ssh does not time.
    let out = match tokio::time::timeout(Duration::from_secs(seconds + 5), child.wait_with_output())
        .await
    {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(TransportError::Connect(format!("waiting for ssh: {e}"))),
        Err(_) => {
            return Err(TransportError::Connect(format!(
                "{}@{}:{}: no login within {} s",
                host.user,
                host.address,
                host.port,
                seconds + 5
            )))
        }
    };
    if out.status.success() {
        return Ok(());
    }
    Err(TransportError::Connect(reason::reason(
        &String::from_utf8_lossy(&out.stderr),
        out.status.code(),
    )))
}

/// The master's command line. The roster's `ssh_options` come first: for
/// ssh the first value given wins, so they override converge's defaults.
pub(super) fn args(host: &Host, socket: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-M".into(),
        "-f".into(),
        "-N".into(),
        "-S".into(),
        socket.into(),
    ];
    let mut opt = |o: String| {
        args.push("-o".into());
        args.push(o.into());
    };
    for o in &host.ssh_options {
        opt(o.clone());
    }
    let persist = if host.control_persist == 0 {
        SCOPED_PERSIST
    } else {
        host.control_persist
    };
    opt(format!("ControlPersist={persist}s"));
    opt("BatchMode=yes".into());
    opt(format!("ConnectTimeout={}", budget(host.timeout)));
    // A host that vanishes is noticed within 15 s even when no call waits.
    opt("ServerAliveInterval=5".into());
    opt("ServerAliveCountMax=3".into());
    let known = host
        .known_hosts_file
        .as_ref()
        .map(|f| format!("UserKnownHostsFile={}", f.display()));
    match host.host_key_check {
        HostKeyCheck::Strict => {
            opt("StrictHostKeyChecking=yes".into());
            known.map(&mut opt);
        }
        HostKeyCheck::AcceptNew => {
            opt("StrictHostKeyChecking=accept-new".into());
            known.map(&mut opt);
        }
        HostKeyCheck::Off => {
            opt("StrictHostKeyChecking=no".into());
            opt("UserKnownHostsFile=/dev/null".into());
            opt("GlobalKnownHostsFile=/dev/null".into());
        }
    }
    if let Some(key) = &host.key {
        args.push("-i".into());
        args.push(key.into());
    }
    args.extend([
        "-p".into(),
        host.port.to_string().into(),
        "-l".into(),
        host.user.clone().into(),
    ]);
    args.extend(["--".into(), host.address.clone().into()]);
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ssh::control::tests::roster_host;

    fn line(yaml: &str) -> String {
        let host = roster_host(yaml);
        args(&host, Path::new("/tmp/converge-0/x.sock"))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn strict_by_default_with_the_rosters_known_hosts() {
        assert_eq!(
            line("db:\n  host: 10.77.0.11\n  priv: /lab/id\n  known_hosts_file: /lab/known_hosts\n"),
            "-M -f -N -S /tmp/converge-0/x.sock -o ControlPersist=60s -o BatchMode=yes -o ConnectTimeout=10 \
             -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o StrictHostKeyChecking=yes \
             -o UserKnownHostsFile=/lab/known_hosts -i /lab/id -p 22 -l root -- 10.77.0.11"
        );
    }

    #[test]
    fn accept_new_and_off() {
        let l = line("db:\n  host: h\n  host_key_check: accept-new\n");
        assert!(
            l.contains("-o StrictHostKeyChecking=accept-new -p 22"),
            "{l}"
        );
        let l = line(
            "db:\n  host: h\n  host_key_check: false\n  user: admin\n  port: 2222\n  timeout: 3\n",
        );
        assert!(
            l.contains("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null"),
            "{l}"
        );
        assert!(
            l.contains("ConnectTimeout=3 ") && l.ends_with("-p 2222 -l admin -- h"),
            "{l}"
        );
    }

    #[test]
    fn roster_options_come_first_so_they_win() {
        let l = line("db:\n  host: h\n  ssh_options: [ServerAliveInterval=30, Compression=yes]\n  control_persist: 0\n");
        assert!(
            l.starts_with("-M -f -N -S /tmp/converge-0/x.sock -o ServerAliveInterval=30 -o Compression=yes -o ControlPersist=10s"),
            "{l}"
        );
    }
}
