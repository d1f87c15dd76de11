//! YAML as Salt reads it, with a position on every node.
//!
//! Why not serde_yaml: it is YAML 1.2 and keeps no position. Salt reads
//! YAML 1.1 through PyYAML (`yes`/`on` are booleans, `1:30` is 90, and
//! Salt's loader reads `0644` as 644; a duplicate key is an error, as
//! Salt's loader makes it), and every diagnostic converge prints
//! points at file:line:column. So the events come from saphyr-parser (a
//! YAML 1.2 event parser that reports marks), and `scalar` resolves plain
//! scalars with YAML 1.1's rules, as PyYAML does.

mod de;
mod emit;
mod load;
mod node;
mod scalar;

pub(crate) use de::{from_node, DeError};
pub(crate) use emit::single_quoted;
pub use emit::to_block;
pub use load::load;
pub(crate) use node::{Map, Node, Value};
pub(crate) use scalar::resolve_plain;
