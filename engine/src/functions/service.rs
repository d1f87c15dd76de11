//! `service.running`, `service.dead`, `service.masked` and
//! `service.unmasked`, on hosts with systemd and on hosts without it
//! (Debian's `service` and init scripts, `update-rc.d`; no masking there,
//! as in Salt).
//!
//! One probe (`facts::Service`) reads the init system, whether the service
//! exists, runs and is enabled; the plan then speaks that init system's
//! commands. Comments and changes are Salt's: a test run shows no changes,
//! a real one `{name: state}`; a service that does not exist is what an
//! earlier state may install, so a test run says what would be done and
//! the real run fails (or, for `dead`, succeeds) as Salt's does.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{would, Ctx, Function};
use crate::facts::unit_mask::{self, Mask};
use crate::facts::{Init, Service as Status};
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::{Exec, Output};

pub(super) struct Running;
pub(super) struct Dead;
pub(super) struct Masked;
pub(super) struct Unmasked;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MaskArgs {
    pub name: String,
    #[serde(default)]
    pub runtime: bool,
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

fn enable_step(init: Init, args: &Args, enable: bool) -> Action {
    let name = &args.name;
    let (action, fail) = if enable {
        (
            "enable",
            format!("Failed when setting service {name} to start at boot"),
        )
    } else {
        (
            "disable",
            format!("Failed when setting service {name} to not start at boot"),
        )
    };
    run(init, args, action, fail)
}

fn enabled(enable: bool) -> &'static str {
    if enable {
        "enabled"
    } else {
        "disabled"
    }
}

fn state(name: &str, value: bool) -> Changes {
    Changes::from_iter([(name.to_string(), json!(value))])
}

/// Salt's `_enable`/`_disable` words once `started` is known: `Some(true)`
/// running, `Some(false)` dead, `None` already as wanted.
fn toggled(name: &str, enable: bool, already: bool, started: Option<bool>) -> String {
    let how = match started {
        Some(true) => "is running",
        Some(false) => "is dead",
        None => "is in the desired state",
    };
    if already {
        format!("Service {name} is already {}, and {how}", enabled(enable))
    } else {
        format!("Service {name} has been {}, and {how}", enabled(enable))
    }
}

/// The service does (or does not) exist, as the plan found it.
#[derive(Debug)]
struct Exists {
    name: String,
    present: bool,
    fail: String,
}

impl Check for Exists {
    fn describe(&self) -> String {
        let not = if self.present { "" } else { "not " };
        format!("service {} is {not}there", self.name)
    }

    fn probe(&self) -> Exec {
        Status::command(&self.name)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match Status::parse(out) {
            Ok(st) if st.present == self.present => Verdict::Met(Changes::new()),
            Ok(_) => Verdict::Pending(self.fail.clone()),
            Err(e) => Verdict::Pending(e),
        }
    }
}

/// The service's state, the init system's own answer.
async fn status(ctx: &Ctx<'_>, name: &str) -> Result<Status, Failure> {
    let out = crate::facts::run(ctx.host.transport.as_ref(), &Status::command(name))
        .await
        .map_err(Failure::new)?;
    Status::parse(&out).map_err(Failure::new)
}

/// A service that is not there: a test run expects it from an earlier
/// state; once applied `running` fails and `dead` is content, as in Salt.
fn absent(name: &str, would: &str, done: String, ok: bool) -> Plan {
    let missing = format!("The named service {name} is not available");
    would::change(
        format!(
            "Service {name} not present; if created in this state run, it would have been {would}"
        ),
        done,
        vec![Action::verify(
            Exists {
                name: name.to_string(),
                present: !ok,
                fail: missing,
            },
            "",
        )],
    )
}

#[async_trait]
impl Function for Running {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let st = status(ctx, name).await?;
        if !st.present {
            return Ok(absent(name, "started", String::new(), false));
        }
        let toggle = args.enable.filter(|e| *e != st.enabled);
        if st.running {
            let Some(e) = toggle else {
                return Ok(Plan::noop(format!("The service {name} is already running")));
            };
            return Ok(Plan::change(
                Changes::new(),
                format!("Service {name} set to be {}", enabled(e)),
                toggled(name, e, false, None),
                vec![enable_step(st.init, args, e)],
            )
            .pending()
            .applied(state(name, true)));
        }
        let mut steps = start_steps(st.init, args);
        steps.extend(toggle.map(|e| enable_step(st.init, args, e)));
        let mut done = match args.enable {
            None => format!("Started service {name}"),
            Some(e) => toggled(name, e, toggle.is_none(), Some(true)),
        };
        if let Some(d) = args.init_delay.filter(|d| *d > 0) {
            done.push_str(&format!("\nDelayed return for {d} seconds"));
        }
        Ok(Plan::change(
            Changes::new(),
            format!("Service {name} is set to start"),
            done,
            steps,
        )
        .pending()
        .applied(state(name, true)))
    }

    async fn watch(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        let name = &args.name;
        let st = status(ctx, name).await?;
        let plan = if !st.running {
            // Salt stops it first: a half-started service starts clean.
            let mut steps = vec![Action::run(
                Exec::new(format!("{} || true", st.init.command(name, "stop"))),
                "",
            )];
            steps.extend(start_steps(st.init, args));
            Plan::change(
                Changes::new(),
                "Service is set to be started",
                "Service started",
                steps,
            )
            .pending()
        } else if args.reload {
            Plan::change(
                Changes::new(),
                "Service is set to be reloaded",
                "Service reloaded",
                vec![run(
                    st.init,
                    args,
                    "reload",
                    "Failed to reload the service".to_string(),
                )],
            )
            .pending()
        } else {
            let steps = vec![
                run(
                    st.init,
                    args,
                    "restart",
                    "Failed to restart the service".to_string(),
                ),
                Action::run(
                    Exec::new(st.init.status_command(name)),
                    format!("Service {name} is not running after restart"),
                ),
            ];
            Plan::change(
                Changes::new(),
                "Service is set to be restarted",
                "Service restarted",
                steps,
            )
            .pending()
        };
        Ok(Some(plan.applied(state(name, true))))
    }
}

#[async_trait]
impl Function for Dead {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let st = status(ctx, name).await?;
        if !st.present {
            let missing = format!("The named service {name} is not available");
            return Ok(absent(name, "stopped", missing, true));
        }
        let toggle = args.enable.filter(|e| *e != st.enabled);
        if !st.running {
            let Some(e) = toggle else {
                return Ok(Plan::noop(format!("The service {name} is already dead")));
            };
            return Ok(Plan::change(
                Changes::new(),
                format!("Service {name} set to be {}", enabled(e)),
                toggled(name, e, false, None),
                vec![enable_step(st.init, args, e)],
            )
            .pending()
            .applied(state(name, true)));
        }
        let mut steps = vec![
            run(
                st.init,
                args,
                "stop",
                format!("Service {name} failed to die"),
            ),
            Action::run(
                Exec::new(format!("! {}", st.init.status_command(name))),
                format!("Service {name} failed to die"),
            ),
        ];
        steps.extend(toggle.map(|e| enable_step(st.init, args, e)));
        let done = match args.enable {
            None => format!("Service {name} was killed"),
            Some(e) => toggled(name, e, toggle.is_none(), Some(false)),
        };
        // Salt reports the state after stopping (false), or `true` when
        // enabling changed too.
        Ok(Plan::change(
            Changes::new(),
            format!("Service {name} is set to be killed"),
            done,
            steps,
        )
        .pending()
        .applied(state(name, toggle.is_some())))
    }

    async fn watch(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        let name = &args.name;
        let st = status(ctx, name).await?;
        if !st.running {
            return Ok(Some(Plan::noop("Service is already stopped")));
        }
        Ok(Some(
            Plan::change(
                Changes::new(),
                "Service is set to be stopped",
                "Service stopped",
                vec![run(
                    st.init,
                    args,
                    "stop",
                    "Failed to stop the service".to_string(),
                )],
            )
            .pending()
            .applied(state(name, true)),
        ))
    }
}

/// After `systemctl mask` or `unmask`: masked as wanted.
#[derive(Debug)]
struct MaskIs {
    name: String,
    runtime: bool,
    masked: bool,
    fail: String,
}

impl Check for MaskIs {
    fn describe(&self) -> String {
        let not = if self.masked { "" } else { "not " };
        format!("{} is {not}masked", self.name)
    }

    fn probe(&self) -> Exec {
        Mask::command(&self.name, self.runtime)
    }

    fn judge(&self, out: &Output) -> Verdict {
        if Mask::parse(out).0 == Some(self.masked) {
            Verdict::Met(Changes::new())
        } else {
            Verdict::Pending(self.fail.clone())
        }
    }
}

async fn mask_plan(args: &MaskArgs, ctx: &Ctx<'_>, mask: bool) -> Result<Plan, Failure> {
    let name = &args.name;
    let Mask(Some(masked)) = Mask::read(ctx.host.transport.as_ref(), name, args.runtime)
        .await
        .map_err(Failure::new)?
    else {
        return Err(Failure::new("Service masking not available on this minion"));
    };
    let kind = if args.runtime {
        "runtime masked"
    } else {
        "masked"
    };
    let (verb, word) = match (mask, args.runtime) {
        (true, _) => ("mask", kind.to_string()),
        (false, true) => ("unmask", "runtime unmasked".to_string()),
        (false, false) => ("unmask", "unmasked".to_string()),
    };
    if masked == mask {
        let already = if mask { "is already" } else { "was already" };
        return Ok(Plan::noop(format!("Service {name} {already} {word}")));
    }
    let runtime = if args.runtime { " --runtime" } else { "" };
    let cmd = format!(
        "systemctl {verb}{runtime} -- {}",
        crate::transport::shell::quote(&unit_mask::unit_name(name))
    );
    let fail = format!("Failed to {verb} service {name}");
    Ok(Plan::change(
        Changes::from_iter([(kind.to_string(), json!({"old": !mask, "new": mask}))]),
        format!("Service {name} would be {word}"),
        format!("Service {name} was {word}"),
        vec![
            Action::run(Exec::new(cmd), &fail),
            Action::verify(
                MaskIs {
                    name: name.clone(),
                    runtime: args.runtime,
                    masked: mask,
                    fail: fail.clone(),
                },
                "",
            ),
        ],
    ))
}

#[async_trait]
impl Function for Masked {
    type Args = MaskArgs;

    async fn plan(&self, args: &MaskArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        mask_plan(args, ctx, true).await
    }
}

#[async_trait]
impl Function for Unmasked {
    type Args = MaskArgs;

    async fn plan(&self, args: &MaskArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        mask_plan(args, ctx, false).await
    }
}
