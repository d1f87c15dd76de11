//! Checks that a plan runs before acting, for what Salt's test mode
//! assumes and its real run then finds missing: a user that an earlier
//! state of the same run would create. A test run reports what would be
//! done (as Salt does); once applied, the check fails the state with
//! Salt's own words when the user is still not there.

use crate::plan::{Changes, Check, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

/// The user exists.
#[derive(Debug)]
pub(super) struct UserExists {
    pub user: String,
    /// What the state says when it does not (Salt's words).
    pub fail: String,
}

impl Check for UserExists {
    fn describe(&self) -> String {
        format!("user {} exists", self.user)
    }

    fn probe(&self) -> Exec {
        Exec::new(format!("getent passwd -- {}", quote(&self.user)))
    }

    fn judge(&self, out: &Output) -> Verdict {
        if out.success() && !out.stdout.trim().is_empty() {
            Verdict::Met(Changes::new())
        } else {
            Verdict::Pending(self.fail.clone())
        }
    }
}
