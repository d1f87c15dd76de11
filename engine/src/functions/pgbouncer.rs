//! `pgbouncer.paused`, `pgbouncer.resumed`, `pgbouncer.reloaded`: PgBouncer
//! through its admin console.
//!
//! PAUSE has no timeout of its own (and in session pooling waits for every
//! client to leave): the console session is killed past `pause_timeout`,
//! and then every PgBouncer of the step is RESUMEd, so a failed pause
//! leaves clients running. RELOAD goes through the console too: it is
//! synchronous there, where SIGHUP would race a RESUME sent just after.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::job::join_all;
use crate::plan::{Changes, Failure, Plan, Step};
use crate::postgres::{admin, Bouncer};
use crate::transport::Transport;

pub struct Paused;
pub struct Resumed;
pub struct Reloaded;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[allow(dead_code)]
    pub name: String,
    /// In an orchestration: the hosts whose PgBouncer to act on.
    #[serde(default)]
    pub tgt: Option<String>,
    #[serde(default)]
    pub pgbouncer: Bouncer,
}

type Conn = (String, Arc<dyn Transport>);

/// Send `command` to every PgBouncer at once; per host, the error if any.
async fn everywhere(
    hosts: &[Conn],
    b: &Bouncer,
    command: &'static str,
    timeout: u64,
) -> Vec<(String, Result<String, String>)> {
    let mut tasks = Vec::with_capacity(hosts.len());
    for (id, t) in hosts {
        let (id, t, b) = (id.clone(), Arc::clone(t), b.clone());
        tasks.push(tokio::spawn(async move {
            let r = admin(t.as_ref(), &b, &[command], timeout).await;
            (id, r)
        }));
    }
    join_all(tasks).await
}

/// RESUME everywhere; "not paused" is not an error. The hosts resumed.
async fn resume(hosts: &[Conn], b: &Bouncer) -> Result<Vec<String>, Failure> {
    let mut resumed = Vec::new();
    let mut errors = Vec::new();
    for (id, r) in everywhere(hosts, b, "RESUME", 5).await {
        match r {
            Ok(_) => resumed.push(id),
            Err(e) if e.contains("not paused") => {}
            Err(e) => errors.push(format!("{id}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(resumed)
    } else {
        Err(Failure::new(format!(
            "RESUME failed: {}",
            errors.join("; ")
        )))
    }
}

fn list(hosts: &[Conn]) -> String {
    hosts
        .iter()
        .map(|(id, _)| id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl Function for Paused {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let hosts = ctx.targets(args.tgt.as_deref()).await?;
        let on = list(&hosts);
        let changes: Changes = hosts
            .iter()
            .map(|(id, _)| (id.clone(), json!("paused")))
            .collect();
        let b = args.pgbouncer.clone();
        let pause = async move {
            let results = everywhere(&hosts, &b, "PAUSE", b.pause_timeout).await;
            let failed: Vec<String> = results
                .iter()
                .filter_map(|(id, r)| match r {
                    Err(e) if !e.contains("already") => Some(format!("{id}: {e}")),
                    _ => None,
                })
                .collect();
            if failed.is_empty() {
                return Ok(results
                    .into_iter()
                    .map(|(id, _)| (id, json!("paused")))
                    .collect());
            }
            let resumed = match resume(&hosts, &b).await {
                Ok(_) => format!("every PgBouncer ({}) is resumed", list(&hosts)),
                Err(e) => format!("and resuming failed too: {e}"),
            };
            Err(Failure::new(format!(
                "PAUSE did not complete ({}); {resumed}; nothing else was changed",
                failed.join("; ")
            )))
        };
        Ok(Plan::change(
            changes,
            format!("PgBouncer on {on} is set to pause"),
            format!("PgBouncer paused on {on}: clients wait, none fails"),
            vec![Step::future(format!("PAUSE PgBouncer on {on}"), pause)],
        ))
    }
}

#[async_trait]
impl Function for Resumed {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let hosts = ctx.targets(args.tgt.as_deref()).await?;
        let on = list(&hosts);
        let changes: Changes = hosts
            .iter()
            .map(|(id, _)| (id.clone(), json!("resumed")))
            .collect();
        let b = args.pgbouncer.clone();
        let step = async move {
            let resumed = resume(&hosts, &b).await?;
            Ok(resumed
                .into_iter()
                .map(|id| (id, json!("resumed")))
                .collect())
        };
        let mut plan = Plan::change(
            changes,
            format!("PgBouncer on {on} is set to resume"),
            format!("PgBouncer serving on {on}"),
            vec![Step::future(format!("RESUME PgBouncer on {on}"), step)],
        );
        plan.applied = Some(Changes::new());
        Ok(plan)
    }
}

#[async_trait]
impl Function for Reloaded {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let hosts = ctx.targets(args.tgt.as_deref()).await?;
        let on = list(&hosts);
        let changes: Changes = hosts
            .iter()
            .map(|(id, _)| (id.clone(), json!("reloaded")))
            .collect();
        let b = args.pgbouncer.clone();
        let step = async move {
            let mut errors = Vec::new();
            for (id, r) in everywhere(&hosts, &b, "RELOAD", 10).await {
                if let Err(e) = r {
                    errors.push(format!("{id}: {e}"));
                }
            }
            if errors.is_empty() {
                Ok(Changes::new())
            } else {
                Err(Failure::new(format!(
                    "RELOAD failed: {}",
                    errors.join("; ")
                )))
            }
        };
        Ok(Plan::change(
            changes,
            format!("PgBouncer on {on} is set to reload"),
            format!("PgBouncer reloaded on {on}"),
            vec![Step::future(format!("RELOAD PgBouncer on {on}"), step)],
        ))
    }
}
