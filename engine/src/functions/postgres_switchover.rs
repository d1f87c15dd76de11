//! The checks a switchover is made of, each judged by querying the servers:
//! `postgres.switchover_ready` (is one due, and safe?),
//! `postgres.caught_up` (the gate: promote only a standby that holds all of
//! the old writer's WAL, so no timeline ever diverges and pg_rewind is never
//! needed), `postgres.streaming` (the old writer follows the new one), and
//! `postgres.status` (a report).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::postgres_server::controldata;
use super::{Ctx, Function};
use crate::plan::{Changes, Failure, Plan, Step};
use crate::postgres::{admin, status, Bouncer, Layout, Lsn, Status};
use crate::transport::Transport;

pub struct SwitchoverReady;
pub struct CaughtUp;
pub struct Streaming;
pub struct Report;

type Conn = (String, Arc<dyn Transport>);

async fn one(ctx: &Ctx<'_>, id: &str) -> Result<Conn, Failure> {
    let mut hosts = ctx.targets(Some(id)).await?;
    match hosts.len() {
        1 => Ok(hosts.remove(0)),
        n => Err(Failure::new(format!("`{id}` names {n} hosts; name one"))),
    }
}

async fn status_of(conn: &Conn, layout: &Layout) -> Result<Status, Failure> {
    status(conn.1.as_ref(), layout)
        .await
        .map_err(|e| Failure::new(format!("{}: PostgreSQL does not answer: {e}", conn.0)))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadyArgs {
    #[allow(dead_code)]
    pub name: String,
    /// The host pillar names the writer: to become (or stay) the primary.
    pub writer: String,
    /// The host pillar names the query host: to become (or stay) its standby.
    pub query: String,
    #[serde(default)]
    pub cluster: Layout,
    #[serde(default)]
    pub pgbouncer: Bouncer,
    #[serde(default = "default_lag")]
    pub max_lag_bytes: u64,
}

fn default_lag() -> u64 {
    16 * 1024 * 1024
}

#[async_trait]
impl Function for SwitchoverReady {
    type Args = ReadyArgs;

    /// Due and safe: the writer-to-be streams from the current primary, is
    /// not paused, lags at most `max_lag_bytes`, and both PgBouncer admin
    /// consoles answer. Already done: nothing to do. Anything else: refuse,
    /// saying what was found.
    async fn plan(&self, args: &ReadyArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (new, old) = (one(ctx, &args.writer).await?, one(ctx, &args.query).await?);
        let (sn, so) = tokio::join!(
            status_of(&new, &args.cluster),
            status_of(&old, &args.cluster)
        );
        let (sn, so) = (sn?, so?);
        let (w, q) = (&args.writer, &args.query);
        let new_names = ctx.aliases(w);
        let old_names = ctx.aliases(q);
        let new_refs: Vec<&str> = new_names.iter().map(String::as_str).collect();
        match (sn.in_recovery, so.in_recovery) {
            (false, true) if so.streams_from(&new_refs) => {
                return Ok(Plan::noop(format!(
                    "{w} is the writer and {q} streams from it on timeline {}: nothing to do",
                    sn.timeline
                )))
            }
            (false, true) => {
                return Err(Failure::new(format!(
                    "{w} is already the writer, but {q} does not stream from it ({q}: {}); converge {q} with `converge highstate {q}`",
                    so.describe()
                )))
            }
            (false, false) => {
                return Err(Failure::new(format!(
                    "both {w} and {q} run as primaries: refusing to touch a split cluster"
                )))
            }
            (true, true) => {
                return Err(Failure::new(format!(
                    "neither {w} nor {q} is a primary ({w}: {}; {q}: {})",
                    sn.describe(),
                    so.describe()
                )))
            }
            (true, false) => {}
        }
        let old_refs: Vec<&str> = old_names.iter().map(String::as_str).collect();
        if !sn.streams_from(&old_refs) {
            return Err(Failure::new(format!(
                "{w} is not a streaming standby of {q} ({w}: {})",
                sn.describe()
            )));
        }
        if sn.replay_paused {
            return Err(Failure::new(format!(
                "replay is paused on {w}: resume it (pg_wal_replay_resume()) first"
            )));
        }
        let lag = match (so.lsn, sn.replayed) {
            (Some(p), Some(r)) => p.0.saturating_sub(r.0),
            _ => u64::MAX,
        };
        if lag > args.max_lag_bytes {
            return Err(Failure::new(format!(
                "{w} replays {} behind {q}, past the limit of {}",
                mib(lag),
                mib(args.max_lag_bytes)
            )));
        }
        for conn in [&new, &old] {
            admin(conn.1.as_ref(), &args.pgbouncer, &["SHOW VERSION"], 5)
                .await
                .map_err(|e| {
                    Failure::new(format!(
                        "{}: the PgBouncer admin console does not answer: {e}",
                        conn.0
                    ))
                })?;
        }
        let summary =
            format!("{q} → {w}: {w} streams from {q} {lag} bytes behind, both PgBouncers answer");
        Ok(Plan::change(
            Changes::from_iter([(
                "switchover".to_string(),
                json!({"from": q, "to": w, "lag_bytes": lag}),
            )]),
            format!("Switchover is due and safe: {summary}"),
            format!("Switchover is due and safe: {summary}"),
            vec![],
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaughtUpArgs {
    #[allow(dead_code)]
    pub name: String,
    pub standby: String,
    pub primary: String,
    #[serde(default)]
    pub cluster: Layout,
    #[serde(default = "ten")]
    pub timeout: u64,
}

fn ten() -> u64 {
    10
}

/// Wait until `standby` has received past `checkpoint`.
async fn wait_received(
    standby: Conn,
    layout: Layout,
    checkpoint: Lsn,
    timeout: u64,
    primary: String,
) -> Result<Changes, Failure> {
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let st = status_of(&standby, &layout).await?;
        if let Some(r) = st.lsn.filter(|r| *r > checkpoint) {
            return Ok(Changes::from_iter([(
                standby.0.clone(),
                json!({"received": r.to_string(), "checkpoint": checkpoint.to_string()}),
            )]));
        }
        if Instant::now() >= deadline {
            return Err(Failure::new(format!(
                "{} received WAL only up to {} within {timeout} s, short of {primary}'s shutdown checkpoint at {checkpoint}: not promoting",
                standby.0,
                st.lsn.map_or("nothing".to_string(), |l| l.to_string())
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[async_trait]
impl Function for CaughtUp {
    type Args = CaughtUpArgs;

    async fn plan(&self, args: &CaughtUpArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (standby, primary) = (
            one(ctx, &args.standby).await?,
            one(ctx, &args.primary).await?,
        );
        let (s, p) = (&args.standby, &args.primary);
        let cd = controldata(primary.1.as_ref(), &args.cluster).await?;
        if !cd.cleanly_shut_down() {
            // Before the primary stops (a test run): the gate is still ahead.
            let comment = format!("{p} is `{}`: once it has stopped cleanly, {s} must receive its shutdown checkpoint", cd.state);
            let failure = format!("{p} is not cleanly shut down (`{}`): no shutdown checkpoint to wait for; not promoting", cd.state);
            return Ok(Plan::change(
                Changes::from_iter([(
                    s.clone(),
                    json!({"wait_for": format!("{p}'s shutdown checkpoint")}),
                )]),
                comment,
                String::new(),
                vec![Step::Fail(failure)],
            ));
        }
        let st = status_of(&standby, &args.cluster).await?;
        if !st.in_recovery {
            return Err(Failure::new(format!(
                "{s} is not a standby ({}): nothing to gate",
                st.describe()
            )));
        }
        if st.lsn.is_some_and(|r| r > cd.checkpoint) {
            return Ok(Plan::noop(format!(
                "{s} holds all of {p}'s WAL: received {} past its shutdown checkpoint at {}",
                st.lsn.expect("checked"),
                cd.checkpoint
            )));
        }
        let wait = wait_received(
            standby,
            args.cluster.clone(),
            cd.checkpoint,
            args.timeout,
            p.clone(),
        );
        Ok(Plan::change(
            Changes::from_iter([(s.clone(), json!({"checkpoint": cd.checkpoint.to_string()}))]),
            format!(
                "{s} is set to wait until it has {p}'s WAL up to its shutdown checkpoint at {}",
                cd.checkpoint
            ),
            format!(
                "{s} holds all of {p}'s WAL, up to its shutdown checkpoint at {}",
                cd.checkpoint
            ),
            vec![Step::future(
                format!("wait for {s} to receive {}", cd.checkpoint),
                wait,
            )],
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamingArgs {
    #[allow(dead_code)]
    pub name: String,
    pub tgt: String,
    pub upstream: String,
    #[serde(default)]
    pub cluster: Layout,
    #[serde(default = "thirty")]
    pub timeout: u64,
}

fn thirty() -> u64 {
    30
}

#[async_trait]
impl Function for Streaming {
    type Args = StreamingArgs;

    /// `tgt` streams from `upstream` on `upstream`'s timeline, judged by
    /// `pg_stat_wal_receiver` (a standby that missed the switch starts
    /// fine and never streams).
    async fn plan(&self, args: &StreamingArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (standby, up) = (one(ctx, &args.tgt).await?, one(ctx, &args.upstream).await?);
        let names = ctx.aliases(&args.upstream);
        let (t, u) = (args.tgt.clone(), args.upstream.clone());
        let follows = move |st: &Status, tli: u32| {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            st.streams_from(&refs) && st.receiver.as_ref().is_some_and(|r| r.timeline == tli)
        };
        let upstream_tli = status_of(&up, &args.cluster).await?.timeline;
        let now = status_of(&standby, &args.cluster).await.ok();
        if now.as_ref().is_some_and(|st| follows(st, upstream_tli)) {
            return Ok(Plan::noop(format!(
                "{t} streams from {u} on timeline {upstream_tli}"
            )));
        }
        let (layout, timeout) = (args.cluster.clone(), args.timeout);
        let wait = async move {
            let deadline = Instant::now() + Duration::from_secs(timeout);
            loop {
                let st = status_of(&standby, &layout).await.ok();
                if st.as_ref().is_some_and(|st| follows(st, upstream_tli)) {
                    return Ok(Changes::from_iter([(
                        t.clone(),
                        json!({"streaming_from": u, "timeline": upstream_tli}),
                    )]));
                }
                if Instant::now() >= deadline {
                    let seen = st.map_or("not answering".to_string(), |s| s.describe());
                    return Err(Failure::new(format!(
                        "{t} does not stream from {u} on timeline {upstream_tli} after {timeout} s ({t}: {seen})"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let mut plan = Plan::change(
            Changes::from_iter([(
                args.tgt.clone(),
                json!({"streaming_from": args.upstream, "timeline": upstream_tli}),
            )]),
            format!(
                "{} is set to be checked until it streams from {} on timeline {upstream_tli}",
                args.tgt, args.upstream
            ),
            format!(
                "{} streams from {} on timeline {upstream_tli}",
                args.tgt, args.upstream
            ),
            vec![Step::future(
                format!("wait for {} to stream", args.tgt),
                wait,
            )],
        );
        plan.applied = Some(Changes::new());
        Ok(plan)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportArgs {
    #[allow(dead_code)]
    pub name: String,
    pub tgt: String,
    #[serde(default)]
    pub cluster: Layout,
}

#[async_trait]
impl Function for Report {
    type Args = ReportArgs;

    /// One line per host: role, timeline, WAL positions. Changes nothing.
    async fn plan(&self, args: &ReportArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let mut lines = Vec::new();
        for conn in ctx.targets(Some(&args.tgt)).await? {
            let line = match status(conn.1.as_ref(), &args.cluster).await {
                Ok(st) => st.describe(),
                Err(e) => format!("not answering ({e})"),
            };
            lines.push(format!("{}: {line}", conn.0));
        }
        Ok(Plan::noop(lines.join("\n")))
    }
}
