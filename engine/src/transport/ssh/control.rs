//! Where master connections' control sockets live, what they are called,
//! and who may create one.
//!
//! The name is a hash of everything that shapes the connection, so that the
//! next run (another process) finds the master this one left behind, and a
//! different setting never reuses a master made for another. The directory
//! is private (0700, ours): whoever can reach a socket can run commands on
//! the host. Socket paths are limited to 108 bytes and ssh appends 17
//! characters while it creates one, hence a short directory and name.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use tokio::sync::oneshot;

use crate::roster::{Host, HostKeyCheck};

/// Longest directory we accept: 108 bytes, less name, ssh's suffix and room.
const MAX_DIR: usize = 60;

/// The private directory for control sockets: `$XDG_RUNTIME_DIR/converge`,
/// else `/tmp/converge-<uid>`.
pub(super) fn dir() -> Result<PathBuf, String> {
    let uid = nix::unistd::getuid().as_raw();
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir())
        .map(|d| d.join("converge"))
        .filter(|d| d.as_os_str().len() <= MAX_DIR);
    let dir = runtime.unwrap_or_else(|| PathBuf::from(format!("/tmp/converge-{uid}")));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
    }
    let meta = std::fs::symlink_metadata(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(format!(
            "{} must be a directory of uid {uid} with mode 0700; it is not, so it is not used for ssh control sockets",
            dir.display()
        ));
    }
    Ok(dir)
}

/// The name shared by a host's socket and lock: a 64-bit FNV-1a hash of
/// the settings (stable across builds, unlike std's hasher). `unique` makes
/// it this process's own, for masters that end with the run.
pub(super) fn name(host: &Host, unique: Option<u64>) -> String {
    let check = match host.host_key_check {
        HostKeyCheck::Strict => "strict",
        HostKeyCheck::AcceptNew => "accept-new",
        HostKeyCheck::Off => "off",
    };
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    let mut parts = vec![
        host.user.clone(),
        host.address.clone(),
        host.port.to_string(),
        path(&host.key),
        check.to_string(),
        path(&host.known_hosts_file),
        host.control_persist.to_string(),
        unique
            .map(|u| format!("{}/{u}", std::process::id()))
            .unwrap_or_default(),
    ];
    parts.extend(host.ssh_options.iter().cloned());
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in parts.join("\0").bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("{hash:016x}")
}

/// Remove sockets nobody listens on any more (their master was killed, or
/// its host went away before it could clean up). ssh makes a socket under
/// another name and renames it when it listens, so a refused connection
/// means a dead master, never one being born.
pub(super) fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_some_and(|e| e == "sock") {
            if let Err(e) = std::os::unix::net::UnixStream::connect(&path) {
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }
}

/// An exclusive `flock` on a file: held while a process makes a master, so
/// that concurrent runs make one and the others attach to it. The holder
/// removes the file when done (so that locks do not pile up); a waiter that
/// then gets the lock on the removed file sees it is no longer the one at
/// the path, and locks again.
///
/// A waiter blocks in `flock` on a thread of its own, so it is woken the
/// moment the lock is free. One that gives up leaves that thread waiting;
/// it unlocks at once whatever it gets, and ends with the holder.
pub(super) struct Lock {
    /// Locked for as long as this is held.
    _file: Flock<File>,
    path: PathBuf,
}

impl Lock {
    pub(super) async fn acquire(path: &Path, within: Duration) -> Result<Lock, String> {
        let deadline = tokio::time::Instant::now() + within;
        let waited = || {
            format!(
                "another converge has been making this connection for {} s ({})",
                within.as_secs(),
                path.display()
            )
        };
        loop {
            let file = open(path)?;
            match tokio::time::timeout_at(deadline, Lock::on(file, path)).await {
                Ok(Ok(Some(lock))) => return Ok(lock),
                Ok(Ok(None)) => continue,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(waited()),
            }
        }
    }

    /// Lock `file`, opened at `path`, waiting as long as it takes: the lock,
    /// or `None` when the file got is no longer the one at `path` (its
    /// holder removed it meanwhile).
    async fn on(file: File, path: &Path) -> Result<Option<Lock>, String> {
        let (give, got) = oneshot::channel();
        std::thread::spawn(move || {
            let mut file = file;
            let locked = loop {
                match Flock::lock(file, FlockArg::LockExclusive) {
                    Err((f, Errno::EINTR)) => file = f,
                    other => break other.map_err(|(_, e)| e),
                }
            };
            // Nobody waits any more: dropping it unlocks.
            let _ = give.send(locked);
        });
        let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let file = got
            .await
            .map_err(|_| failed(&"the lock's thread ended"))?
            .map_err(|e| failed(&e))?;
        let held = file.metadata().map_err(|e| failed(&e))?;
        Ok(match std::fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => Some(Lock {
                _file: file,
                path: path.to_path_buf(),
            }),
            _ => None,
        })
    }
}

fn open(path: &Path) -> Result<File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held; the file closes (and unlocks) after this.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn host() -> Host {
        roster_host("pgdb1:\n  host: 10.77.0.11\n")
    }

    /// The first host of a roster written in YAML.
    pub(crate) fn roster_host(yaml: &str) -> Host {
        let source = crate::source::Source::new("roster.yaml", yaml);
        let node = crate::yaml::load(&source).unwrap().unwrap();
        crate::roster::Roster::from_node(&node, Path::new("/"))
            .unwrap()
            .hosts
            .remove(0)
    }

    #[test]
    fn names_are_short_stable_and_follow_the_settings() {
        let h = host();
        assert_eq!(name(&h, None).len(), 16);
        assert_eq!(name(&h, None), name(&h.clone(), None));
        let other_port = Host {
            port: 2222,
            ..host()
        };
        let other_check = Host {
            host_key_check: HostKeyCheck::Off,
            ..host()
        };
        let other_id = Host {
            id: "db".into(),
            ..host()
        };
        assert_ne!(name(&h, None), name(&other_port, None));
        assert_ne!(name(&h, None), name(&other_check, None));
        assert_ne!(name(&h, None), name(&h, Some(1)));
        assert_ne!(name(&h, Some(1)), name(&h, Some(2)));
        // The roster id is a label: two ids for one host share a master.
        assert_eq!(name(&h, None), name(&other_id, None));
    }

    #[test]
    fn the_directory_is_private_and_short() {
        let d = dir().unwrap();
        let meta = std::fs::metadata(&d).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o700);
        assert!(
            d.join(format!("{}.sock", name(&host(), None)))
                .as_os_str()
                .len()
                + 17
                < 108
        );
    }

    #[test]
    fn a_sweep_removes_dead_sockets_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dead = tmp.path().join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
        let live = tmp.path().join("live.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&live).unwrap();
        let other = tmp.path().join("x.lock");
        std::fs::write(&other, "").unwrap();
        sweep(tmp.path());
        assert!(!dead.exists() && live.exists() && other.exists());
    }

    #[tokio::test]
    async fn a_second_lock_waits_for_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.lock");
        let first = Lock::acquire(&path, Duration::from_secs(60)).await.unwrap();
        let err = Lock::acquire(&path, Duration::from_millis(100))
            .await
            .err()
            .unwrap();
        assert!(err.contains("another converge"), "{err}");
        drop(first);
        assert!(!path.exists(), "the holder removes the lock file");
        let again = Lock::acquire(&path, Duration::from_secs(60)).await.unwrap();
        assert!(path.exists());
        drop(again);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiter_is_woken_when_the_holder_is_done() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.lock");
        let first = Lock::acquire(&path, Duration::from_secs(60)).await.unwrap();
        let mut waiter = tokio::spawn({
            let path = path.clone();
            async move {
                let lock = Lock::acquire(&path, Duration::from_secs(60)).await.unwrap();
                let ino = lock._file.metadata().unwrap().ino();
                (ino, std::fs::metadata(&path).unwrap().ino())
            }
        });
        // Held: the waiter waits, however long it is given.
        let early = tokio::time::timeout(Duration::from_millis(200), &mut waiter).await;
        assert!(early.is_err(), "the waiter got a held lock");
        drop(first);
        let (held, at_path) = waiter.await.unwrap();
        assert_eq!(held, at_path);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiter_on_a_removed_lock_file_locks_again() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.lock");
        let first = Lock::acquire(&path, Duration::from_secs(60)).await.unwrap();
        // What a waiter opened before the holder was done.
        let stale = open(&path).unwrap();
        let waiter = tokio::spawn({
            let path = path.clone();
            async move { Lock::on(stale, &path).await.map(|l| l.is_some()) }
        });
        drop(first);
        assert_eq!(
            waiter.await.unwrap(),
            Ok(false),
            "the removed file is not the lock"
        );
        let lock = Lock::acquire(&path, Duration::from_secs(60)).await.unwrap();
        assert!(path.exists());
        drop(lock);
    }
}
