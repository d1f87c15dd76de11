//! The writer as a standby asks it, over a replication connection (the
//! one a standby has anyway): `IDENTIFY_SYSTEM` (its timeline and WAL
//! position) and `TIMELINE_HISTORY` (where each earlier timeline ended).
//! Whether an old writer can follow without pg_rewind is decided from
//! these, as Patroni and repmgr decide it.

use crate::postgres::{Layout, Lsn};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// A server's timeline, WAL position and history.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Timeline {
    pub system_id: String,
    pub timeline: u32,
    pub position: Lsn,
    /// Each earlier timeline and where it ended (its switchpoint), oldest first.
    pub history: Vec<(u32, Lsn)>,
}

/// Where the writer is, as a conninfo without a password (that travels
/// in `PGPASSWORD`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Peer {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

impl Peer {
    pub(crate) fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user={} dbname={dbname} connect_timeout=3 application_name=converge",
            self.host, self.port, self.user
        )
    }

    /// `exec` with the password in its environment.
    pub(crate) fn with_password(&self, mut exec: Exec) -> Exec {
        exec.env.push(("PGPASSWORD".into(), self.password.clone()));
        exec
    }
}

impl Timeline {
    /// Both questions in one round trip; the history only past timeline 1.
    pub(crate) fn command(layout: &Layout, peer: &Peer) -> Exec {
        let psql = format!(
            "psql -XAtqw {}",
            quote(&format!(
                "{} replication=true",
                peer.conninfo("replication")
            ))
        );
        let cmd = format!(
            "id=$({psql} -c IDENTIFY_SYSTEM) || exit; printf '%s\\n' \"$id\"; \
             tli=$(printf '%s' \"$id\" | cut -d'|' -f2); \
             if [ \"$tli\" -gt 1 ]; then {psql} -c \"TIMELINE_HISTORY $tli\"; fi"
        );
        peer.with_password(Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(15)))
    }

    pub(crate) fn parse(out: &Output) -> Result<Timeline, String> {
        if !out.success() {
            let why = out.stderr.trim();
            return Err(if why.is_empty() {
                format!("psql exited {}", out.code)
            } else {
                why.to_string()
            });
        }
        let mut lines = out.stdout.lines();
        let id = lines.next().ok_or("no answer to IDENTIFY_SYSTEM")?;
        let f: Vec<&str> = id.split('|').collect();
        let [system_id, tli, pos, ..] = f.as_slice() else {
            return Err(format!("unexpected IDENTIFY_SYSTEM answer: {id}"));
        };
        let timeline: u32 = tli.parse().map_err(|_| format!("bad timeline in {id}"))?;
        let position = Lsn::parse(pos).ok_or_else(|| format!("bad position in {id}"))?;
        // TIMELINE_HISTORY: `<file>|<content>`, the content spanning lines.
        let rest: Vec<&str> = lines.collect();
        let content = match rest.split_first() {
            None => String::new(),
            Some((first, more)) => {
                let head = first.split_once('|').map_or("", |(_, c)| c);
                std::iter::once(head)
                    .chain(more.iter().copied())
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        };
        Ok(Timeline {
            system_id: system_id.to_string(),
            timeline,
            position,
            history: parse_history(&content),
        })
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        layout: &Layout,
        peer: &Peer,
    ) -> Result<Timeline, String> {
        Timeline::parse(&super::run(host, &Timeline::command(layout, peer)).await?)
            .map_err(|e| format!("asking {} for its timeline: {e}", peer.host))
    }

    /// Where timeline `tli` ended, if it is one of this server's past ones.
    pub(crate) fn switchpoint(&self, tli: u32) -> Option<Lsn> {
        self.history
            .iter()
            .find(|(t, _)| *t == tli)
            .map(|(_, l)| *l)
    }
}

/// A `.history` file: `parent_tli<TAB>switchpoint<TAB>reason` lines.
pub(super) fn parse_history(content: &str) -> Vec<(u32, Lsn)> {
    content
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let tli = f.next()?.parse().ok()?;
            let lsn = Lsn::parse(f.next()?)?;
            Some((tli, lsn))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn identify_system_and_a_history_of_two_promotions() {
        let out = recorded(
            "7441230165208190512|3|0/5000148|\n00000003.history|1\t0/3000148\tno recovery target specified\n2\t0/40000A0\tno recovery target specified\n",
        );
        let t = Timeline::parse(&out).unwrap();
        assert_eq!(t.timeline, 3);
        assert_eq!(t.position, Lsn::parse("0/5000148").unwrap());
        assert_eq!(t.switchpoint(1), Lsn::parse("0/3000148"));
        assert_eq!(t.switchpoint(2), Lsn::parse("0/40000A0"));
        assert_eq!(t.switchpoint(3), None);
        let first = Timeline::parse(&recorded("744|1|0/3000148|\n")).unwrap();
        assert!(first.history.is_empty());
    }

    #[test]
    fn the_password_stays_out_of_the_command() {
        let peer = Peer {
            host: "pgdb1".into(),
            port: 5432,
            user: "replicator".into(),
            password: "s3cret".into(),
        };
        let e = Timeline::command(&Layout::default(), &peer);
        assert!(!e.cmd.contains("s3cret"));
        assert!(e.cmd.contains("replication=true"));
    }
}
