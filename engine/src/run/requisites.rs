//! Whether a state may run, from the results of the states it names:
//! Salt's `_check_requisites`, condensed.

use super::StateResult;
use crate::compile::{Graph, ReqKind, StateId};

pub(super) enum Gate {
    /// Do not run: report this result and comment.
    Skip(bool, String),
    /// Run; `watch_fired` when a watched state changed (mod_watch may follow).
    Go { watch_fired: bool },
}

pub(super) fn gate(
    graph: &Graph,
    idx: usize,
    results: &[Option<StateResult>],
    prereq_of: &[Vec<usize>],
) -> Gate {
    let mut failed: Vec<usize> = Vec::new();
    let (mut onchanges, mut onchanges_met) = (false, false);
    let (mut onfail, mut onfail_met) = (false, false);
    let mut watch_fired = false;
    for &(kind, t) in &graph.deps[idx] {
        if matches!(kind, ReqKind::Prereq | ReqKind::Listen) {
            continue;
        }
        // A target that never ran (a failhard stop) counts as failed.
        let Some(r) = &results[t] else {
            failed.push(t);
            continue;
        };
        match kind {
            ReqKind::Onchanges => {
                // A soft trigger: a failed target is a target without changes.
                onchanges = true;
                if r.result != Some(false) && r.changed() {
                    onchanges_met = true;
                }
            }
            ReqKind::Onfail => {
                onfail = true;
                // Only a failure counts: a state that would change in a
                // test run has not failed.
                if r.result == Some(false) {
                    onfail_met = true;
                }
            }
            ReqKind::Require | ReqKind::Watch => {
                if r.result == Some(false) {
                    failed.push(t);
                } else if kind == ReqKind::Watch && r.changed() {
                    watch_fired = true;
                }
            }
            ReqKind::Prereq | ReqKind::Listen => unreachable!("skipped above"),
        }
    }
    // A state this one is a prerequisite of failed: this one fails too.
    for &c in &prereq_of[idx] {
        if results[c].as_ref().is_some_and(|r| r.result == Some(false)) {
            failed.push(c);
        }
    }
    if !failed.is_empty() {
        let names: Vec<String> = failed.iter().map(|&t| graph.chunks[t].sls_id()).collect();
        let mut unique: Vec<String> = Vec::new();
        for n in names {
            if !unique.contains(&n) {
                unique.push(n);
            }
        }
        return Gate::Skip(
            false,
            format!("One or more requisite failed: {}", unique.join(", ")),
        );
    }
    if onfail && !onfail_met && !onchanges_met {
        return Gate::Skip(
            true,
            "State was not run because onfail req did not change".into(),
        );
    }
    if onchanges && !onchanges_met {
        return Gate::Skip(
            true,
            "State was not run because none of the onchanges reqs changed".into(),
        );
    }
    Gate::Go { watch_fired }
}

/// Salt's `listen`, once every state has run: the states listening to
/// one that changed (in this run, or would in a test run), each once, in
/// run order.
pub(super) fn listeners(graph: &Graph, results: &[Option<StateResult>]) -> Vec<usize> {
    graph
        .order
        .iter()
        .copied()
        .filter(|&l| {
            graph.listen.iter().any(|&(listener, target)| {
                listener == l && results[target].as_ref().is_some_and(|r| r.changed())
            })
        })
        .collect()
}

/// A listener's own identity, as Salt names it: `listener_<ID>`, function
/// `mod_watch` (`service_|-listener_nginx_|-nginx_|-mod_watch`).
pub(super) fn listener(state: &StateId) -> StateId {
    StateId {
        module: state.module.clone(),
        id: format!("listener_{}", state.id),
        name: state.name.clone(),
        fun: "mod_watch".into(),
    }
}

#[cfg(test)]
mod tests;
