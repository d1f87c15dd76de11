//! `cmd.run` and `cmd.wait`: run a command line on the host.
//!
//! Whether it runs at all is decided before planning, by the state's
//! `onlyif`, `unless` and `creates` and by its requisites; a `cmd.run` that
//! gets this far always runs. `cmd.wait` runs only when a watched state
//! changed.

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, On, Plan};
use crate::transport::Exec;

pub(super) struct Run;
pub(super) struct Wait;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    #[serde(default, deserialize_with = "super::mode::name_or_id")]
    pub runas: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub env: Option<Value>,
    #[serde(default)]
    pub shell: Option<String>,
    #[serde(default)]
    pub stdin: Option<String>,
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Accepted as Salt accepts them; they change nothing here.
    #[serde(default)]
    #[allow(dead_code)]
    pub python_shell: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub output_loglevel: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub hide_output: Option<IgnoredAny>,
}

/// Salt's `env`: a mapping, or a list of one-key mappings.
pub(crate) fn env_pairs(env: Option<&Value>) -> Result<Vec<(String, String)>, Failure> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match env {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m.iter().map(|(k, v)| (k.clone(), text(v))).collect()),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let Value::Object(m) = item else {
                    return Err(Failure::new("env: expected a list of `NAME: value` items"));
                };
                out.extend(m.iter().map(|(k, v)| (k.clone(), text(v))));
            }
            Ok(out)
        }
        Some(_) => Err(Failure::new(
            "env: expected a mapping or a list of `NAME: value` items",
        )),
    }
}

/// The command as the state's arguments say to run it.
pub(super) fn exec_for(args: &Args) -> Result<Exec, Failure> {
    let mut exec = Exec::new(args.name.clone())
        .runas(args.runas.as_deref())
        .cwd(args.cwd.as_deref())
        .timeout(args.timeout);
    if let Some(shell) = &args.shell {
        exec.shell = shell.clone();
    }
    exec.env = env_pairs(args.env.as_ref())?;
    if let Some(stdin) = &args.stdin {
        exec.stdin = Some(stdin.clone().into_bytes());
    }
    Ok(exec)
}

fn run_plan(args: &Args) -> Result<Plan, Failure> {
    let name = &args.name;
    Ok(Plan::change(
        Changes::from_iter([("cmd".to_string(), json!(name))]),
        format!("Command \"{name}\" would have been executed"),
        format!("Command \"{name}\" run"),
        vec![Action::Run {
            on: On::Here,
            exec: exec_for(args)?,
            capture: true,
            fail: None,
            what: None,
        }],
    ))
}

#[async_trait]
impl Function for Run {
    type Args = Args;

    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        run_plan(args)
    }
}

#[async_trait]
impl Function for Wait {
    type Args = Args;

    async fn plan(&self, _args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        Ok(Plan::noop(""))
    }

    async fn watch(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        run_plan(args).map(Some)
    }
}
