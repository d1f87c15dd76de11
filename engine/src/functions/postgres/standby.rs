//! `postgres.standby`: this host's cluster follows the writer, streaming on
//! the writer's timeline. It first finds out whether the cluster can follow
//! the writer's timeline as it is, the way Patroni and repmgr decide: its
//! last checkpoint (or replay position) against the switchpoint in the
//! writer's timeline history. If it diverged, pg_rewind against the writer
//! (when allowed and possible), or a fresh clone (only when pillar allows
//! it), or a failure that says why. Success means `pg_stat_wal_receiver`
//! shows it streaming on the writer's timeline, never an exit code; past
//! the timeout it fails quoting the server's own log.
//!
//! A cluster that runs as a primary is fenced (stopped, then rewound) only
//! when the writer is on a newer timeline, that is, was promoted after it:
//! a stale writer back from a partition. Beside a writer that is not newer
//! it refuses: demoting a live writer is the failover's job.
//!
//! The standby marker is written here, after the server is stopped, never
//! under a running primary (whose next restart would fork its timeline).

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::checks::{ShutDown, Streams, Up};
use crate::facts::{ControlData, Peer, Postmaster, Server, Timeline, WalEnd};
use crate::functions::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::postgres::{Layout, Lsn};
use crate::transport::shell::quote;
use crate::transport::{Exec, Transport, WriteFile};

/// `postgres.standby`, or with `check_only` `postgres.can_follow`: the
/// same decision, only refusing or not (a guard that comes before the
/// standby's configuration is written).
pub(crate) struct Standby {
    pub check_only: bool,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Replication {
    pub user: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[allow(dead_code)]
    pub name: String,
    #[serde(default)]
    pub cluster: Layout,
    /// The writer to follow: roster id or address, as the standby's
    /// `primary_conninfo` names it.
    pub upstream: String,
    /// The writer's port (default: this cluster's).
    #[serde(default)]
    pub port: Option<u16>,
    pub replication: Replication,
    /// pg_rewind a diverged cluster (it needs `wal_log_hints` or data
    /// checksums, set before the divergence).
    #[serde(default = "crate::functions::yes")]
    pub rewind: bool,
    /// Replace a cluster that cannot be rewound by a fresh copy of the
    /// writer (pg_basebackup): its data is thrown away.
    #[serde(default)]
    pub reclone: bool,
    /// Seconds to wait for it to stream.
    #[serde(default = "thirty")]
    pub timeout: u64,
    /// A failover is demoting this host: a primary that still runs here
    /// will have been stopped by then (a test run sees it before).
    #[serde(default)]
    pub demoting: bool,
}

fn thirty() -> u64 {
    30
}

/// What this cluster is, locally.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Local {
    pub control: ControlData,
    /// When running: what the server says.
    pub server: Option<Server>,
}

/// How this cluster can come to follow the writer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verdict {
    /// It streams on the writer's timeline: nothing to do.
    Streams,
    /// Running as a standby that can follow: wait until it streams.
    Wait,
    /// Stopped, and can follow as it is: start it.
    Start,
    /// Its history left the writer's at `switchpoint`: rewind it (after
    /// stopping it, when `running`).
    Diverged {
        running: bool,
        switchpoint: Option<Lsn>,
        why: String,
    },
    /// Needs the end of its shutdown checkpoint record to decide (a clean
    /// old writer whose checkpoint lies before the switchpoint).
    NeedCheckpointEnd { switchpoint: Lsn },
    /// Do nothing: this is why.
    Refuse(String),
}

/// Decide from the facts (`checkpoint_end`: once `NeedCheckpointEnd` asked
/// for it). `me`/`writer` name the hosts in messages.
pub(crate) fn judge(
    me: &str,
    writer: &str,
    local: &Local,
    up: &Timeline,
    upstream_names: &[String],
    checkpoint_end: Option<Lsn>,
) -> Verdict {
    let tu = up.timeline;
    if let Some(st) = &local.server {
        let names: Vec<&str> = upstream_names.iter().map(String::as_str).collect();
        if !st.in_recovery {
            // A running primary: a stale writer only if the writer is newer.
            if st.timeline < tu {
                return Verdict::Diverged {
                    running: true,
                    switchpoint: up.switchpoint(st.timeline),
                    why: format!(
                        "{me} runs as a primary on timeline {}, behind {writer}'s timeline {tu}: a writer that was replaced",
                        st.timeline
                    ),
                };
            }
            return Verdict::Refuse(format!(
                "{me} runs as a primary (timeline {}) and {writer} is not newer (timeline {tu}): 'converge orchestrate failover' demotes it",
                st.timeline
            ));
        }
        if st.streams_from(&names) && st.receiver.as_ref().is_some_and(|r| r.timeline == tu) {
            return Verdict::Streams;
        }
        let tl = st.timeline;
        if tl == tu {
            return Verdict::Wait;
        }
        let replayed = st.replayed.or(st.lsn);
        return match (up.switchpoint(tl), replayed) {
            (Some(s), Some(r)) if r <= s => Verdict::Wait,
            (s, r) => Verdict::Diverged {
                running: true,
                switchpoint: s,
                why: match (s, r) {
                    (Some(s), Some(r)) => format!(
                        "{me} replayed timeline {tl} up to {r}, past where {writer}'s timeline {tu} forked off it at {s}"
                    ),
                    _ => format!("{me}'s timeline {tl} is not in {writer}'s history"),
                },
            },
        };
    }
    let cd = &local.control;
    let tl = if cd.in_recovery() && cd.min_recovery_timeline > 0 {
        cd.min_recovery_timeline
    } else {
        cd.timeline
    };
    let crashed = !cd.state.starts_with("shut down");
    if tl == tu {
        if crashed && !cd.in_recovery() {
            return Verdict::Refuse(format!(
                "{me} stopped uncleanly (`{}`) as a primary on {writer}'s own timeline {tu}: two writers on one timeline cannot be told apart; re-clone {me}",
                cd.state
            ));
        }
        return Verdict::Start;
    }
    if tl > tu {
        return Verdict::Diverged {
            running: false,
            switchpoint: None,
            why: format!("{me} is on timeline {tl}, ahead of {writer}'s timeline {tu}"),
        };
    }
    let Some(s) = up.switchpoint(tl) else {
        return Verdict::Diverged {
            running: false,
            switchpoint: None,
            why: format!("{me}'s timeline {tl} is not in {writer}'s history"),
        };
    };
    if crashed && !cd.in_recovery() {
        return Verdict::Diverged {
            running: false,
            switchpoint: Some(s),
            why: format!(
                "{me} stopped uncleanly (`{}`) as the writer of timeline {tl}: whatever it wrote after {s} is not on {writer}'s timeline {tu}",
                cd.state
            ),
        };
    }
    if cd.in_recovery() {
        let at = cd.min_recovery_end.unwrap_or(cd.checkpoint);
        return if at <= s {
            Verdict::Start
        } else {
            Verdict::Diverged {
                running: false,
                switchpoint: Some(s),
                why: format!(
                    "{me} replayed timeline {tl} up to {at}, past where {writer}'s timeline {tu} forked off it at {s}"
                ),
            }
        };
    }
    // A cleanly stopped old writer: it can follow only if its shutdown
    // checkpoint record ends exactly at the switchpoint.
    if cd.checkpoint >= s {
        return Verdict::Diverged {
            running: false,
            switchpoint: Some(s),
            why: format!(
                "{me}'s last checkpoint {} on timeline {tl} is past where {writer}'s timeline {tu} forked off at {s}",
                cd.checkpoint
            ),
        };
    }
    match checkpoint_end {
        None => Verdict::NeedCheckpointEnd { switchpoint: s },
        Some(end) if end == s => Verdict::Start,
        Some(end) => Verdict::Diverged {
            running: false,
            switchpoint: Some(s),
            why: format!(
                "{me} wrote WAL on timeline {tl} up to {end}, past where {writer}'s timeline {tu} forked off at {s}"
            ),
        },
    }
}

impl Args {
    fn peer(&self) -> Peer {
        Peer {
            host: self.upstream.clone(),
            port: self.port.unwrap_or(self.cluster.port),
            user: self.replication.user.clone(),
            password: self.replication.password.clone(),
        }
    }
}

/// The last lines of the server's log, for a failure to quote.
pub(crate) fn log_tail(layout: &Layout) -> Exec {
    Exec::new(format!(
        "tail -n 8 -- {} 2>/dev/null",
        quote(&layout.logfile)
    ))
}

/// The standby marker, written once the server is down. Before PostgreSQL
/// 12 the marker is `recovery.conf`, which the standby's configuration
/// state writes with its content: nothing to do here then.
fn marker(layout: &Layout) -> Vec<Action> {
    if layout.major < 12 {
        return Vec::new();
    }
    vec![Action::write(WriteFile {
        path: layout.marker(),
        content: Vec::new(),
        user: Some(layout.user.clone()),
        group: Some(layout.user.clone()),
        mode: Some(0o600),
        makedirs: false,
    })]
}

fn start(me: &str, layout: &Layout) -> Vec<Action> {
    // A failed start says why in the server's log: quote it.
    let cmd = format!(
        "{} || {{ rc=$?; {} >&2; exit $rc; }}",
        layout.start_command(),
        log_tail(layout).cmd
    );
    let exec = Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(90));
    let fail = format!("PostgreSQL on {me} did not start");
    vec![
        Action::run(exec, fail.clone()),
        Action::verify(
            Up {
                cluster: layout.clone(),
            },
            fail,
        ),
    ]
}

fn stop(me: &str, layout: &Layout) -> Vec<Action> {
    let exec = Exec::new(layout.stop_command("fast"))
        .runas(Some(&layout.user))
        .timeout(Some(90));
    vec![
        Action::run(exec, format!("PostgreSQL on {me} did not stop")),
        Action::verify(
            ShutDown {
                id: me.to_string(),
                cluster: layout.clone(),
            },
            format!("PostgreSQL on {me} stopped but not cleanly"),
        ),
    ]
}

/// pg_rewind against the writer, after crash recovery in single-user mode
/// when the cluster was not shut down cleanly (pg_rewind cannot run that
/// itself where the configuration lives outside the data directory, as
/// Debian keeps it).
fn rewind(layout: &Layout, peer: &Peer, crashed: bool) -> Vec<Action> {
    let mut actions = Vec::new();
    if crashed {
        // Single-user mode refuses a standby marker (a fence may have
        // left one): it goes, and is written again after the rewind.
        let single = format!(
            "rm -f -- {} && {} --single -F -D {} -c config_file={} template1 </dev/null >/dev/null",
            quote(&layout.marker()),
            layout.bin("postgres"),
            quote(&layout.datadir),
            quote(&format!("{}/postgresql.conf", layout.confdir))
        );
        actions.push(Action::run(
            Exec::new(single)
                .runas(Some(&layout.user))
                .timeout(Some(300)),
            "crash recovery before pg_rewind failed",
        ));
    }
    let cmd = format!(
        "{} --target-pgdata={} --source-server={} --no-ensure-shutdown",
        layout.bin("pg_rewind"),
        quote(&layout.datadir),
        quote(&peer.conninfo("postgres"))
    );
    let exec = peer.with_password(Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(600)));
    actions.push(Action::run(exec, "pg_rewind failed"));
    actions
}

/// A fresh copy of the writer in place of this cluster (kept aside as
/// `<datadir>.diverged`).
fn reclone(layout: &Layout, peer: &Peer) -> Vec<Action> {
    let dir = quote(&layout.datadir);
    let aside = quote(&format!("{}.diverged", layout.datadir));
    let cmd = format!(
        "rm -rf -- {aside} && mv -- {dir} {aside} && {} -D {dir} -d {} -X stream -c fast -w",
        layout.bin("pg_basebackup"),
        quote(&peer.conninfo("replication"))
    );
    let exec = peer.with_password(Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(3600)));
    vec![Action::run(exec, "pg_basebackup failed")]
}

/// Once a stale writer has stopped: how much WAL it wrote past the
/// switchpoint (what the writer never received), recorded under
/// `lost_wal`. Never fails: what cannot be read is said so.
#[derive(Debug)]
struct LostWal {
    cluster: Layout,
    timeline: u32,
    from: Lsn,
    segment_bytes: u64,
}

impl crate::plan::Check for LostWal {
    fn describe(&self) -> String {
        format!("how much WAL it wrote past {} is read", self.from)
    }

    fn probe(&self) -> Exec {
        WalEnd::command(&self.cluster, self.timeline, self.from, self.segment_bytes)
    }

    fn judge(&self, out: &crate::transport::Output) -> crate::plan::Verdict {
        let seen = match WalEnd::parse(out) {
            Ok(end) => json!({
                "from": self.from.to_string(),
                "to": end.lsn().to_string(),
                "bytes": end.lsn().0.saturating_sub(self.from.0),
            }),
            Err(e) => json!({"from": self.from.to_string(), "unknown": e}),
        };
        crate::plan::Verdict::Met(Changes::from_iter([("lost_wal".to_string(), seen)]))
    }
}

/// How much WAL this cluster has past `switchpoint` (what the writer never
/// received), when that can be read.
async fn lost(
    host: &dyn Transport,
    layout: &Layout,
    tli: u32,
    s: Lsn,
    segment_bytes: u64,
) -> Option<u64> {
    WalEnd::read(host, layout, tli, s, segment_bytes)
        .await
        .ok()
        .map(|end| end.lsn().0.saturating_sub(s.0))
}

#[async_trait]
impl Function for Standby {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let t = ctx.host.transport.as_ref();
        let me = ctx.host.id.clone();
        let layout = &args.cluster;
        let peer = args.peer();
        let running = Postmaster::read(t, layout).await.map_err(Failure::new)?;
        let control = ControlData::read(t, layout).await.map_err(Failure::new)?;
        let server = match running {
            Postmaster::Running => Some(Server::read(t, layout).await.map_err(|e| {
                Failure::new(format!("PostgreSQL on {me} runs but does not answer: {e}"))
            })?),
            Postmaster::Stopped => None,
        };
        let up = Timeline::read(t, layout, &peer)
            .await
            .map_err(Failure::new)?;
        let names = vec![args.upstream.clone()];
        let local = Local {
            control: control.clone(),
            server,
        };
        let mut verdict = judge(&me, &args.upstream, &local, &up, &names, None);
        if let Verdict::NeedCheckpointEnd { .. } = verdict {
            let end = WalEnd::read(
                t,
                layout,
                control.timeline,
                control.checkpoint,
                control.segment_bytes,
            )
            .await
            .map_err(|e| Failure::new(format!("reading the end of {me}'s checkpoint: {e}")))?;
            let end = match end {
                WalEnd::At(l) => Some(l),
                WalEnd::AtLeast(_) => None,
            };
            verdict = judge(
                &me,
                &args.upstream,
                &local,
                &up,
                &names,
                end.or(Some(Lsn(u64::MAX))),
            );
        }
        let tu = up.timeline;
        let wait = Action::wait(
            Streams {
                id: me.clone(),
                cluster: layout.clone(),
                upstream: names.clone(),
                timeline: tu,
            },
            Duration::from_secs(args.timeout),
            format!(
                "{me} does not stream from {} on timeline {tu} after {} s",
                args.upstream, args.timeout
            ),
        )
        .explained(log_tail(layout));
        let summary = |how: &str| {
            Changes::from_iter([(
                me.clone(),
                json!({"follows": args.upstream, "timeline": tu, "how": how}),
            )])
        };
        let follows = format!("{me} streams from {} on timeline {tu}", args.upstream);
        if self.check_only {
            return match verdict {
                Verdict::Refuse(why) => Err(Failure::new(why)),
                _ => Ok(Plan::noop(format!(
                    "{me} can follow {} (timeline {tu})",
                    args.upstream
                ))),
            };
        }
        match verdict {
            Verdict::Streams => Ok(Plan::noop(follows)),
            Verdict::Refuse(why) if args.demoting && local.server.is_some() => {
                // Before the failover stops it (a test run): the rejoin is
                // still ahead, and a real run that got here would refuse.
                Ok(Plan::change(
                    summary("after the failover stops it"),
                    format!("{me} runs as a primary: once the failover has stopped it, it is set to follow {} on timeline {tu} (rewound if it diverged)", args.upstream),
                    String::new(),
                    vec![Action::Fail(format!("{why}; not demoting a running primary"))],
                ))
            }
            Verdict::Refuse(why) => Err(Failure::new(why)),
            Verdict::Wait => Ok(Plan::change(
                summary("wait"),
                format!("{me} runs as a standby: it is set to be checked until it streams from {} on timeline {tu}", args.upstream),
                follows,
                vec![wait],
            )
            .applied(Changes::new())),
            Verdict::Start => {
                let mut actions = marker(layout);
                actions.extend(start(&me, layout));
                actions.push(wait);
                Ok(Plan::change(
                    summary("start"),
                    format!("{me} can follow {} as it is: it is set to start as a standby and stream on timeline {tu}", args.upstream),
                    format!("Started {me} as a standby: {follows}"),
                    actions,
                ))
            }
            Verdict::NeedCheckpointEnd { .. } => unreachable!("asked again with the end"),
            Verdict::Diverged {
                running,
                switchpoint,
                why,
            } => {
                let mut changes = summary("rewind");
                let mut actions = Vec::new();
                if running {
                    actions.extend(stop(&me, layout));
                    if let Some(s) = switchpoint {
                        let timeline = local.server.as_ref().map_or(control.timeline, |st| st.timeline);
                        actions.push(Action::verify(
                            LostWal {
                                cluster: layout.clone(),
                                timeline,
                                from: s,
                                segment_bytes: control.segment_bytes,
                            },
                            "",
                        ));
                    }
                }
                let lost_bytes = match (switchpoint, running) {
                    (Some(s), false) => {
                        lost(t, layout, control.timeline, s, control.segment_bytes).await
                    }
                    _ => None,
                };
                if layout.major < 12 && (args.rewind || args.reclone) {
                    // pg_rewind removes recovery.conf, the only standby
                    // configuration before 12: not done here.
                    return Err(Failure::new(format!(
                        "{why}; converge rewinds or re-clones PostgreSQL 12 and later only: rebuild {me} as a standby by hand"
                    )));
                }
                let how = if args.rewind && control.rewindable() {
                    actions.extend(rewind(layout, &peer, !running && !control.state.starts_with("shut down")));
                    "pg_rewind"
                } else if args.reclone {
                    changes = summary("reclone");
                    actions.extend(reclone(layout, &peer));
                    "a fresh copy (pg_basebackup)"
                } else {
                    let cannot = if args.rewind {
                        "pg_rewind cannot: neither wal_log_hints nor data checksums were on"
                    } else {
                        "rewind is off in pillar"
                    };
                    return Err(Failure::new(format!(
                        "{why}; {cannot}, and re-cloning is not allowed (pillar postgres:reclone): {me} cannot follow {}",
                        args.upstream
                    )));
                };
                if let Some(entry) = changes.get_mut(&me) {
                    entry["diverged"] = json!(why);
                    if let Some(s) = switchpoint {
                        entry["switchpoint"] = json!(s.to_string());
                    }
                    if let Some(n) = lost_bytes {
                        entry["lost_wal_bytes"] = json!(n);
                    }
                }
                actions.extend(marker(layout));
                actions.extend(start(&me, layout));
                actions.push(wait);
                Ok(Plan::change(
                    changes,
                    format!("{why}: {me} is set to be rewound by {how}, then started as a standby of {}", args.upstream),
                    format!("{me} rewound by {how}: {follows}"),
                    actions,
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;
    use crate::testing::{fixture, plan};
    use crate::transport::fake::Fake;

    fn control(state: &str, checkpoint: &str, tli: u32) -> ControlData {
        ControlData::parse(&recorded(&format!(
            "Database cluster state:               {state}\nLatest checkpoint location:           {checkpoint}\nLatest checkpoint's TimeLineID:       {tli}\nMinimum recovery ending location:     0/0\nMin recovery ending loc's timeline:   0\nwal_log_hints setting:                on\nData page checksum version:           0\n"
        )))
        .unwrap()
    }

    /// The writer on timeline 2, forked off timeline 1 at 0/3000148.
    fn writer() -> Timeline {
        Timeline::parse(&recorded(
            "744|2|0/5000000|\n00000002.history|1\t0/3000148\tno recovery target specified\n",
        ))
        .unwrap()
    }

    fn stopped(state: &str, checkpoint: &str, tli: u32) -> Local {
        Local {
            control: control(state, checkpoint, tli),
            server: None,
        }
    }

    fn running(row: &str) -> Local {
        Local {
            control: control("in production", "0/3000028", 1),
            server: Some(Server::parse(&recorded(&format!("{row}\n"))).unwrap()),
        }
    }

    fn verdict(local: &Local, end: Option<&str>) -> Verdict {
        judge(
            "pgdb1",
            "pgdb2",
            local,
            &writer(),
            &["pgdb2".to_string()],
            end.and_then(Lsn::parse),
        )
    }

    #[test]
    fn a_clean_old_writer_follows_when_its_checkpoint_ends_at_the_switchpoint() {
        let l = stopped("shut down", "0/30000D0", 1);
        assert_eq!(
            verdict(&l, None),
            Verdict::NeedCheckpointEnd {
                switchpoint: Lsn::parse("0/3000148").unwrap()
            }
        );
        assert_eq!(verdict(&l, Some("0/3000148")), Verdict::Start);
        assert!(matches!(
            verdict(&l, Some("0/3000200")),
            Verdict::Diverged { running: false, .. }
        ));
        let past = stopped("shut down", "0/3000148", 1);
        assert!(matches!(verdict(&past, None), Verdict::Diverged { .. }));
    }

    #[test]
    fn a_crashed_old_writer_is_rewound() {
        let v = verdict(&stopped("in production", "0/2000060", 1), None);
        let Verdict::Diverged {
            running,
            switchpoint,
            why,
        } = v
        else {
            panic!("{v:?}")
        };
        assert!(!running);
        assert_eq!(switchpoint, Lsn::parse("0/3000148"));
        assert!(why.contains("stopped uncleanly"), "{why}");
    }

    #[test]
    fn a_stopped_standby_follows_unless_it_replayed_past_the_fork() {
        let mut l = stopped("shut down in recovery", "0/2000060", 1);
        l.control.min_recovery_end = Lsn::parse("0/3000100");
        l.control.min_recovery_timeline = 1;
        assert_eq!(verdict(&l, None), Verdict::Start);
        l.control.min_recovery_end = Lsn::parse("0/3000200");
        assert!(matches!(verdict(&l, None), Verdict::Diverged { .. }));
        // Already on the writer's timeline: start.
        assert_eq!(
            verdict(&stopped("shut down", "0/5000000", 2), None),
            Verdict::Start
        );
    }

    #[test]
    fn a_running_cluster() {
        let streaming = running("t|0/5000000|0/5000000||streaming,2,pgdb2|f|2");
        assert_eq!(verdict(&streaming, None), Verdict::Streams);
        let connecting = running("t|0/5000000|0/5000000|||f|2");
        assert_eq!(verdict(&connecting, None), Verdict::Wait);
        let forked = running("t|0/6000000|0/6000000|||f|1");
        assert!(matches!(
            verdict(&forked, None),
            Verdict::Diverged { running: true, .. }
        ));
        let behind = running("t|0/3000100|0/3000100|||f|1");
        assert_eq!(verdict(&behind, None), Verdict::Wait);
    }

    #[test]
    fn a_running_primary_is_fenced_only_behind_a_newer_writer() {
        let stale = running("f|0/6000000||000000010000000000000006||f|1");
        assert!(matches!(
            verdict(&stale, None),
            Verdict::Diverged { running: true, .. }
        ));
        let live = running("f|0/6000000||000000020000000000000006||f|2");
        let Verdict::Refuse(why) = verdict(&live, None) else {
            panic!()
        };
        assert!(
            why.contains("'converge orchestrate failover' demotes it"),
            "{why}"
        );
    }

    const PG: &str = "/usr/lib/postgresql/15/bin";

    fn host(status: i32, control: &str) -> Fake {
        Fake::new()
            .answer(&format!("{PG}/pg_ctl status"), status, "")
            .answer(
                "LC_ALL=C /usr/lib/postgresql/15/bin/pg_controldata",
                0,
                control,
            )
            .answer(
                "id=$(psql",
                0,
                "744|2|0/5000000|\n00000002.history|1\t0/3000148\tno recovery target specified\n",
            )
    }

    const ARGS: &str =
        "name: postgresql\nupstream: pgdb2\nreplication: {user: replicator, password: s3cret}";

    #[tokio::test(flavor = "multi_thread")]
    async fn a_crashed_writer_is_recovered_rewound_marked_started_and_watched() {
        let cd = "Database cluster state:               in production\nLatest checkpoint location:           0/2000060\nLatest checkpoint's TimeLineID:       1\nwal_log_hints setting:                on\n";
        let fx = fixture(host(3, cd).answer(
            "LC_ALL=C /usr/lib/postgresql/15/bin/pg_waldump",
            0,
            "pg_waldump: error: error in WAL record at 0/3000148: invalid record length at 0/3001000: wanted 24, got 0\n",
        ));
        let p = plan(&fx, "postgres.standby", ARGS).await.unwrap();
        let d = p.describe();
        assert!(d[0].contains("--single"), "{d:?}");
        assert!(
            d[1].contains("pg_rewind --target-pgdata=/var/lib/postgresql/15/main"),
            "{d:?}"
        );
        assert_eq!(d[2], "write /var/lib/postgresql/15/main/standby.signal");
        assert!(d[3].contains("pg_ctl start"), "{d:?}");
        assert_eq!(
            d[5],
            "wait until h1 streams from pgdb2 on timeline 2 (at most 30 s)"
        );
        assert_eq!(p.changes["h1"]["lost_wal_bytes"], 0x1000 - 0x148);
        assert_eq!(p.changes["h1"]["switchpoint"], "0/3000148");
        // The password is in no command line.
        assert!(!fx.fake.commands().iter().any(|c| c.contains("s3cret")));
        assert!(!d.iter().any(|c| c.contains("s3cret")));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn without_rewind_or_reclone_a_diverged_cluster_fails_saying_why() {
        let cd = "Database cluster state:               in production\nLatest checkpoint location:           0/2000060\nLatest checkpoint's TimeLineID:       1\nwal_log_hints setting:                off\n";
        let fx = fixture(host(3, cd));
        let f = plan(&fx, "postgres.standby", ARGS).await.unwrap_err();
        assert!(
            f.comment
                .contains("pg_rewind cannot: neither wal_log_hints nor data checksums were on"),
            "{f}"
        );
        assert!(f.comment.contains("re-cloning is not allowed"), "{f}");
        let p = plan(&fx, "postgres.standby", &format!("{ARGS}\nreclone: true"))
            .await
            .unwrap();
        assert!(
            p.describe().iter().any(|a| a.contains("pg_basebackup")),
            "{p:?}"
        );
        let off = plan(&fx, "postgres.standby", &format!("{ARGS}\nrewind: false"))
            .await
            .unwrap_err();
        assert!(off.comment.contains("rewind is off in pillar"), "{off}");
    }
}
