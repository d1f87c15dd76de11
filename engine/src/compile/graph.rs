//! One dependency graph per host, and Salt's run order over it.
//!
//! The order is Salt 3008's (`salt/utils/requisite.py`): a topological
//! sort that always takes the ready state with the smallest key
//! `((order, own order), module+name+fun)`, where `order` is the smallest
//! of the state's own and of the orders of the states that require it
//! directly (not further: a state needed early does not pull what it
//! needs along; that waits its turn). Among those, Salt only counts the
//! requisites at least as strong as the strongest seen so far, in the
//! order they were added (onfail < require < onchanges < watch < prereq),
//! and reads their orders as written (before `names` fractions and
//! negative numbers are resolved). petgraph's `toposort` alone would not
//! give this order, so a priority queue drives the sort.
//!
//! Salt checks a `prereq` target in test mode as a state of its own that
//! waits on what the target waits on, and runs the state declaring the
//! prereq after it: here that state waits on the target's requisites
//! (the executor plans the target first when it runs it).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use super::{Chunk, ReqKind, Target, MOD_WATCH};
use crate::error::Error;
use crate::glob;

pub struct Graph {
    pub chunks: Vec<Chunk>,
    /// For each chunk, what it waits on: (kind, chunk index). A `prereq`
    /// entry means "plan that state first; run me only if it would change".
    pub deps: Vec<Vec<(ReqKind, usize)>>,
    /// Chunk indices in run order.
    pub order: Vec<usize>,
    /// (listener, listened to): Salt's `listen`, which neither orders nor
    /// gates; the executor runs the listener's mod_watch at the end.
    pub listen: Vec<(usize, usize)>,
    /// Edges point from a state to the states that must run after it.
    pub graph: DiGraph<usize, ReqKind>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let order: Vec<String> = self
            .order
            .iter()
            .map(|&i| self.chunks[i].state.to_string())
            .collect();
        f.debug_struct("Graph").field("order", &order).finish()
    }
}

impl Graph {
    pub fn build(chunks: Vec<Chunk>) -> Result<Graph, Error> {
        let (deps, listen) = resolve(&chunks)?;
        let mut graph = DiGraph::with_capacity(chunks.len(), chunks.len());
        let nodes: Vec<NodeIndex> = (0..chunks.len()).map(|i| graph.add_node(i)).collect();
        for (c, list) in deps.iter().enumerate() {
            for &(kind, t) in list {
                let (before, after) = if kind == ReqKind::Prereq {
                    (c, t)
                } else {
                    (t, c)
                };
                graph.update_edge(nodes[before], nodes[after], kind);
            }
        }
        for (c, list) in deps.iter().enumerate() {
            for &(_, t) in list.iter().filter(|(k, _)| *k == ReqKind::Prereq) {
                for &(k, d) in &deps[t] {
                    let (from, to) = (nodes[d], nodes[c]);
                    if k != ReqKind::Prereq && d != c && graph.find_edge(from, to).is_none() {
                        graph.add_edge(from, to, k);
                    }
                }
            }
        }
        check_cycles(&graph, &chunks)?;
        let order = run_order(&graph, &chunks, &deps);
        Ok(Graph {
            chunks,
            deps,
            order,
            listen,
            graph,
        })
    }

    /// Graphviz text of the graph, for `show --format dot`.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph states {\n  rankdir=LR;\n  node [shape=box];\n");
        for &i in &self.order {
            let c = &self.chunks[i];
            out.push_str(&format!(
                "  n{i} [label={}];\n",
                quote_dot(&format!(
                    "{}\n{}\n{}",
                    c.state.id,
                    c.state.function(),
                    c.sls
                ))
            ));
        }
        for e in self.graph.edge_indices() {
            let (a, b) = self.graph.edge_endpoints(e).expect("edge exists");
            out.push_str(&format!(
                "  n{} -> n{} [label={}];\n",
                self.graph[a],
                self.graph[b],
                quote_dot(self.graph[e].name())
            ));
        }
        out.push_str("}\n");
        out
    }
}

fn quote_dot(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

fn matches(target: &Target, c: &Chunk) -> bool {
    match target {
        Target::Sls(p) => glob::matches(p, &c.sls),
        Target::State { module, pattern } => {
            module.as_ref().is_none_or(|m| m == &c.state.module)
                && (glob::matches(pattern, &c.state.id) || glob::matches(pattern, &c.state.name))
        }
    }
}

/// What each chunk waits on, and who listens to whom.
type Resolved = (Vec<Vec<(ReqKind, usize)>>, Vec<(usize, usize)>);

/// Each chunk's requisites as chunk indices; `_in` forms land on their
/// targets; `listen` apart.
fn resolve(chunks: &[Chunk]) -> Result<Resolved, Error> {
    let mut deps: Vec<Vec<(ReqKind, usize)>> = vec![Vec::new(); chunks.len()];
    let mut listen: Vec<(usize, usize)> = Vec::new();
    for (c, chunk) in chunks.iter().enumerate() {
        for req in &chunk.requisites {
            let targets: Vec<usize> = (0..chunks.len())
                .filter(|&t| matches(&req.target, &chunks[t]))
                .collect();
            if targets.is_empty() {
                return Err(Error::MissingRequisite {
                    span: req.span.clone(),
                    state: chunk.state.id.clone(),
                    kind: if req.reverse {
                        format!("{}_in", req.kind.name())
                    } else {
                        req.kind.name().into()
                    },
                    target: req.target.to_string(),
                });
            }
            for t in targets {
                let (owner, entry) = if req.reverse {
                    (t, (req.kind, c))
                } else {
                    (c, (req.kind, t))
                };
                if req.kind == ReqKind::Listen {
                    if !listen.contains(&(owner, entry.1)) {
                        listen.push((owner, entry.1));
                    }
                } else if !deps[owner].contains(&entry) {
                    deps[owner].push(entry);
                }
            }
        }
    }
    Ok((deps, listen))
}

fn check_cycles(graph: &DiGraph<usize, ReqKind>, chunks: &[Chunk]) -> Result<(), Error> {
    for scc in tarjan_scc(graph) {
        let looped = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
        if looped {
            let mut members: Vec<usize> = scc.iter().map(|n| graph[*n]).collect();
            members.sort_by_key(|&i| chunks[i].auto_order);
            return Err(Error::RequisiteCycle {
                states: members
                    .into_iter()
                    .map(|i| (chunks[i].state.to_string(), chunks[i].span.clone()))
                    .collect(),
            });
        }
    }
    Ok(())
}

/// Salt's weight of a requisite kind in its sort (`RequisiteType`).
fn weight(kind: ReqKind) -> u8 {
    match kind {
        ReqKind::Onfail => 0,
        ReqKind::Require => 3,
        ReqKind::Onchanges => 5,
        ReqKind::Watch => 7,
        ReqKind::Prereq => 9,
        ReqKind::Listen => 11,
    }
}

/// When Salt's `add_requisites` takes each kind of one state's
/// requisites (require, require_any, watch, watch_any, prereq, onfail...,
/// onchanges...).
fn pass(kind: ReqKind) -> u8 {
    match kind {
        ReqKind::Require => 0,
        ReqKind::Watch => 2,
        ReqKind::Prereq => 4,
        ReqKind::Onfail => 5,
        ReqKind::Onchanges => 8,
        ReqKind::Listen => 11,
    }
}

/// A state's order as Salt's sort reads it off a state that requires
/// another: as written, or the cap (plus a million for `last`) without
/// its `names` fraction.
fn read_order(c: &Chunk) -> f64 {
    let w = c.written_order;
    if w.value.is_finite() {
        w.value
    } else {
        c.order - f64::from(w.name) / 10000.0
    }
}

/// The sort key: (order, own order, module+name+fun, Salt's tag).
#[derive(Clone, PartialEq)]
struct Key(f64, f64, String, String, usize);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| self.1.total_cmp(&other.1))
            .then_with(|| self.2.cmp(&other.2))
            .then_with(|| self.3.cmp(&other.3))
            .then(self.4.cmp(&other.4))
    }
}

/// When Salt adds an edge: (its high data's place of the state it takes,
/// the pass of that state's requisites, the requisite's place).
type Added = (usize, u8, usize);

/// Each state's key. Salt adds a state's edges when it takes the state
/// that waits (or, for a prereq, the one that declares it), in the order
/// of its high data; `_in` requisites were written onto their targets
/// before.
fn keys(chunks: &[Chunk], deps: &[Vec<(ReqKind, usize)>]) -> Vec<Key> {
    let n = chunks.len();
    let mut pos = vec![0; n];
    for (p, i) in super::salts_walk(chunks).into_iter().enumerate() {
        pos[i] = p;
    }
    // For each state, the states after it: (when added, which, kind).
    let mut after: Vec<Vec<(Added, usize, ReqKind)>> = vec![Vec::new(); n];
    for (o, list) in deps.iter().enumerate() {
        for (seq, &(kind, t)) in list.iter().enumerate() {
            let kind = if kind == ReqKind::Watch
                && !MOD_WATCH.contains(&chunks[o].state.module.as_str())
            {
                ReqKind::Require
            } else {
                kind
            };
            let when = (pos[o], pass(kind), seq);
            if kind == ReqKind::Prereq {
                after[o].push((when, t, ReqKind::Require));
            } else {
                after[t].push((when, o, kind));
            }
        }
    }
    (0..n)
        .map(|x| {
            let edges = &mut after[x];
            edges.sort_by_key(|e| e.0);
            // Edges grouped by the state they lead to, first added first.
            let mut targets: Vec<usize> = Vec::new();
            for e in edges.iter() {
                if !targets.contains(&e.1) {
                    targets.push(e.1);
                }
            }
            let (mut strongest, mut least) = (0u8, f64::INFINITY);
            let mut any = false;
            for y in targets {
                for e in edges.iter().filter(|e| e.1 == y) {
                    let w = weight(e.2);
                    if !any || strongest <= w {
                        (any, strongest) = (true, w);
                        least = least.min(read_order(&chunks[y]));
                    }
                }
            }
            let c = &chunks[x];
            let s = &c.state;
            Key(
                c.order.min(least),
                c.order,
                format!("{}{}{}", s.module, s.name, s.fun),
                s.tag(),
                x,
            )
        })
        .collect()
}

fn run_order(
    graph: &DiGraph<usize, ReqKind>,
    chunks: &[Chunk],
    deps: &[Vec<(ReqKind, usize)>],
) -> Vec<usize> {
    let n = chunks.len();
    let key = keys(chunks, deps);
    let mut indegree: Vec<usize> = (0..n)
        .map(|i| {
            graph
                .neighbors_directed(NodeIndex::new(i), Direction::Incoming)
                .count()
        })
        .collect();
    let mut ready: BinaryHeap<Reverse<Key>> = (0..n)
        .filter(|&i| indegree[i] == 0)
        .map(|i| Reverse(key[i].clone()))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(k)) = ready.pop() {
        let i = k.4;
        order.push(i);
        for next in graph.neighbors_directed(NodeIndex::new(i), Direction::Outgoing) {
            let j = graph[next];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(Reverse(key[j].clone()));
            }
        }
    }
    order
}
