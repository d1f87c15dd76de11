//! `service.running` and `service.dead`, on hosts with systemd and on hosts
//! without it (Debian's `service` and init scripts, `update-rc.d`).
//!
//! One probe reads the init system, whether the service exists, runs and is
//! enabled; the plan then speaks that init system's commands. The probe
//! checks for systemd the way systemd itself documents it
//! (`/run/systemd/system` exists), so a container without systemd as PID 1
//! gets the init scripts.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::plan::{Changes, Failure, Plan, Step};
use crate::transport::shell::quote;
use crate::transport::{Exec, Transport};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    Systemd,
    SysV,
}

/// What the probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub init: Init,
    pub present: bool,
    pub running: bool,
    pub enabled: bool,
}

/// One command: init system, presence, state, enablement, a line each.
pub fn probe_command(name: &str) -> String {
    let n = quote(name);
    format!(
        "if [ -d /run/systemd/system ]; then echo systemd; \
         if systemctl cat -- {n} >/dev/null 2>&1; then echo present; else echo absent; fi; \
         systemctl is-active --quiet -- {n} && echo running || echo stopped; \
         systemctl is-enabled --quiet -- {n} 2>/dev/null && echo enabled || echo disabled; \
         else echo sysv; \
         if [ -x /etc/init.d/{n} ]; then echo present; else echo absent; fi; \
         service {n} status >/dev/null 2>&1 && echo running || echo stopped; \
         if ls /etc/rc[2345].d/S??{n} >/dev/null 2>&1; then echo enabled; else echo disabled; fi; fi"
    )
}

pub fn parse_status(out: &str) -> Result<Status, Failure> {
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let [init, present, running, enabled] = lines.as_slice() else {
        return Err(Failure::new(format!(
            "unexpected answer from the service probe: {out:?}"
        )));
    };
    Ok(Status {
        init: if *init == "systemd" {
            Init::Systemd
        } else {
            Init::SysV
        },
        present: *present == "present",
        running: *running == "running",
        enabled: *enabled == "enabled",
    })
}

/// The command for `action` (start, stop, restart, reload, enable, disable).
pub fn action_command(init: Init, name: &str, action: &str) -> String {
    let n = quote(name);
    match (init, action) {
        (Init::Systemd, a) => format!("systemctl {a} -- {n}"),
        (Init::SysV, "enable") => {
            format!("update-rc.d {n} defaults >/dev/null && update-rc.d {n} enable")
        }
        (Init::SysV, "disable") => format!("update-rc.d {n} disable"),
        (Init::SysV, a) => format!("service {n} {a}"),
    }
}

/// The status command alone: succeeds when the service runs.
pub fn status_command(init: Init, name: &str) -> String {
    match init {
        Init::Systemd => format!("systemctl is-active --quiet -- {}", quote(name)),
        Init::SysV => format!("service {} status >/dev/null 2>&1", quote(name)),
    }
}

/// What the probe finds on `host`; a service that is not there is a failure.
pub async fn probe(host: &dyn Transport, name: &str) -> Result<Status, Failure> {
    let out = host.exec(&Exec::new(probe_command(name))).await?;
    let status = parse_status(&out.stdout)?;
    if !status.present {
        return Err(Failure::new(format!(
            "The named service {name} is not available"
        )));
    }
    Ok(status)
}

fn run(init: Init, args: &Args, action: &str, fail: String) -> Step {
    let exec = Exec::new(action_command(init, &args.name, action)).timeout(args.timeout);
    Step::command(exec, fail)
}

/// Start, wait `init_delay`, then check that it really runs: an init script
/// that exits 0 proves nothing (`pgbouncer -d` exits 0 when it dies at once).
fn start_steps(init: Init, args: &Args) -> Vec<Step> {
    let name = &args.name;
    let check = match args.init_delay {
        Some(d) => format!("sleep {d}; {}", status_command(init, name)),
        None => status_command(init, name),
    };
    vec![
        run(
            init,
            args,
            "start",
            format!("Service {name} failed to start"),
        ),
        Step::command(
            Exec::new(check),
            format!("Service {name} failed to start: it is not running after `start`"),
        ),
    ]
}

/// `enable` as asked, when the service is not so already.
fn to_enable(args: &Args, st: &Status) -> Option<bool> {
    args.enable.filter(|e| *e != st.enabled)
}

fn enable_step(init: Init, args: &Args, enable: bool) -> Step {
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
        let st = probe(ctx.host.transport.as_ref(), name).await?;
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
        let st = probe(ctx.host.transport.as_ref(), name).await?;
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
                Step::command(
                    Exec::new(status_command(st.init, name)),
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
        let st = probe(ctx.host.transport.as_ref(), name).await?;
        let mut steps = Vec::new();
        if st.running {
            steps.push(run(
                st.init,
                args,
                "stop",
                format!("Service {name} failed to die"),
            ));
            steps.push(Step::command(
                Exec::new(format!("! {}", status_command(st.init, name))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_probe() {
        let st = parse_status("sysv\npresent\nstopped\nenabled\n").unwrap();
        assert_eq!(
            st,
            Status {
                init: Init::SysV,
                present: true,
                running: false,
                enabled: true
            }
        );
        assert!(parse_status("garbage").is_err());
    }

    #[test]
    fn commands_per_init_system() {
        assert_eq!(
            action_command(Init::Systemd, "pgbouncer", "reload"),
            "systemctl reload -- pgbouncer"
        );
        assert_eq!(
            action_command(Init::SysV, "pgbouncer", "reload"),
            "service pgbouncer reload"
        );
        assert_eq!(
            action_command(Init::SysV, "x y", "enable"),
            "update-rc.d 'x y' defaults >/dev/null && update-rc.d 'x y' enable"
        );
    }
}
