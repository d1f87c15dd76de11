//! Salt's colon traversal (`salt.utils.data.traverse_dict_and_list`).
//!
//! In Salt, `pillar` and `grains` are plain dicts (`pillar.get('a:b')` looks
//! up the literal key `a:b`) while `salt['pillar.get']('a:b')` traverses.
//! The contract asks for `pillar.get('a:b', default)` to traverse too, so
//! the `get` of those two (see `data::Dict::root`) first looks the key up
//! as written (Salt's answer whenever that key exists) and only then walks
//! it by colons.

use minijinja::value::{Value, ValueKind};

use super::data::items;

/// `value[key]`, or `None` when there is no such item.
fn item(value: &Value, key: &Value) -> Option<Value> {
    value.get_item(key).ok().filter(|v| !v.is_undefined())
}

/// Walk `path` split by `delimiter` through mappings and lists, as Salt's
/// `traverse_dict_and_list`: a list is indexed by a number, else the first
/// mapping in it holding the key is entered; a key missing as text is
/// tried as YAML reads it (`1` as the integer 1).
pub(crate) fn traverse(root: &Value, path: &str, delimiter: &str) -> Option<Value> {
    let mut cur = root.clone();
    for part in path.split(delimiter) {
        cur = match cur.kind() {
            ValueKind::Seq => match part.trim().parse::<i64>() {
                Ok(i) => {
                    let len = cur.len()? as i64;
                    let i = if i < 0 { len + i } else { i };
                    if !(0..len).contains(&i) {
                        return None;
                    }
                    item(&cur, &Value::from(i))?
                }
                Err(_) => items(&cur)
                    .into_iter()
                    .filter(|x| x.kind() == ValueKind::Map)
                    .find_map(|m| item(&m, &Value::from(part)))?,
            },
            ValueKind::Map => match item(&cur, &Value::from(part)) {
                Some(v) => v,
                None => {
                    let loaded = yaml_key(part)?;
                    item(&cur, &loaded)?
                }
            },
            _ => return None,
        };
    }
    Some(cur)
}

/// A key as YAML would read it, when that differs from the text.
fn yaml_key(part: &str) -> Option<Value> {
    match crate::yaml::resolve_plain(part) {
        crate::yaml::Value::Int(i) => Some(Value::from(i)),
        crate::yaml::Value::Float(f) => Some(Value::from(f)),
        crate::yaml::Value::Bool(b) => Some(Value::from(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::data::Dict;

    fn data() -> Value {
        Value::from_serialize(serde_json::json!({
            "postgres": {"writer": "pgdb1", "ports": [5432, 6432],
                         "users": [{"name": "a"}, {"role": "b"}]},
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
        assert_eq!(
            traverse(&d, "postgres:ports:-1", ":"),
            Some(Value::from(6432))
        );
        assert_eq!(
            traverse(&d, "postgres:users:role", ":"),
            Some(Value::from("b"))
        );
        assert_eq!(traverse(&d, "postgres:missing", ":"), None);
        assert_eq!(traverse(&d, "postgres:writer:x", ":"), None);
    }

    #[test]
    fn get_prefers_the_literal_key() {
        let env = minijinja::Environment::new();
        let ctx = minijinja::context! { pillar => Dict::root(&data()) };
        let render = |src: &str| env.render_str(src, &ctx).unwrap();
        assert_eq!(render("{{ pillar.get('a:b') }}"), "literal");
        assert_eq!(render("{{ pillar.get('postgres:writer') }}"), "pgdb1");
        assert_eq!(render("{{ pillar.get('nope', 'dflt') }}"), "dflt");
        assert_eq!(render("{{ pillar['postgres']['writer'] }}"), "pgdb1");
    }
}
