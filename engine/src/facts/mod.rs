//! Facts: what a host is, read by probes. Each fact type has a `command`
//! (its probe) and a pure `parse` of that command's output, and `read`
//! runs one and then the other; the parsers are tested on
//! output recorded from real servers (`fixtures/`). State functions and
//! orchestration steps decide from facts, and checks (`plan::Check`) judge
//! with the same parsers while an action waits.
//!
//! Files are facts too, but the transport reads them natively (many paths
//! in one round trip, `transport::FileFact`), and `Host` caches them.

mod accounts;
mod apt_policy;
pub mod apt_sources;
mod bouncer;
mod controldata;
pub mod dpkg;
pub mod git_config;
pub mod known_hosts;
mod packages;
pub mod paths;
pub mod pg_database;
pub mod pg_extension;
pub mod pg_role;
pub mod pg_schema;
pub mod pg_session;
pub mod pg_tablespace;
mod postmaster;
mod server;
mod service;
mod timeline;
pub mod unit_mask;
mod waldump;
pub mod walk;

pub use accounts::{Accounts, Group, Home, Passwd, Shadow};
pub use apt_policy::Candidates;
pub use bouncer::BouncerState;
pub use controldata::ControlData;
pub use packages::Packages;
pub use paths::{PathFact, Paths};
pub use postmaster::Postmaster;
pub use server::{Receiver, Server};
pub use service::{Init, Service};
pub use timeline::{parse_history, Peer, Timeline};
pub use waldump::WalEnd;
pub use walk::Walk;

use crate::transport::{Exec, Output, Transport};

/// Run a probe's command on `host`: its output, or the transport's error
/// in words.
pub async fn run(host: &dyn Transport, exec: &Exec) -> Result<Output, String> {
    host.exec(exec).await.map_err(|e| e.to_string())
}

/// A recorded output, for parser tests.
#[cfg(test)]
pub(crate) fn recorded(stdout: &str) -> Output {
    Output {
        code: 0,
        stdout: stdout.into(),
        stderr: String::new(),
        pid: None,
    }
}
