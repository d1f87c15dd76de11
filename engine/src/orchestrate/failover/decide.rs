//! Which failover the cluster needs, decided from its survey alone (a pure
//! function, tested on facts): the steps to take, which of them can still
//! be undone by starting the old writer again, and what to tell the
//! operator. Or a refusal that says exactly how the cluster was found and
//! the command that fixes it.
//!
//! The cases: a planned switchover (the old writer runs), a writer whose
//! PostgreSQL is down on a reachable host (fenced, then the new writer is
//! promoted), a writer host that cannot be reached (promoted only on the
//! operator's word, `writer_lost`), a failover that an interruption left
//! half-done (finished), and one already done.

use serde_json::{json, Value};

use super::survey::{Node, Survey};
use crate::job::Mode;
use crate::orchestrate::steps::postgres::{ready_with, Pair};
use crate::postgres::Lsn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Case {
    /// The pillar's roles hold and every PgBouncer serves.
    Done,
    /// The old writer runs: today's safe sequence.
    Switchover,
    /// The old writer's host answers but its PostgreSQL is down.
    WriterDown,
    /// The old writer's host cannot be reached; the operator confirmed.
    WriterLost,
    /// The new writer is already the writer: finish what is left.
    Finish,
}

impl Case {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Case::Done => "nothing to do",
            Case::Switchover => "planned switchover",
            Case::WriterDown => "failover: the writer's PostgreSQL is down",
            Case::WriterLost => "failover: the writer's host is lost",
            Case::Finish => "finishing an interrupted failover",
        }
    }
}

/// One step of a failover, as data; it is planned against the hosts just
/// before it runs.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Step {
    /// Write each PgBouncer's configuration for the new writer beside its
    /// own (not in effect yet), so that the switch only moves files and a
    /// pause guard can do it as well.
    Prepare { hosts: Vec<String>, writer: String },
    /// Put the prepared configurations in place and RELOAD, at once.
    Repoint { hosts: Vec<String> },
    /// Remove the prepared configurations (a failover that did not go
    /// through).
    Discard { hosts: Vec<String> },
    /// Arm the pause guards and PAUSE these PgBouncers at once; the guard
    /// on `restart_on` may start the old writer again.
    Pause {
        hosts: Vec<String>,
        restart_on: Option<String>,
    },
    /// Stop the old writer cleanly: its shutdown checkpoint goes to the
    /// standby.
    Stop { host: String },
    /// The old writer is down: make sure it stays down, and that a restart
    /// brings it up as a standby; say how much WAL it had past what the new
    /// writer received.
    Fence { host: String, received: Option<Lsn> },
    /// The new writer holds all of the old writer's WAL; and, at the same
    /// time, the old writer accepts no writes (as `OnlyWriter`, from
    /// `from`, over ssh too).
    CaughtUp {
        standby: String,
        primary: String,
        address: String,
        from: Vec<Option<String>>,
    },
    /// Take the old writer's restart from its guard: past this point,
    /// nobody starts it as a writer again.
    Commit { host: String },
    /// The old writer does not accept writes, seen from each of `from`
    /// (host ids; the controller is `None`).
    OnlyWriter {
        old: String,
        address: String,
        from: Vec<Option<String>>,
        ssh: bool,
    },
    /// The new writer streams from the old one again (its WAL receiver
    /// reconnects a few seconds after the old writer restarted).
    Streams {
        standby: String,
        upstream: String,
        names: Vec<String>,
        timeline: u32,
    },
    /// Promote the new writer (its standby marker is there).
    Promote { host: String },
    /// A CHECKPOINT on the new writer, so that its control file shows its
    /// new timeline (pg_rewind against it needs that).
    Checkpoint { host: String },
    /// Converge `hosts` (at once) with this pillar added (`salt.state`).
    Converge {
        id: &'static str,
        hosts: Vec<String>,
        mode: Mode,
        pillar: Value,
    },
    /// RESUME these PgBouncers and stand their guards down.
    Resume { hosts: Vec<String> },
    /// Drop the clients these PgBouncers hold on a lost writer (`KILL db`,
    /// then `RESUME db`): a transaction on a host cut off hangs until a TCP
    /// timeout, and a PAUSE would wait for it.
    Release { hosts: Vec<String> },
    /// Start the old writer again (undoing a stop nobody followed).
    Restart { host: String },
    /// After the commit, when a later step failed: if `new` was not
    /// promoted after all, withdraw its promotion and start `old` again,
    /// so that the cluster is not left without a writer.
    Restore { old: String, new: String },
}

impl Step {
    /// The step's ID in the report.
    pub(super) fn id(&self) -> &'static str {
        match self {
            Step::Prepare { .. } => "prepare_pgbouncer",
            Step::Repoint { .. } => "repoint_pgbouncer",
            Step::Discard { .. } => "discard_prepared",
            Step::Pause { .. } => "pause_pgbouncer",
            Step::Stop { .. } => "stop_old_writer",
            Step::Fence { .. } => "fence_old_writer",
            Step::CaughtUp { .. } => "new_writer_has_all_wal",
            Step::Commit { .. } => "commit",
            Step::Streams { .. } => "new_writer_streams",
            Step::Promote { .. } => "promote_new_writer",
            Step::Checkpoint { .. } => "checkpoint_new_writer",
            Step::OnlyWriter { .. } => "no_other_writer",
            Step::Converge { id, .. } => id,
            Step::Resume { .. } => "resume_pgbouncer",
            Step::Release { .. } => "release_stuck_clients",
            Step::Restart { .. } => "restart_old_writer",
            Step::Restore { .. } => "writer_or_old_writer",
        }
    }

    /// The function it stands for, as the report names it.
    pub(super) fn function(&self) -> (&'static str, &'static str) {
        match self {
            Step::Prepare { .. } => ("pgbouncer", "prepared"),
            Step::Repoint { .. } => ("pgbouncer", "repointed"),
            Step::Discard { .. } => ("pgbouncer", "discarded"),
            Step::Pause { .. } => ("pgbouncer", "paused"),
            Step::Stop { .. } => ("postgres", "stopped"),
            Step::Fence { .. } => ("postgres", "fenced"),
            Step::CaughtUp { .. } => ("postgres", "caught_up"),
            Step::Commit { .. } => ("postgres", "committed"),
            Step::Streams { .. } => ("postgres", "streaming"),
            Step::Promote { .. } => ("postgres", "promoted"),
            Step::Checkpoint { .. } => ("postgres", "checkpoint"),
            Step::OnlyWriter { .. } => ("postgres", "only_writer"),
            Step::Converge { .. } => ("salt", "state"),
            Step::Resume { .. } => ("pgbouncer", "resumed"),
            Step::Release { .. } => ("pgbouncer", "released"),
            Step::Restart { .. } => ("postgres", "running"),
            Step::Restore { .. } => ("postgres", "restored"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Decision {
    pub case: Case,
    /// How the cluster was found and what will happen, in words.
    pub account: String,
    pub steps: Vec<Step>,
    /// Steps before this index are undone by `undo_before` (the old writer
    /// starts again); from it on by `undo_after`.
    pub commit: usize,
    pub undo_before: Vec<Step>,
    pub undo_after: Vec<Step>,
    /// What the operator must know afterwards.
    pub notes: Vec<String>,
}

/// What the failover is asked to do.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Ask {
    pub writer: String,
    pub query: String,
    pub writer_lost: bool,
    pub max_lag_bytes: u64,
}

/// The ids of those reachable, sorted (as messages list them).
fn reachable(nodes: &[&Node]) -> Vec<String> {
    let mut ids: Vec<String> = nodes
        .iter()
        .filter(|n| n.reachable())
        .map(|n| n.id.clone())
        .collect();
    ids.sort();
    ids
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

fn converge(id: &'static str, hosts: &[String], mode: Mode, pillar: Value) -> Step {
    Step::Converge {
        id,
        hosts: hosts.to_vec(),
        mode,
        pillar,
    }
}

/// The takeover once nobody else writes: promote the new writer (unless
/// it is already), point every reachable PgBouncer at it, RESUME them,
/// and only then (clients served) what can wait: the new writer's
/// checkpoint and its own highstate, and the old writer's rejoin.
fn takeover(w: &Node, o: &Node, promote: bool) -> Vec<Step> {
    let (wid, oid) = (&w.id, &o.id);
    let both = reachable(&[w, o]);
    let mut steps = Vec::new();
    if promote {
        steps.push(Step::Promote { host: wid.clone() });
    }
    steps.push(Step::Repoint {
        hosts: both.clone(),
    });
    steps.push(Step::Resume {
        hosts: both.clone(),
    });
    if promote {
        steps.push(Step::Checkpoint { host: wid.clone() });
    }
    steps.push(converge(
        "settle_new_writer",
        std::slice::from_ref(wid),
        Mode::Highstate,
        json!({"failover": {"promoting": wid}}),
    ));
    if o.reachable() {
        steps.push(converge(
            "old_writer_to_standby",
            std::slice::from_ref(oid),
            Mode::Highstate,
            json!({"failover": {"demoting": oid}}),
        ));
    }
    steps
}

fn only_writer(w: &Node, o: &Node) -> Step {
    Step::OnlyWriter {
        old: o.id.clone(),
        address: o.address.clone(),
        from: vec![None, Some(w.id.clone())],
        ssh: o.reachable(),
    }
}

fn caught_up(w: &Node, o: &Node) -> Step {
    Step::CaughtUp {
        standby: w.id.clone(),
        primary: o.id.clone(),
        address: o.address.clone(),
        from: vec![None, Some(w.id.clone())],
    }
}

fn commit(o: &Node) -> Step {
    Step::Commit { host: o.id.clone() }
}

/// The decision, or the refusal in words (nothing is changed then).
pub(super) fn decide(s: &Survey, ask: &Ask) -> Result<Decision, String> {
    let mut d = cases(s, ask)?;
    // Whatever will repoint PgBouncers has their new configuration written
    // first, before any client waits.
    let repoints = d.steps.iter().find_map(|st| match st {
        Step::Repoint { hosts } => Some(hosts.clone()),
        _ => None,
    });
    if let Some(hosts) = repoints {
        // After a stale writer's fence (clients must stop reaching it at
        // once), before anything else.
        let at = d
            .steps
            .iter()
            .position(|st| !matches!(st, Step::Stop { .. }))
            .unwrap_or(0);
        d.steps.insert(
            at,
            Step::Prepare {
                hosts: hosts.clone(),
                writer: s.writer.id.clone(),
            },
        );
        if at <= d.commit {
            d.commit += 1;
        }
        // A failover that does not go through leaves no prepared file.
        for undo in [&mut d.undo_before, &mut d.undo_after] {
            undo.push(Step::Discard {
                hosts: hosts.clone(),
            });
        }
    }
    Ok(d)
}

fn cases(s: &Survey, ask: &Ask) -> Result<Decision, String> {
    let (w, o) = match s.others.as_slice() {
        [o] => (&s.writer, o),
        _ => return Err("a failover needs exactly one query host (pillar postgres:query)".into()),
    };
    let (wid, oid) = (&w.id, &o.id);
    let found = s.describe();
    if let Some(why) = &w.unreachable {
        return Err(format!(
            "{wid}, the writer pillar names, cannot be reached ({why}); nothing was changed. Found: {found}. Restore ssh to {wid}, or name another writer in pillar."
        ));
    }
    if !w.running() || w.server.is_none() {
        return Err(format!(
            "{wid}'s PostgreSQL is not running, so it cannot become the writer; nothing was changed. Found: {found}. Start it as a standby (`converge highstate {wid}`), or name another writer in pillar."
        ));
    }
    let both = reachable(&[w, o]);
    let mut notes = Vec::new();
    let lost_note = format!(
        "{oid} was not touched: when it comes back it must be converged (`converge highstate {oid}`) before clients reach it, since it would come back as a writer and its PgBouncer points at it"
    );

    if w.primary() {
        let wt = w.timeline().unwrap_or(0);
        if o.primary() && o.timeline().unwrap_or(0) >= wt {
            return Err(format!(
                "both {wid} and {oid} run as primaries and {oid} is not behind (timelines {wt} and {}): refusing to choose. Found: {found}. Keep {wid}'s data: stop {oid} (`converge run {oid} -- pg_ctlcluster 15 main stop`), then rejoin it (`converge highstate {oid}`, with pillar postgres:reclone if it cannot be rewound).",
                o.timeline().unwrap_or(0)
            ));
        }
        let follows = o.server.as_ref().is_some_and(|st| {
            st.streams_from(&[wid.as_str(), w.address.as_str()])
                && st.receiver.as_ref().is_some_and(|r| r.timeline == wt)
        });
        let paused: Vec<String> = [w, o]
            .iter()
            .filter(|n| n.bouncer.is_some_and(|b| b.paused))
            .map(|n| n.id.clone())
            .collect();
        // Each PgBouncer as it runs, not its file: an interrupted repoint
        // may have written the file and not reloaded it.
        let misdirected = [w, o]
            .iter()
            .any(|n| n.reachable() && n.points_at(w) == Some(false));
        if follows && paused.is_empty() && !misdirected {
            return Ok(Decision {
                case: Case::Done,
                account: format!(
                    "{wid} is the writer and {oid} streams from it on timeline {wt}: nothing to do"
                ),
                steps: vec![],
                commit: 0,
                undo_before: vec![],
                undo_after: vec![],
                notes,
            });
        }
        let mut steps = Vec::new();
        if o.primary() {
            // A stale writer back from a partition: fenced at once (its
            // clients get errors rather than write where nothing is
            // kept), then its PgBouncer held until it is repointed.
            steps.push(Step::Stop { host: oid.clone() });
            steps.push(Step::Pause {
                hosts: vec![oid.clone()],
                restart_on: None,
            });
        }
        steps.extend(takeover(w, o, false));
        if !o.reachable() {
            notes.push(lost_note);
        }
        return Ok(Decision {
            case: Case::Finish,
            account: format!(
                "{wid} is already the writer (timeline {wt}); finishing: {}",
                found
            ),
            steps,
            commit: 0,
            undo_before: vec![],
            undo_after: vec![Step::Resume { hosts: both }],
            notes,
        });
    }

    if !w.standby() {
        return Err(format!(
            "{wid} answers but is neither a primary nor a standby. Found: {found}"
        ));
    }
    let received = w.server.as_ref().and_then(|st| st.lsn);

    if let Some(why) = &o.unreachable {
        if !ask.writer_lost {
            return Err(format!(
                "{oid}, the writer, cannot be reached ({why}): refusing to promote {wid} while {oid} may still accept writes; nothing was changed. Found: {found}. If {oid} is gone for good, confirm it: converge orchestrate failover --pillar '{{\"writer_lost\": true}}'"
            ));
        }
        notes.push(lost_note);
        notes.push(format!(
            "how much WAL {oid} had past what {wid} received ({}) cannot be read: {oid} is unreachable",
            received.map_or("nothing".into(), |l| l.to_string())
        ));
        // No PAUSE: it would wait for transactions stuck on the lost host.
        let mut steps = vec![only_writer(w, o)];
        let mut rest = takeover(w, o, true);
        for s in &mut rest {
            if let Step::Resume { hosts } = s {
                *s = Step::Release {
                    hosts: hosts.clone(),
                };
            }
        }
        steps.extend(rest);
        return Ok(Decision {
            case: Case::WriterLost,
            account: format!(
                "{oid} is lost (confirmed by writer_lost): promoting {wid} without touching {oid}. Found: {found}"
            ),
            commit: 0,
            undo_before: vec![],
            undo_after: vec![],
            steps,
            notes,
        });
    }

    if o.primary() {
        let pair = Pair {
            writer: wid,
            query: oid,
            writer_names: vec![wid.clone(), w.address.clone()],
            query_names: vec![oid.clone(), o.address.clone()],
            new: w.server.clone().expect("a standby"),
            old: o.server.clone().expect("a primary"),
        };
        let ready = ready_with(&pair, ask.max_lag_bytes, true).map_err(|f| f.comment)?;
        let mut steps = Vec::new();
        if !pair.new.streams_from(&refs(&pair.query_names)) {
            // Its upstream restarted a moment ago (a guard after an
            // interrupted run): it reconnects within seconds.
            steps.push(Step::Streams {
                standby: wid.clone(),
                upstream: oid.clone(),
                names: pair.query_names.clone(),
                timeline: pair.old.timeline,
            });
        }
        steps.extend(vec![
            Step::Pause {
                hosts: both.clone(),
                restart_on: Some(oid.clone()),
            },
            Step::Stop { host: oid.clone() },
            caught_up(w, o),
            commit(o),
        ]);
        let commit_at = steps.len() - 1;
        steps.extend(takeover(w, o, true));
        return Ok(Decision {
            case: Case::Switchover,
            account: ready.comment,
            steps,
            commit: commit_at,
            undo_before: vec![
                Step::Restart { host: oid.clone() },
                Step::Resume {
                    hosts: both.clone(),
                },
            ],
            undo_after: vec![
                Step::Restore {
                    old: oid.clone(),
                    new: wid.clone(),
                },
                Step::Resume { hosts: both },
            ],
            notes,
        });
    }

    let control = match &o.control {
        Some(c) if o.stopped() => c,
        _ => {
            return Err(format!(
                "neither {wid} nor {oid} is a primary, and {oid}'s PostgreSQL is not down either: refusing to promote beside it. Found: {found}{}",
                if o.problems.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", o.problems.join("; "))
                }
            ))
        }
    };
    if control.in_recovery() {
        return Err(format!(
            "neither {wid} nor {oid} was the writer ({oid} stopped as a standby, `{}`): no writer to fail over from. Found: {found}",
            control.state
        ));
    }
    if control.cleanly_shut_down() {
        // Stopped cleanly (an interrupted switchover): the new writer can
        // still get all of it, and the old writer may come back if not.
        let mut steps = vec![
            Step::Pause {
                hosts: both.clone(),
                restart_on: Some(oid.clone()),
            },
            caught_up(w, o),
            commit(o),
        ];
        steps.extend(takeover(w, o, true));
        return Ok(Decision {
            case: Case::WriterDown,
            account: format!(
                "{oid} is stopped cleanly (checkpoint {} on timeline {}): {wid} takes over once it holds all of it. Found: {found}",
                control.checkpoint, control.timeline
            ),
            steps,
            commit: 2,
            undo_before: vec![
                Step::Restart { host: oid.clone() },
                Step::Resume {
                    hosts: both.clone(),
                },
            ],
            undo_after: vec![
                Step::Restore {
                    old: oid.clone(),
                    new: wid.clone(),
                },
                Step::Resume { hosts: both },
            ],
            notes,
        });
    }
    // Crashed: fenced, never started again as a writer.
    let mut steps = vec![
        Step::Pause {
            hosts: both.clone(),
            restart_on: None,
        },
        Step::Fence {
            host: oid.clone(),
            received,
        },
        only_writer(w, o),
    ];
    steps.extend(takeover(w, o, true));
    Ok(Decision {
        case: Case::WriterDown,
        account: format!(
            "{oid}'s PostgreSQL is down (`{}`): it is fenced, and {wid} is promoted with the WAL it received ({}). Found: {found}",
            control.state,
            received.map_or("nothing".into(), |l| l.to_string())
        ),
        steps,
        commit: 0,
        undo_before: vec![],
        undo_after: vec![Step::Resume { hosts: both }],
        notes,
    })
}
