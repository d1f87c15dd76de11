//! The executor: states in graph order, requisites and checks as Salt
//! evaluates them, each state planned just before it runs and its plan
//! applied (`apply`) unless the run is a test. Test mode lives here and
//! only here.
//!
//! It runs one host's graph with the functions it is handed (a
//! `functions::Registry`). An orchestration hands it its steps too, and a
//! way to reach the hosts those steps act on (`Reach`); a host's own run
//! reaches no other host.

mod apply;

pub(crate) use apply::apply as apply_plan;
mod checks;
mod requisites;
mod retry;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use crate::clock;
use crate::compile::{Graph, ReqKind, StateId};
use crate::functions::{Ctx, Entry, Registry};
use crate::host::Host;
use crate::plan::{Action, Plan};
use crate::result::{Changes, Outcome, StateResult};
use crate::transport::Transport;

use requisites::Gate;

/// The hosts an orchestration's steps act on, by roster id.
#[async_trait]
pub(crate) trait Reach: Send + Sync {
    /// The connection to host `id`, or why there is none.
    async fn transport(&self, id: &str) -> Result<Arc<dyn Transport>, String>;
}

#[derive(Clone, Default)]
pub(crate) struct Options {
    pub test: bool,
    /// Stop at the first failure, as if every state had `failhard: True`.
    pub failhard: bool,
    /// Told as each state starts and ends (an orchestration's progress).
    pub observer: Option<Arc<dyn Observer>>,
    /// Other hosts, for the actions of orchestration steps.
    pub reach: Option<Arc<dyn Reach>>,
}

impl Options {
    pub(crate) fn test(test: bool) -> Options {
        Options {
            test,
            ..Options::default()
        }
    }
}

/// Someone who wants to know as states start and end.
pub trait Observer: Send + Sync {
    fn started(&self, state: &StateId);
    fn finished(&self, result: &StateResult);
}

/// Run every state of `graph` on `host`, with `functions`.
pub(crate) async fn run(
    graph: &Graph,
    host: &Host,
    functions: &Registry,
    opts: Options,
) -> Vec<StateResult> {
    prefetch(graph, host).await;
    let mut results: Vec<Option<StateResult>> = vec![None; graph.chunks.len()];
    let mut prereq_of: Vec<Vec<usize>> = vec![Vec::new(); graph.chunks.len()];
    for (c, deps) in graph.deps.iter().enumerate() {
        for &(kind, t) in deps {
            if kind == ReqKind::Prereq {
                prereq_of[t].push(c);
            }
        }
    }
    let run = Run {
        graph,
        host,
        functions,
        opts: &opts,
    };
    let mut out = Vec::with_capacity(graph.order.len());
    for (run_num, &idx) in graph.order.iter().enumerate() {
        let started = Instant::now();
        let start_time = clock::now();
        let chunk = &graph.chunks[idx];
        if let Some(o) = &opts.observer {
            o.started(&chunk.state);
        }
        let outcome = run.one(idx, &results, &prereq_of).await;
        let r = StateResult {
            state: chunk.state.clone(),
            sls: chunk.sls.clone(),
            result: outcome.result,
            changes: outcome.changes,
            comment: outcome.comment,
            start_time,
            duration_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            run_num,
            nested: outcome.nested,
        };
        if let Some(o) = &opts.observer {
            o.finished(&r);
        }
        let stop = r.failed() && !opts.test && (chunk.failhard || opts.failhard);
        results[idx] = Some(r.clone());
        out.push(r);
        if stop {
            break;
        }
    }
    // Salt's `listen`: once every state has run, the mod_watch of each
    // state listening to one that changed, as a state of its own.
    for idx in requisites::listeners(graph, &results) {
        let started = Instant::now();
        let start_time = clock::now();
        let chunk = &graph.chunks[idx];
        let state = requisites::listener(&chunk.state);
        if let Some(o) = &opts.observer {
            o.started(&state);
        }
        let outcome =
            retry::retried(chunk.retry, opts.test, || run.attempt(idx, Watch::Listen)).await;
        let r = StateResult {
            state,
            sls: chunk.sls.clone(),
            result: outcome.result,
            changes: outcome.changes,
            comment: outcome.comment,
            start_time,
            duration_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            run_num: out.len(),
            nested: outcome.nested,
        };
        if let Some(o) = &opts.observer {
            o.finished(&r);
        }
        out.push(r);
    }
    out
}

/// Whether a state's mod_watch is to run instead of it: `Fired`, a
/// watched state changed (mod_watch when the state has nothing to do);
/// `Listen`, a state listened to changed (mod_watch alone).
#[derive(Clone, Copy, PartialEq)]
enum Watch {
    No,
    Fired,
    Listen,
}

struct Run<'a> {
    graph: &'a Graph,
    host: &'a Host,
    functions: &'a Registry,
    opts: &'a Options,
}

impl Run<'_> {
    fn ctx(&self, idx: usize) -> Ctx<'_> {
        Ctx {
            host: self.host,
            chunk: &self.graph.chunks[idx],
        }
    }

    fn entry(&self, idx: usize) -> Result<&Entry, Outcome> {
        let f = self.graph.chunks[idx].state.function();
        self.functions
            .get(&f)
            .ok_or_else(|| Outcome::failed(format!("State function {f} is not available")))
    }

    async fn one(
        &self,
        idx: usize,
        results: &[Option<StateResult>],
        prereq_of: &[Vec<usize>],
    ) -> Outcome {
        let watch_fired = match requisites::gate(self.graph, idx, results, prereq_of) {
            Gate::Skip(result, comment) => {
                return Outcome::new(Some(result), Changes::new(), comment)
            }
            Gate::Go { watch_fired } => watch_fired,
        };
        // prereq: run only if a state this one is a prerequisite of would change.
        let prereqs: Vec<usize> = self.graph.deps[idx]
            .iter()
            .filter(|(k, _)| *k == ReqKind::Prereq)
            .map(|(_, t)| *t)
            .collect();
        if !prereqs.is_empty() {
            let mut any = false;
            for t in prereqs {
                let target = self.ctx(t);
                if checks::skip(&target).await.is_some() {
                    continue;
                }
                if let Ok(Entry::Plans(f)) = self.entry(t) {
                    if f.plan(&target).await.is_ok_and(|p| !p.is_noop()) {
                        any = true;
                    }
                }
            }
            if !any {
                return Outcome::ok("No changes detected");
            }
        }
        // Requisites first, as in Salt: a prereq decides before the state's own checks run.
        let watch = if watch_fired { Watch::Fired } else { Watch::No };
        let retry = self.graph.chunks[idx].retry;
        retry::retried(retry, self.opts.test, || self.attempt(idx, watch)).await
    }

    /// The state itself once its requisites let it run: its checks, its
    /// plan (or its mod_watch's), applied unless the run is a test.
    async fn attempt(&self, idx: usize, watch: Watch) -> Outcome {
        let ctx = self.ctx(idx);
        if let Some(comment) = checks::skip(&ctx).await {
            return Outcome::ok(comment);
        }
        let function = match self.entry(idx) {
            Ok(Entry::Plans(f)) => f,
            Ok(Entry::Delegates(d)) => return d.delegate(&ctx, self.opts.test).await,
            Err(outcome) => return outcome,
        };
        let mut plan = match function.plan(&ctx).await {
            Ok(p) => p,
            Err(f) => return f.into(),
        };
        // A listener's mod_watch is its watch plan, or (a function with
        // none, cmd.run's way) its own plan.
        if watch == Watch::Listen || (watch == Watch::Fired && plan.is_noop()) {
            match function.watch(&ctx).await {
                Ok(Some(p)) => plan = p,
                Ok(None) => {}
                Err(f) => return f.into(),
            }
        }
        if self.opts.test {
            return test_outcome(plan);
        }
        apply::apply(plan, self.host, self.opts.reach.as_deref()).await
    }
}

/// Every state's plan, in run order, none applied, requisites and checks
/// left aside: what the states would do as things are (the files they
/// would write, say: an orchestration prepares them ahead).
pub(crate) async fn plans(
    graph: &Graph,
    host: &Host,
    functions: &Registry,
) -> Vec<(usize, Result<Plan, crate::plan::Failure>)> {
    let mut out = Vec::new();
    for &idx in &graph.order {
        let chunk = &graph.chunks[idx];
        let ctx = Ctx { host, chunk };
        let plan = match functions.get(&chunk.state.function()) {
            Some(Entry::Plans(f)) => f.plan(&ctx).await,
            _ => continue,
        };
        out.push((idx, plan));
    }
    out
}

/// What a test run reports for a plan: `None` where something would change.
pub(crate) fn test_outcome(plan: Plan) -> Outcome {
    let fails = plan.actions.iter().any(|a| matches!(a, Action::Fail(_)));
    let result = if !plan.changes.is_empty() || plan.pending {
        None
    } else if fails {
        Some(false)
    } else {
        Some(true)
    };
    Outcome::new(result, plan.changes, plan.comment)
}

/// Read every file the run will look at, in one batch.
async fn prefetch(graph: &Graph, host: &Host) {
    let mut paths = Vec::new();
    for chunk in &graph.chunks {
        paths.extend(chunk.parsed.paths.iter().cloned());
        paths.extend(chunk.checks.creates.iter().cloned());
    }
    // A failed prefetch is not an error: each state reads what it needs.
    if let Err(e) = host.prefetch(paths).await {
        tracing::debug!(host = %host.id, "prefetch failed: {e}");
    }
}

#[cfg(test)]
mod tests;
