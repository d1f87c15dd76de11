//! Plans that Salt's test run answers "would change" (`result: None`)
//! while showing no changes (`changes: {}`): a user to add, a key to
//! write, a module function to call. Their changes show once applied
//! (`Plan::applied`).
//!
//! The executor's test run says `None` only for a plan with changes to
//! show (`run::test_outcome`), so until a plan can say it would change
//! without showing changes, a test run reports these as `true`. The one
//! place to make them say so is here (see the branch's report: a
//! `pending` flag on `Plan`, read by `test_outcome`).

use crate::plan::{Action, Changes, Plan};

/// A change whose test run shows no changes, as Salt's.
pub fn change(comment: impl Into<String>, done: impl Into<String>, actions: Vec<Action>) -> Plan {
    Plan::change(Changes::new(), comment, done, actions)
}
