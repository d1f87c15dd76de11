//! What a run comes to, typed to the edge: a `Report` holds, per host, the
//! host's `StateResult`s or why it could not be reached. Salt's JSON shape
//! and text layout are written from these by the output code (`report`)
//! alone; nothing reads a result back out of JSON.

use serde_json::{Map, Value};

use crate::compile::StateId;

/// A state's changes: Salt's `changes` mapping.
pub type Changes = Map<String, Value>;

/// What one state came to: Salt's result record.
#[derive(Clone, Debug, PartialEq)]
pub struct StateResult {
    pub state: StateId,
    pub sls: String,
    /// `None`: would change (test runs only).
    pub result: Option<bool>,
    pub changes: Changes,
    pub comment: String,
    pub start_time: String,
    pub duration_ms: f64,
    pub run_num: usize,
    /// The hosts an orchestration step converged (`salt.state`), with
    /// their own results.
    pub nested: Option<Report>,
}

impl StateResult {
    /// Whether it changed something (or would, in a test run).
    pub fn changed(&self) -> bool {
        !self.changes.is_empty() || self.nested.as_ref().is_some_and(Report::changed)
    }

    pub fn failed(&self) -> bool {
        self.result == Some(false)
    }
}

/// What a state function or an orchestration step comes to, before the
/// executor stamps it with its identity and timing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub result: Option<bool>,
    pub changes: Changes,
    pub comment: String,
    pub nested: Option<Report>,
}

impl Outcome {
    pub fn new(result: Option<bool>, changes: Changes, comment: impl Into<String>) -> Outcome {
        Outcome {
            result,
            changes,
            comment: comment.into(),
            nested: None,
        }
    }

    pub fn ok(comment: impl Into<String>) -> Outcome {
        Outcome::new(Some(true), Changes::new(), comment)
    }

    pub fn failed(comment: impl Into<String>) -> Outcome {
        Outcome::new(Some(false), Changes::new(), comment)
    }
}

/// One host of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct HostReport {
    pub id: String,
    pub outcome: HostOutcome,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HostOutcome {
    /// Reached: its states, in run order.
    Reached(Vec<StateResult>),
    /// Not reached (or its run broke off): the roster address and why.
    Unreachable { address: String, why: String },
}

impl HostReport {
    pub fn failed(&self) -> bool {
        match &self.outcome {
            HostOutcome::Reached(states) => states.iter().any(StateResult::failed),
            HostOutcome::Unreachable { .. } => true,
        }
    }

    pub fn changed(&self) -> bool {
        match &self.outcome {
            HostOutcome::Reached(states) => states.iter().any(StateResult::changed),
            HostOutcome::Unreachable { .. } => false,
        }
    }

    pub fn states(&self) -> &[StateResult] {
        match &self.outcome {
            HostOutcome::Reached(states) => states,
            HostOutcome::Unreachable { .. } => &[],
        }
    }
}

/// Every host of a run, in roster order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub hosts: Vec<HostReport>,
}

impl Report {
    /// 0 when every state succeeded (or, in a test run, none would fail);
    /// 2 when a state or a host failed.
    pub fn exit_code(&self) -> i32 {
        if self.hosts.iter().any(HostReport::failed) {
            2
        } else {
            0
        }
    }

    pub fn changed(&self) -> bool {
        self.hosts.iter().any(HostReport::changed)
    }

    pub fn host(&self, id: &str) -> Option<&HostReport> {
        self.hosts.iter().find(|h| h.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(result: Option<bool>, changes: Changes) -> StateResult {
        StateResult {
            state: StateId {
                module: "test".into(),
                id: "x".into(),
                name: "x".into(),
                fun: "nop".into(),
            },
            sls: "t".into(),
            result,
            changes,
            comment: String::new(),
            start_time: String::new(),
            duration_ms: 0.0,
            run_num: 0,
            nested: None,
        }
    }

    fn host(id: &str, states: Vec<StateResult>) -> HostReport {
        HostReport {
            id: id.into(),
            outcome: HostOutcome::Reached(states),
        }
    }

    #[test]
    fn exit_code_is_two_when_a_state_or_a_host_failed() {
        let ok = Report {
            hosts: vec![host("a", vec![state(Some(true), Changes::new())])],
        };
        assert_eq!(ok.exit_code(), 0);
        let would = Report {
            hosts: vec![host("a", vec![state(None, Changes::new())])],
        };
        assert_eq!(would.exit_code(), 0);
        let failed = Report {
            hosts: vec![
                host("a", vec![state(Some(true), Changes::new())]),
                host("b", vec![state(Some(false), Changes::new())]),
            ],
        };
        assert_eq!(failed.exit_code(), 2);
        let unreachable = Report {
            hosts: vec![HostReport {
                id: "c".into(),
                outcome: HostOutcome::Unreachable {
                    address: "10.0.0.3".into(),
                    why: "refused".into(),
                },
            }],
        };
        assert_eq!(unreachable.exit_code(), 2);
    }

    #[test]
    fn a_step_changed_when_a_host_it_converged_changed() {
        let mut step = state(Some(true), Changes::new());
        assert!(!step.changed());
        let changes = Changes::from_iter([("diff".to_string(), Value::from("x"))]);
        step.nested = Some(Report {
            hosts: vec![host("a", vec![state(Some(true), changes)])],
        });
        assert!(step.changed());
    }
}
