//! One dependency graph per host, and Salt's run order over it.
//!
//! The order is a topological sort that always takes the ready state with
//! the smallest `(order, module+name+fun)`, where a state that others need
//! inherits the smallest key of the states that need it: requisites pull
//! states earlier, and otherwise file order is kept. petgraph's `toposort`
//! alone would not give this order, so a priority queue drives the sort.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use super::{Chunk, ReqKind, Target};
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
        check_cycles(&graph, &chunks)?;
        let order = run_order(&graph, &chunks);
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

#[derive(Clone, PartialEq)]
struct Key(f64, String, usize);

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
            .then_with(|| self.1.cmp(&other.1))
            .then(self.2.cmp(&other.2))
    }
}

fn run_order(graph: &DiGraph<usize, ReqKind>, chunks: &[Chunk]) -> Vec<usize> {
    let n = chunks.len();
    let own = |i: usize| {
        let s = &chunks[i].state;
        Key(
            chunks[i].order,
            format!("{}{}{}", s.module, s.name, s.fun),
            i,
        )
    };
    // A state's effective key: the smallest of its own and of every state
    // after it, computed from the last states back.
    let topo = petgraph::algo::toposort(graph, None).expect("cycles were refused");
    let mut eff: Vec<Option<Key>> = vec![None; n];
    for node in topo.iter().rev() {
        let i = graph[*node];
        let mut best = own(i);
        for next in graph.neighbors_directed(*node, Direction::Outgoing) {
            let k = eff[graph[next]].as_ref().expect("later states come first");
            if (k.0, &k.1) < (best.0, &best.1) {
                best = Key(k.0, k.1.clone(), i);
            }
        }
        eff[i] = Some(best);
    }
    let mut indegree: Vec<usize> = (0..n)
        .map(|i| {
            graph
                .neighbors_directed(NodeIndex::new(i), Direction::Incoming)
                .count()
        })
        .collect();
    let mut ready: BinaryHeap<Reverse<Key>> = (0..n)
        .filter(|&i| indegree[i] == 0)
        .map(|i| Reverse(eff[i].clone().expect("every state has a key")))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(key)) = ready.pop() {
        let i = key.2;
        order.push(i);
        for next in graph.neighbors_directed(NodeIndex::new(i), Direction::Outgoing) {
            let j = graph[next];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(Reverse(eff[j].clone().expect("every state has a key")));
            }
        }
    }
    order
}
