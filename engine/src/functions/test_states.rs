//! `test.*`: states that succeed or fail on demand, for trying out trees
//! and requisites.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, Plan};

/// A state that succeeds or fails, with or without pretended changes, as
/// Salt's `test.succeed_with_changes` and kin do.
pub(super) struct Pretend {
    pub succeed: bool,
    pub changes: bool,
}

/// `test.nop` and `test.succeed_without_changes`.
pub(super) const NOP: Pretend = Pretend {
    succeed: true,
    changes: false,
};
pub(super) const SUCCEED_WITH: Pretend = Pretend {
    succeed: true,
    changes: true,
};
pub(super) const FAIL_WITHOUT: Pretend = Pretend {
    succeed: false,
    changes: false,
};
pub(super) const FAIL_WITH: Pretend = Pretend {
    succeed: false,
    changes: true,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    #[allow(dead_code)]
    pub name: String,
    #[serde(default)]
    pub comment: Option<String>,
}

fn pretend() -> Changes {
    Changes::from_iter([(
        "testing".to_string(),
        json!({"old": "Unchanged", "new": "Something pretended to change"}),
    )])
}

#[async_trait]
impl Function for Pretend {
    type Args = Args;

    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let done = args
            .comment
            .clone()
            .unwrap_or_else(|| if self.succeed { "Success!" } else { "Failure!" }.into());
        let comment = match (self.succeed, self.changes) {
            (true, false) => return Ok(Plan::noop(done)),
            (true, true) => "If we weren't testing, this would be successful with changes",
            (false, false) => "If we weren't testing, this would be a failure!",
            (false, true) => "If we weren't testing, this would be failed with changes",
        };
        let changes = if self.changes {
            pretend()
        } else {
            Changes::new()
        };
        let steps = if self.succeed {
            vec![]
        } else {
            vec![Action::Fail(done.clone())]
        };
        Ok(Plan::change(changes, comment, done, steps))
    }
}
