//! converge's engine. An index of its modules; each opens with why it exists.

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
