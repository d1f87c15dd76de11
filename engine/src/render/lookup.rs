//! `pillar` and `grains` as templates see them, and Salt's colon traversal.
//!
//! In Salt, `pillar` and `grains` are plain dicts (`pillar.get('a:b')` looks
//! up the literal key `a:b`) while `salt['pillar.get']('a:b')` traverses.
//! The contract asks for `pillar.get('a:b', default)` to traverse too, so
//! `get` here first looks the key up as written (Salt's answer whenever that
//! key exists) and only then walks it by colons.

use std::sync::Arc;

use minijinja::value::{from_args, Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

/// A mapping whose `get` traverses `a:b:c` paths.
#[derive(Debug)]
pub struct Lookup(pub Value);

impl Object for Lookup {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        item(&self.0, key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.0.try_iter() {
            Ok(iter) => Enumerator::Values(iter.collect()),
            Err(_) => Enumerator::Empty,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get" => {
                let (key, default): (&str, Option<Value>) = from_args(args)?;
                let literal = item(&self.0, &Value::from(key));
                Ok(literal
                    .or_else(|| traverse(&self.0, key, ":"))
                    .unwrap_or_else(|| default.unwrap_or(Value::from(()))))
            }
            // Everything else (items, keys, values...) behaves as on a dict.
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `value[key]`, or `None` when there is no such item.
fn item(value: &Value, key: &Value) -> Option<Value> {
    value.get_item(key).ok().filter(|v| !v.is_undefined())
}

/// Walk `path` split by `delimiter` through mappings and lists (a list is
/// indexed by a number, as Salt's `traverse_dict_and_list` does).
pub fn traverse(root: &Value, path: &str, delimiter: &str) -> Option<Value> {
    let mut cur = root.clone();
    for part in path.split(delimiter) {
        cur = match cur.kind() {
            ValueKind::Map => item(&cur, &Value::from(part))?,
            ValueKind::Seq => item(&cur, &Value::from(part.parse::<i64>().ok()?))?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Value {
        Value::from_serialize(serde_json::json!({
            "postgres": {"writer": "pgdb1", "ports": [5432, 6432]},
            "a:b": "literal"
        }))
    }

    #[test]
    fn traverses_maps_and_lists() {
        let d = data();
        assert_eq!(
            traverse(&d, "postgres:writer", ":"),
            Some(Value::from("pgdb1"))
        );
        assert_eq!(
            traverse(&d, "postgres:ports:1", ":"),
            Some(Value::from(6432))
        );
        assert_eq!(traverse(&d, "postgres:missing", ":"), None);
        assert_eq!(traverse(&d, "postgres:writer:x", ":"), None);
    }

    #[test]
    fn get_prefers_the_literal_key() {
        let env = minijinja::Environment::new();
        let ctx = minijinja::context! { pillar => Value::from_object(Lookup(data())) };
        let render = |src: &str| env.render_str(src, &ctx).unwrap();
        assert_eq!(render("{{ pillar.get('a:b') }}"), "literal");
        assert_eq!(render("{{ pillar.get('postgres:writer') }}"), "pgdb1");
        assert_eq!(render("{{ pillar.get('nope', 'dflt') }}"), "dflt");
        assert_eq!(render("{{ pillar['postgres']['writer'] }}"), "pgdb1");
    }
}
