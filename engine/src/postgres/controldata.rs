//! `pg_controldata`: the cluster state and the latest checkpoint, read from
//! the control file (so it works while the server is down).

use super::Lsn;

#[derive(Clone, Debug, PartialEq)]
pub struct ControlData {
    /// `shut down`, `shut down in recovery`, `in production`, `in archive recovery`...
    pub state: String,
    pub checkpoint: Lsn,
    pub timeline: u32,
}

impl ControlData {
    /// Stopped cleanly as a primary: everything it wrote is in its WAL up to
    /// and including the shutdown checkpoint.
    pub fn cleanly_shut_down(&self) -> bool {
        self.state == "shut down"
    }
}

pub fn parse_controldata(out: &str) -> Option<ControlData> {
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
            .map(str::trim)
    };
    Some(ControlData {
        state: field("Database cluster state")?.to_string(),
        checkpoint: Lsn::parse(field("Latest checkpoint location")?)?,
        timeline: field("Latest checkpoint's TimeLineID")?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let c = parse_controldata(SHUT_DOWN).unwrap();
        assert!(c.cleanly_shut_down());
        assert_eq!(c.checkpoint, Lsn::parse("0/3000028").unwrap());
        assert_eq!(c.timeline, 1);
        let running = SHUT_DOWN.replace("shut down", "in production");
        assert!(!parse_controldata(&running).unwrap().cleanly_shut_down());
        assert!(parse_controldata("garbage").is_none());
    }
}
