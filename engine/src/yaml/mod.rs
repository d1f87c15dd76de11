//! YAML as Salt reads it, with a position on every node.

mod de;
mod emit;
mod load;
mod node;
mod scalar;

pub use de::{from_json, from_node, DeError};
pub use emit::{flow_yaml, single_quoted, to_block};
pub use load::load;
pub use node::{Map, Node, Value};
pub use scalar::resolve_plain;
