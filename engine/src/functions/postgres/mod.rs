//! `postgres.running`, `postgres.stopped` and `postgres.promoted`: a
//! cluster's server up, cleanly down, or promoted when it still carries
//! the standby marker.
//!
//! Starting goes through `pg_ctl -w` (0.1 s) rather than Debian's
//! `pg_ctlcluster` (which polls for 2 s), or through the cluster's systemd
//! unit where systemd runs. Stopping is `fast` by default and is judged by
//! `pg_controldata` afterwards: only a cluster in state `shut down` has
//! written (and sent) its shutdown checkpoint.
//!
//! Each is planned per host by a function of that host's facts
//! (`to_start`, `to_stop`, `to_promote`), which an orchestration's
//! multi-host steps reuse for each host they target.

pub(crate) mod checks;
pub(crate) mod standby;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::facts::{Init, Postmaster};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::postgres::Layout;
use crate::transport::{Exec, Transport};

pub(crate) use checks::{InProduction, ReceivedPast, ShutDown, Streams, Up};
pub(crate) use standby::Standby;

pub(crate) struct Running;
pub(crate) struct Stopped;
pub(crate) struct Promoted;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[allow(dead_code)]
    pub name: String,
    #[serde(default)]
    pub cluster: Layout,
    /// `postgres.stopped`: pg_ctl's shutdown mode.
    #[serde(default = "fast")]
    pub mode: String,
}

fn fast() -> String {
    "fast".into()
}

/// What host `id` needs to run its server: nothing (`None`), or these
/// actions.
pub(crate) async fn to_start(
    id: &str,
    host: &dyn Transport,
    layout: &Layout,
) -> Result<Option<Vec<Action>>, Failure> {
    if Postmaster::read(host, layout).await.map_err(Failure::new)? == Postmaster::Running {
        return Ok(None);
    }
    // How this host runs its clusters: through systemd units or by pg_ctl.
    let exec = match Init::read(host).await.map_err(Failure::new)? {
        Init::Systemd => Exec::new(Init::Systemd.command(
            &format!("postgresql@{}-{}", layout.version, layout.cluster),
            "start",
        )),
        Init::SysV => Exec::new(layout.start_command()).runas(Some(&layout.user)),
    };
    let fail = format!("PostgreSQL on {id} did not start (see {})", layout.logfile);
    Ok(Some(vec![
        Action::run(exec.timeout(Some(90)), fail.clone()),
        Action::verify(
            Up {
                cluster: layout.clone(),
            },
            fail,
        ),
    ]))
}

/// What host `id` needs to be cleanly stopped (`mode`: pg_ctl's).
pub(crate) async fn to_stop(
    id: &str,
    host: &dyn Transport,
    layout: &Layout,
    mode: &str,
) -> Result<Option<Vec<Action>>, Failure> {
    if Postmaster::read(host, layout).await.map_err(Failure::new)? == Postmaster::Stopped {
        return Ok(None);
    }
    let exec = Exec::new(layout.stop_command(mode))
        .runas(Some(&layout.user))
        .timeout(Some(90));
    Ok(Some(vec![
        Action::run(exec, format!("PostgreSQL on {id} did not stop")),
        Action::verify(
            ShutDown {
                id: id.to_string(),
                cluster: layout.clone(),
            },
            format!("PostgreSQL on {id} stopped but not cleanly"),
        ),
    ]))
}

/// What host `id` needs to be promoted: something exactly when the standby
/// marker is there (`standby.signal`, `recovery.conf` before PostgreSQL 12).
pub(crate) async fn to_promote(
    id: &str,
    host: &dyn Transport,
    layout: &Layout,
) -> Result<Option<Vec<Action>>, Failure> {
    let marker = layout.marker();
    let fact = host.read_files(std::slice::from_ref(&marker)).await?;
    if !fact.first().is_some_and(|f| f.exists()) {
        return Ok(None);
    }
    let exec = Exec::new(layout.promote_command())
        .runas(Some(&layout.user))
        .timeout(Some(90));
    let fail = format!("PostgreSQL on {id} was not promoted");
    Ok(Some(vec![
        Action::run(exec, fail.clone()),
        Action::verify(
            InProduction {
                id: id.to_string(),
                cluster: layout.clone(),
            },
            fail,
        ),
    ]))
}

/// What each of several hosts needs, as one plan's parts: the changes
/// (each host becomes `state`), the actions in host order, and the hosts'
/// list for the comments. `None` when no host needs anything.
pub(crate) fn per_host(
    todo: Vec<(String, Vec<Action>)>,
    state: &str,
) -> Option<(Changes, Vec<Action>, String)> {
    if todo.is_empty() {
        return None;
    }
    let ids: Vec<String> = todo.iter().map(|(id, _)| id.clone()).collect();
    let changes = ids.iter().map(|id| (id.clone(), json!(state))).collect();
    let actions = todo.into_iter().flat_map(|(_, a)| a).collect();
    Some((changes, actions, ids.join(", ")))
}

/// The plans of the three, for the hosts that need an action.
pub(crate) fn running_plan(dir: &str, todo: Vec<(String, Vec<Action>)>) -> Plan {
    let Some((changes, actions, on)) = per_host(todo, "started") else {
        return Plan::noop(format!("PostgreSQL ({dir}) is already running"));
    };
    Plan::change(
        changes,
        format!("PostgreSQL ({dir}) is set to start on {on}"),
        format!("Started PostgreSQL ({dir}) on {on}"),
        actions,
    )
}

pub(crate) fn stopped_plan(dir: &str, mode: &str, todo: Vec<(String, Vec<Action>)>) -> Plan {
    let Some((changes, actions, on)) = per_host(todo, "stopped") else {
        return Plan::noop(format!("PostgreSQL ({dir}) is already stopped"));
    };
    Plan::change(
        changes,
        format!("PostgreSQL ({dir}) on {on} is set to stop ({mode} mode)"),
        format!("Stopped PostgreSQL ({dir}) on {on} cleanly"),
        actions,
    )
    .applied(Changes::new())
}

pub(crate) fn promoted_plan(marker: &str, todo: Vec<(String, Vec<Action>)>) -> Plan {
    let Some((changes, actions, on)) = per_host(todo, "promoted") else {
        return Plan::noop(format!(
            "{marker} is absent: PostgreSQL is not a standby here, nothing to promote"
        ));
    };
    Plan::change(
        changes,
        format!("PostgreSQL on {on} is set to be promoted ({marker} is present)"),
        format!("Promoted PostgreSQL on {on}"),
        actions,
    )
}

/// This host's entry for a plan, if it needs actions.
fn here(ctx: &Ctx<'_>, actions: Option<Vec<Action>>) -> Vec<(String, Vec<Action>)> {
    actions
        .map(|a| (ctx.host.id.clone(), a))
        .into_iter()
        .collect()
}

#[async_trait]
impl Function for Running {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let t = ctx.host.transport.as_ref();
        let todo = to_start(&ctx.host.id, t, &args.cluster).await?;
        Ok(running_plan(&args.cluster.datadir, here(ctx, todo)))
    }
}

#[async_trait]
impl Function for Stopped {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let t = ctx.host.transport.as_ref();
        let todo = to_stop(&ctx.host.id, t, &args.cluster, &args.mode).await?;
        Ok(stopped_plan(
            &args.cluster.datadir,
            &args.mode,
            here(ctx, todo),
        ))
    }
}

#[async_trait]
impl Function for Promoted {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let t = ctx.host.transport.as_ref();
        let todo = to_promote(&ctx.host.id, t, &args.cluster).await?;
        Ok(promoted_plan(&args.cluster.marker(), here(ctx, todo)))
    }
}

#[cfg(test)]
mod tests;
