//! The executor: states in graph order, requisites and checks as Salt
//! evaluates them, each state planned just before it runs and its plan
//! applied unless the run is a test. Test mode lives here and only here.

mod checks;
mod requisites;

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::compile::{Graph, ReqKind, StateId};
use crate::functions::{self, Ctx};
use crate::host::Host;
use crate::plan::{Changes, Plan, Step};
use crate::report::clock;
use crate::transport::{TransportError, NO_PARENT};

use requisites::Gate;

/// What one state came to: Salt's result record.
#[derive(Clone, Debug, PartialEq)]
pub struct StateResult {
    pub state: StateId,
    pub sls: String,
    /// `None`: would change (test runs only).
    pub result: Option<bool>,
    pub changes: Changes,
    pub comment: String,
    pub start_time: String,
    pub duration_ms: f64,
    pub run_num: usize,
}

impl StateResult {
    pub fn changed(&self) -> bool {
        !self.changes.is_empty()
    }
}

#[derive(Clone, Default)]
pub struct Options {
    pub test: bool,
    /// Stop at the first failure, as if every state had `failhard: True`.
    pub failhard: bool,
    /// Told as each state starts and ends (an orchestration's progress).
    pub observer: Option<Arc<dyn Observer>>,
}

impl Options {
    pub fn test(test: bool) -> Options {
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

/// Run every state of `graph` on `host`.
pub async fn run(graph: &Graph, host: &Host, opts: Options) -> Vec<StateResult> {
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
    let mut out = Vec::with_capacity(graph.order.len());
    for (run_num, &idx) in graph.order.iter().enumerate() {
        let started = Instant::now();
        let start_time = clock::now();
        let chunk = &graph.chunks[idx];
        if let Some(o) = &opts.observer {
            o.started(&chunk.state);
        }
        let (result, changes, comment) =
            run_one(graph, host, idx, &results, &prereq_of, &opts).await;
        let r = StateResult {
            state: chunk.state.clone(),
            sls: chunk.sls.clone(),
            result,
            changes,
            comment,
            start_time,
            duration_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            run_num,
        };
        if let Some(o) = &opts.observer {
            o.finished(&r);
        }
        let stop = r.result == Some(false) && !opts.test && (chunk.failhard || opts.failhard);
        results[idx] = Some(r.clone());
        out.push(r);
        if stop {
            break;
        }
    }
    out
}

use functions::Outcome;

async fn run_one(
    graph: &Graph,
    host: &Host,
    idx: usize,
    results: &[Option<StateResult>],
    prereq_of: &[Vec<usize>],
    opts: &Options,
) -> Outcome {
    let chunk = &graph.chunks[idx];
    let watch_fired = match requisites::gate(graph, idx, results, prereq_of) {
        Gate::Skip(result, comment) => return (Some(result), Changes::new(), comment),
        Gate::Go { watch_fired } => watch_fired,
    };
    // prereq: run only if a state this one is a prerequisite of would change.
    let prereqs: Vec<usize> = graph.deps[idx]
        .iter()
        .filter(|(k, _)| *k == ReqKind::Prereq)
        .map(|(_, t)| *t)
        .collect();
    if !prereqs.is_empty() {
        let mut any = false;
        for t in prereqs {
            let target = Ctx {
                host,
                chunk: &graph.chunks[t],
            };
            if checks::skip(&target).await.is_some() {
                continue;
            }
            if let Some(f) = functions::lookup(&graph.chunks[t].state.function()) {
                if f.plan(&target).await.is_ok_and(|p| !p.is_noop()) {
                    any = true;
                }
            }
        }
        if !any {
            return (Some(true), Changes::new(), "No changes detected".into());
        }
    }
    // Requisites first, as in Salt: a prereq decides before the state's own checks run.
    let ctx = Ctx { host, chunk };
    if let Some(comment) = checks::skip(&ctx).await {
        return (Some(true), Changes::new(), comment);
    }
    let Some(function) = functions::lookup(&chunk.state.function()) else {
        return (
            Some(false),
            Changes::new(),
            format!("State function {} is not available", chunk.state.function()),
        );
    };
    if let Some(outcome) = function.delegate(&ctx, opts.test).await {
        return outcome;
    }
    let mut plan = match function.plan(&ctx).await {
        Ok(p) => p,
        Err(f) => return (Some(false), f.changes, f.comment),
    };
    if watch_fired && plan.is_noop() {
        match function.watch(&ctx).await {
            Ok(Some(p)) => plan = p,
            Ok(None) => {}
            Err(f) => return (Some(false), f.changes, f.comment),
        }
    }
    if opts.test {
        return test_outcome(plan);
    }
    apply(plan, host).await
}

/// What a test run reports for a plan: `None` where something would change.
fn test_outcome(plan: Plan) -> Outcome {
    let fails = plan.steps.iter().any(|s| matches!(s, Step::Fail(_)));
    let result = if !plan.changes.is_empty() {
        None
    } else if fails {
        Some(false)
    } else {
        Some(true)
    };
    (result, plan.changes, plan.comment)
}

/// Apply a plan's steps in order; the first failing step ends it.
async fn apply(plan: Plan, host: &Host) -> Outcome {
    if plan.is_noop() {
        return (Some(true), Changes::new(), plan.comment);
    }
    let mut changes = plan.applied.unwrap_or(plan.changes);
    for step in plan.steps {
        match step {
            Step::Write(w) => {
                let written = host.transport.write_file(&w).await;
                host.forget(&w.path);
                if let Err(e) = written {
                    let comment = match e {
                        TransportError::Io { message, .. } if message == NO_PARENT => message,
                        e => format!("Unable to manage file: {e}"),
                    };
                    return (Some(false), Changes::new(), comment);
                }
            }
            Step::Run {
                exec,
                capture,
                fail,
            } => {
                let out = host.exec(&exec).await;
                host.forget_all();
                let out = match out {
                    Ok(o) => o,
                    Err(f) => return (Some(false), Changes::new(), f.comment),
                };
                if capture {
                    changes = Changes::from_iter([
                        ("pid".to_string(), json!(out.pid.unwrap_or(0))),
                        ("retcode".to_string(), json!(out.code)),
                        ("stderr".to_string(), json!(out.stderr_trimmed())),
                        ("stdout".to_string(), json!(out.stdout_trimmed())),
                    ]);
                }
                if !out.success() {
                    let comment = match fail {
                        Some(f) if out.stderr.trim().is_empty() => f,
                        Some(f) => format!("{f}: {}", out.stderr.trim()),
                        None => plan.done.clone(),
                    };
                    let kept = if capture { changes } else { Changes::new() };
                    return (Some(false), kept, comment);
                }
            }
            Step::Custom(step) => {
                let applied = step.apply(host.transport.as_ref()).await;
                host.forget_all();
                match applied {
                    Ok(more) => changes.extend(more),
                    Err(f) => return (Some(false), f.changes, f.comment),
                }
            }
            Step::Fail(comment) => return (Some(false), changes, comment),
        }
    }
    (Some(true), changes, plan.done)
}

/// Read every file the run will look at, in one batch.
async fn prefetch(graph: &Graph, host: &Host) {
    let mut paths = Vec::new();
    for chunk in &graph.chunks {
        if let Some(f) = functions::lookup(&chunk.state.function()) {
            paths.extend(f.paths(chunk));
        }
        paths.extend(chunk.checks.creates.iter().cloned());
    }
    // A failed prefetch is not an error: each state reads what it needs.
    if let Err(e) = host.prefetch(paths).await {
        tracing::debug!(host = %host.id, "prefetch failed: {e}");
    }
}

#[cfg(test)]
mod tests;
