//! `module.run` and `module.wait`: an execution function called on the
//! host, in either syntax Salt accepts:
//!
//! ```yaml
//! reload:                      # legacy: the function is the name,
//!   module.run:                # `m_name` its `name` argument
//!     - name: service.reload
//!     - m_name: postgresql
//! reload2:                     # new: function names as keys, their
//!   module.run:                # arguments as a list
//!     - service.reload:
//!       - name: postgresql
//! ```
//!
//! The execution functions are those the formulas call (`service.*`,
//! `test.true`...), each planned as actions on the host: nothing runs in a
//! test run, as in Salt. A function converge does not provide is refused
//! when the tree is compiled, with the list of those it does.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{pyrepr, would, Ctx, Function};
use crate::facts::Service as Status;
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::{Exec, Output};

pub(super) struct Run;
pub(super) struct Wait;

/// The execution functions `module.run` can call.
const FUNCTIONS: [&str; 8] = [
    "service.start",
    "service.stop",
    "service.restart",
    "service.reload",
    "service.status",
    "test.true",
    "test.false",
    "test.ping",
];

/// One call: the function and its arguments.
#[derive(Clone, Debug)]
pub(super) struct Call {
    pub function: String,
    /// `name` for `service.*`.
    pub name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "IndexMap<String, Value>")]
pub(super) struct Args {
    pub calls: Vec<Call>,
    /// Salt's legacy syntax (`name: service.reload`).
    pub legacy: bool,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn call(function: &str, name: Option<String>) -> Result<Call, String> {
    if !FUNCTIONS.contains(&function) {
        return Err(format!(
            "Module function {function} is not available (converge's module.run calls {})",
            FUNCTIONS.join(", ")
        ));
    }
    if function.starts_with("service.") && name.is_none() {
        return Err("The following arguments are missing: name".into());
    }
    Ok(Call {
        function: function.to_string(),
        name,
    })
}

impl TryFrom<IndexMap<String, Value>> for Args {
    type Error = String;

    fn try_from(map: IndexMap<String, Value>) -> Result<Args, String> {
        let keys: Vec<&String> = map
            .keys()
            .filter(|k| !["name", "__reqs__", "sfun"].contains(&k.as_str()))
            .collect();
        let legacy = keys.is_empty() || keys.iter().any(|k| !k.contains('.'));
        if legacy {
            let function = map.get("name").map(text).unwrap_or_default();
            let name = map.get("m_name").map(text);
            let c = call(&function, name).map_err(|e| {
                if e.starts_with("The following") {
                    e.replace(": name", ": m_name")
                } else {
                    e
                }
            })?;
            return Ok(Args {
                calls: vec![c],
                legacy: true,
            });
        }
        let mut calls = Vec::new();
        for key in keys {
            let function = key.split(':').next().unwrap_or(key);
            // Arguments: a list of values and `key: value` mappings.
            let mut name = None;
            match &map[key] {
                Value::Null => {}
                Value::Array(items) => {
                    for item in items {
                        match item {
                            Value::Object(m) => {
                                if let Some(n) = m.get("name") {
                                    name = Some(text(n));
                                }
                            }
                            other if name.is_none() => name = Some(text(other)),
                            _ => {}
                        }
                    }
                }
                other => name = Some(text(other)),
            }
            calls.push(call(function, name)?);
        }
        Ok(Args {
            calls,
            legacy: false,
        })
    }
}

/// `service.status`: whether it runs, read when applied.
#[derive(Debug)]
struct Running {
    name: String,
    key: String,
}

impl Check for Running {
    fn describe(&self) -> String {
        format!("{} runs", self.name)
    }

    fn probe(&self) -> Exec {
        Status::command(&self.name)
    }

    /// Salt's `service.status` returns whether it runs, and a `False`
    /// return fails the state.
    fn judge(&self, out: &Output) -> Verdict {
        match Status::parse(out) {
            Ok(st) if st.running => {
                Verdict::Met(Changes::from_iter([(self.key.clone(), json!(true))]))
            }
            Ok(_) => Verdict::Pending(String::new()),
            Err(e) => Verdict::Pending(e),
        }
    }
}

/// The actions of one call and what it returns when they succeed.
async fn actions(
    c: &Call,
    key: &str,
    fail: &str,
    ctx: &Ctx<'_>,
) -> Result<(Vec<Action>, Option<Value>), Failure> {
    let run = |cmd: String| Action::run(Exec::new(cmd), fail);
    Ok(match c.function.as_str() {
        "test.true" | "test.ping" => (vec![run("true".into())], Some(json!(true))),
        "test.false" => (vec![run("false".into())], Some(json!(false))),
        "service.status" => {
            let check = Running {
                name: c.name.clone().unwrap_or_default(),
                key: key.to_string(),
            };
            (vec![Action::verify(check, fail)], Some(json!(true)))
        }
        f => {
            let name = c.name.as_deref().unwrap_or_default();
            let action = f.trim_start_matches("service.");
            let out = crate::facts::run(ctx.host.transport.as_ref(), &Status::command(name))
                .await
                .map_err(Failure::new)?;
            let init = Status::parse(&out).map_err(Failure::new)?.init;
            (vec![run(init.command(name, action))], Some(json!(true)))
        }
    })
}

async fn plan(args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
    let mut all = Vec::new();
    let mut applied = Changes::new();
    if args.legacy {
        let c = &args.calls[0];
        let f = &c.function;
        let done = format!("Module function {f} executed");
        let (actions, ret) = actions(c, "ret", &done, ctx).await?;
        all.extend(actions);
        if let Some(r) = ret {
            applied.insert("ret".into(), r);
        }
        return Ok(
            would::change(format!("Module function {f} is set to execute"), done, all)
                .applied(applied),
        );
    }
    let names: Vec<&str> = args.calls.iter().map(|c| c.function.as_str()).collect();
    let mut success = Vec::new();
    for c in &args.calls {
        let f = &c.function;
        let fail = format!("'{f}': False");
        let (actions, ret) = actions(c, f, &fail, ctx).await?;
        all.extend(actions);
        if let Some(r) = ret {
            success.push(format!("{f}: {}", pyrepr::str(&r)));
            applied.insert(f.clone(), r);
        }
    }
    let s = if names.len() > 1 { "s" } else { "" };
    Ok(would::change(
        format!("Function{s} {} to be executed.", names.join(", ")),
        success.join(", "),
        all,
    )
    .applied(applied))
}

#[async_trait]
impl Function for Run {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        plan(args, ctx).await
    }
}

#[async_trait]
impl Function for Wait {
    type Args = Args;

    async fn plan(&self, _args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        Ok(Plan::noop(""))
    }

    async fn watch(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        plan(args, ctx).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Signatures;
    use crate::testing::{fixture, plan, watch};
    use crate::transport::fake::Fake;

    fn host() -> Fake {
        Fake::new().answer(
            "if [ -d /run/systemd/system ]",
            0,
            "systemd\npresent\nrunning\nenabled\n",
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn both_syntaxes_plan_the_call_on_the_host() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "module.run",
            "name: service.reload\nm_name: postgresql",
        )
        .await
        .unwrap();
        assert_eq!(p.describe(), ["run `systemctl reload -- postgresql`"]);
        assert_eq!(p.done, "Module function service.reload executed");
        assert_eq!(p.applied.as_ref().unwrap()["ret"], json!(true));
        let p = plan(
            &fx,
            "module.run",
            "name: x\nservice.restart: [{name: pg}]\ntest.true: []",
        )
        .await
        .unwrap();
        assert_eq!(
            p.comment,
            "Functions service.restart, test.true to be executed."
        );
        assert_eq!(p.done, "service.restart: True, test.true: True");
        assert_eq!(
            p.describe(),
            ["run `systemctl restart -- pg`", "run `true`"]
        );
        // module.wait acts only when a watched state changed.
        let w = "name: service.reload\nm_name: postgresql";
        assert!(plan(&fx, "module.wait", w).await.unwrap().is_noop());
        let p = watch(&fx, "module.wait", w).await.unwrap().unwrap();
        assert_eq!(
            p.comment,
            "Module function service.reload is set to execute"
        );
    }

    #[test]
    fn unknown_functions_and_missing_arguments_are_refused_when_compiling() {
        let parse = |args: &str| {
            let c = crate::testing::chunk("module.run", args);
            match super::super::Registry::states().parse("module.run", &c.args_node()) {
                Some(Err(e)) => e.message,
                _ => String::new(),
            }
        };
        assert!(parse("name: file.check_hash").contains(
            "Module function file.check_hash is not available (converge's module.run calls service.start"
        ));
        assert!(
            parse("name: service.reload").contains("The following arguments are missing: m_name")
        );
    }
}
