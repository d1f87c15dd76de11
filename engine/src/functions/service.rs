//! `service.running` and `service.dead`, on hosts with systemd and on hosts
//! without it (Debian's `service` and init scripts, `update-rc.d`).
//!
//! One probe (`facts::Service`) reads the init system, whether the service
//! exists, runs and is enabled; the plan then speaks that init system's
//! commands.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::facts::{Init, Service as Status};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::Exec;

pub struct Running;
pub struct Dead;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    #[serde(default)]
    pub enable: Option<bool>,
    /// On `watch`: reload instead of restart.
    #[serde(default)]
    pub reload: bool,
    /// Seconds to wait after starting, before checking (Salt's `init_delay`).
    #[serde(default)]
    pub init_delay: Option<u64>,
    #[serde(default)]
    pub timeout: Option<u64>,
}

fn run(init: Init, args: &Args, action: &str, fail: String) -> Action {
    let exec = Exec::new(init.command(&args.name, action)).timeout(args.timeout);
    Action::run(exec, fail)
}

/// Start, wait `init_delay`, then check that it really runs: an init script
/// that exits 0 proves nothing (`pgbouncer -d` exits 0 when it dies at once).
fn start_steps(init: Init, args: &Args) -> Vec<Action> {
    let name = &args.name;
    let check = match args.init_delay {
        Some(d) => format!("sleep {d}; {}", init.status_command(name)),
        None => init.status_command(name),
    };
    vec![
        run(
            init,
            args,
            "start",
            format!("Service {name} failed to start"),
        ),
        Action::run(
            Exec::new(check),
            format!("Service {name} failed to start: it is not running after `start`"),
        ),
    ]
}

/// `enable` as asked, when the service is not so already.
fn to_enable(args: &Args, st: &Status) -> Option<bool> {
    args.enable.filter(|e| *e != st.enabled)
}

fn enable_step(init: Init, args: &Args, enable: bool) -> Action {
    let action = if enable { "enable" } else { "disable" };
    let fail = format!("Failed to {action} service {}", args.name);
    run(init, args, action, fail)
}

fn enabled(enable: bool) -> &'static str {
    if enable {
        "enabled"
    } else {
        "disabled"
    }
}

fn changed(name: &str) -> Changes {
    Changes::from_iter([(name.to_string(), json!(true))])
}

#[async_trait]
impl Function for Running {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let st = Status::read(ctx.host.transport.as_ref(), name)
            .await
            .map_err(Failure::new)?;
        let enable = to_enable(args, &st);
        let mut steps = Vec::new();
        if !st.running {
            steps.extend(start_steps(st.init, args));
        }
        steps.extend(enable.map(|e| enable_step(st.init, args, e)));
        if steps.is_empty() {
            return Ok(Plan::noop(format!("The service {name} is already running")));
        }
        let (comment, done) = match (st.running, enable) {
            (false, None) => (
                format!("Service {name} is set to start"),
                format!("Started service {name}"),
            ),
            (false, Some(e)) => (
                format!("Service {name} is set to start"),
                format!("Service {name} has been {}, and is running", enabled(e)),
            ),
            (true, Some(e)) => (
                format!("Service {name} set to be {}", enabled(e)),
                format!(
                    "Service {name} has been {}, and is in the desired state",
                    enabled(e)
                ),
            ),
            (true, None) => unreachable!("steps would be empty"),
        };
        Ok(Plan::change(changed(name), comment, done, steps))
    }

    async fn watch(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        let name = &args.name;
        let st = Status::read(ctx.host.transport.as_ref(), name)
            .await
            .map_err(Failure::new)?;
        let plan = if !st.running {
            Plan::change(
                changed(name),
                "Service is set to be started",
                "Service started",
                start_steps(st.init, args),
            )
        } else if args.reload {
            Plan::change(
                changed(name),
                "Service is set to be reloaded",
                "Service reloaded",
                vec![run(
                    st.init,
                    args,
                    "reload",
                    format!("Failed to reload service {name}"),
                )],
            )
        } else {
            let steps = vec![
                run(
                    st.init,
                    args,
                    "restart",
                    format!("Failed to restart service {name}"),
                ),
                Action::run(
                    Exec::new(st.init.status_command(name)),
                    format!("Service {name} is not running after restart"),
                ),
            ];
            Plan::change(
                changed(name),
                "Service is set to be restarted",
                "Service restarted",
                steps,
            )
        };
        Ok(Some(plan))
    }
}

#[async_trait]
impl Function for Dead {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let st = Status::read(ctx.host.transport.as_ref(), name)
            .await
            .map_err(Failure::new)?;
        let mut steps = Vec::new();
        if st.running {
            steps.push(run(
                st.init,
                args,
                "stop",
                format!("Service {name} failed to die"),
            ));
            steps.push(Action::run(
                Exec::new(format!("! {}", st.init.status_command(name))),
                format!("Service {name} failed to die: it still runs after `stop`"),
            ));
        }
        let enable = to_enable(args, &st);
        steps.extend(enable.map(|e| enable_step(st.init, args, e)));
        if steps.is_empty() {
            return Ok(Plan::noop(format!("The service {name} is already dead")));
        }
        let (comment, done) = if st.running {
            (
                format!("Service {name} is set to be killed"),
                format!("Service {name} was killed"),
            )
        } else {
            let word = enabled(enable == Some(true));
            (
                format!("Service {name} set to be {word}"),
                format!("Service {name} has been {word}, and is dead"),
            )
        };
        Ok(Plan::change(changed(name), comment, done, steps))
    }
}
