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
pub(crate) mod apt_sources;
mod bouncer;
mod controldata;
pub(crate) mod dpkg;
pub(crate) mod git_config;
pub(crate) mod known_hosts;
pub(crate) mod paths;
pub(crate) mod pg_database;
pub(crate) mod pg_extension;
pub(crate) mod pg_role;
pub(crate) mod pg_schema;
pub(crate) mod pg_session;
pub(crate) mod pg_tablespace;
mod postmaster;
mod server;
mod service;
mod timeline;
pub(crate) mod unit_mask;
mod waldump;
pub(crate) mod walk;

pub(crate) use accounts::{Accounts, Group, Home, Passwd, Shadow};
pub(crate) use apt_policy::Candidates;
pub(crate) use bouncer::{BouncerState, BouncerTargets};
pub(crate) use controldata::ControlData;
pub(crate) use paths::{PathFact, Paths};
pub(crate) use postmaster::Postmaster;
pub(crate) use server::Server;
pub(crate) use service::{Init, Service};
pub(crate) use timeline::{Peer, Timeline};
pub(crate) use waldump::WalEnd;
pub(crate) use walk::Walk;

use crate::transport::{Exec, Output, Transport};

/// Run a probe's command on `host`: its output, or the transport's error
/// in words.
pub(crate) async fn run(host: &dyn Transport, exec: &Exec) -> Result<Output, String> {
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

/// A recording from `fixtures/` (see its README: real outputs of the lab's
/// servers), as a probe's output.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> Output {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/facts/fixtures");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    let stdout = read(&format!("{name}.txt"));
    assert!(
        dir.join(format!("{name}.txt")).exists(),
        "no recording {name}.txt in {}",
        dir.display()
    );
    Output {
        code: 0,
        stdout,
        stderr: read(&format!("{name}.stderr.txt")),
        pid: None,
    }
}

/// Every parser on output recorded from real servers.
#[cfg(test)]
mod recorded_tests {
    use super::*;
    use crate::postgres::Lsn;

    #[test]
    fn control_data_in_every_state() {
        let state = |f: &str| ControlData::parse(&fixture(f)).unwrap();
        assert_eq!(state("controldata-primary-running").state, "in production");
        let stopped = state("controldata-primary-stopped");
        assert!(stopped.cleanly_shut_down());
        assert!(stopped.rewindable(), "the lab sets wal_log_hints");
        assert!(state("controldata-standby-running").in_recovery());
        assert!(state("controldata-standby-stopped").in_recovery());
        let crashed = state("controldata-primary-crashed");
        assert_eq!(crashed.state, "in production");
        assert!(!crashed.cleanly_shut_down());
        // Promoted: the control file shows the new timeline only after a checkpoint.
        assert_eq!(state("controldata-promoted-before-checkpoint").timeline, 1);
        assert_eq!(state("controldata-promoted-after-checkpoint").timeline, 2);
    }

    #[test]
    fn servers_as_the_status_query_finds_them() {
        let server = |f: &str| Server::parse(&fixture(f)).unwrap();
        let p = server("server-primary");
        assert!(!p.in_recovery);
        assert_eq!(p.timeline, 1);
        let s = server("server-standby-streaming");
        assert!(s.streams_from(&["pgdb1"]));
        let alone = server("server-standby-upstream-down");
        assert!(alone.in_recovery && alone.receiver.is_none());
        let promoted = server("server-promoted");
        assert_eq!((promoted.in_recovery, promoted.timeline), (false, 2));
        // Started as a standby after its timeline forked: waiting, never streaming.
        let diverged = server("server-diverged-standby");
        assert_eq!(diverged.receiver.as_ref().unwrap().status, "waiting");
        assert!(!diverged.streams_from(&["pgdb2"]));
    }

    #[test]
    fn timeline_histories() {
        let h = |f: &str| timeline::parse_history(&fixture(f).stdout);
        assert_eq!(
            h("history-00000002"),
            [(1, Lsn::parse("0/192B5F8").unwrap())]
        );
        assert_eq!(
            h("history-00000003"),
            [
                (1, Lsn::parse("0/192B5F8").unwrap()),
                (2, Lsn::parse("0/19310E8").unwrap())
            ]
        );
        assert_eq!(
            h("history-00000002-after-crash")[0].1,
            Lsn::parse("0/25DAB70").unwrap()
        );
    }

    #[test]
    fn the_end_of_a_crashed_writers_wal() {
        // The probe merges stderr into stdout (2>&1).
        let mut out = fixture("waldump-end-of-wal");
        out.stdout = out.stderr.clone();
        assert_eq!(
            WalEnd::parse(&out),
            Ok(WalEnd::At(Lsn::parse("0/25F7590").unwrap()))
        );
    }

    #[test]
    fn the_service_probe_without_systemd() {
        let running = Service::parse(&fixture("service-probe-pgbouncer-running")).unwrap();
        assert_eq!(
            (running.init, running.present, running.running),
            (Init::SysV, true, true)
        );
        let stopped = Service::parse(&fixture("service-probe-pgbouncer-stopped")).unwrap();
        assert!(!stopped.running);
    }
}
