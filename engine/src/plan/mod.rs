//! What a state function returns: the changes it would make and the
//! actions that make them, as data. The executor (`run`) applies the
//! actions unless the run is a test, in which case it only reports the
//! changes and the actions' descriptions. A function never knows which.
//!
//! Actions are few and closed: write a file, run a command, run SQL, talk
//! to a PgBouncer admin console, wait until a check holds, several of those
//! at once on different hosts, or fail. Each names the host it acts on
//! (`On::Here`, the host whose state it is, or another host of an
//! orchestration by roster id), so a plan is plain data that a test can
//! compare: "given these facts, this plan".

mod check;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use crate::result::Changes;
pub(crate) use check::{Check, Verdict};

use crate::postgres::{Bouncer, Layout};
use crate::transport::{Exec, WriteFile};

/// The host an action acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum On {
    /// The host whose state planned it.
    Here,
    /// Another host, by roster id (orchestration steps).
    Host(String),
}

impl On {
    pub fn host(id: &str) -> On {
        On::Host(id.to_string())
    }

    /// Whether this is the host `id` whose state is running.
    pub fn is_here(&self, id: &str) -> bool {
        match self {
            On::Here => true,
            On::Host(h) => h == id,
        }
    }
}

impl fmt::Display for On {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            On::Here => f.write_str("here"),
            On::Host(id) => f.write_str(id),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Action {
    /// Put a file in place atomically.
    Write { on: On, file: WriteFile },
    /// Run a command; a non-zero exit fails the state with `fail` (or,
    /// when `None`, with the plan's `done` comment). With `capture`, the
    /// command's pid, retcode, stdout and stderr become the state's
    /// changes, as Salt's `cmd.run` reports them.
    Run {
        on: On,
        exec: Exec,
        capture: bool,
        fail: Option<String>,
        /// What it does, in words, for reports (else its command line).
        what: Option<String>,
    },
    /// SQL on a cluster, as its OS user over the local socket; an error
    /// fails the state with `fail` and the server's message.
    Sql {
        on: On,
        cluster: Layout,
        sql: String,
        fail: String,
    },
    /// A command to a PgBouncer's admin console, in a session of its own,
    /// killed past `timeout` seconds. An error that contains `tolerate`
    /// means the console is already where the command would take it.
    Console {
        on: On,
        bouncer: Bouncer,
        command: String,
        timeout: u64,
        tolerate: Option<String>,
        fail: String,
    },
    /// Probe until `check` holds, for at most `timeout` (zero: once). What
    /// the check saw when it held joins the state's changes; past the
    /// timeout the state fails with `fail` and what the check saw last.
    Await {
        on: On,
        check: Arc<dyn Check>,
        timeout: Duration,
        fail: String,
        /// Run when the wait fails; its output is quoted in the failure
        /// (the server's own log lines, say).
        explain: Option<Exec>,
    },
    /// These at once (each on its own host); all must succeed.
    Together(Vec<Action>),
    /// Fail with this comment: a plan known to fail when applied. A test
    /// run of such a plan with no changes is a failure too (`test.fail_*`).
    Fail(String),
}

impl Action {
    pub fn run(exec: Exec, fail: impl Into<String>) -> Action {
        Action::Run {
            on: On::Here,
            exec,
            capture: false,
            fail: Some(fail.into()),
            what: None,
        }
    }

    pub fn write(file: WriteFile) -> Action {
        Action::Write { on: On::Here, file }
    }

    /// Wait for `check` on this host.
    pub fn wait(check: impl Check + 'static, timeout: Duration, fail: impl Into<String>) -> Action {
        Action::Await {
            on: On::Here,
            check: Arc::new(check),
            timeout,
            fail: fail.into(),
            explain: None,
        }
    }

    /// This wait, quoting what `explain` prints when it fails.
    pub fn explained(self, by: Exec) -> Action {
        match self {
            Action::Await {
                on,
                check,
                timeout,
                fail,
                ..
            } => Action::Await {
                on,
                check,
                timeout,
                fail,
                explain: Some(by),
            },
            other => other,
        }
    }

    /// Check once: `check` must hold now.
    pub fn verify(check: impl Check + 'static, fail: impl Into<String>) -> Action {
        Action::wait(check, Duration::ZERO, fail)
    }

    /// The same action, described in these words in reports.
    pub fn said(self, words: impl Into<String>) -> Action {
        match self {
            Action::Run {
                on,
                exec,
                capture,
                fail,
                ..
            } => Action::Run {
                on,
                exec,
                capture,
                fail,
                what: Some(words.into()),
            },
            other => other,
        }
    }

    /// The same action on host `id` instead of here.
    pub fn at(self, id: &str) -> Action {
        let here = |on: On| match on {
            On::Here => On::host(id),
            other => other,
        };
        match self {
            Action::Write { on, file } => Action::Write { on: here(on), file },
            Action::Run {
                on,
                exec,
                capture,
                fail,
                what,
            } => Action::Run {
                on: here(on),
                exec,
                capture,
                fail,
                what,
            },
            Action::Sql {
                on,
                cluster,
                sql,
                fail,
            } => Action::Sql {
                on: here(on),
                cluster,
                sql,
                fail,
            },
            Action::Console {
                on,
                bouncer,
                command,
                timeout,
                tolerate,
                fail,
            } => Action::Console {
                on: here(on),
                bouncer,
                command,
                timeout,
                tolerate,
                fail,
            },
            Action::Await {
                on,
                check,
                timeout,
                fail,
                explain,
            } => Action::Await {
                on: here(on),
                check,
                timeout,
                fail,
                explain,
            },
            Action::Together(all) => Action::Together(all.into_iter().map(|a| a.at(id)).collect()),
            Action::Fail(c) => Action::Fail(c),
        }
    }

    /// One line saying what it does: what a test run reports, and what
    /// the progress log shows.
    pub fn describe(&self) -> String {
        let at = |on: &On| match on {
            On::Here => String::new(),
            On::Host(id) => format!("{id}: "),
        };
        match self {
            Action::Write { on, file } => format!("{}write {}", at(on), file.path),
            Action::Run {
                on, what: Some(w), ..
            } => format!("{}{w}", at(on)),
            Action::Run { on, exec, .. } => {
                // A long script in one line: its first line is enough.
                let first = exec.cmd.lines().next().unwrap_or_default();
                let more = if first.len() < exec.cmd.len() {
                    " …"
                } else {
                    ""
                };
                format!("{}run `{first}`{more}", at(on))
            }
            Action::Sql { on, sql, .. } => format!("{}SQL `{sql}`", at(on)),
            Action::Console { on, command, .. } => format!("{}PgBouncer {command}", at(on)),
            Action::Await {
                on, check, timeout, ..
            } if timeout.is_zero() => format!("{}check that {}", at(on), check.describe()),
            Action::Await {
                on, check, timeout, ..
            } => format!(
                "{}wait until {} (at most {} s)",
                at(on),
                check.describe(),
                timeout.as_secs_f64()
            ),
            Action::Together(all) if all.len() == 1 => all[0].describe(),
            Action::Together(all) => {
                let each: Vec<String> = all.iter().map(Action::describe).collect();
                format!("at once: {}", each.join("; "))
            }
            Action::Fail(c) => format!("fail: {c}"),
        }
    }

    /// The hosts it acts on, `Here` included.
    pub fn hosts(&self) -> Vec<&On> {
        match self {
            Action::Write { on, .. }
            | Action::Run { on, .. }
            | Action::Sql { on, .. }
            | Action::Console { on, .. }
            | Action::Await { on, .. } => vec![on],
            Action::Together(all) => all.iter().flat_map(Action::hosts).collect(),
            Action::Fail(_) => vec![],
        }
    }
}

pub struct Plan {
    /// What would change; shown as the result's changes in a test run.
    pub changes: Changes,
    /// The comment of a test run, or of a state with nothing to do.
    pub comment: String,
    /// The comment once the actions have run.
    pub done: String,
    pub actions: Vec<Action>,
    /// The changes to report once applied, when they differ from what a
    /// test run shows (Salt: `newfile` in a test, `diff: New file` after).
    pub applied: Option<Changes>,
    /// Run when an action fails, before the state reports the failure:
    /// what puts back what the failed plan had started (a PAUSE that did
    /// not complete is followed by a RESUME everywhere).
    pub undo: Vec<Action>,
    /// What the failure's comment adds once `undo` has run.
    pub undone: String,
    /// A test run says it would change even with no changes to show (Salt
    /// answers `None` with `changes: {}` for a user to add, a module
    /// function to call...).
    pub pending: bool,
}

impl Plan {
    /// Nothing to do; `comment` says why.
    pub fn noop(comment: impl Into<String>) -> Plan {
        Plan::change(Changes::new(), comment, String::new(), Vec::new())
    }

    /// A change: `comment` for a test run, `done` once applied.
    pub fn change(
        changes: Changes,
        comment: impl Into<String>,
        done: impl Into<String>,
        actions: Vec<Action>,
    ) -> Plan {
        Plan {
            changes,
            comment: comment.into(),
            done: done.into(),
            actions,
            applied: None,
            undo: Vec::new(),
            undone: String::new(),
            pending: false,
        }
    }

    /// With these changes reported once applied.
    pub fn applied(mut self, changes: Changes) -> Plan {
        self.applied = Some(changes);
        self
    }

    /// A test run of it says "would change" (`None`) without changes.
    pub fn pending(mut self) -> Plan {
        self.pending = true;
        self
    }

    /// With `undo` run when an action fails; `undone` says so in the
    /// failure's comment.
    pub fn undo(mut self, undo: Vec<Action>, undone: impl Into<String>) -> Plan {
        self.undo = undo;
        self.undone = undone.into();
        self
    }

    pub fn is_noop(&self) -> bool {
        self.actions.is_empty() && self.changes.is_empty()
    }

    /// Every action, one line each.
    pub fn describe(&self) -> Vec<String> {
        self.actions.iter().map(Action::describe).collect()
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("changes", &self.changes)
            .field("comment", &self.comment)
            .field("done", &self.done)
            .field("actions", &self.describe())
            .finish()
    }
}

/// Why a state cannot be planned or applied: result false, with this comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub comment: String,
    pub changes: Changes,
}

impl Failure {
    pub fn new(comment: impl Into<String>) -> Failure {
        Failure {
            comment: comment.into(),
            changes: Changes::new(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.comment)
    }
}

impl From<crate::transport::TransportError> for Failure {
    fn from(e: crate::transport::TransportError) -> Failure {
        Failure::new(e.to_string())
    }
}

impl From<Failure> for crate::result::Outcome {
    fn from(f: Failure) -> crate::result::Outcome {
        crate::result::Outcome::new(Some(false), f.changes, f.comment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_moves_to_another_host_and_says_so() {
        let a = Action::Together(vec![
            Action::run(Exec::new("true"), "no"),
            Action::Run {
                on: On::host("b"),
                exec: Exec::new("false"),
                capture: false,
                fail: None,
                what: None,
            },
        ])
        .at("a");
        assert_eq!(a.describe(), "at once: a: run `true`; b: run `false`");
        assert_eq!(a.hosts(), [&On::host("a"), &On::host("b")]);
    }
}
