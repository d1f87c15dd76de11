//! A throwaway sshd on loopback for the ssh transport's tests: its own host
//! key, client key and authorized_keys in a temporary directory, a free
//! port, and killed by its pid when dropped. Nothing outside the directory
//! is touched but /run/sshd, which sshd insists on.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::roster::Host;

const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

impl Sshd {
    /// A running sshd, with `config` as more lines for its sshd_config, or
    /// `None` with the reason printed when this machine cannot run one for
    /// the tests.
    pub fn start_with(config: &str) -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            eprintln!("skipped: {SSHD} is not installed");
            return None;
        }
        if unsafe { libc::getuid() } != 0 {
            eprintln!("skipped: the sshd tests log in as root and need to run as root");
            return None;
        }
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
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("sshd starts");
        let sshd = Sshd { dir, port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen: {}",
                sshd.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(sshd)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A roster entry for this server; `extra` adds or overrides keys
    /// (YAML lines indented by two spaces). Masters end with the run unless
    /// `extra` says otherwise, so that tests leave nothing behind.
    pub fn host(&self, extra: &str) -> Host {
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

    pub fn log(&self) -> String {
        let mut s = String::new();
        let _ =
            std::fs::File::open(self.path("sshd.log")).and_then(|mut f| f.read_to_string(&mut s));
        s
    }

    /// Logins so far: each is a new connection, a master.
    pub fn logins(&self) -> usize {
        self.log().matches("Accepted publickey").count()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
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
pub fn closed_port() -> u16 {
    free_port()
}
