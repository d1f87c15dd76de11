//! Typed values from spanned nodes, with the place of whatever is wrong.
//!
//! State arguments, the roster and the master config are serde structs that
//! refuse unknown keys. serde reports a path (`context.port`); we walk the
//! node tree along it to find the key to point at.

use serde::de::DeserializeOwned;

use super::node::{Node, Value};
use crate::source::Span;

/// Why a node did not fit the type, and where.
#[derive(Debug)]
pub struct DeError {
    pub span: Span,
    /// The dotted path to the offending value (`mode`, `context.port`).
    pub path: String,
    pub message: String,
    /// For an unknown key: the key and the keys that are allowed.
    pub unknown: Option<(String, Vec<String>)>,
}

pub(crate) fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    from_json(node, node.to_json())
}

/// Deserialize `json` (made from `node`, maybe reshaped) and locate errors in `node`.
pub(super) fn from_json<T: DeserializeOwned>(
    node: &Node,
    json: serde_json::Value,
) -> Result<T, DeError> {
    serde_path_to_error::deserialize(json).map_err(|err| {
        let segments: Vec<String> = err
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = err.inner().to_string();
        let unknown = parse_unknown_field(&message);
        let span = locate(node, &segments, unknown.as_ref().map(|(k, _)| k.as_str()));
        DeError {
            span,
            path: segments.join("."),
            message: tidy(&message),
            unknown,
        }
    })
}

/// The key node for `path` (or the deepest node found along it).
fn locate(node: &Node, path: &[String], unknown: Option<&str>) -> Span {
    let mut cur = node;
    let mut span = node.span.clone();
    let mut steps: Vec<&str> = path.iter().map(String::as_str).collect();
    if let Some(u) = unknown {
        if steps.last() != Some(&u) {
            steps.push(u);
        }
    }
    for step in steps {
        match &cur.value {
            Value::Map(map) => match map.entry(step) {
                Some((k, v)) => {
                    span = k.span.clone();
                    cur = v;
                }
                None => break,
            },
            Value::Seq(items) => match step.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => {
                    span = v.span.clone();
                    cur = v;
                }
                None => break,
            },
            _ => break,
        }
    }
    span
}

/// serde's "unknown field `x`, expected one of `a`, `b`" as its parts.
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field.to_string(), expected))
}

/// serde's wording, minus the Rust type names users cannot act on.
fn tidy(message: &str) -> String {
    message
        .replace("invalid type: ", "")
        .replace("u32", "a non-negative integer")
        .replace("u16", "a port number")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Host {
        host: String,
        port: Option<u16>,
    }

    fn node(text: &str) -> Node {
        crate::yaml::load(&Source::new("roster.yaml", text))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn unknown_keys_point_at_the_key() {
        let n = node("host: a\nprot: 22\n");
        let err = from_node::<Host>(&n).unwrap_err();
        assert_eq!(err.span.to_string(), "roster.yaml:2:1");
        assert_eq!(
            err.unknown.unwrap(),
            (
                "prot".to_string(),
                vec!["host".to_string(), "port".to_string()]
            )
        );
    }

    #[test]
    fn wrong_types_point_at_the_key() {
        let n = node("host: a\nport: lots\n");
        let err = from_node::<Host>(&n).unwrap_err();
        assert_eq!(err.span.to_string(), "roster.yaml:2:1");
        assert_eq!(err.path, "port");
    }
}
