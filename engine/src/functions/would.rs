//! Plans that Salt's test run answers "would change" (`result: None`)
//! while showing no changes (`changes: {}`): a user to add, a key to
//! write, a module function to call. Their changes show once applied
//! (`Plan::applied`).
//!
//! Such a plan is `pending`: the executor's test run says `None` for it.

use crate::plan::{Action, Changes, Plan};

/// A change whose test run shows no changes, as Salt's.
pub(super) fn change(
    comment: impl Into<String>,
    done: impl Into<String>,
    actions: Vec<Action>,
) -> Plan {
    Plan::change(Changes::new(), comment, done, actions).pending()
}
