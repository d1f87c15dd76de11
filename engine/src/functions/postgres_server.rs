//! `postgres.running` and `postgres.stopped`: a cluster's server up or
//! cleanly down, on this host or (in an orchestration) on `tgt`.
//!
//! Starting goes through `pg_ctl -w` (0.1 s) rather than Debian's
//! `pg_ctlcluster` (which polls for 2 s), or through the cluster's systemd
//! unit where systemd runs. Stopping is `fast` by default and is judged by
//! `pg_controldata` afterwards: only a cluster in state `shut down` has
//! written (and sent) its shutdown checkpoint.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::plan::{Changes, Failure, Plan, Step};
use crate::postgres::{parse_controldata, ControlData, Layout};
use crate::transport::shell::quote;
use crate::transport::{Exec, Transport};

pub struct Running;
pub struct Stopped;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[allow(dead_code)]
    pub name: String,
    /// In an orchestration: the hosts to act on.
    #[serde(default)]
    pub tgt: Option<String>,
    #[serde(default)]
    pub cluster: Layout,
    /// `postgres.stopped`: pg_ctl's shutdown mode.
    #[serde(default = "fast")]
    pub mode: String,
}

fn fast() -> String {
    "fast".into()
}

/// How this host runs its clusters: through systemd units or by pg_ctl.
const PROBE: &str = "if [ -d /run/systemd/system ]; then echo systemd; else echo plain; fi";

async fn running(host: &dyn Transport, layout: &Layout) -> Result<bool, Failure> {
    let out = host
        .exec(&Exec::new(layout.status_command()).runas(Some(&layout.user)))
        .await?;
    match out.code {
        0 => Ok(true),
        3 => Ok(false),
        _ => Err(Failure::new(format!(
            "no PostgreSQL cluster in {}: {}",
            layout.datadir,
            out.stderr.trim()
        ))),
    }
}

/// The cluster's control data, read from disk (the server may be down).
pub async fn controldata(host: &dyn Transport, layout: &Layout) -> Result<ControlData, Failure> {
    let cmd = format!(
        "LC_ALL=C {} -D {}",
        layout.bin("pg_controldata"),
        quote(&layout.datadir)
    );
    let out = host.exec(&Exec::new(cmd).runas(Some(&layout.user))).await?;
    parse_controldata(&out.stdout).ok_or_else(|| {
        Failure::new(format!(
            "pg_controldata {}: {}",
            layout.datadir,
            out.stderr.trim()
        ))
    })
}

async fn start(host: Arc<dyn Transport>, id: String, layout: Layout) -> Result<Changes, Failure> {
    let init = host.exec(&Exec::new(PROBE)).await?;
    let unit = format!("postgresql@{}-{}", layout.version, layout.cluster);
    let exec = if init.stdout.trim() == "systemd" {
        Exec::new(format!("systemctl start {}", quote(&unit)))
    } else {
        Exec::new(layout.start_command()).runas(Some(&layout.user))
    };
    let out = host.exec(&exec.timeout(Some(90))).await?;
    if !out.success() || !running(host.as_ref(), &layout).await? {
        return Err(Failure::new(format!(
            "PostgreSQL on {id} did not start ({}): see {}",
            out.stderr.trim(),
            layout.logfile
        )));
    }
    Ok(Changes::from_iter([(id, json!("started"))]))
}

/// Run pg_ctl's `cmd` as the cluster's owner (90 s at most), then read the
/// control data it left; `failed` words pg_ctl's failure, before its stderr.
async fn pg_ctl(
    host: &dyn Transport,
    layout: &Layout,
    cmd: String,
    failed: String,
) -> Result<ControlData, Failure> {
    let exec = Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(90));
    let out = host.exec(&exec).await?;
    if !out.success() {
        return Err(Failure::new(format!("{failed}: {}", out.stderr.trim())));
    }
    controldata(host, layout).await
}

async fn stop(
    host: Arc<dyn Transport>,
    id: String,
    layout: Layout,
    mode: String,
) -> Result<Changes, Failure> {
    let cmd = layout.stop_command(&mode);
    let failed = format!("PostgreSQL on {id} did not stop");
    let cd = pg_ctl(host.as_ref(), &layout, cmd, failed).await?;
    if !cd.state.starts_with("shut down") {
        return Err(Failure::new(format!(
            "PostgreSQL on {id} stopped but its cluster state is `{}`, not `shut down`",
            cd.state
        )));
    }
    Ok(Changes::from_iter([(
        id,
        json!({"stopped": cd.state, "checkpoint": cd.checkpoint.to_string(), "timeline": cd.timeline}),
    )]))
}

/// The hosts that need a step, each with it, as a plan's parts: the
/// changes (each host becomes `state`), the steps, and the hosts' list for
/// the comments. `None` when no host needs one.
fn per_host(todo: Vec<(String, Step)>, state: &str) -> Option<(Changes, Vec<Step>, String)> {
    if todo.is_empty() {
        return None;
    }
    let (ids, steps): (Vec<String>, Vec<Step>) = todo.into_iter().unzip();
    let changes = ids.iter().map(|id| (id.clone(), json!(state))).collect();
    Some((changes, steps, ids.join(", ")))
}

#[async_trait]
impl Function for Running {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let mut down = Vec::new();
        for (id, host) in ctx.targets(args.tgt.as_deref()).await? {
            if !running(host.as_ref(), &args.cluster).await? {
                let step = start(host, id.clone(), args.cluster.clone());
                let step = Step::future(format!("start PostgreSQL on {id}"), step);
                down.push((id, step));
            }
        }
        let dir = &args.cluster.datadir;
        let Some((changes, steps, on)) = per_host(down, "started") else {
            return Ok(Plan::noop(format!("PostgreSQL ({dir}) is already running")));
        };
        Ok(Plan::change(
            changes,
            format!("PostgreSQL ({dir}) is set to start on {on}"),
            format!("Started PostgreSQL ({dir}) on {on}"),
            steps,
        ))
    }
}

#[async_trait]
impl Function for Stopped {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let mut up = Vec::new();
        for (id, host) in ctx.targets(args.tgt.as_deref()).await? {
            if running(host.as_ref(), &args.cluster).await? {
                let step = stop(host, id.clone(), args.cluster.clone(), args.mode.clone());
                let step = Step::future(format!("stop PostgreSQL on {id}"), step);
                up.push((id, step));
            }
        }
        let dir = &args.cluster.datadir;
        let Some((changes, steps, on)) = per_host(up, "stopped") else {
            return Ok(Plan::noop(format!("PostgreSQL ({dir}) is already stopped")));
        };
        let mut plan = Plan::change(
            changes,
            format!(
                "PostgreSQL ({dir}) on {on} is set to stop ({} mode)",
                args.mode
            ),
            format!("Stopped PostgreSQL ({dir}) on {on} cleanly"),
            steps,
        );
        plan.applied = Some(Changes::new());
        Ok(plan)
    }
}

pub struct Promoted;

#[async_trait]
impl Function for Promoted {
    type Args = Args;

    /// Promote exactly when the standby marker is there (`standby.signal`,
    /// `recovery.conf` before PostgreSQL 12).
    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let layout = &args.cluster;
        let marker = layout.marker();
        let mut standbys = Vec::new();
        for (id, host) in ctx.targets(args.tgt.as_deref()).await? {
            let fact = host.read_files(std::slice::from_ref(&marker)).await?;
            if fact.first().is_some_and(|f| f.exists()) {
                let step = promote(host, id.clone(), layout.clone());
                let step = Step::future(format!("promote PostgreSQL on {id}"), step);
                standbys.push((id, step));
            }
        }
        let Some((changes, steps, on)) = per_host(standbys, "promoted") else {
            return Ok(Plan::noop(format!(
                "{marker} is absent: PostgreSQL is not a standby here, nothing to promote"
            )));
        };
        Ok(Plan::change(
            changes,
            format!("PostgreSQL on {on} is set to be promoted ({marker} is present)"),
            format!("Promoted PostgreSQL on {on}"),
            steps,
        ))
    }
}

async fn promote(host: Arc<dyn Transport>, id: String, layout: Layout) -> Result<Changes, Failure> {
    let cmd = layout.promote_command();
    let failed = format!("PostgreSQL on {id} was not promoted");
    let cd = pg_ctl(host.as_ref(), &layout, cmd, failed).await?;
    Ok(Changes::from_iter([(
        id,
        json!({"promoted": cd.state, "timeline": cd.timeline}),
    )]))
}
