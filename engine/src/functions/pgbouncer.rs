//! `pgbouncer.paused`, `pgbouncer.resumed`, `pgbouncer.reloaded`: PgBouncer
//! through its admin console.
//!
//! PAUSE has no timeout of its own (and in session pooling waits for every
//! client to leave): the console session is killed past `pause_timeout`,
//! and then every PgBouncer of the step is RESUMEd, so a failed pause
//! leaves clients running. RELOAD goes through the console too: it is
//! synchronous there, where SIGHUP would race a RESUME sent just after.

use std::future::Future;
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
/// Per host, the console's answer or its error.
type Answers = Vec<(String, Result<String, String>)>;

/// Send `command` to every PgBouncer at once; per host, the error if any.
async fn everywhere(hosts: &[Conn], b: &Bouncer, command: &'static str, timeout: u64) -> Answers {
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

/// The `id: error` lines of the hosts whose answer failed, but for errors
/// that contain `tolerated` (the state is already reached there).
fn errors(results: &[(String, Result<String, String>)], tolerated: Option<&str>) -> Vec<String> {
    results
        .iter()
        .filter_map(|(id, r)| match r {
            Err(e) if !tolerated.is_some_and(|t| e.contains(t)) => Some(format!("{id}: {e}")),
            _ => None,
        })
        .collect()
}

/// `command` everywhere: the results, or the failure naming each host it failed on.
async fn all_or_fail(
    hosts: &[Conn],
    b: &Bouncer,
    command: &'static str,
    timeout: u64,
    tolerated: Option<&str>,
) -> Result<Answers, Failure> {
    let results = everywhere(hosts, b, command, timeout).await;
    let errors = errors(&results, tolerated);
    if errors.is_empty() {
        Ok(results)
    } else {
        Err(Failure::new(format!(
            "{command} failed: {}",
            errors.join("; ")
        )))
    }
}

/// RESUME everywhere; "not paused" is not an error. The hosts resumed.
async fn resume(hosts: &[Conn], b: &Bouncer) -> Result<Vec<String>, Failure> {
    let results = all_or_fail(hosts, b, "RESUME", 5, Some("not paused")).await?;
    Ok(results
        .into_iter()
        .filter_map(|(id, r)| r.is_ok().then_some(id))
        .collect())
}

fn list(hosts: &[Conn]) -> String {
    hosts
        .iter()
        .map(|(id, _)| id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan the three share: each target host is to be `state`, by one
/// step that sends `command` (what `act` does with the hosts). `done` words
/// the result for the list of hosts.
async fn plan_everywhere<F>(
    args: &Args,
    ctx: &Ctx<'_>,
    command: &str,
    state: &str,
    done: impl FnOnce(&str) -> String,
    act: impl FnOnce(Vec<Conn>, Bouncer) -> F,
) -> Result<Plan, Failure>
where
    F: Future<Output = Result<Changes, Failure>> + Send + 'static,
{
    let hosts = ctx.targets(args.tgt.as_deref()).await?;
    let on = list(&hosts);
    let changes: Changes = hosts
        .iter()
        .map(|(id, _)| (id.clone(), json!(state)))
        .collect();
    let step = act(hosts, args.pgbouncer.clone());
    Ok(Plan::change(
        changes,
        format!("PgBouncer on {on} is set to {}", command.to_lowercase()),
        done(&on),
        vec![Step::future(format!("{command} PgBouncer on {on}"), step)],
    ))
}

#[async_trait]
impl Function for Paused {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let done = |on: &str| format!("PgBouncer paused on {on}: clients wait, none fails");
        plan_everywhere(args, ctx, "PAUSE", "paused", done, |hosts, b| async move {
            let results = everywhere(&hosts, &b, "PAUSE", b.pause_timeout).await;
            let failed = errors(&results, Some("already"));
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
        })
        .await
    }
}

#[async_trait]
impl Function for Resumed {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let done = |on: &str| format!("PgBouncer serving on {on}");
        let mut plan = plan_everywhere(
            args,
            ctx,
            "RESUME",
            "resumed",
            done,
            |hosts, b| async move {
                let resumed = resume(&hosts, &b).await?;
                Ok(resumed
                    .into_iter()
                    .map(|id| (id, json!("resumed")))
                    .collect())
            },
        )
        .await?;
        plan.applied = Some(Changes::new());
        Ok(plan)
    }
}

#[async_trait]
impl Function for Reloaded {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let done = |on: &str| format!("PgBouncer reloaded on {on}");
        plan_everywhere(
            args,
            ctx,
            "RELOAD",
            "reloaded",
            done,
            |hosts, b| async move {
                all_or_fail(&hosts, &b, "RELOAD", 10, None).await?;
                Ok(Changes::new())
            },
        )
        .await
    }
}
