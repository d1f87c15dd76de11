//! `config.get` and `config.option`: minion options, grains, pillar, in
//! Salt's order.

use minijinja::value::Value;
use minijinja::{Error, State};

use super::{text, Args, Env};
use crate::render::data::{dict, pairs};
use crate::render::dictupdate;
use crate::render::lookup::traverse;

/// `config.get(key, default='', delimiter=':', merge=None, omit_opts=False,
/// omit_pillar=False, omit_master=False, omit_grains=False)`: the first of
/// opts, grains, pillar, the pillar's `master` key that has `key`; with
/// `merge`, all of them merged (pillar under grains under opts) and then
/// searched.
pub(super) fn get(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let key = a.string("key")?;
    let default = a.or("default", "")?;
    let delimiter = a.str_or("delimiter", ":")?;
    let merge = a.opt("merge")?.filter(|m| !m.is_none());
    let omit_opts = a.bool_or("omit_opts", false)?;
    let omit_pillar = a.bool_or("omit_pillar", false)?;
    let omit_master = a.bool_or("omit_master", false)?;
    let omit_grains = a.bool_or("omit_grains", false)?;
    let master = traverse(&env.pillar, "master", ":").unwrap_or_else(|| dict([]));
    match merge {
        None => {
            let stores = [
                (omit_opts, &env.opts),
                (omit_grains, &env.grains),
                (omit_pillar, &env.pillar),
                (omit_master, &master),
            ];
            Ok(stores
                .iter()
                .filter(|(omit, _)| !omit)
                .find_map(|(_, store)| traverse(store, &key, &delimiter))
                .unwrap_or(default))
        }
        Some(strategy) => {
            let mut strategy = text(&strategy);
            if strategy != "recurse" && strategy != "overwrite" {
                tracing::warn!(
                    "Unsupported merge strategy '{strategy}'. Falling back to 'recurse'."
                );
                strategy = "recurse".into();
            }
            let mut data = dict([]);
            for store in [&master, &env.pillar, &env.grains, &env.opts] {
                data = dictupdate::merge(&data, store, &strategy, "yaml", false)?;
            }
            Ok(traverse(&data, &key, &delimiter).unwrap_or(default))
        }
    }
}

/// `config.option(value, default=None, omit_opts=False, omit_grains=False,
/// omit_pillar=False, omit_master=False, omit_all=False, wildcard=False)`:
/// like `get` without traversal.
pub(super) fn option(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let value = a.req("value")?;
    let default = a.opt("default")?.filter(|d| !d.is_none());
    let mut omit = [false; 4];
    for (i, name) in ["omit_opts", "omit_grains", "omit_pillar", "omit_master"]
        .iter()
        .enumerate()
    {
        omit[i] = a.bool_or(name, false)?;
    }
    if a.bool_or("omit_all", false)? {
        omit = [true; 4];
    }
    let wildcard = a.bool_or("wildcard", false)?;
    let master = traverse(&env.pillar, "master", ":").unwrap_or_else(|| dict([]));
    let stores = [&env.opts, &env.grains, &env.pillar, &master];
    if wildcard {
        let pattern = text(&value);
        let mut found = Vec::new();
        for (i, store) in stores.iter().enumerate() {
            if omit[i] {
                continue;
            }
            for (k, v) in pairs(store) {
                if crate::glob::matches(&pattern, &text(&k))
                    && !found.iter().any(|(f, _): &(Value, Value)| f == &k)
                {
                    found.push((k, v));
                }
            }
        }
        return Ok(if found.is_empty() {
            default.unwrap_or_else(|| dict([]))
        } else {
            dict(found)
        });
    }
    for (i, store) in stores.iter().enumerate() {
        if !omit[i] {
            if let Ok(v) = store.get_item(&value) {
                if !v.is_undefined() {
                    return Ok(v);
                }
            }
        }
    }
    Ok(default.unwrap_or(Value::from("")))
}
