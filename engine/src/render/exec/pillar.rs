//! `pillar.*`: the host's pillar, traversed by colons.

use minijinja::value::Value;
use minijinja::{Error, State};

use super::{text, Args, Env};
use crate::render::data::{deep_copy, dict, is_list, is_map, items as seq_items, list, pairs};
use crate::render::dictupdate;
use crate::render::lookup::traverse;

/// `pillar.get(key, default='', merge=False, merge_nested_lists=None,
/// delimiter=':', pillarenv=None, saltenv=None)`.
pub(super) fn get(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let key = a.string("key")?;
    let default = a.or("default", "")?;
    let merge = a.bool_or("merge", false)?;
    let merge_lists = a.bool_or("merge_nested_lists", false)?;
    let delimiter = a.str_or("delimiter", ":")?;
    a.opt("pillarenv")?;
    a.opt("saltenv")?;
    let found = traverse(&env.pillar, &key, &delimiter);
    if merge {
        if is_map(&default) {
            if let Some(ret) = found.as_ref().filter(|r| is_map(r)) {
                return dictupdate::update(&deep_copy(&default), ret, merge_lists);
            }
            if found.is_none() {
                return dictupdate::update(&deep_copy(&default), &dict([]), merge_lists);
            }
            tracing::error!("pillar.get: Default ({default}) is a dict, but the returned pillar value is not. Merge will be skipped.");
        } else if is_list(&default) {
            let ret = found.clone().unwrap_or_else(|| list([]));
            if is_list(&ret) {
                let mut out = seq_items(&deep_copy(&default));
                for x in seq_items(&ret) {
                    if !out.contains(&x) {
                        out.push(x);
                    }
                }
                return Ok(list(out));
            }
            tracing::error!("pillar.get: Default ({default}) is a list, but the returned pillar value is not. Merge will be skipped.");
        } else {
            tracing::error!("pillar.get: Default ({default}) must be a dict or list to merge. Merge will be skipped.");
        }
    }
    Ok(found.unwrap_or(default))
}

/// `pillar.item(*keys, default='', delimiter=':')`.
pub(super) fn item(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let keys = a.rest();
    let default = a.keyword("default")?.unwrap_or(Value::from(""));
    let delimiter = a
        .keyword("delimiter")?
        .map_or(":".to_string(), |d| text(&d));
    Ok(dict(keys.into_iter().map(|k| {
        let v = traverse(&env.pillar, &text(&k), &delimiter).unwrap_or_else(|| default.clone());
        (k, v)
    })))
}

pub(super) fn items(env: &Env, _: &State, _: &mut Args) -> Result<Value, Error> {
    Ok(env.pillar.clone())
}

/// `pillar.keys(key, delimiter=':')`: the keys of the mapping at `key`.
pub(super) fn keys(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let key = a.string("key")?;
    let delimiter = a.str_or("delimiter", ":")?;
    let found = traverse(&env.pillar, &key, &delimiter).unwrap_or_default();
    if !is_map(&found) {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("Pillar value at {key} is not a dict"),
        ));
    }
    Ok(Value::from(
        pairs(&found)
            .into_iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>(),
    ))
}
