//! A throwaway sshd on loopback for the ssh transport's tests: its own host
//! key, client key and authorized_keys in a temporary directory, a free
//! port, and ended by its pid when dropped. Nothing outside the directory
//! is touched but /run/sshd, which sshd insists on.
//!
//! The tests need root (they log in as root, and sshd must be root to let
//! anyone in) and OpenSSH's server, as `.ci/run --setup` installs them: a
//! machine without them fails these tests with that reason, rather than
//! passing tests that never ran. sshd says when it listens the way it says
//! so to systemd (`READY=1` on `$NOTIFY_SOCKET`; Debian's sshd does), so
//! the tests wait for that word, not for a while.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::roster::Host;

const SSHD: &str = "/usr/sbin/sshd";

/// How long sshd may take to start listening.
const READY_WITHIN: Duration = Duration::from_secs(30);

pub(super) struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

impl Sshd {
    /// A running sshd.
    pub(super) fn start() -> Sshd {
        Sshd::start_with("")
    }

    /// A running sshd, with `config` as more lines for its sshd_config.
    /// Panics, saying why, on a machine that cannot run one for the tests.
    pub(super) fn start_with(config: &str) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "the ssh transport's tests need {SSHD}: install openssh-server (`.ci/run --setup` does)"
        );
        assert!(
            nix::unistd::geteuid().is_root(),
            "the ssh transport's tests need root: they start an sshd and log in to it as root \
             (CI runs them as root)"
        );
        // Compiled into sshd; Debian's service creates it at boot.
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let dir = tempfile::Builder::new()
            .prefix("converge-sshd")
            .tempdir()
            .unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("id_ed25519"));
        std::fs::copy(d.join("id_ed25519.pub"), d.join("authorized_keys")).unwrap();
        let port = free_port();
        known_hosts(&d.join("known_hosts"), &d.join("host_key.pub"), port);
        // A valid key, but not this server's.
        keygen(&d.join("other_key"));
        known_hosts(&d.join("wrong_known_hosts"), &d.join("other_key.pub"), port);
        std::fs::write(d.join("empty_known_hosts"), "").unwrap();
        let config = format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PidFile {d}/sshd.pid\nUsePAM no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nStrictModes no\nMaxSessions 100\nMaxStartups 100\nLogLevel INFO\n",
            d = d.display()
        ) + config;
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let notify = d.join("notify");
        let ready = UnixDatagram::bind(&notify).expect("a socket for sshd's READY=1");
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .env("NOTIFY_SOCKET", &notify)
            .stdin(Stdio::null())
            .spawn()
            .expect("sshd starts");
        let mut sshd = Sshd { dir, port, child };
        if let Err(why) = wait_ready(&ready) {
            let status = sshd.child.try_wait().ok().flatten();
            panic!(
                "sshd did not say it listens ({why}; exit status {status:?}); its log:\n{}",
                sshd.log()
            );
        }
        sshd
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A roster entry for this server; `extra` adds or overrides keys
    /// (YAML lines indented by two spaces). Masters end with the run unless
    /// `extra` says otherwise, so that tests leave nothing behind.
    pub(super) fn host(&self, extra: &str) -> Host {
        let mut yaml = format!(
            "test:\n  host: 127.0.0.1\n  port: {}\n  priv: {}\n  known_hosts_file: {}\n  timeout: 5\n",
            self.port,
            self.path("id_ed25519").display(),
            self.path("known_hosts").display()
        );
        if !extra.contains("control_persist") {
            yaml.push_str("  control_persist: 0\n");
        }
        for line in extra.lines() {
            let key = line.trim().split(':').next().unwrap_or_default();
            yaml = yaml
                .lines()
                .filter(|l| l.trim().split(':').next() != Some(key))
                .map(|l| format!("{l}\n"))
                .collect();
            yaml.push_str(&format!("  {}\n", line.trim()));
        }
        super::control::tests::roster_host(&yaml)
    }

    pub(super) fn log(&self) -> String {
        let mut s = String::new();
        let _ =
            std::fs::File::open(self.path("sshd.log")).and_then(|mut f| f.read_to_string(&mut s));
        s
    }

    /// Logins so far: each is a new connection, a master.
    pub(super) fn logins(&self) -> usize {
        self.log().matches("Accepted publickey").count()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

/// Wait for sshd's `READY=1` on `socket`, within `READY_WITHIN`.
fn wait_ready(socket: &UnixDatagram) -> Result<(), String> {
    let deadline = Instant::now() + READY_WITHIN;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no READY=1 within {} s", READY_WITHIN.as_secs()));
        }
        socket
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match socket.recv(&mut buf) {
            Ok(n)
                if String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .any(|l| l == "READY=1") =>
            {
                return Ok(())
            }
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "converge-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs")
        .success();
    assert!(ok, "ssh-keygen {}", path.display());
}

/// A known_hosts file at `path` giving the public key in `key` as the host
/// key of the server on loopback `port`.
fn known_hosts(path: &Path, key: &Path, port: u16) {
    let key = std::fs::read_to_string(key).unwrap();
    let key: Vec<&str> = key.split_whitespace().take(2).collect();
    std::fs::write(path, format!("[127.0.0.1]:{port} {}\n", key.join(" "))).unwrap();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback port where nothing listens.
pub(super) fn closed_port() -> u16 {
    free_port()
}
