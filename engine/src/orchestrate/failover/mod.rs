//! `postgres.failover`: make pillar's writer the primary and its query host
//! a standby of it, planned or not, decided from the cluster's real state
//! read at the start of the run (`survey`, then `decide`, a pure function
//! of it). Each step is planned against the hosts just before it runs and
//! applied by the executor, or only described in a test run (where the
//! hosts' own states run in test mode, so every diff shows). The steps are
//! reported nested, as states of their own, under the `failover` step.
//!
//! When a step fails, what it had started is undone: before the commit
//! point the old writer starts again and every PgBouncer resumes; after it
//! the PgBouncers resume. If converge itself dies, the pause guards on the
//! hosts do the same on their own (`guard`), and a rerun reads the cluster
//! anew and finishes the job, or says exactly why it cannot.

mod checks;
mod decide;
mod guard;
mod survey;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use self::checks::{Down, NotAWriter, NotPrimary};
use self::decide::{decide, Ask, Case, Decision, Step};
use self::survey::survey;
use super::cluster::Cluster;
use super::salt::states_outcome;
use super::steps::postgres::{follow, gate};
use super::target::Target;
use crate::clock;
use crate::compile::StateId;
use crate::facts::{ControlData, Peer, Server, WalEnd};
use crate::functions::pgbouncer::{pause, reload, resume};
use crate::functions::postgres::standby::Replication;
use crate::functions::postgres::{
    promoted_plan, running_plan, stopped_plan, to_promote, to_start, to_stop,
};
use crate::functions::{Ctx, Delegate};
use crate::plan::{Action, Changes, Failure, On, Plan};
use crate::postgres::{prepared, Bouncer, Layout};
use crate::result::{HostOutcome, HostReport, Outcome, Report, StateResult};
use crate::run::{apply_plan, test_outcome};
use crate::transport::shell::quote;
use crate::transport::WriteFile;

pub(super) struct Failover(pub Arc<Cluster>);

/// Seconds a host other than the new writer gets to answer ssh when the
/// operator said the writer is lost (the roster's `timeout` otherwise),
/// a stale master's try and a new connection's together; the
/// `no_other_writer` check still asks its PostgreSQL over every path.
const LOST_CONNECT: u64 = 3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    #[allow(dead_code)]
    pub name: String,
    /// The host pillar names the writer: to become (or stay) the primary.
    pub writer: String,
    /// The host pillar names the query host: to follow it.
    pub query: String,
    /// The operator's word that an unreachable writer is gone.
    #[serde(default)]
    pub writer_lost: bool,
    #[serde(default)]
    pub cluster: Layout,
    #[serde(default)]
    pub pgbouncer: Bouncer,
    pub replication: Replication,
    #[serde(default = "default_lag")]
    pub max_lag_bytes: u64,
    /// Seconds the new writer may take to receive the old one's last WAL.
    #[serde(default = "ten")]
    pub catch_up_timeout: u64,
}

fn default_lag() -> u64 {
    16 * 1024 * 1024
}

fn ten() -> u64 {
    10
}

#[async_trait]
impl Delegate for Failover {
    type Args = Args;

    async fn delegate(&self, args: &Args, ctx: &Ctx<'_>, test: bool) -> Outcome {
        let others = vec![args.query.clone()];
        // With writer_lost confirmed, the lost host is asked only to be sure
        // it is gone: a host on the network answers ssh within
        // milliseconds, and every second spent waiting on it is a second
        // the clients wait.
        let budget = args.writer_lost.then_some(LOST_CONNECT);
        let found = survey(
            &self.0,
            &args.writer,
            &others,
            budget,
            &args.cluster,
            &args.pgbouncer,
        )
        .await;
        let ask = Ask {
            writer: args.writer.clone(),
            query: args.query.clone(),
            writer_lost: args.writer_lost,
            max_lag_bytes: args.max_lag_bytes,
        };
        let decision = match decide(&found, &ask) {
            Ok(d) => d,
            Err(why) => return Outcome::failed(why),
        };
        Run {
            cluster: &self.0,
            args,
            ctx,
            test,
            armed_at: Default::default(),
        }
        .all(decision)
        .await
    }
}

struct Run<'a> {
    cluster: &'a Arc<Cluster>,
    args: &'a Args,
    ctx: &'a Ctx<'a>,
    test: bool,
    /// When the pause guards were armed: past their deadline they act, so
    /// nothing is promoted close to it (a lease).
    armed_at: std::sync::Mutex<Option<Instant>>,
}

impl Run<'_> {
    async fn all(&self, d: Decision) -> Outcome {
        let mut changes = Changes::from_iter([
            ("case".to_string(), json!(d.case.describe())),
            (
                "steps".to_string(),
                json!(d.steps.iter().map(Step::id).collect::<Vec<_>>()),
            ),
        ]);
        if d.case == Case::Done {
            return Outcome::new(Some(true), Changes::new(), d.account);
        }
        let mut results = Vec::new();
        let mut failed_at = None;
        for (i, step) in d.steps.iter().enumerate() {
            let r = self.step(step, results.len()).await;
            let failed = r.failed();
            results.push(r);
            if failed && !self.test {
                failed_at = Some(i);
                break;
            }
        }
        if let Some(i) = failed_at {
            let undo = if i < d.commit {
                &d.undo_before
            } else {
                &d.undo_after
            };
            for step in undo {
                let r = self.step(step, results.len()).await;
                results.push(r);
            }
        }
        let mut comment = format!("{}: {}", d.case.describe(), d.account);
        if !d.notes.is_empty() {
            changes.insert("notes".into(), json!(d.notes));
            comment.push_str(&format!("\nNote: {}", d.notes.join("\nNote: ")));
        }
        let failed: Vec<&StateResult> = results.iter().filter(|r| r.failed()).collect();
        let result = if let Some(first) = failed.first() {
            comment.push_str(&format!(
                "\nFailed at {}: {}",
                first.state.id,
                first.comment.lines().next().unwrap_or_default()
            ));
            Some(false)
        } else if self.test {
            None
        } else {
            Some(true)
        };
        Outcome {
            result,
            changes,
            comment,
            nested: Some(Report {
                hosts: vec![HostReport {
                    id: "failover".into(),
                    outcome: HostOutcome::Reached(results),
                }],
            }),
        }
    }

    /// One step: planned now, applied (or described, in a test run).
    async fn step(&self, step: &Step, run_num: usize) -> StateResult {
        let (module, fun) = step.function();
        let state = StateId {
            module: module.into(),
            id: step.id().into(),
            name: step.id().into(),
            fun: fun.into(),
        };
        if let Some(o) = &self.cluster.observer {
            o.started(&state);
        }
        let (start_time, started) = (clock::now(), Instant::now());
        let outcome = self.outcome(step).await;
        let r = StateResult {
            state,
            sls: self.ctx.chunk.sls.clone(),
            result: outcome.result,
            changes: outcome.changes,
            comment: outcome.comment,
            start_time,
            duration_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            run_num,
            nested: outcome.nested,
        };
        if let Some(o) = &self.cluster.observer {
            o.finished(&r);
        }
        r
    }

    async fn outcome(&self, step: &Step) -> Outcome {
        if let Step::Converge {
            hosts,
            mode,
            pillar,
            ..
        } = step
        {
            let tgt = Target::List(hosts.clone());
            return match self
                .cluster
                .state(&tgt, mode.clone(), self.test, Some(pillar.clone()))
                .await
            {
                Ok(report) => states_outcome(report, self.test, &[], 0, None),
                Err(e) => Outcome::failed(e),
            };
        }
        if let Err(f) = self.lease(step) {
            return f.into();
        }
        let plan = match self.plan(step).await {
            Ok(p) => p,
            Err(f) => return f.into(),
        };
        if self.test {
            let steps = plan.describe().join("\n");
            let mut o = test_outcome(plan);
            if !o.comment.is_empty() {
                o.comment.push('\n');
            }
            o.comment.push_str(&steps);
            return o;
        }
        apply_plan(plan, self.ctx.host, Some(self.cluster.as_ref())).await
    }

    /// The guards are armed by a PAUSE; a promotion must start well before
    /// their deadline, when they may start the old writer again.
    fn lease(&self, step: &Step) -> Result<(), Failure> {
        let mut armed = self.armed_at.lock().unwrap_or_else(|e| e.into_inner());
        match step {
            Step::Pause { .. } if !self.test => *armed = Some(Instant::now()),
            Step::Promote { .. } => {
                if let Some(at) = *armed {
                    let deadline = self.args.pgbouncer.pause_timeout + 1;
                    let left =
                        std::time::Duration::from_secs(deadline).saturating_sub(at.elapsed());
                    if left < std::time::Duration::from_millis(1500) {
                        return Err(Failure::new(format!(
                            "the pause guards act {} s after the PAUSE and {:.1} s of it are gone: not promoting so close to it",
                            deadline,
                            at.elapsed().as_secs_f64()
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn peer(&self, host: &str) -> Peer {
        Peer {
            host: host.to_string(),
            port: self.args.cluster.port,
            user: self.args.replication.user.clone(),
            password: self.args.replication.password.clone(),
        }
    }

    /// The plan of a step, from the hosts as they are now.
    async fn plan(&self, step: &Step) -> Result<Plan, Failure> {
        let (a, layout, b) = (self.args, &self.args.cluster, &self.args.pgbouncer);
        let on = |ids: &[String]| ids.iter().map(|id| On::host(id)).collect::<Vec<_>>();
        Ok(match step {
            Step::Pause { hosts, restart_on } => {
                // The guard fires a second past pause_timeout.
                let deadline = b.pause_timeout + 1;
                let peer = self.peer(&self.cluster.address(&a.writer));
                let old = self.cluster.address(&a.query);
                let arms = hosts
                    .iter()
                    .map(|h| {
                        let restart = restart_on.as_deref() == Some(h.as_str());
                        let new = Some(guard::NewWriter { peer: &peer, old: &old });
                        guard::arm(On::host(h), b, layout, restart, deadline, new)
                    })
                    .collect();
                let mut p = pause(hosts, &on(hosts), b);
                p.actions.insert(0, Action::Together(arms));
                p.undo.push(Action::Together(
                    hosts.iter().map(|h| guard::disarm(On::host(h), b)).collect(),
                ));
                p
            }
            Step::Prepare { hosts, writer } => self.prepare(hosts, writer).await?,
            Step::Repoint { hosts } => {
                let install = b
                    .files()
                    .iter()
                    .map(|f| {
                        let (f, next) = (quote(f), quote(&prepared(f)));
                        format!("if [ -e {next} ]; then mv -f -- {next} {f}; fi")
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut all = Vec::new();
                for h in hosts {
                    all.push(
                        Action::run(
                            crate::transport::Exec::new(install.clone()),
                            format!("could not put {h}'s prepared PgBouncer configuration in place"),
                        )
                        .said("put the prepared PgBouncer configuration in place")
                        .at(h),
                    );
                }
                let mut p = reload(hosts, &on(hosts), b);
                p.actions.insert(0, Action::Together(all));
                p.comment = format!("PgBouncer on {} is set to point at the writer (its prepared configuration put in place, then RELOAD)", hosts.join(", "));
                p.done = format!("PgBouncer on {} points at the writer", hosts.join(", "));
                p
            }
            Step::Discard { hosts } => {
                let rm = b
                    .files()
                    .iter()
                    .map(|f| quote(&prepared(f)))
                    .collect::<Vec<_>>()
                    .join(" ");
                let all = hosts
                    .iter()
                    .map(|h| {
                        Action::run(
                            crate::transport::Exec::new(format!("rm -f -- {rm}")),
                            "could not remove the prepared PgBouncer files",
                        )
                        .said("remove the prepared PgBouncer files")
                        .at(h)
                    })
                    .collect();
                Plan::change(
                    Changes::new(),
                    format!("The prepared PgBouncer files on {} are set to be removed", hosts.join(", ")),
                    format!("The prepared PgBouncer files on {} are removed", hosts.join(", ")),
                    vec![Action::Together(all)],
                )
            }
            Step::Release { hosts } => {
                let mut actions = Vec::new();
                for db in &b.databases {
                    for (command, tolerate) in [("KILL", None), ("RESUME", Some("not paused"))] {
                        actions.push(Action::Together(
                            hosts
                                .iter()
                                .map(|h| Action::Console {
                                    on: On::host(h),
                                    bouncer: b.clone(),
                                    command: format!("{command} {db}"),
                                    timeout: 5,
                                    tolerate: tolerate.map(str::to_string),
                                    fail: format!("{command} {db} failed"),
                                })
                                .collect(),
                        ));
                    }
                }
                Plan::change(
                    Changes::new(),
                    format!("The clients PgBouncer on {} holds on the lost writer are set to be dropped ({}), new ones to reach the new writer", hosts.join(", "), b.databases.join(", ")),
                    format!("PgBouncer on {} dropped the clients it held on the lost writer", hosts.join(", ")),
                    actions,
                )
            }
            Step::Resume { hosts } => {
                let mut p = resume(hosts, &on(hosts), b);
                p.actions.push(Action::Together(
                    hosts.iter().map(|h| guard::disarm(On::host(h), b)).collect(),
                ));
                p
            }
            Step::Stop { host } => {
                let (id, t) = self.cluster.one(host).await?;
                let todo = to_stop(&id, t.as_ref(), layout, "fast").await?;
                let todo = todo.map(|acts| (id.clone(), acts.into_iter().map(|x| x.at(&id)).collect()));
                stopped_plan(&layout.datadir, "fast", todo.into_iter().collect())
            }
            Step::Restart { host } => {
                let (id, t) = self.cluster.one(host).await?;
                let todo = to_start(&id, t.as_ref(), layout).await?;
                let todo = todo.map(|acts| (id.clone(), acts.into_iter().map(|x| x.at(&id)).collect()));
                running_plan(&layout.datadir, todo.into_iter().collect())
            }
            Step::CaughtUp {
                standby,
                primary,
                address,
                from,
            } => {
                let (p, st) = tokio::join!(self.cluster.one(primary), self.cluster.one(standby));
                let ((_, tp), (_, ts)) = (p?, st?);
                let (cd, st) = tokio::join!(
                    ControlData::read(tp.as_ref(), layout),
                    Server::read(ts.as_ref(), layout)
                );
                let cd = cd.map_err(Failure::new)?;
                let st = st.map_err(|e| {
                    Failure::new(format!("{standby}: PostgreSQL does not answer: {e}"))
                })?;
                let timeout = a.catch_up_timeout.min(b.pause_timeout);
                let mut plan = gate(standby, primary, &cd, &st, layout, timeout)?;
                // Read-only, so at the same time: nobody else writes.
                let mut all = std::mem::take(&mut plan.actions);
                all.extend(self.not_a_writer(primary, address, from, true));
                plan.actions = vec![Action::Together(all)];
                if plan.done.is_empty() {
                    plan.done = plan.comment.clone();
                }
                plan.comment
                    .push_str(&format!("; and {primary} accepts no writes, through every path"));
                plan.done
                    .push_str(&format!("; and {primary} accepts no writes, through every path"));
                plan
            }
            Step::Fence { host, received } => self.fence(host, *received).await?,
            Step::Commit { host } => Plan::change(
                Changes::from_iter([(host.clone(), json!("committed"))]),
                format!("{host}'s pause guard is set to give up restarting it: past this, {host} does not come back as the writer"),
                format!("{host}'s pause guard gave up restarting it"),
                vec![guard::commit(On::host(host), b)],
            ),
            Step::Promote { host } => {
                let (id, t) = self.cluster.one(host).await?;
                match to_promote(&id, t.as_ref(), layout).await? {
                    Some(acts) => promoted_plan(
                        &layout.marker(),
                        vec![(id.clone(), acts.into_iter().map(|x| x.at(&id)).collect())],
                    ),
                    // No standby marker: it must be a primary already (an
                    // earlier run promoted it), or this failover cannot
                    // make it one.
                    None => Plan::change(
                        Changes::new(),
                        format!("{id} has no standby marker: it is set to be checked to be a primary already"),
                        format!("{id} is a primary already"),
                        vec![Action::verify(
                            crate::functions::postgres::InProduction {
                                id: id.clone(),
                                cluster: layout.clone(),
                            },
                            format!("{id} cannot be promoted: it has no standby marker ({}) and is not a primary", layout.marker()),
                        )
                        .at(&id)],
                    ),
                }
            }
            Step::Checkpoint { host } => Plan::change(
                Changes::new(),
                format!("{host} is set to checkpoint, so that its control file shows its new timeline"),
                format!("{host} checkpointed: its control file shows its new timeline"),
                vec![Action::Sql {
                    on: On::host(host),
                    cluster: layout.clone(),
                    sql: "CHECKPOINT".into(),
                    fail: format!("CHECKPOINT on {host} failed"),
                }],
            ),
            Step::OnlyWriter {
                old,
                address,
                from,
                ssh,
            } => Plan::change(
                Changes::new(),
                format!("{old} is set to be checked: not a writer, through every path"),
                format!("{old} accepts no writes, through every path"),
                vec![Action::Together(self.not_a_writer(old, address, from, *ssh))],
            ),
            Step::Streams {
                standby,
                upstream,
                names,
                timeline,
            } => {
                let check = crate::functions::postgres::Streams {
                    id: standby.clone(),
                    cluster: layout.clone(),
                    upstream: names.clone(),
                    timeline: *timeline,
                };
                let mut p = follow(check, None, a.catch_up_timeout);
                p.comment = format!("{standby} is set to be waited for until it streams from {upstream} again on timeline {timeline}");
                p
            }
            Step::Restore { old, new } => self.restore(old, new).await?,
            Step::Converge { .. } => unreachable!("converged, not planned"),
        })
    }

    /// The checks that `old` accepts no writes: its server down (over ssh,
    /// when `ssh`), and no answer as a primary at its address from each of
    /// `from` (the controller is `None`).
    fn not_a_writer(
        &self,
        old: &str,
        address: &str,
        from: &[Option<String>],
        ssh: bool,
    ) -> Vec<Action> {
        let layout = &self.args.cluster;
        let mut checks = Vec::new();
        if ssh {
            checks.push(
                Action::verify(
                    Down {
                        id: old.to_string(),
                        cluster: layout.clone(),
                    },
                    format!("{old}'s PostgreSQL runs: not promoting beside it"),
                )
                .at(old),
            );
        }
        for f in from {
            let check = NotAWriter {
                target: old.to_string(),
                peer: self.peer(address),
                from: f.clone().unwrap_or_else(|| "this controller".into()),
            };
            let act = Action::verify(check, "not promoting");
            checks.push(match f {
                Some(h) => act.at(h),
                None => act,
            });
        }
        checks
    }

    /// Each PgBouncer's files as its states would write them for the new
    /// writer, written beside the live ones (`prepared`), stale ones gone.
    async fn prepare(&self, hosts: &[String], writer: &str) -> Result<Plan, Failure> {
        let b = &self.args.pgbouncer;
        let mut actions = Vec::new();
        let (mut diffs, mut changed) = (Changes::new(), Changes::new());
        for h in hosts {
            let stale = b
                .files()
                .iter()
                .map(|f| format!("rm -f -- {}", quote(&prepared(f))))
                .collect::<Vec<_>>()
                .join("; ");
            actions.push(
                Action::run(
                    crate::transport::Exec::new(stale),
                    "could not clear prepared files",
                )
                .said("clear earlier prepared PgBouncer files")
                .at(h),
            );
            let pillar = json!({"failover": {"repointing": writer}});
            let writes = self
                .cluster
                .planned_writes(h, crate::job::Mode::Sls(vec!["pgbouncer".into()]), pillar)
                .await
                .map_err(Failure::new)?;
            let (mut files, mut shown) = (Vec::new(), Changes::new());
            for (mut w, change) in writes {
                if !b.files().contains(&w.path.as_str()) {
                    continue;
                }
                files.push(w.path.clone());
                shown.insert(w.path.clone(), serde_json::Value::Object(change));
                w.path = prepared(&w.path);
                actions.push(Action::write(w).at(h));
            }
            if !files.is_empty() {
                diffs.insert(h.clone(), serde_json::Value::Object(shown));
                changed.insert(h.clone(), json!(files));
            }
        }
        Ok(Plan::change(
            diffs,
            format!(
                "PgBouncer's configuration for {writer} is set to be prepared on {}",
                hosts.join(", ")
            ),
            format!(
                "PgBouncer's configuration for {writer} prepared on {}",
                hosts.join(", ")
            ),
            actions,
        )
        .applied(changed))
    }

    /// A step after the commit failed: unless `new` is a primary now, its
    /// promotion is withdrawn (a pending `promote.signal` removed) and
    /// `old` starts again as the writer it was.
    async fn restore(&self, old: &str, new: &str) -> Result<Plan, Failure> {
        let layout = &self.args.cluster;
        let (_, tn) = self.cluster.one(new).await?;
        if let Ok(st) = Server::read(tn.as_ref(), layout).await {
            if !st.in_recovery {
                return Ok(Plan::noop(format!(
                    "{new} is the writer (timeline {}): {old} stays down",
                    st.timeline
                )));
            }
        }
        let (_, to) = self.cluster.one(old).await?;
        let Some(start) = to_start(old, to.as_ref(), layout).await? else {
            return Ok(Plan::noop(format!("{new} was not promoted and {old} runs")));
        };
        let withdraw = Action::run(
            crate::transport::Exec::new(format!(
                "rm -f -- {}",
                crate::transport::shell::quote(&format!("{}/promote.signal", layout.datadir))
            )),
            format!("could not withdraw {new}'s promotion"),
        )
        .at(new);
        let still = Action::verify(
            NotPrimary {
                id: new.to_string(),
                cluster: layout.clone(),
            },
            format!("not starting {old} again"),
        )
        .at(new);
        let mut actions = vec![withdraw, still];
        actions.extend(start.into_iter().map(|a| a.at(old)));
        Ok(Plan::change(
            Changes::from_iter([(old.to_string(), json!("started"))]),
            format!("{new} was not promoted: {old} is set to start again as the writer"),
            format!("{new} was not promoted: {old} is the writer again"),
            actions,
        ))
    }

    /// The old writer is down: check it stays so, and write the standby
    /// marker so that a restart brings it up as a standby (that streams
    /// from nobody until it is rejoined). Report the WAL it had past what
    /// the new writer received.
    async fn fence(
        &self,
        host: &str,
        received: Option<crate::postgres::Lsn>,
    ) -> Result<Plan, Failure> {
        let layout = &self.args.cluster;
        let (_, t) = self.cluster.one(host).await?;
        let cd = ControlData::read(t.as_ref(), layout)
            .await
            .map_err(Failure::new)?;
        let mut seen = json!({"fenced": true, "state": cd.state, "timeline": cd.timeline});
        if let Some(r) = received {
            seen["received_by_new_writer"] = json!(r.to_string());
            match WalEnd::read(t.as_ref(), layout, cd.timeline, r, cd.segment_bytes).await {
                Ok(end) => {
                    seen["wal_end"] = json!(end.lsn().to_string());
                    seen["lost_wal_bytes"] = json!(end.lsn().0.saturating_sub(r.0));
                }
                Err(e) => seen["lost_wal_bytes"] = json!(format!("unknown: {e}")),
            }
        }
        let marker = Action::write(WriteFile {
            path: layout.marker(),
            content: Vec::new(),
            user: Some(layout.user.clone()),
            group: Some(layout.user.clone()),
            mode: Some(0o600),
            makedirs: false,
        });
        let down = Action::verify(
            Down {
                id: host.to_string(),
                cluster: layout.clone(),
            },
            format!("{host}'s PostgreSQL runs again: not fencing a running server"),
        );
        Ok(Plan::change(
            Changes::from_iter([(host.to_string(), seen)]),
            format!("{host} is set to be fenced: checked down, and marked to come back only as a standby"),
            format!("{host} fenced: down, and marked to come back only as a standby"),
            vec![down.at(host), marker.at(host)],
        ))
    }
}

#[cfg(test)]
mod tests;
