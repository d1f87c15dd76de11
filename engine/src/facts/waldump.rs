//! Where valid WAL ends in a stopped cluster's `pg_wal`, by `pg_waldump`:
//! the end of a shutdown checkpoint record (does an old writer end exactly
//! where the new timeline forked?), or the end of what a crashed writer
//! wrote (how much of it the new writer never received).
//!
//! pg_waldump reads until a record is invalid and says where in its error,
//! the way Patroni reads the end of a checkpoint record.

use crate::postgres::{Layout, Lsn};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// The end of valid WAL from a start point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WalEnd {
    /// Exactly here.
    At(Lsn),
    /// Past this at least (a segment that ends mid-record, say).
    AtLeast(Lsn),
}

/// The WAL segment file that holds `lsn` on timeline `tli`.
pub(super) fn segment(tli: u32, lsn: Lsn, segment_bytes: u64) -> String {
    let per_id = 0x1_0000_0000 / segment_bytes.max(1);
    let seg = lsn.0 / segment_bytes.max(1);
    format!("{tli:08X}{:08X}{:08X}", seg / per_id, seg % per_id)
}

impl WalEnd {
    /// Read from `start` on timeline `tli` (errors only: `--quiet`). The
    /// start segment is named: left to find one, pg_waldump takes the
    /// segment size from whichever file it lists first, and a recycled,
    /// zero-filled segment stops it.
    pub(crate) fn command(layout: &Layout, tli: u32, start: Lsn, segment_bytes: u64) -> Exec {
        let wal = format!("{}/pg_wal", layout.datadir);
        let cmd = format!(
            "LC_ALL=C {} --quiet -p {} -s {start} {} 2>&1",
            layout.bin("pg_waldump"),
            quote(&wal),
            quote(&format!("{wal}/{}", segment(tli, start, segment_bytes)))
        );
        Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(60))
    }

    pub(crate) fn parse(out: &Output) -> Result<WalEnd, String> {
        let text = out.stdout.trim();
        let lsn_after = |marker: &str| {
            text.rfind(marker).and_then(|i| {
                let rest = &text[i + marker.len()..];
                let end = rest.find(|c: char| !(c.is_ascii_hexdigit() || c == '/'));
                Lsn::parse(&rest[..end.unwrap_or(rest.len())])
            })
        };
        if let Some(l) = lsn_after("invalid record length at ") {
            return Ok(WalEnd::At(l));
        }
        if let Some(l) = lsn_after("could not find a valid record after ") {
            return Ok(WalEnd::At(l));
        }
        if let Some(l) = lsn_after("error in WAL record at ") {
            return Ok(WalEnd::AtLeast(l));
        }
        Err(format!(
            "pg_waldump said: {}",
            text.lines().last().unwrap_or("nothing")
        ))
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        layout: &Layout,
        tli: u32,
        start: Lsn,
        segment_bytes: u64,
    ) -> Result<WalEnd, String> {
        let exec = WalEnd::command(layout, tli, start, segment_bytes);
        WalEnd::parse(&super::run(host, &exec).await?)
    }

    pub(crate) fn lsn(self) -> Lsn {
        match self {
            WalEnd::At(l) | WalEnd::AtLeast(l) => l,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn the_start_segment_is_named() {
        let l = Lsn::parse("0/25F7568").unwrap();
        assert_eq!(segment(1, l, 16 << 20), "000000010000000000000002");
        assert_eq!(
            segment(3, Lsn::parse("1/5000000").unwrap(), 16 << 20),
            "000000030000000100000005"
        );
        let e = WalEnd::command(&Layout::default(), 1, l, 16 << 20);
        assert!(
            e.cmd
                .ends_with("/var/lib/postgresql/15/main/pg_wal/000000010000000000000002 2>&1"),
            "{}",
            e.cmd
        );
        assert!(!e.cmd.contains(" -t "));
    }

    #[test]
    fn the_end_is_where_the_next_record_is_invalid() {
        let out = recorded("pg_waldump: error: error in WAL record at 0/3000028: invalid record length at 0/30000A0: wanted 24, got 0\n");
        assert_eq!(
            WalEnd::parse(&out),
            Ok(WalEnd::At(Lsn::parse("0/30000A0").unwrap()))
        );
        let none = recorded("pg_waldump: error: could not find a valid record after 0/5000000\n");
        assert_eq!(
            WalEnd::parse(&none),
            Ok(WalEnd::At(Lsn::parse("0/5000000").unwrap()))
        );
        let magic = recorded("pg_waldump: error: error in WAL record at 0/4FFFFD8: invalid magic number 0000 in log segment 000000010000000000000005, offset 0\n");
        assert_eq!(
            WalEnd::parse(&magic),
            Ok(WalEnd::AtLeast(Lsn::parse("0/4FFFFD8").unwrap()))
        );
        assert!(WalEnd::parse(&recorded("pg_waldump: error: could not open directory\n")).is_err());
    }
}
