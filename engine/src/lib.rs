//! converge's engine. An index of its modules; each opens with why it exists.

pub mod config;
pub mod error;
pub mod glob;
pub mod render;
pub mod roster;
pub mod source;
pub mod transport;
pub mod tree;
pub mod yaml;

pub use error::Error;
