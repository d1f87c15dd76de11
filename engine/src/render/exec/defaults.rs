//! `defaults.*`: merging a formula's defaults into its settings.

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};

use super::{Args, Env};
use crate::render::data::{as_dict, deep_copy, dict, pairs};
use crate::render::dictupdate;
use crate::render::lookup::traverse;

/// `defaults.merge(dest, src, merge_lists=False, in_place=True,
/// convert_none=True)`: `src` merged into `dest` (in place by default).
pub(super) fn merge(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let dest = a.req("dest")?;
    let src = a.req("src")?;
    let merge_lists = a.bool_or("merge_lists", false)?;
    let in_place = a.bool_or("in_place", true)?;
    let convert_none = a.bool_or("convert_none", true)?;
    merge_values(dest, src, merge_lists, in_place, convert_none)
}

fn merge_values(
    dest: Value,
    src: Value,
    merge_lists: bool,
    in_place: bool,
    convert_none: bool,
) -> Result<Value, Error> {
    let src = if src.is_none() && convert_none {
        dict([])
    } else {
        src
    };
    let dest = if dest.is_none() && convert_none {
        if in_place {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "Can't perform in-place merge into NoneType",
            ));
        }
        dict([])
    } else {
        dest
    };
    let merged = if in_place { dest } else { deep_copy(&dest) };
    dictupdate::update(&merged, &src, merge_lists)
}

/// `defaults.deepcopy(source)`.
pub(super) fn deepcopy(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    Ok(deep_copy(&a.req("source")?))
}

/// `defaults.update(dest, defaults, merge_lists=True, in_place=True,
/// convert_none=True)`: each entry of `dest` merged over `defaults`.
pub(super) fn update(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let dest = a.req("dest")?;
    let defaults = a.req("defaults")?;
    let merge_lists = a.bool_or("merge_lists", true)?;
    let in_place = a.bool_or("in_place", true)?;
    let convert_none = a.bool_or("convert_none", true)?;
    let nodes = if in_place {
        if dest.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "Can't perform in-place update into NoneType",
            ));
        }
        dest
    } else if dest.is_none() && convert_none {
        dict([])
    } else {
        deep_copy(&dest)
    };
    let defaults = if defaults.is_none() && convert_none {
        dict([])
    } else {
        defaults
    };
    let d = as_dict(&nodes).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            "defaults.update: dest is not a dict",
        )
    })?;
    for (name, vars) in pairs(&nodes) {
        let merged = merge_values(deep_copy(&defaults), vars, merge_lists, true, convert_none)?;
        d.insert(name, merged);
    }
    Ok(Value::from_dyn_object(d))
}

/// `defaults.get(key, default='')`: `key`'s first part names a formula,
/// whose `defaults.yaml` (or `.json`) in the state tree is read and the
/// rest of `key` looked up in it.
pub(super) fn get(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let key = a.string("key")?;
    let default = a.or("default", "")?;
    let (namespace, rest) = match key.split_once(':') {
        Some((n, r)) => (n.to_string(), Some(r.to_string())),
        None => (key.clone(), None),
    };
    let mut defaults = Value::from(());
    'found: for ext in ["yaml", "json"] {
        for root in &env.roots {
            let path = root.join(&namespace).join(format!("defaults.{ext}"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                defaults = if ext == "yaml" {
                    crate::render::filters::load_yaml_text(&text)?
                } else {
                    crate::render::filters::load_json(&text)?
                };
                if defaults.is_none() {
                    defaults = dict([]);
                }
                break 'found;
            }
        }
    }
    Ok(match rest {
        Some(r) => traverse(&defaults, &r, ":").unwrap_or(default),
        None => defaults,
    })
}
