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

pub mod adhoc;
pub mod clock;
pub mod compile;
pub mod config;
pub mod diff;
pub mod error;
pub mod facts;
pub mod functions;
pub mod glob;
pub mod grains;
pub mod host;
pub mod job;
pub mod orchestrate;
pub mod pillar;
pub mod plan;
pub mod postgres;
pub mod render;
pub mod report;
pub mod result;
pub mod roster;
pub mod run;
pub mod source;
#[cfg(test)]
pub(crate) mod testing;
pub mod transport;
pub mod tree;
pub mod yaml;

pub use error::Error;
