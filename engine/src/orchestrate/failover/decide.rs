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
use crate::orchestrate::steps::postgres::{ready, Pair};
use crate::postgres::Lsn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
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
    pub fn describe(self) -> &'static str {
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
pub enum Step {
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
    /// The new writer holds all of the old writer's WAL.
    CaughtUp { standby: String, primary: String },
    /// Take the old writer's restart from its guard (past this point,
    /// nobody starts it as a writer again).
    Commit { host: String },
    /// The old writer does not accept writes, seen from each of `from`
    /// (host ids; the controller is `None`).
    OnlyWriter {
        old: String,
        address: String,
        from: Vec<Option<String>>,
        ssh: bool,
    },
    /// Converge `host` with this pillar added (`salt.state`).
    Converge {
        id: &'static str,
        host: String,
        mode: Mode,
        pillar: Value,
    },
    /// RESUME these PgBouncers and stand their guards down.
    Resume { hosts: Vec<String> },
    /// Start the old writer again (undoing a stop nobody followed).
    Restart { host: String },
    /// After the commit, when a later step failed: if `new` was not
    /// promoted after all, withdraw its promotion and start `old` again,
    /// so that the cluster is not left without a writer.
    Restore { old: String, new: String },
}

impl Step {
    /// The step's ID in the report.
    pub fn id(&self) -> &'static str {
        match self {
            Step::Pause { .. } => "pause_pgbouncer",
            Step::Stop { .. } => "stop_old_writer",
            Step::Fence { .. } => "fence_old_writer",
            Step::CaughtUp { .. } => "new_writer_has_all_wal",
            Step::Commit { .. } => "commit",
            Step::OnlyWriter { .. } => "no_other_writer",
            Step::Converge { id, .. } => id,
            Step::Resume { .. } => "resume_pgbouncer",
            Step::Restart { .. } => "restart_old_writer",
            Step::Restore { .. } => "writer_or_old_writer",
        }
    }

    /// The function it stands for, as the report names it.
    pub fn function(&self) -> (&'static str, &'static str) {
        match self {
            Step::Pause { .. } => ("pgbouncer", "paused"),
            Step::Stop { .. } => ("postgres", "stopped"),
            Step::Fence { .. } => ("postgres", "fenced"),
            Step::CaughtUp { .. } => ("postgres", "caught_up"),
            Step::Commit { .. } => ("pgbouncer", "committed"),
            Step::OnlyWriter { .. } => ("postgres", "only_writer"),
            Step::Converge { .. } => ("salt", "state"),
            Step::Resume { .. } => ("pgbouncer", "resumed"),
            Step::Restart { .. } => ("postgres", "running"),
            Step::Restore { .. } => ("postgres", "restored"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
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
pub struct Ask {
    pub writer: String,
    pub query: String,
    pub writer_lost: bool,
    pub max_lag_bytes: u64,
}

fn reachable(nodes: &[&Node]) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| n.reachable())
        .map(|n| n.id.clone())
        .collect()
}

fn converge(id: &'static str, host: &str, mode: Mode, key: &str) -> Step {
    Step::Converge {
        id,
        host: host.to_string(),
        mode,
        pillar: json!({"failover": {key: host}}),
    }
}

fn promote(w: &str) -> Step {
    converge("promote_new_writer", w, Mode::Highstate, "promoting")
}

fn repoint(o: &str) -> Step {
    converge(
        "repoint_pgbouncer",
        o,
        Mode::Sls(vec!["pgbouncer".into()]),
        "repointing",
    )
}

fn rejoin(o: &str) -> Step {
    converge("old_writer_to_standby", o, Mode::Highstate, "demoting")
}

fn only_writer(w: &Node, o: &Node) -> Step {
    Step::OnlyWriter {
        old: o.id.clone(),
        address: o.address.clone(),
        from: vec![None, Some(w.id.clone())],
        ssh: o.reachable(),
    }
}

/// The decision, or the refusal in words (nothing is changed then).
pub fn decide(s: &Survey, ask: &Ask) -> Result<Decision, String> {
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
        if follows && paused.is_empty() {
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
            // A stale writer back from a partition: hold its clients first.
            steps.push(Step::Pause {
                hosts: vec![oid.clone()],
                restart_on: None,
            });
        }
        steps.push(promote(wid));
        if o.reachable() {
            steps.push(repoint(oid));
        }
        steps.push(Step::Resume {
            hosts: both.clone(),
        });
        if o.reachable() {
            steps.push(rejoin(oid));
        } else {
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
        let steps = vec![
            Step::Pause {
                hosts: vec![wid.clone()],
                restart_on: None,
            },
            only_writer(w, o),
            promote(wid),
            Step::Resume {
                hosts: vec![wid.clone()],
            },
        ];
        return Ok(Decision {
            case: Case::WriterLost,
            account: format!(
                "{oid} is lost (confirmed by writer_lost): promoting {wid} without touching {oid}. Found: {found}"
            ),
            commit: 1,
            undo_before: vec![Step::Resume {
                hosts: vec![wid.clone()],
            }],
            undo_after: vec![Step::Resume {
                hosts: vec![wid.clone()],
            }],
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
        let ready = ready(&pair, ask.max_lag_bytes).map_err(|f| f.comment)?;
        let steps = vec![
            Step::Pause {
                hosts: both.clone(),
                restart_on: Some(oid.clone()),
            },
            Step::Stop { host: oid.clone() },
            Step::CaughtUp {
                standby: wid.clone(),
                primary: oid.clone(),
            },
            Step::Commit { host: oid.clone() },
            only_writer(w, o),
            promote(wid),
            repoint(oid),
            Step::Resume {
                hosts: both.clone(),
            },
            rejoin(oid),
        ];
        return Ok(Decision {
            case: Case::Switchover,
            account: ready.comment,
            steps,
            commit: 3,
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
        let steps = vec![
            Step::Pause {
                hosts: both.clone(),
                restart_on: Some(oid.clone()),
            },
            Step::CaughtUp {
                standby: wid.clone(),
                primary: oid.clone(),
            },
            Step::Commit { host: oid.clone() },
            only_writer(w, o),
            promote(wid),
            repoint(oid),
            Step::Resume {
                hosts: both.clone(),
            },
            rejoin(oid),
        ];
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
    let steps = vec![
        Step::Pause {
            hosts: both.clone(),
            restart_on: None,
        },
        Step::Fence {
            host: oid.clone(),
            received,
        },
        only_writer(w, o),
        promote(wid),
        repoint(oid),
        Step::Resume {
            hosts: both.clone(),
        },
        rejoin(oid),
    ];
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
