//! How converge reaches a host: a small trait, implemented by `local`
//! (this machine), `ssh` (one multiplexed OpenSSH connection per host) and a
//! recording fake for unit tests (built for tests only).
//!
//! Everything a state does to a host goes through these calls; no state
//! function touches `std::fs` or `std::process`. The calls are coarse on
//! purpose (read many files at once, write one file atomically) so that a
//! remote transport needs few round trips.

mod exec;
#[cfg(test)]
pub(crate) mod fake;
mod files;
#[cfg(test)]
mod held;
mod ids;
pub(crate) mod local;
mod process_group;
mod session;
pub(crate) mod shell;
pub(crate) mod ssh;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

pub(crate) use exec::{Exec, Output};
pub(crate) use files::{no_such_owner, FileFact, FileKind, WriteFile, NO_PARENT};

#[async_trait]
pub trait Transport: Send + Sync {
    /// Run a command (through a shell, as Salt's `cmd.run` does).
    async fn exec(&self, exec: &Exec) -> Result<Output, TransportError>;

    /// Run a command for its exit status alone (a check: `onlyif`,
    /// `unless`). Its output is thrown away, which lets a transport run it
    /// in a shell it keeps open instead of starting one.
    async fn status(&self, exec: &Exec) -> Result<i32, TransportError> {
        self.exec(exec).await.map(|o| o.code)
    }

    /// Stat and read many files in one go. Missing files are facts too
    /// (`FileKind::Missing`), not errors. Contents are read only for
    /// regular files.
    async fn read_files(&self, paths: &[String]) -> Result<Vec<FileFact>, TransportError>;

    /// Replace a file atomically: a temporary file in the same directory,
    /// owner and mode set, then renamed over the target.
    async fn write_file(&self, write: &WriteFile) -> Result<(), TransportError>;

    /// Close the connection, if there is one.
    async fn close(&self) {}
}

/// Why a host could not be reached or a call did not complete. These fail a
/// host (or a state), never the whole run.
#[derive(Clone, Debug, PartialEq)]
pub enum TransportError {
    /// Could not connect or log in (refused, unreachable, host key, auth).
    Connect(String),
    /// A call took longer than its timeout.
    Timeout { what: String, seconds: u64 },
    /// The connection broke, or the host answered something unreadable.
    Broken(String),
    /// A local or remote I/O error on a specific path.
    Io { path: String, message: String },
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Connect(m) => write!(f, "Unable to connect: {m}"),
            TransportError::Timeout { what, seconds } => {
                write!(f, "{what} timed out after {seconds} s")
            }
            TransportError::Broken(m) => write!(f, "Connection lost: {m}"),
            TransportError::Io { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// The transport for a roster entry: `local`, or one ssh connection.
pub(crate) async fn connect(
    host: &crate::roster::Host,
    timeout: u64,
) -> Result<Arc<dyn Transport>, TransportError> {
    match host.connection {
        crate::roster::Connection::Local => Ok(Arc::new(local::Local::new(timeout))),
        crate::roster::Connection::Ssh => Ok(Arc::new(ssh::Ssh::connect(host, timeout).await?)),
    }
}
