//! What a running server is right now, in one query: primary or standby,
//! its WAL position and timeline, and for a standby its WAL receiver
//! (`pg_stat_wal_receiver`), the only proof that a standby follows.

use crate::postgres::{psql, rows, Layout, Lsn};
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Server {
    pub in_recovery: bool,
    /// A primary's current WAL position, or what a standby has received.
    pub lsn: Option<Lsn>,
    /// What a standby has replayed.
    pub replayed: Option<Lsn>,
    pub timeline: u32,
    pub receiver: Option<Receiver>,
    pub replay_paused: bool,
    /// The primary's WAL file name (`000000020000000000000003`).
    pub walfile: String,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Receiver {
    /// `streaming`, `starting`, `waiting`, `stopping`...
    pub status: String,
    pub timeline: u32,
    pub sender_host: String,
}

const SQL: &str = "select pg_is_in_recovery(), \
 coalesce(case when pg_is_in_recovery() then pg_last_wal_receive_lsn() else pg_current_wal_lsn() end::text, ''), \
 coalesce(pg_last_wal_replay_lsn()::text, ''), \
 case when pg_is_in_recovery() then '' else pg_walfile_name(pg_current_wal_lsn()) end, \
 coalesce((select status || ',' || received_tli || ',' || coalesce(sender_host, '') from pg_stat_wal_receiver), ''), \
 case when pg_is_in_recovery() then pg_is_wal_replay_paused() else false end, \
 (select timeline_id from pg_control_checkpoint())";

fn parse_row(row: &[String]) -> Option<Server> {
    let [rec, lsn, replayed, walfile, receiver, paused, cp_tli] = row else {
        return None;
    };
    let receiver = (!receiver.is_empty()).then(|| {
        let mut p = receiver.splitn(3, ',');
        Receiver {
            status: p.next().unwrap_or_default().to_string(),
            timeline: p.next().and_then(|t| t.parse().ok()).unwrap_or(0),
            sender_host: p.next().unwrap_or_default().to_string(),
        }
    });
    let in_recovery = rec == "t";
    // A primary's timeline is in its current WAL file's name (right after a
    // promotion, before any checkpoint); a standby's is what it receives.
    let timeline = if !in_recovery {
        u32::from_str_radix(walfile.get(..8).unwrap_or("0"), 16).ok()?
    } else {
        receiver
            .as_ref()
            .map(|r| r.timeline)
            .filter(|t| *t > 0)
            .or_else(|| cp_tli.parse().ok())?
    };
    Some(Server {
        in_recovery,
        lsn: Lsn::parse(lsn),
        replayed: Lsn::parse(replayed),
        timeline,
        receiver,
        replay_paused: paused == "t",
        walfile: walfile.clone(),
    })
}

impl Server {
    pub(crate) fn command(layout: &Layout) -> Exec {
        psql(layout, SQL)
    }

    /// The server's status, or why it cannot be had (not running,
    /// refused...: psql's own words).
    pub(crate) fn parse(out: &Output) -> Result<Server, String> {
        let rows = rows(out)?;
        rows.first()
            .and_then(|r| parse_row(r))
            .ok_or_else(|| format!("unexpected answer: {rows:?}"))
    }

    pub(crate) async fn read(host: &dyn Transport, layout: &Layout) -> Result<Server, String> {
        Server::parse(&super::run(host, &Server::command(layout)).await?)
    }

    /// One line for reports: `primary, timeline 2, WAL 0/3000148 (000000020000000000000003)`.
    pub(crate) fn describe(&self) -> String {
        let lsn = |l: Option<Lsn>| l.map_or("-".to_string(), |l| l.to_string());
        if !self.in_recovery {
            return format!(
                "primary, timeline {}, WAL {} ({})",
                self.timeline,
                lsn(self.lsn),
                self.walfile
            );
        }
        let upstream = match &self.receiver {
            Some(r) => format!("{} from {}", r.status, r.sender_host),
            None => "not receiving".into(),
        };
        format!(
            "standby ({upstream}), timeline {}, received {}, replayed {}{}",
            self.timeline,
            lsn(self.lsn),
            lsn(self.replayed),
            if self.replay_paused {
                ", replay PAUSED"
            } else {
                ""
            }
        )
    }

    /// Streaming from `upstream` (its roster id or address).
    pub(crate) fn streams_from(&self, upstream: &[&str]) -> bool {
        self.in_recovery
            && self.receiver.as_ref().is_some_and(|r| {
                r.status == "streaming" && upstream.contains(&r.sender_host.as_str())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(s: &str) -> Vec<String> {
        s.split('|').map(str::to_string).collect()
    }

    fn parse_status(row: &[String]) -> Option<Server> {
        Server::parse(&crate::facts::recorded(&format!("{}\n", row.join("|")))).ok()
    }

    #[test]
    fn a_primary_and_a_standby() {
        let p = parse_status(&row("f|0/3000148||000000020000000000000003||f|1")).unwrap();
        assert!(!p.in_recovery);
        assert_eq!(p.timeline, 2);
        assert_eq!(
            p.describe(),
            "primary, timeline 2, WAL 0/3000148 (000000020000000000000003)"
        );
        let s = parse_status(&row("t|0/3000148|0/3000100||streaming,2,pgdb2|f|1")).unwrap();
        assert!(s.streams_from(&["pgdb2", "10.77.0.12"]));
        assert!(!s.streams_from(&["pgdb1"]));
        assert_eq!(s.timeline, 2);
        assert_eq!(
            s.describe(),
            "standby (streaming from pgdb2), timeline 2, received 0/3000148, replayed 0/3000100"
        );
        let lost = parse_status(&row("t|||||t|1")).unwrap();
        assert_eq!(lost.receiver, None);
        assert!(lost.replay_paused);
        assert_eq!(lost.timeline, 1);
    }
}
