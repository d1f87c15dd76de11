//! converge's engine. An index of its modules; each opens with why it exists.
//!
//! The layers, each importing only those below it (no import loops:
//! `shared/tools/import-cycles` prints none):
//!
//! - **source, error, yaml, render, tree, pillar, config, roster**: the
//!   master side: files loaded with a span on every node, Jinja as Salt
//!   has it, top files, includes, pillar.
//! - **transport**: how a host is reached (local, one ssh connection).
//! - **facts**: what a host is, by probes (a command and a pure parser,
//!   tested on recorded output).
//! - **plan**: what a state would do, as data (`Action`s on hosts, checks
//!   to wait for), and **compile**: states with their arguments parsed.
//! - **functions**: the state functions, each acting on one host: facts
//!   in, a plan out; and **host**, what they see of it.
//! - **run**: the executor (requisites, checks, plans applied unless a
//!   test); **result**: what a run comes to, typed.
//! - **job**: a command's hosts, connected, compiled and converged.
//! - **orchestrate**: the orchestration layer above the engine: steps that
//!   reach other hosts, Salt's `salt.state`/`salt.function`, and the
//!   failover (decided from the cluster's facts, guarded against its own
//!   death).
//! - **report**: Salt's text and JSON, written from the typed results.

// Input errors end a run (exit 1) and carry their spans and names by value
// so that matching on them stays plain; they are never on a hot path.
#![allow(clippy::result_large_err)]

mod adhoc;
mod clock;
mod compile;
mod config;
mod diff;
mod error;
mod facts;
mod functions;
mod glob;
mod grains;
mod host;
mod job;
mod orchestrate;
mod pillar;
mod plan;
mod postgres;
mod render;
pub mod report;
mod result;
mod roster;
mod run;
mod source;
#[cfg(test)]
mod testing;
mod transport;
mod tree;
mod yaml;

// What the command line uses (and its tests): the engine and its
// requests, the typed results and their observer, the compiled states
// `show` prints, the output code (`report`), and a few helpers.
pub use adhoc::run as run_everywhere;
pub use clock::now as clock_now;
pub use compile::{
    Checks, Chunk, FunCheck, Graph, Parsed, ReqKind, Requisite, Retry, StateId,
    Target as RequisiteTarget, WrittenOrder, MOD_WATCH,
};
pub use config::Overrides;
pub use error::Error;
pub use job::{Engine, Mode, Request};
pub use orchestrate::run as orchestrate;
pub use result::{Changes, HostOutcome, HostReport, Report, StateResult};
pub use run::Observer;
pub use source::Source;
pub use yaml::{load as load_yaml, to_block as yaml_block};
