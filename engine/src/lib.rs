//! converge's engine. An index of its modules; each opens with why it exists.

pub mod error;
pub mod render;
pub mod source;
pub mod yaml;

pub use error::Error;
