//! Salt's `salt.utils.dictupdate`: the merges behind `slsutil.merge`,
//! `defaults.merge`, `grains.filter_by` and `pillar.get(merge=True)`.
//!
//! Ported line by line, aliasing included: `update` changes `dest` in
//! place and stores `upd`'s own values (not copies), as Salt does, so a
//! template that later changes one sees it in the other as it would in
//! Salt.

use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

use super::data::{as_dict, deep_copy, dict, is_list, is_map, items, list, pairs};

/// `salt.utils.dictupdate.update(dest, upd, merge_lists=...)`: `dest`
/// (changed in place when it is a template dict) with `upd` merged in.
pub(super) fn update(dest: &Value, upd: &Value, merge_lists: bool) -> Result<Value, Error> {
    let (Some(d), true) = (as_dict(dest), is_map(upd)) else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "Cannot update using non-dict types in dictupdate.update()",
        ));
    };
    for (key, val) in pairs(upd) {
        let dest_sub = d.get(&key);
        match dest_sub {
            Some(sub) if is_map(&sub) && is_map(&val) => {
                let merged = update(&sub, &val, merge_lists)?;
                d.insert(key, merged);
            }
            Some(sub) if is_list(&sub) && is_list(&val) && merge_lists => {
                let mut merged = items(&deep_copy(&sub));
                for x in items(&val) {
                    if !merged.contains(&x) {
                        merged.push(x);
                    }
                }
                d.insert(key, list(merged));
            }
            _ => d.insert(key, val),
        }
    }
    Ok(Value::from_dyn_object(d))
}

/// `salt.utils.dictupdate.merge(a, b, strategy, renderer, merge_lists)`.
pub(super) fn merge(
    a: &Value,
    b: &Value,
    strategy: &str,
    renderer: &str,
    merge_lists: bool,
) -> Result<Value, Error> {
    let strategy = match strategy {
        "smart"
            if renderer.rsplit('|').next() == Some("yamlex") || renderer.starts_with("yamlex_") =>
        {
            "aggregate"
        }
        "smart" => "recurse",
        s => s,
    };
    match strategy {
        "list" => Ok(merge_list(a, b)),
        "recurse" => merge_recurse(a, b, merge_lists),
        "aggregate" => merge_aggregate(a, b),
        "overwrite" => {
            if let Some(d) = as_dict(a) {
                for (k, v) in pairs(b) {
                    if d.contains(&k) {
                        d.insert(k, v);
                    }
                }
            }
            merge_recurse(a, b, merge_lists)
        }
        "none" => merge_recurse(a, b, false),
        other => {
            tracing::warn!("Unknown merging strategy '{other}', fallback to recurse");
            merge_recurse(a, b, false)
        }
    }
}

fn merge_recurse(a: &Value, b: &Value, merge_lists: bool) -> Result<Value, Error> {
    update(&deep_copy(a), b, merge_lists)
}

fn merge_list(a: &Value, b: &Value) -> Value {
    let b_pairs = pairs(b);
    dict(
        pairs(a)
            .into_iter()
            .map(|(k, v)| match b_pairs.iter().find(|(bk, _)| bk == &k) {
                Some((_, bv)) => (k, list([v, bv.clone()])),
                None => (k, v),
            }),
    )
}

/// yamlex's `merge_recursive(a, b, level=1)` (`salt.utils.aggregation`):
/// the top level is merged (its lists extended), below it `b`'s values
/// win, maps keeping only `b`'s keys. (yamlex's `!aggregate` tags, which
/// would extend deeper, do not exist in plain YAML.)
fn merge_aggregate(a: &Value, b: &Value) -> Result<Value, Error> {
    Ok(aggregate(a, b, true))
}

fn aggregate(a: &Value, b: &Value, marked: bool) -> Value {
    if is_map(a) && is_map(b) {
        let a_pairs = pairs(a);
        let mut response: Vec<(Value, Value)> = if marked { a_pairs.clone() } else { pairs(b) };
        for (k, v) in pairs(b) {
            let v = match a_pairs.iter().find(|(ak, _)| ak == &k) {
                Some((_, av)) => aggregate(av, &v, false),
                None => v,
            };
            match response.iter_mut().find(|(rk, _)| rk == &k) {
                Some(slot) => slot.1 = v,
                None => response.push((k, v)),
            }
        }
        return dict(response);
    }
    if marked {
        let mut out = if is_list(a) {
            items(a)
        } else {
            vec![a.clone()]
        };
        let extra = if is_list(b) {
            items(b)
        } else {
            vec![b.clone()]
        };
        for x in extra {
            if !out.contains(&x) {
                out.push(x);
            }
        }
        return list(out);
    }
    b.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::data::adopt;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        adopt(Value::from_serialize(j))
    }

    #[test]
    fn recurse_merges_maps_and_replaces_or_merges_lists() {
        let a = v(json!({"a": {"x": 1, "l": [1, 2]}, "b": 1}));
        let b = v(json!({"a": {"y": 2, "l": [2, 3]}}));
        let m = merge(&a, &b, "smart", "yaml", false).unwrap();
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"a": {"x": 1, "l": [2, 3], "y": 2}, "b": 1})
        );
        let m = merge(&a, &b, "recurse", "yaml", true).unwrap();
        assert_eq!(
            serde_json::to_value(&m).unwrap()["a"]["l"],
            json!([1, 2, 3])
        );
        // a itself is untouched by a recursive merge
        assert_eq!(
            serde_json::to_value(&a).unwrap()["a"],
            json!({"x": 1, "l": [1, 2]})
        );
    }

    #[test]
    fn update_changes_dest_in_place() {
        let a = v(json!({"a": {"x": 1}}));
        update(&a, &v(json!({"a": {"y": 2}})), false).unwrap();
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"a": {"x": 1, "y": 2}})
        );
    }
}
