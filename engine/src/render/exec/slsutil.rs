//! `slsutil.*`: merges, (de)serializers, paths in the state tree, and
//! rendering a string or file through a renderer pipeline.

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};

use super::{text, Args, Env};
use crate::render::data::{adopt, dict, items};
use crate::render::{dictupdate, filters};

/// `slsutil.update(dest, upd, recursive_update=True, merge_lists=False)`.
pub(super) fn update(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let dest = a.req("dest")?;
    let upd = a.req("upd")?;
    let recursive = a.bool_or("recursive_update", true)?;
    let merge_lists = a.bool_or("merge_lists", false)?;
    if recursive {
        dictupdate::update(&dest, &upd, merge_lists)
    } else {
        let d = crate::render::data::as_dict(&dest).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "Cannot update using non-dict types in dictupdate.update()",
            )
        })?;
        for (k, v) in crate::render::data::pairs(&upd) {
            d.insert(k, v);
        }
        Ok(Value::from_dyn_object(d))
    }
}

/// `slsutil.merge(obj_a, obj_b, strategy='smart', renderer='yaml',
/// merge_lists=False)`.
pub(super) fn merge(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let obj_a = a.req("obj_a")?;
    let obj_b = a.req("obj_b")?;
    let strategy = a.str_or("strategy", "smart")?;
    let renderer = a.str_or("renderer", "yaml")?;
    let merge_lists = a.bool_or("merge_lists", false)?;
    dictupdate::merge(&obj_a, &obj_b, &strategy, &renderer, merge_lists)
}

/// `slsutil.merge_all(lst, strategy='smart', renderer='yaml',
/// merge_lists=False)`.
pub(super) fn merge_all(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let lst = a.req("lst")?;
    let strategy = a.str_or("strategy", "smart")?;
    let renderer = a.str_or("renderer", "yaml")?;
    let merge_lists = a.bool_or("merge_lists", false)?;
    let mut ret = dict([]);
    for obj in items(&lst) {
        ret = dictupdate::merge(&ret, &obj, &strategy, &renderer, merge_lists)?;
    }
    Ok(ret)
}

/// `slsutil.serialize(serializer, obj, **kwargs)`: `json` as Python's
/// `json.dumps` (keys in order), `yaml` as Salt's yaml serializer (block
/// style), `python` as `pprint`.
pub(super) fn serialize(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let serializer = a.string("serializer")?;
    let obj = a.req("obj")?;
    let kwargs = a.rest_keywords()?;
    let data = filters::to_json(&obj)?;
    Ok(Value::from(match serializer.as_str() {
        "json" => {
            let indent = kwargs.iter().find(|(k, _)| k == "indent").and_then(|(_, v)| v.as_usize());
            let sort = kwargs.iter().any(|(k, v)| k == "sort_keys" && v.is_true());
            let data = if sort { filters::sorted(data) } else { data };
            match indent {
                Some(n) => filters::python_json_indent(&data, n),
                None => filters::python_json(&data),
            }
        }
        "yaml" => {
            let flow = kwargs.iter().find(|(k, _)| k == "default_flow_style").map(|(_, v)| v.clone());
            // Salt's yaml serializer: PyYAML's default style (flow for
            // collections of scalars), without the final newline or `...`
            let style = match flow {
                Some(v) if v.is_none() => crate::render::pyyaml::Style::Auto,
                Some(v) if v.is_true() => crate::render::pyyaml::Style::Flow,
                Some(_) => crate::render::pyyaml::Style::Block,
                None => crate::render::pyyaml::Style::Auto,
            };
            let out = crate::render::pyyaml::dump(&data, style, false);
            let out = out.strip_suffix("\n...\n").map(str::to_string).unwrap_or(out);
            out.strip_suffix('\n').map(str::to_string).unwrap_or(out)
        }
        "python" => filters::python_repr(&obj) + "\n",
        other => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("slsutil.serialize: the serializer `{other}` is not available while rendering (json, yaml, python are)"),
            ))
        }
    }))
}

/// `slsutil.deserialize(serializer, stream_or_string, **kwargs)`.
pub(super) fn deserialize(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let serializer = a.string("serializer")?;
    let input = a.string("stream_or_string")?;
    a.rest_keywords()?;
    match serializer.as_str() {
        "json" => filters::load_json(&input),
        "yaml" => filters::load_yaml_text(&input),
        other => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("slsutil.deserialize: the serializer `{other}` is not available while rendering (json, yaml are)"),
        )),
    }
}

/// `slsutil.boolstr(value, true='true', false='false')`.
pub(super) fn boolstr(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let value = a.req("value")?;
    let t = a.str_or("true", "true")?;
    let f = a.str_or("false", "false")?;
    Ok(Value::from(if value.is_true() { t } else { f }))
}

fn tree_path(env: &Env, path: &str) -> Vec<std::path::PathBuf> {
    let rel = path
        .strip_prefix("salt://")
        .unwrap_or(path)
        .trim_start_matches('/');
    env.roots.iter().map(|r| r.join(rel)).collect()
}

/// `slsutil.file_exists(path, saltenv='base')`: a file in the state tree.
pub(super) fn file_exists(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = a.string("path")?;
    a.opt("saltenv")?;
    Ok(Value::from(
        tree_path(env, &path).iter().any(|p| p.is_file()),
    ))
}

/// `slsutil.dir_exists(path, saltenv='base')`.
pub(super) fn dir_exists(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = a.string("path")?;
    a.opt("saltenv")?;
    Ok(Value::from(
        tree_path(env, &path).iter().any(|p| p.is_dir()),
    ))
}

/// `slsutil.path_exists(path, saltenv='base')`.
pub(super) fn path_exists(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = a.string("path")?;
    a.opt("saltenv")?;
    Ok(Value::from(
        tree_path(env, &path).iter().any(|p| p.exists()),
    ))
}

/// `slsutil.renderer(path=None, string=None, default_renderer='jinja|yaml')`:
/// a template from the state tree (`salt://...`) or a string, through a
/// pipeline of `jinja`, `yaml`, `json` (a `#!` line overrides it).
pub(super) fn renderer(env: &Env, state: &State, a: &mut Args) -> Result<Value, Error> {
    let path = a.opt("path")?.filter(|p| !p.is_none());
    let string = a.opt("string")?.filter(|p| !p.is_none());
    let default = a.str_or("default_renderer", "jinja|yaml")?;
    let extra = a.rest_keywords()?;
    let (name, mut body) = match (path, string) {
        (Some(p), _) => {
            let p = text(&p);
            let rel = p
                .strip_prefix("salt://")
                .unwrap_or(&p)
                .trim_start_matches('/')
                .to_string();
            let found = tree_path(env, &rel)
                .into_iter()
                .find(|f| f.is_file())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::TemplateNotFound,
                        format!("slsutil.renderer: {p} not found in the state tree"),
                    )
                })?;
            let t = std::fs::read_to_string(&found).map_err(|e| {
                Error::new(ErrorKind::InvalidOperation, format!("cannot read {p}: {e}"))
            })?;
            (Some(rel), t)
        }
        (None, Some(s)) => (None, text(&s)),
        (None, None) => {
            return Err(Error::new(
                ErrorKind::MissingArgument,
                "slsutil.renderer: give a path or a string",
            ))
        }
    };
    let mut pipeline = default;
    if let Some(first) = body.lines().next() {
        if let Some(bang) = first.strip_prefix("#!") {
            pipeline = bang.trim().to_string();
            body = body
                .split_once('\n')
                .map_or(String::new(), |(_, r)| r.to_string());
        }
    }
    let mut value = Value::from(body);
    for stage in pipeline.split('|') {
        value = match stage.trim() {
            "jinja" => {
                let mut vars: Vec<(String, Value)> = vec![
                    ("salt".into(), state.lookup("salt").unwrap_or_default()),
                    ("grains".into(), env.grains.clone()),
                    ("pillar".into(), env.pillar.clone()),
                    ("opts".into(), env.opts.clone()),
                    ("saltenv".into(), Value::from(env.saltenv.clone())),
                ];
                vars.extend(extra.iter().cloned());
                let ctx: Value = vars.into_iter().collect();
                let src = crate::render::syntax::rewrite(&text(&value));
                let name = name.as_deref().unwrap_or("<string>");
                Value::from(state.env().render_named_str(name, &src.text, ctx)?)
            }
            "yaml" => filters::load_yaml_text(&text(&value))?,
            "json" => filters::load_json(&text(&value))?,
            "text" | "txt" | "raw" => value,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("slsutil.renderer: the renderer `{other}` is not available while rendering (jinja, yaml, json are)"),
                ))
            }
        };
    }
    Ok(adopt(value))
}
