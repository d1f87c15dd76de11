//! The PostgreSQL steps of a switchover, each judged by querying the
//! servers: `postgres.switchover_ready` (is one due, and safe?),
//! `postgres.caught_up` (the gate: promote only a standby that holds all of
//! the old writer's WAL, so no timeline ever diverges),
//! `postgres.streaming` (the old writer follows the new one),
//! `postgres.status` (a report), and `postgres.running` / `.stopped` on the
//! hosts `tgt` names.
//!
//! Each reads the facts it needs, then decides in a pure function of those
//! facts (`ready`, `gate`, `follow`), which the fixture tests call.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::super::cluster::{Cluster, Conn};
use super::super::target::Target;
use crate::facts::{ControlData, Server};
use crate::functions::postgres::{
    running_plan, stopped_plan, to_start, to_stop, ReceivedPast, Streams,
};
use crate::functions::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::postgres::{Bouncer, Layout};

pub(crate) struct SwitchoverReady(pub Arc<Cluster>);
pub(crate) struct CaughtUp(pub Arc<Cluster>);
pub(crate) struct Streaming(pub Arc<Cluster>);
pub(crate) struct Status(pub Arc<Cluster>);
pub(crate) struct Running(pub Arc<Cluster>);
pub(crate) struct Stopped(pub Arc<Cluster>);

async fn server(conn: &Conn, layout: &Layout) -> Result<Server, Failure> {
    Server::read(conn.1.as_ref(), layout)
        .await
        .map_err(|e| Failure::new(format!("{}: PostgreSQL does not answer: {e}", conn.0)))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadyArgs {
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

/// Both servers as they are, with the names each goes by.
pub(crate) struct Pair<'a> {
    pub writer: &'a str,
    pub query: &'a str,
    pub writer_names: Vec<String>,
    pub query_names: Vec<String>,
    pub new: Server,
    pub old: Server,
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// Due and safe: the writer-to-be streams from the current primary, is
/// not paused, and lags at most `max_lag`. Already done: nothing to do.
/// Anything else: refuse, saying what was found. (The PgBouncer consoles
/// are asked after this, by the step.)
pub(crate) fn ready(p: &Pair<'_>, max_lag: u64) -> Result<Plan, Failure> {
    ready_with(p, max_lag, false)
}

/// As `ready`; with `reconnecting`, a writer-to-be whose WAL receiver is
/// not streaming right now (it reconnects a few seconds after its upstream
/// restarted) is due too: the failover first waits for it to stream from
/// the old writer on its timeline, and goes no further if it does not.
pub(crate) fn ready_with(p: &Pair<'_>, max_lag: u64, reconnecting: bool) -> Result<Plan, Failure> {
    let (w, q, sn, so) = (p.writer, p.query, &p.new, &p.old);
    match (sn.in_recovery, so.in_recovery) {
        (false, true) if so.streams_from(&refs(&p.writer_names)) => {
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
    let waiting = reconnecting && sn.receiver.as_ref().is_none_or(|r| r.status != "streaming");
    if !sn.streams_from(&refs(&p.query_names)) && !waiting {
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
        (Some(primary), Some(replayed)) => primary.0.saturating_sub(replayed.0),
        _ => u64::MAX,
    };
    if lag > max_lag {
        return Err(Failure::new(format!(
            "{w} replays {} behind {q}, past the limit of {}",
            mib(lag),
            mib(max_lag)
        )));
    }
    let summary =
        format!("{q} → {w}: {w} streams from {q} {lag} bytes behind, both PgBouncers answer");
    let comment = format!("Switchover is due and safe: {summary}");
    Ok(Plan::change(
        Changes::from_iter([(
            "switchover".to_string(),
            json!({"from": q, "to": w, "lag_bytes": lag}),
        )]),
        comment.clone(),
        comment,
        vec![],
    ))
}

#[async_trait]
impl Function for SwitchoverReady {
    type Args = ReadyArgs;

    async fn plan(&self, args: &ReadyArgs, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let c = &self.0;
        let (new, old) = (c.one(&args.writer).await?, c.one(&args.query).await?);
        let (sn, so) = tokio::join!(server(&new, &args.cluster), server(&old, &args.cluster));
        let pair = Pair {
            writer: &args.writer,
            query: &args.query,
            writer_names: c.aliases(&args.writer),
            query_names: c.aliases(&args.query),
            new: sn?,
            old: so?,
        };
        let plan = ready(&pair, args.max_lag_bytes)?;
        if plan.is_noop() {
            return Ok(plan);
        }
        for conn in [&new, &old] {
            let console = crate::postgres::console(&args.pgbouncer, &["SHOW VERSION"], 5);
            let answer = conn
                .1
                .exec(&console)
                .await
                .map_err(|e| e.to_string())
                .and_then(|out| crate::postgres::console_answer(&out, 5));
            if let Err(e) = answer {
                return Err(Failure::new(format!(
                    "{}: the PgBouncer admin console does not answer: {e}",
                    conn.0
                )));
            }
        }
        Ok(plan)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaughtUpArgs {
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

/// The gate, from the old primary's control data and the standby's
/// state: nothing to wait for, wait until the standby has received past
/// the shutdown checkpoint, or refuse.
pub(crate) fn gate(
    standby: &str,
    primary: &str,
    cd: &ControlData,
    st: &Server,
    cluster: &Layout,
    timeout: u64,
) -> Result<Plan, Failure> {
    let (s, p) = (standby, primary);
    if !cd.cleanly_shut_down() {
        // Before the primary stops (a test run): the gate is still ahead.
        let comment = format!(
            "{p} is `{}`: once it has stopped cleanly, {s} must receive its shutdown checkpoint",
            cd.state
        );
        let failure = format!(
            "{p} is not cleanly shut down (`{}`): no shutdown checkpoint to wait for; not promoting",
            cd.state
        );
        return Ok(Plan::change(
            Changes::from_iter([(
                s.to_string(),
                json!({"wait_for": format!("{p}'s shutdown checkpoint")}),
            )]),
            comment,
            String::new(),
            vec![Action::Fail(failure)],
        ));
    }
    if !st.in_recovery {
        return Err(Failure::new(format!(
            "{s} is not a standby ({}): nothing to gate",
            st.describe()
        )));
    }
    if let Some(received) = st.lsn.filter(|r| *r > cd.checkpoint) {
        return Ok(Plan::noop(format!(
            "{s} holds all of {p}'s WAL: received {received} past its shutdown checkpoint at {}",
            cd.checkpoint
        )));
    }
    let wait = Action::wait(
        ReceivedPast {
            id: s.to_string(),
            cluster: cluster.clone(),
            lsn: cd.checkpoint,
        },
        Duration::from_secs(timeout),
        format!(
            "{s} did not receive {p}'s shutdown checkpoint at {} within {timeout} s; not promoting",
            cd.checkpoint
        ),
    )
    .at(s);
    Ok(Plan::change(
        Changes::from_iter([(
            s.to_string(),
            json!({"checkpoint": cd.checkpoint.to_string()}),
        )]),
        format!(
            "{s} is set to wait until it has {p}'s WAL up to its shutdown checkpoint at {}",
            cd.checkpoint
        ),
        format!(
            "{s} holds all of {p}'s WAL, up to its shutdown checkpoint at {}",
            cd.checkpoint
        ),
        vec![wait],
    ))
}

#[async_trait]
impl Function for CaughtUp {
    type Args = CaughtUpArgs;

    async fn plan(&self, args: &CaughtUpArgs, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let c = &self.0;
        let (standby, primary) = (c.one(&args.standby).await?, c.one(&args.primary).await?);
        let cd = ControlData::read(primary.1.as_ref(), &args.cluster)
            .await
            .map_err(Failure::new)?;
        let st = server(&standby, &args.cluster).await?;
        gate(
            &args.standby,
            &args.primary,
            &cd,
            &st,
            &args.cluster,
            args.timeout,
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamingArgs {
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

/// `check.id` follows its upstream now (`st`: what it is now, if it
/// answers), or the plan that waits until it does.
pub(crate) fn follow(check: Streams, st: Option<&Server>, timeout: u64) -> Plan {
    let (t, tli) = (check.id.clone(), check.timeline);
    let u = check.upstream.first().cloned().unwrap_or_default();
    if st.is_some_and(|st| check.holds(st)) {
        return Plan::noop(format!("{t} streams from {u} on timeline {tli}"));
    }
    let wait = Action::wait(
        check,
        Duration::from_secs(timeout),
        format!("{t} does not stream from {u} on timeline {tli} after {timeout} s"),
    )
    .at(&t);
    Plan::change(
        Changes::from_iter([(t.clone(), json!({"streaming_from": u, "timeline": tli}))]),
        format!("{t} is set to be checked until it streams from {u} on timeline {tli}"),
        format!("{t} streams from {u} on timeline {tli}"),
        vec![wait],
    )
    .applied(Changes::new())
}

#[async_trait]
impl Function for Streaming {
    type Args = StreamingArgs;

    /// `tgt` streams from `upstream` on `upstream`'s timeline, judged by
    /// `pg_stat_wal_receiver` (a standby that missed the switch starts
    /// fine and never streams).
    async fn plan(&self, args: &StreamingArgs, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let c = &self.0;
        let (standby, up) = (c.one(&args.tgt).await?, c.one(&args.upstream).await?);
        let timeline = server(&up, &args.cluster).await?.timeline;
        let now = server(&standby, &args.cluster).await.ok();
        let check = Streams {
            id: args.tgt.clone(),
            cluster: args.cluster.clone(),
            upstream: c.aliases(&args.upstream),
            timeline,
        };
        Ok(follow(check, now.as_ref(), args.timeout))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusArgs {
    #[allow(dead_code)]
    pub name: String,
    pub tgt: String,
    #[serde(default)]
    pub cluster: Layout,
}

#[async_trait]
impl Function for Status {
    type Args = StatusArgs;

    /// One line per host: role, timeline, WAL positions; an unreachable
    /// host says so. Changes nothing, and fails for nothing.
    async fn plan(&self, args: &StatusArgs, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let hosts = self.0.hosts(&Target::Glob(args.tgt.clone()));
        if hosts.is_empty() {
            return Err(Failure::new(format!(
                "no host in the roster matches `{}`",
                args.tgt
            )));
        }
        let mut lines = Vec::new();
        for h in hosts {
            let line = match crate::run::Reach::transport(self.0.as_ref(), &h.id).await {
                Ok(t) => match Server::read(t.as_ref(), &args.cluster).await {
                    Ok(st) => st.describe(),
                    Err(e) => format!("not answering ({e})"),
                },
                Err(e) => format!("unreachable ({e})"),
            };
            lines.push(format!("{}: {line}", h.id));
        }
        Ok(Plan::noop(lines.join("\n")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerArgs {
    #[allow(dead_code)]
    pub name: String,
    /// The hosts to act on.
    pub tgt: String,
    #[serde(default)]
    pub cluster: Layout,
    /// `postgres.stopped`: pg_ctl's shutdown mode.
    #[serde(default = "fast")]
    pub mode: String,
}

fn fast() -> String {
    "fast".into()
}

#[async_trait]
impl Function for Running {
    type Args = ServerArgs;

    async fn plan(&self, args: &ServerArgs, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let tgt = Target::Glob(args.tgt.clone());
        let mut todo = Vec::new();
        for (id, t) in self.0.connect(&tgt).await.map_err(Failure::new)? {
            if let Some(actions) = to_start(&id, t.as_ref(), &args.cluster).await? {
                todo.push((id.clone(), actions.into_iter().map(|a| a.at(&id)).collect()));
            }
        }
        Ok(running_plan(&args.cluster.datadir, todo))
    }
}

#[async_trait]
impl Function for Stopped {
    type Args = ServerArgs;

    async fn plan(&self, args: &ServerArgs, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let tgt = Target::Glob(args.tgt.clone());
        let mut todo = Vec::new();
        for (id, t) in self.0.connect(&tgt).await.map_err(Failure::new)? {
            if let Some(actions) = to_stop(&id, t.as_ref(), &args.cluster, &args.mode).await? {
                todo.push((id.clone(), actions.into_iter().map(|a| a.at(&id)).collect()));
            }
        }
        Ok(stopped_plan(&args.cluster.datadir, &args.mode, todo))
    }
}
