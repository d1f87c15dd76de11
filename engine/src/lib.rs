//! converge's engine. An index of its modules; each opens with why it exists.

pub mod adhoc;
pub mod compile;
pub mod config;
pub mod diff;
pub mod error;
pub mod functions;
pub mod glob;
pub mod grains;
pub mod host;
pub mod job;
pub mod modules;
pub mod orchestrate;
pub mod pillar;
pub mod plan;
pub mod render;
pub mod report;
pub mod roster;
pub mod run;
pub mod source;
pub mod transport;
pub mod tree;
pub mod yaml;

pub use error::Error;
