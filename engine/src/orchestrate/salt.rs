//! The orchestration steps Salt has: `salt.state` converges target hosts
//! (their reports nested in the step's), `salt.function` calls an
//! execution function on them. Both are delegates: handed the run's test
//! flag, they converge (or skip) by themselves.

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::cluster::Cluster;
use super::modules;
use super::target::{comma_list, Target};
use crate::functions::{Ctx, Delegate};
use crate::job::Mode;
use crate::result::{Changes, HostReport, Outcome, Report};

fn glob() -> String {
    "glob".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateArgs {
    #[allow(dead_code)]
    name: String,
    tgt: Value,
    #[serde(default = "glob")]
    tgt_type: String,
    #[serde(default)]
    highstate: bool,
    #[serde(default)]
    sls: Option<Value>,
    #[serde(default)]
    test: bool,
    #[serde(default)]
    pillar: Option<Map<String, Value>>,
    #[serde(default)]
    fail_minions: Option<Value>,
    #[serde(default)]
    allow_fail: usize,
    #[serde(default)]
    expect_minions: Option<bool>,
    /// Accepted as Salt accepts them; converge always reaches hosts over its own ssh.
    #[allow(dead_code)]
    #[serde(default)]
    ssh: Option<IgnoredAny>,
    #[allow(dead_code)]
    #[serde(default)]
    concurrent: Option<IgnoredAny>,
    #[allow(dead_code)]
    #[serde(default)]
    saltenv: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FunctionArgs {
    name: String,
    tgt: Value,
    #[serde(default = "glob")]
    tgt_type: String,
    #[serde(default)]
    arg: Vec<Value>,
    #[serde(default)]
    kwarg: Map<String, Value>,
    #[serde(default)]
    fail_minions: Option<Value>,
    #[allow(dead_code)]
    #[serde(default)]
    ssh: Option<IgnoredAny>,
    #[allow(dead_code)]
    #[serde(default)]
    timeout: Option<IgnoredAny>,
    #[allow(dead_code)]
    #[serde(default)]
    expect_minions: Option<IgnoredAny>,
}

pub(super) struct State(pub Arc<Cluster>);
pub(super) struct Function(pub Arc<Cluster>);

/// Names given as a comma-separated string or as a list (its strings).
fn names(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(comma_list(s)),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

fn minions(v: &Option<Value>) -> Vec<String> {
    v.as_ref().and_then(names).unwrap_or_default()
}

fn failed(comment: impl Into<String>) -> Outcome {
    Outcome::failed(comment)
}

fn target(tgt: &Value, tgt_type: &str) -> Result<Target, Outcome> {
    Target::new(tgt, tgt_type).map_err(failed)
}

/// What converging hosts came to, as Salt's `salt.state` reports it: the
/// hosts that changed or failed nested, the others named in the comment.
pub(super) fn states_outcome(
    report: Report,
    test: bool,
    allowed: &[String],
    allow_fail: usize,
    expect_minions: Option<bool>,
) -> Outcome {
    if report.hosts.is_empty() {
        let result = Some(expect_minions == Some(false));
        return Outcome::new(result, Changes::new(), "No minions responded");
    }
    let mut shown: Vec<HostReport> = Vec::new();
    let (mut fail, mut updating, mut unchanged) = (Vec::new(), Vec::new(), Vec::new());
    for host in report.hosts {
        if host.failed() {
            if !allowed.contains(&host.id) {
                fail.push(host.id.clone());
            }
            shown.push(host);
        } else if host.changed() {
            updating.push(host.id.clone());
            shown.push(host);
        } else {
            unchanged.push(host.id);
        }
    }
    let (changes, nested) = if shown.is_empty() {
        (Changes::new(), None)
    } else {
        (
            Changes::from_iter([("out".to_string(), json!("highstate"))]),
            Some(Report { hosts: shown }),
        )
    };
    let with = |result: Option<bool>, comment: String| Outcome {
        result,
        changes: changes.clone(),
        comment,
        nested: nested.clone(),
    };
    if fail.len() > allow_fail {
        return with(
            Some(false),
            format!("Run failed on minions: {}", fail.join(", ")),
        );
    }
    let mut comment = "States ran successfully.".to_string();
    if !updating.is_empty() {
        comment.push_str(&format!(" Updating {}.", updating.join(", ")));
    }
    if !unchanged.is_empty() {
        comment.push_str(&format!(" No changes made to {}.", unchanged.join(", ")));
    }
    let result = if test && nested.is_some() {
        None
    } else {
        Some(true)
    };
    with(result, comment)
}

#[async_trait]
impl Delegate for State {
    type Args = StateArgs;

    async fn delegate(&self, args: &StateArgs, _ctx: &Ctx<'_>, test: bool) -> Outcome {
        let target = match target(&args.tgt, &args.tgt_type) {
            Ok(t) => t,
            Err(outcome) => return outcome,
        };
        let mode = match (&args.sls, args.highstate) {
            (Some(sls), _) => match names(sls) {
                Some(names) => Mode::Sls(names),
                None => return failed(format!("sls must be a name or a list, not {sls}")),
            },
            (None, true) => Mode::Highstate,
            (None, false) => return failed("No highstate or sls specified, no execution made"),
        };
        let test = test || args.test;
        let report = match self
            .0
            .state(&target, mode, test, args.pillar.clone().map(Value::Object))
            .await
        {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let allowed = minions(&args.fail_minions);
        states_outcome(report, test, &allowed, args.allow_fail, args.expect_minions)
    }
}

#[async_trait]
impl Delegate for Function {
    type Args = FunctionArgs;

    async fn delegate(&self, args: &FunctionArgs, _ctx: &Ctx<'_>, test: bool) -> Outcome {
        let target = match target(&args.tgt, &args.tgt_type) {
            Ok(t) => t,
            Err(outcome) => return outcome,
        };
        let fun = &args.name;
        let Some(exec) = modules::lookup(fun) else {
            return failed(format!("Function {fun} is not available"));
        };
        if test && !exec.read_only() {
            return Outcome::new(
                None,
                Changes::new(),
                format!(
                    "Function {fun} would be executed on target {}",
                    target.describe()
                ),
            );
        }
        let rets = match self.0.function(&target, fun, &args.arg, &args.kwarg).await {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        if rets.is_empty() {
            return failed("No minions responded");
        }
        let allowed = minions(&args.fail_minions);
        let fail: Vec<&str> = rets
            .iter()
            .filter(|(h, _, ok)| !ok && !allowed.contains(h))
            .map(|(h, _, _)| h.as_str())
            .collect();
        let ran: Vec<&str> = rets.iter().map(|(h, _, _)| h.as_str()).collect();
        let ret: Map<String, Value> = rets
            .iter()
            .map(|(h, v, _)| (h.clone(), v.clone()))
            .collect();
        let changes = Changes::from_iter([("ret".to_string(), Value::Object(ret))]);
        let head = if fail.is_empty() {
            "Function ran successfully.".to_string()
        } else {
            format!(
                "Running function {fun} failed on minions: {}",
                fail.join(", ")
            )
        };
        let comment = format!("{head} Function {fun} ran on {}.", ran.join(", "));
        Outcome::new(Some(fail.is_empty()), changes, comment)
    }
}
