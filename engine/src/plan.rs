//! What a state function returns: the changes it would make and the steps
//! that make them. The executor applies the steps unless the run is a
//! test; a function never knows which.

use std::fmt;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::transport::{Exec, Transport, WriteFile};

pub type Changes = Map<String, Value>;

pub struct Plan {
    /// What would change; shown as the result's changes in a test run.
    pub changes: Changes,
    /// The comment of a test run, or of a state with nothing to do.
    pub comment: String,
    /// The comment once the steps have run.
    pub done: String,
    pub steps: Vec<Step>,
    /// The changes to report once applied, when they differ from what a
    /// test run shows (Salt: `newfile` in a test, `diff: New file` after).
    pub applied: Option<Changes>,
}

/// Why a state cannot be planned or applied: result false, with this comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub comment: String,
    pub changes: Changes,
}

pub enum Step {
    /// Put a file in place atomically.
    Write(WriteFile),
    /// Run a command; a non-zero exit fails the state with `fail` (or, when
    /// `None`, with the plan's `done` comment). With `capture`, the command's
    /// pid, retcode, stdout and stderr become the state's changes, as
    /// Salt's `cmd.run` reports them.
    Run {
        exec: Exec,
        capture: bool,
        fail: Option<String>,
    },
    /// Anything a plain command cannot express (polling, a check after an
    /// action). Returns changes to merge.
    Custom(Box<dyn CustomStep>),
    /// Fail with this comment: a plan known to fail when applied. A test
    /// run of such a plan with no changes is a failure too (`test.fail_*`).
    Fail(String),
}

#[async_trait]
pub trait CustomStep: Send + Sync {
    /// What this step does, for logs.
    fn describe(&self) -> String;
    async fn apply(&self, host: &dyn Transport) -> Result<Changes, Failure>;
}

type StepFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Changes, Failure>> + Send>>;

/// A custom step made of one future: the usual way to act on hosts other
/// than the one running the state (an orchestration step's targets).
struct Once {
    describe: String,
    future: std::sync::Mutex<Option<StepFuture>>,
}

#[async_trait]
impl CustomStep for Once {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    async fn apply(&self, _host: &dyn Transport) -> Result<Changes, Failure> {
        let future = self.future.lock().unwrap_or_else(|e| e.into_inner()).take();
        match future {
            Some(f) => f.await,
            None => Err(Failure::new(format!("{} ran twice", self.describe))),
        }
    }
}

impl Step {
    /// Run `exec`; a non-zero exit fails the state with `fail`.
    pub fn command(exec: Exec, fail: impl Into<String>) -> Step {
        Step::Run {
            exec,
            capture: false,
            fail: Some(fail.into()),
        }
    }

    /// A step that awaits `future` when the plan is applied (never in a test run).
    pub fn future(
        describe: impl Into<String>,
        future: impl std::future::Future<Output = Result<Changes, Failure>> + Send + 'static,
    ) -> Step {
        Step::Custom(Box::new(Once {
            describe: describe.into(),
            future: std::sync::Mutex::new(Some(Box::pin(future))),
        }))
    }
}

impl Plan {
    /// Nothing to do; `comment` says why.
    pub fn noop(comment: impl Into<String>) -> Plan {
        Plan {
            changes: Changes::new(),
            comment: comment.into(),
            done: String::new(),
            steps: Vec::new(),
            applied: None,
        }
    }

    /// A change: `comment` for a test run, `done` once applied.
    pub fn change(
        changes: Changes,
        comment: impl Into<String>,
        done: impl Into<String>,
        steps: Vec<Step>,
    ) -> Plan {
        Plan {
            changes,
            comment: comment.into(),
            done: done.into(),
            steps,
            applied: None,
        }
    }

    pub fn is_noop(&self) -> bool {
        self.steps.is_empty() && self.changes.is_empty()
    }
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

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Write(w) => write!(f, "Write({})", w.path),
            Step::Run { exec, .. } => write!(f, "Run({})", exec.cmd),
            Step::Custom(c) => write!(f, "Custom({})", c.describe()),
            Step::Fail(c) => write!(f, "Fail({c})"),
        }
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("changes", &self.changes)
            .field("comment", &self.comment)
            .field("done", &self.done)
            .field("steps", &self.steps)
            .finish()
    }
}
