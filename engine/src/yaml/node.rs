//! A YAML value that remembers where it was written.
//!
//! Declarations, requisites and arguments are read from these nodes so that a
//! semantic error (an unknown function, a requisite naming nothing) can point
//! at the key that caused it. Mappings keep their order: Salt's auto-order is
//! definition order.

use crate::source::Span;

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Map),
}

/// An ordered mapping. Keys are scalars; lookups compare their string form,
/// as Salt's state compiler does with IDs and argument names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    pub entries: Vec<(Node, Node)>,
}

impl PartialEq for Node {
    /// Nodes are equal when their values are: where they were written does not matter.
    fn eq(&self, other: &Node) -> bool {
        self.value == other.value
    }
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// A list's items, where nothing (`key:` alone) is an empty list, as
    /// Salt reads argument, include and top file lists.
    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            Value::Null => Some(&[]),
            _ => None,
        }
    }

    /// The text a scalar stands for, as Salt turns a scalar key or a
    /// requisite target into a string (`8080` is `"8080"`, `true` is `"True"`).
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some("None".into()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// What kind of value this is, for messages ("expected a mapping, found a list").
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The plain data, without positions: what templates and functions see.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(map) => J::Object(
                map.entries
                    .iter()
                    .map(|(k, v)| (k.scalar_string().unwrap_or_default(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and the value node for `key`.
    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.entries
            .iter()
            .find(|(k, _)| k.scalar_string().as_deref() == Some(key))
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Node, Node)> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl crate::error::Located for Node {
    fn span(&self) -> &Span {
        &self.span
    }

    fn kind(&self) -> &'static str {
        Node::kind(self)
    }
}
