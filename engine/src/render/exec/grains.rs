//! `grains.*`: the host's grains, and `filter_by`, the heart of most
//! formulas' `map.jinja`.

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};

use super::{text, Args, Env};
use crate::render::data::{self, deep_copy, dict, is_map, pairs};
use crate::render::dictupdate;
use crate::render::lookup::traverse;

/// `grains.get(key, default='', delimiter=':', ordered=True)`.
pub(super) fn get(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let key = a.string("key")?;
    let default = a.or("default", "")?;
    let delimiter = a.str_or("delimiter", ":")?;
    a.opt("ordered")?;
    Ok(traverse(&env.grains, &key, &delimiter).unwrap_or(default))
}

/// `grains.has_value(key)`: whether the grain exists and is true.
pub(super) fn has_value(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let key = a.string("key")?;
    Ok(Value::from(
        traverse(&env.grains, &key, ":").is_some_and(|v| v.is_true()),
    ))
}

/// `grains.item(*args)`: the named grains in a dict.
pub(super) fn item(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let keys = a.rest();
    Ok(dict(keys.into_iter().filter_map(|k| {
        let v = traverse(&env.grains, &text(&k), ":")?;
        Some((k, v))
    })))
}

pub(super) fn items(env: &Env, _: &State, _: &mut Args) -> Result<Value, Error> {
    Ok(env.grains.clone())
}

pub(super) fn ls(env: &Env, _: &State, _: &mut Args) -> Result<Value, Error> {
    let mut keys: Vec<Value> = pairs(&env.grains).into_iter().map(|(k, _)| k).collect();
    keys.sort();
    Ok(Value::from(keys))
}

/// `grains.filter_by(lookup_dict, grain='os_family', merge=None,
/// default='default', base=None)`.
pub(super) fn filter_by(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let lookup_dict = a.req("lookup_dict")?;
    let grain = a.str_or("grain", "os_family")?;
    let merge = a.opt("merge")?;
    let default = a.str_or("default", "default")?;
    let base = a.opt("base")?.filter(|b| !b.is_none());
    filter_by_data(&lookup_dict, &grain, &env.grains, merge, &default, base)
}

/// `salt.utils.data.filter_by`: the entry of `lookup_dict` whose key (a
/// glob) matches the value at `lookup` in `traverse_in`, over `base`, under
/// `merge`. The chosen entry is merged into in place, as in Salt.
pub(super) fn filter_by_data(
    lookup_dict: &Value,
    lookup: &str,
    traverse_in: &Value,
    merge: Option<Value>,
    default: &str,
    base: Option<Value>,
) -> Result<Value, Error> {
    if !is_map(lookup_dict) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "filter_by: the lookup dict must be a mapping, not {}",
                lookup_dict.kind()
            ),
        ));
    }
    let entries = pairs(lookup_dict);
    let val =
        traverse(traverse_in, lookup, ":").unwrap_or_else(|| Value::from(Vec::<Value>::new()));
    let candidates = if val.kind() == minijinja::value::ValueKind::Seq {
        data::items(&val)
    } else {
        vec![val]
    };
    let mut ret: Option<Value> = None;
    'outer: for each in candidates {
        let each = text(&each);
        for (key, value) in &entries {
            if crate::glob::matches(&text(key), &each) {
                ret = Some(value.clone());
                break 'outer;
            }
        }
    }
    let lookup_entry = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| text(key) == k)
            .map(|(_, v)| v.clone())
    };
    // Salt's `ret is None`: a key whose value is None counts as not found
    ret = ret.filter(|v| !v.is_none());
    if ret.is_none() {
        ret = lookup_entry(default).filter(|v| !v.is_none());
    }
    if let Some(base) = base {
        if let Some(base_values) = lookup_entry(&text(&base)) {
            ret = match ret {
                None => Some(base_values),
                Some(r) if is_map(&base_values) => {
                    if !is_map(&r) {
                        return Err(Error::new(
                            ErrorKind::InvalidOperation,
                            "filter_by default and look-up values must both be dictionaries.",
                        ));
                    }
                    Some(dictupdate::update(&deep_copy(&base_values), &r, false)?)
                }
                Some(r) => Some(r),
            };
        }
    }
    if let Some(merge) = merge.filter(|m| m.is_true()) {
        if !is_map(&merge) {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "filter_by merge argument must be a dictionary.",
            ));
        }
        ret = Some(match ret {
            None => merge,
            Some(r) => dictupdate::update(&r, &deep_copy(&merge), false)?,
        });
    }
    Ok(ret.unwrap_or(Value::from(())))
}
