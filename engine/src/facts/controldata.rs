//! `pg_controldata`: the cluster state and the latest checkpoint, read from
//! the control file (so it works while the server is down).

use crate::postgres::{Layout, Lsn};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ControlData {
    /// `shut down`, `shut down in recovery`, `in production`, `in archive recovery`...
    pub state: String,
    pub checkpoint: Lsn,
    pub timeline: u32,
    /// A standby's: how far it must replay before it is consistent, and on
    /// which timeline (`0/0` and 0 for a primary).
    pub min_recovery_end: Option<Lsn>,
    pub min_recovery_timeline: u32,
    /// What pg_rewind needs, one or the other, set before a divergence.
    pub wal_log_hints: bool,
    pub checksums: bool,
    /// The size of a WAL segment file (16 MiB unless initdb said otherwise).
    pub segment_bytes: u64,
}

impl ControlData {
    pub(crate) fn command(layout: &Layout) -> Exec {
        let cmd = format!(
            "LC_ALL=C {} -D {}",
            layout.bin("pg_controldata"),
            quote(&layout.datadir)
        );
        Exec::new(cmd).runas(Some(&layout.user))
    }

    pub(crate) fn parse(out: &Output) -> Result<ControlData, String> {
        let field = |name: &str| {
            out.stdout
                .lines()
                .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
                .map(str::trim)
        };
        let parsed = || {
            Some(ControlData {
                state: field("Database cluster state")?.to_string(),
                checkpoint: Lsn::parse(field("Latest checkpoint location")?)?,
                timeline: field("Latest checkpoint's TimeLineID")?.parse().ok()?,
                min_recovery_end: field("Minimum recovery ending location")
                    .and_then(Lsn::parse)
                    .filter(|l| l.0 != 0),
                min_recovery_timeline: field("Min recovery ending loc's timeline")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0),
                wal_log_hints: field("wal_log_hints setting") == Some("on"),
                checksums: field("Data page checksum version").is_some_and(|v| v != "0"),
                segment_bytes: field("Bytes per WAL segment")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(16 * 1024 * 1024),
            })
        };
        parsed().ok_or_else(|| {
            let why = out.stderr.trim();
            if why.is_empty() {
                format!("pg_controldata printed no control data (exit {})", out.code)
            } else {
                format!("pg_controldata: {why}")
            }
        })
    }

    pub(crate) async fn read(host: &dyn Transport, layout: &Layout) -> Result<ControlData, String> {
        let out = super::run(host, &ControlData::command(layout)).await?;
        ControlData::parse(&out).map_err(|e| format!("{e} ({})", layout.datadir))
    }

    /// Stopped cleanly as a primary: everything it wrote is in its WAL up to
    /// and including the shutdown checkpoint.
    pub(crate) fn cleanly_shut_down(&self) -> bool {
        self.state == "shut down"
    }

    /// Stopped (or running) as a standby.
    pub(crate) fn in_recovery(&self) -> bool {
        matches!(
            self.state.as_str(),
            "shut down in recovery" | "in archive recovery"
        )
    }

    /// Whether pg_rewind can rewind this cluster.
    pub(crate) fn rewindable(&self) -> bool {
        self.wal_log_hints || self.checksums
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    const SHUT_DOWN: &str = "pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7441230165208190512
Database cluster state:               shut down
pg_control last modified:             Wed 25 Nov 2026 09:00:00 PM UTC
Latest checkpoint location:           0/3000028
Latest checkpoint's REDO location:    0/3000028
Latest checkpoint's REDO WAL file:    000000010000000000000003
Latest checkpoint's TimeLineID:       1
Latest checkpoint's PrevTimeLineID:   1
";

    #[test]
    fn reads_state_checkpoint_and_timeline() {
        let c = ControlData::parse(&recorded(SHUT_DOWN)).unwrap();
        assert!(c.cleanly_shut_down());
        assert_eq!(c.checkpoint, Lsn::parse("0/3000028").unwrap());
        assert_eq!(c.timeline, 1);
        let running = SHUT_DOWN.replace("shut down", "in production");
        assert!(!ControlData::parse(&recorded(&running))
            .unwrap()
            .cleanly_shut_down());
        assert!(ControlData::parse(&recorded("garbage")).is_err());
    }
}
