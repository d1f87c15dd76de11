//! For tests that a timeout ends a command with everything it started: a
//! fifo that the command's processes hold open (`exec 3>FIFO`), whose
//! reader sees the end of the file once every one of them has ended, since
//! the kernel closes a process's files as it exits. So a test waits for
//! that very event, not for a while, and needs no `/proc` nor `pgrep`.
//!
//! The test keeps a writer of its own open until it asks, so that the
//! reader cannot see an end before the command has opened the fifo.

use std::fs::File;
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::stat::Mode;
use tokio::sync::oneshot;

pub(super) struct Held {
    pub path: PathBuf,
    guard: Option<File>,
    read: oneshot::Receiver<std::io::Result<Vec<u8>>>,
}

/// What the processes that held the fifo wrote into it, once all of them
/// have ended; `None` if some still hold it after the wait.
pub(super) type Ended = Option<Vec<u8>>;

impl Held {
    /// A new fifo `name` in `dir`, with its reader waiting.
    pub(super) fn new(dir: &Path, name: &str) -> Held {
        let path = dir.join(name);
        nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let (done, read) = oneshot::channel();
        let reader = path.clone();
        std::thread::spawn(move || {
            let mut data = Vec::new();
            let got = File::open(&reader).and_then(|mut f| f.read_to_end(&mut data));
            let _ = done.send(got.map(|_| data));
        });
        // Opening either end of a fifo waits for the other: once this
        // returns, the reader is there.
        let guard = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("the fifo opens");
        Held {
            path,
            guard: Some(guard),
            read,
        }
    }

    /// The path quoted for a shell command.
    pub(super) fn quoted(&self) -> String {
        super::shell::quote(&self.path.display().to_string())
    }

    /// A shell line that makes the shell, and all it starts after, hold
    /// the fifo, and says so in it.
    pub(super) fn hold(&self) -> String {
        format!("exec 3>{}; echo started >&3", self.quoted())
    }

    /// Close the test's own end and wait, at most `within`, until no
    /// process holds the fifo any more.
    pub(super) async fn ended(&mut self, within: Duration) -> Ended {
        self.guard = None;
        match tokio::time::timeout(within, &mut self.read).await {
            Ok(Ok(Ok(data))) => Some(data),
            Ok(Ok(Err(e))) => panic!("reading the fifo: {e}"),
            Ok(Err(_)) => panic!("the fifo's reader went away"),
            Err(_) => None,
        }
    }
}

/// That a command which times out is ended with everything it started.
/// `run(hold, seconds)` runs, with a timeout of `seconds`, a command that
/// begins with the line `hold` and then lasts far longer than any wait
/// here, and checks the timeout's error. The kill can show only if the
/// command got going before its timeout: on a machine too busy for that,
/// the check is made again with a longer one.
pub(super) async fn killed_on_timeout<F, Fut>(mut run: F)
where
    F: FnMut(String, u64) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    for seconds in [1, 3, 9] {
        let mut held = Held::new(dir.path(), &format!("fifo{seconds}"));
        run(held.hold(), seconds).await;
        match held.ended(Duration::from_secs(60)).await {
            Some(said) if said == b"started\n" => return,
            Some(_) => continue,
            None => panic!("a process of the command outlived its {seconds} s timeout"),
        }
    }
    panic!("the command never got going before its timeout, even of 9 s");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::runtime as rt;

    #[test]
    fn the_end_comes_when_the_last_holder_exits_and_not_before() {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let mut held = Held::new(dir.path(), "fifo");
        let mut child = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "exec 3>{}; echo started >&3; echo holding; read -r _",
                held.quoted()
            ))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "holding\n");
        let rt = rt();
        // The child holds it until its input closes: no end, however long
        // the wait (a slow machine only makes this wait longer).
        assert_eq!(rt.block_on(held.ended(Duration::from_millis(200))), None);
        drop(child.stdin.take());
        child.wait().unwrap();
        let ended = rt.block_on(held.ended(Duration::from_secs(30)));
        assert_eq!(ended.as_deref(), Some(&b"started\n"[..]));
    }
}
