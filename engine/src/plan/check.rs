//! A condition to wait for, as data: a probe (one command) and a pure
//! judgement of its output. The executor runs the probe until the
//! judgement says the condition holds, or until its deadline; a test run
//! only describes it. Judgements are tested on recorded output.

use std::fmt::Debug;

use crate::result::Changes;
use crate::transport::{Exec, Output};

/// What a check made of a probe's output.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// It holds; these join the state's changes (often empty).
    Met(Changes),
    /// Not yet: what was seen instead, for the failure past the deadline.
    Pending(String),
}

pub trait Check: Send + Sync + Debug {
    /// `pgdb1 streams from pgdb2 on timeline 3`: what holds once met.
    fn describe(&self) -> String;
    /// The command whose output is judged (run on the action's host).
    fn probe(&self) -> Exec;
    /// Pure: the verdict on one run of the probe.
    fn judge(&self, out: &Output) -> Verdict;
    /// How long to wait between probes, in milliseconds.
    fn interval_ms(&self) -> u64 {
        20
    }
}
