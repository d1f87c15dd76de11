//! `test.*`: states that succeed or fail on demand, for trying out trees
//! and requisites.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::plan::{Changes, Failure, Plan, Step};

pub struct Nop;
pub struct SucceedWithout;
pub struct SucceedWith;
pub struct FailWithout;
pub struct FailWith;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
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
impl Function for Nop {
    type Args = Args;
    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        Ok(Plan::noop(
            args.comment.clone().unwrap_or_else(|| "Success!".into()),
        ))
    }
}

#[async_trait]
impl Function for SucceedWithout {
    type Args = Args;
    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        Ok(Plan::noop(
            args.comment.clone().unwrap_or_else(|| "Success!".into()),
        ))
    }
}

#[async_trait]
impl Function for SucceedWith {
    type Args = Args;
    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let done = args.comment.clone().unwrap_or_else(|| "Success!".into());
        Ok(Plan::change(
            pretend(),
            "If we weren't testing, this would be successful with changes",
            done,
            vec![],
        ))
    }
}

#[async_trait]
impl Function for FailWithout {
    type Args = Args;
    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let done = args.comment.clone().unwrap_or_else(|| "Failure!".into());
        Ok(Plan::change(
            Changes::new(),
            "If we weren't testing, this would be a failure!",
            done.clone(),
            vec![Step::Fail(done)],
        ))
    }
}

#[async_trait]
impl Function for FailWith {
    type Args = Args;
    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let done = args.comment.clone().unwrap_or_else(|| "Failure!".into());
        Ok(Plan::change(
            pretend(),
            "If we weren't testing, this would be failed with changes",
            done.clone(),
            vec![Step::Fail(done)],
        ))
    }
}
