//! Building spanned nodes from the parser's events.
//!
//! saphyr's event parser gives every event a position; we build our own tree
//! so that each node keeps it, and apply Salt's reading rules (YAML 1.1
//! scalars, duplicate keys refused, merge keys honoured).

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use super::node::{Map, Node, Value};
use super::scalar;
use crate::error::Error;
use crate::source::{Source, Span};

/// Parse `source` as one YAML document. An empty document is `None`, as
/// PyYAML's `safe_load` returns for it.
pub fn load(source: &Arc<Source>) -> Result<Option<Node>, Error> {
    let mut builder = Builder {
        source,
        parser: Parser::new_from_str(&source.text),
        anchors: HashMap::new(),
    };
    builder.document()
}

struct Builder<'a> {
    source: &'a Arc<Source>,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
}

type Spanned<'a> = (Event<'a>, saphyr_parser::Span);

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<Spanned<'a>, Error> {
        match self.parser.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(self.scan_error(&e)),
            None => Ok((Event::StreamEnd, saphyr_parser::Span::default())),
        }
    }

    fn scan_error(&self, e: &ScanError) -> Error {
        let m = e.marker();
        let line = m.line().max(1);
        Error::Yaml {
            span: Span::new(self.source, line, m.col() + 1, 1),
            message: e.info().to_string(),
        }
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        let line = s.start.line().max(1);
        let len = if s.end.line() == s.start.line() {
            s.end.index().saturating_sub(s.start.index()).max(1)
        } else {
            1
        };
        Span::new(self.source, line, s.start.col() + 1, len)
    }

    fn document(&mut self) -> Result<Option<Node>, Error> {
        let mut root = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::DocumentStart(_) if root.is_some() => {
                    return Err(Error::Yaml {
                        span: self.span(&span),
                        message:
                            "expected a single document in the stream, but found another document"
                                .into(),
                    })
                }
                Event::DocumentStart(_) => {
                    let (event, span) = self.next()?;
                    root = Some(self.node(event, span)?);
                }
                Event::StreamEnd => return Ok(root),
                other => unreachable!("the parser yields {other:?} only inside a document"),
            }
        }
    }

    fn node(&mut self, event: Event<'a>, span: saphyr_parser::Span) -> Result<Node, Error> {
        let at = self.span(&span);
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = match (&tag, style) {
                    (Some(tag), _) if tag.is_yaml_core_schema() => {
                        scalar::resolve_tagged(&tag.suffix, &text).ok_or_else(|| Error::Yaml {
                            span: at.clone(),
                            message: format!("`{text}` is not a valid !!{}", tag.suffix),
                        })?
                    }
                    (_, ScalarStyle::Plain) => scalar::resolve_plain(&text),
                    _ => Value::Str(text.into_owned()),
                };
                (Node::new(value, at), anchor)
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| Error::Yaml {
                    span: at.clone(),
                    message: "found undefined alias".into(),
                })?;
                return Ok(node);
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                (Node::new(Value::Seq(items), Span { len: 1, ..at }), anchor)
            }
            Event::MappingStart(anchor, _) => (self.mapping(at)?, anchor),
            other => {
                return Err(Error::Yaml {
                    span: at,
                    message: format!("unexpected {other:?}"),
                })
            }
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn mapping(&mut self, at: Span) -> Result<Node, Error> {
        let mut map = Map::default();
        let mut merged: Vec<(Node, Node)> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let is_merge =
                matches!(&event, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
            let key = self.node(event, span)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            if is_merge {
                merged.extend(merge_entries(&value)?);
                continue;
            }
            if let Value::Seq(_) | Value::Map(_) = key.value {
                return Err(Error::Yaml {
                    span: key.span,
                    message: "a mapping key must be a scalar".into(),
                });
            }
            let name = key.scalar_string().unwrap_or_default();
            if let Some((first, _)) = map.entry(&name) {
                return Err(Error::DuplicateKey {
                    key: name,
                    first: first.span.clone(),
                    span: key.span,
                });
            }
            map.entries.push((key, value));
        }
        for (k, v) in merged {
            if map.entry(&k.scalar_string().unwrap_or_default()).is_none() {
                map.entries.push((k, v));
            }
        }
        Ok(Node::new(Value::Map(map), Span { len: 1, ..at }))
    }
}

/// The entries a `<<:` merge key brings: one mapping, or a list of them
/// (earlier ones win, as in YAML's merge key type).
fn merge_entries(value: &Node) -> Result<Vec<(Node, Node)>, Error> {
    let maps: Vec<&Node> = match &value.value {
        Value::Map(_) => vec![value],
        Value::Seq(items) => items.iter().collect(),
        _ => vec![],
    };
    let mut out: Vec<(Node, Node)> = Vec::new();
    for m in maps {
        let Value::Map(map) = &m.value else {
            return Err(Error::Yaml {
                span: m.span.clone(),
                message: "a merge key (<<) takes a mapping or a list of mappings".into(),
            });
        };
        for (k, v) in map.iter() {
            if !out
                .iter()
                .any(|(ok, _)| ok.scalar_string() == k.scalar_string())
            {
                out.push((k.clone(), v.clone()));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<Node>, Error> {
        load(&Source::new("t.sls", text))
    }

    #[test]
    fn keeps_positions_and_order() {
        let node = parse("b: 1\na:\n  - x\n  - 0644\n").unwrap().unwrap();
        let map = node.as_map().unwrap();
        let keys: Vec<_> = map
            .iter()
            .map(|(k, _)| k.scalar_string().unwrap())
            .collect();
        assert_eq!(keys, ["b", "a"]);
        let (akey, aval) = map.entry("a").unwrap();
        assert_eq!(akey.span.to_string(), "t.sls:2:1");
        let items = aval.as_seq().unwrap();
        assert_eq!(items[1].value, Value::Int(644));
        assert_eq!(items[1].span.to_string(), "t.sls:4:5");
        assert_eq!(items[1].span.len, 4);
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let node = parse("a: 'yes'\nb: \"0644\"\nc: !!str 10\n")
            .unwrap()
            .unwrap();
        let m = node.as_map().unwrap();
        assert_eq!(m.get("a").unwrap().value, Value::Str("yes".into()));
        assert_eq!(m.get("b").unwrap().value, Value::Str("0644".into()));
        assert_eq!(m.get("c").unwrap().value, Value::Str("10".into()));
    }

    #[test]
    fn duplicate_keys_are_refused_with_both_places() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        let Error::DuplicateKey { key, first, span } = err else {
            panic!("{err:?}")
        };
        assert_eq!(key, "a");
        assert_eq!(first.to_string(), "t.sls:1:1");
        assert_eq!(span.to_string(), "t.sls:3:1");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse("a:\n  - b\n c: d\n").unwrap_err();
        let Error::Yaml { span, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(span.line, 3);
    }

    #[test]
    fn empty_is_none() {
        assert!(parse("").unwrap().is_none());
        assert!(parse("# only a comment\n").unwrap().is_none());
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let node = parse("base: &b {user: postgres, mode: 640}\nx:\n  <<: *b\n  mode: 600\n")
            .unwrap()
            .unwrap();
        let x = node.as_map().unwrap().get("x").unwrap().to_json();
        assert_eq!(x, serde_json::json!({"mode": 600, "user": "postgres"}));
    }

    #[test]
    fn two_documents_are_refused() {
        assert!(matches!(
            parse("a: 1\n---\nb: 2\n"),
            Err(Error::Yaml { .. })
        ));
    }
}
