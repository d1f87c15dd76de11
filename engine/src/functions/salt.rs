//! The orchestration steps: `salt.state` converges target hosts,
//! `salt.function` calls an execution function on them. Both run on the
//! controller and reach the hosts through the orchestrator (the engine and
//! its one connection per host).

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{Ctx, Delegate, Outcome};
use crate::job::Mode;
use crate::plan::Changes;
use crate::transport::Transport;

/// What orchestration steps may ask of the engine.
#[async_trait]
pub trait Orchestrator: Send + Sync {
    /// Converge the hosts `tgt` names; their returns (host → tag → record).
    /// `Err` when the input is wrong (a render or compile error).
    async fn state(
        &self,
        tgt: &Target,
        mode: Mode,
        test: bool,
        pillar: Option<Value>,
    ) -> Result<Map<String, Value>, String>;

    /// Call execution function `fun` on the hosts `tgt` names: per host, its
    /// return and whether it succeeded.
    async fn function(
        &self,
        tgt: &Target,
        fun: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Vec<(String, Value, bool)>, String>;

    /// The connections to the hosts `tgt` names, in roster order. `Err`
    /// when none matches or one cannot be reached (naming it).
    async fn connect(&self, tgt: &Target) -> Result<Vec<(String, Arc<dyn Transport>)>, String>;

    /// The roster address of host `id`.
    fn address(&self, id: &str) -> Option<String>;
}

/// A target expression: a glob (Salt's default) or a list of ids.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Glob(String),
    List(Vec<String>),
}

impl Target {
    pub fn new(tgt: &Value, tgt_type: &str) -> Result<Target, String> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match (tgt_type, tgt) {
            ("glob", Value::String(s)) => Ok(Target::Glob(s.clone())),
            ("list", Value::Array(items)) => Ok(Target::List(items.iter().map(text).collect())),
            ("list", Value::String(s)) => Ok(Target::List(comma_list(s))),
            ("glob", other) => Err(format!(
                "tgt must be a string for tgt_type glob, not {other}"
            )),
            (other, _) => Err(format!(
                "unsupported tgt_type `{other}` (glob and list are supported)"
            )),
        }
    }

    /// Whether host `id` is one of the targets.
    pub fn matches(&self, id: &str) -> bool {
        match self {
            Target::Glob(g) => crate::glob::matches_any(g, id),
            Target::List(ids) => ids.iter().any(|i| i == id),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Glob(g) => g.clone(),
            Target::List(l) => l.join(","),
        }
    }
}

fn glob() -> String {
    "glob".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateArgs {
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
pub struct FunctionArgs {
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

pub struct State;
pub struct Function;

fn comma_list(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).collect()
}

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
    (Some(false), Changes::new(), comment.into())
}

/// The orchestrator step `fun` goes through and the hosts it targets, or
/// the outcome that says why it cannot run.
fn reach<'a>(
    ctx: &Ctx<'a>,
    fun: &str,
    tgt: &Value,
    tgt_type: &str,
) -> Result<(&'a Arc<dyn Orchestrator>, Target), Outcome> {
    let Some(orch) = &ctx.host.orchestrator else {
        return Err(failed(format!("{fun} runs only in an orchestration")));
    };
    let target = Target::new(tgt, tgt_type).map_err(failed)?;
    Ok((orch, target))
}

/// Whether a host's state return holds a failure.
fn host_failed(states: &Value) -> bool {
    states.as_object().is_none_or(|m| {
        m.values()
            .any(|s| s.get("result") == Some(&Value::Bool(false)))
    })
}

fn host_changed(states: &Value) -> bool {
    states.as_object().is_some_and(|m| {
        m.values().any(|s| {
            s.get("changes")
                .and_then(Value::as_object)
                .is_some_and(|c| !c.is_empty())
        })
    })
}

#[async_trait]
impl Delegate for State {
    type Args = StateArgs;

    async fn delegate(&self, args: &StateArgs, ctx: &Ctx<'_>, test: bool) -> Outcome {
        let (orch, target) = match reach(ctx, "salt.state", &args.tgt, &args.tgt_type) {
            Ok(r) => r,
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
        let returns = match orch
            .state(&target, mode, test, args.pillar.clone().map(Value::Object))
            .await
        {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        if returns.is_empty() {
            let result = if args.expect_minions == Some(false) {
                Some(true)
            } else {
                Some(false)
            };
            return (result, Changes::new(), "No minions responded".into());
        }
        let allowed = minions(&args.fail_minions);
        let mut changes = Map::new();
        let (mut fail, mut updating, mut unchanged) = (Vec::new(), Vec::new(), Vec::new());
        for (host, states) in &returns {
            if host_failed(states) {
                if !allowed.contains(host) {
                    fail.push(host.clone());
                }
                changes.insert(host.clone(), states.clone());
            } else if host_changed(states) {
                updating.push(host.clone());
                changes.insert(host.clone(), states.clone());
            } else {
                unchanged.push(host.clone());
            }
        }
        let out = if changes.is_empty() {
            Changes::new()
        } else {
            Changes::from_iter([
                ("out".to_string(), json!("highstate")),
                ("ret".to_string(), Value::Object(changes)),
            ])
        };
        if fail.len() > args.allow_fail {
            return (
                Some(false),
                out,
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
        let result = if test && !out.is_empty() {
            None
        } else {
            Some(true)
        };
        (result, out, comment)
    }
}

#[async_trait]
impl Delegate for Function {
    type Args = FunctionArgs;

    async fn delegate(&self, args: &FunctionArgs, ctx: &Ctx<'_>, test: bool) -> Outcome {
        let (orch, target) = match reach(ctx, "salt.function", &args.tgt, &args.tgt_type) {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        let fun = &args.name;
        let Some(exec) = crate::modules::lookup(fun) else {
            return failed(format!("Function {fun} is not available"));
        };
        if test && !exec.read_only() {
            return (
                None,
                Changes::new(),
                format!(
                    "Function {fun} would be executed on target {}",
                    target.describe()
                ),
            );
        }
        let rets = match orch.function(&target, fun, &args.arg, &args.kwarg).await {
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
        (Some(fail.is_empty()), changes, comment)
    }
}
