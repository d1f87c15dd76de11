//! Jinja as Salt configures it, by minijinja.
//!
//! Salt's settings: undefined variables are errors, `trim_blocks` and
//! `lstrip_blocks` off. Jinja drops a template's final newline; Salt adds it
//! back to the rendered text, but not inside it: an included template loses
//! its final newline, the one rendered keeps it. Python's str methods come
//! from minijinja-contrib's pycompat; dicts and lists are `data`'s, which
//! change in place. Every template's text goes through `syntax` first
//! (Salt's `import_yaml`/`load_yaml` tags, mutable literals). Includes and
//! imports resolve in the environment's file_roots, `./x` and `../x`
//! relative to the template.

mod data;
mod dictupdate;
mod exec;
mod extras;
mod filters;
mod lookup;
mod pystr;
mod pyyaml;
mod regex;
mod salt;
mod syntax;

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{Environment, State, UndefinedBehavior};

pub(crate) use lookup::traverse;
pub(crate) use salt::{HostCalls, Salt};

use crate::error::Error;
use crate::source::{Source, Span};

/// A Jinja environment over one saltenv's file_roots.
pub struct Renderer {
    env: Environment<'static>,
    roots: Vec<PathBuf>,
}

/// One of our errors carried through minijinja's (a YAML error in an
/// imported file), handed back as it is.
#[derive(Debug)]
struct Carried(Error);

impl std::fmt::Display for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.headline())
    }
}

impl std::error::Error for Carried {}

/// What a host's templates see: its grains and pillar, and a way to run
/// `salt['cmd.run']` on it.
#[derive(Clone)]
pub struct HostContext {
    pub saltenv: String,
    pub grains: Value,
    pub pillar: Value,
    pub host: Option<Arc<dyn HostCalls>>,
    /// The roster's host ids, for `salt['roster.ids']()`.
    pub roster: Arc<Vec<String>>,
}

impl HostContext {
    pub fn new(
        saltenv: &str,
        grains: &serde_json::Value,
        pillar: &serde_json::Value,
        host: Option<Arc<dyn HostCalls>>,
    ) -> HostContext {
        HostContext {
            saltenv: saltenv.to_string(),
            grains: Value::from_serialize(grains),
            pillar: Value::from_serialize(pillar),
            host,
            roster: Arc::default(),
        }
    }

    /// With the roster's host ids (for `salt['roster.ids']()`).
    pub fn with_roster(mut self, ids: Vec<String>) -> HostContext {
        self.roster = Arc::new(ids);
        self
    }

    /// The variables every template sees: `grains`, `pillar`, `opts`,
    /// `salt`, `saltenv`. `pillar` and `grains` are fresh dicts for each
    /// render (a template that changes them changes only its own render),
    /// shared with `salt[...]`'s functions within it.
    fn base(&self, roots: &[PathBuf]) -> Vec<(&'static str, Value)> {
        let grains = data::Dict::root(&self.grains);
        let pillar = data::Dict::root(&self.pillar);
        let opts = self.opts(&grains);
        let env = Arc::new(exec::Env {
            pillar: pillar.clone(),
            grains: grains.clone(),
            opts: opts.clone(),
            host: self.host.clone(),
            roster: Arc::clone(&self.roster),
            saltenv: self.saltenv.clone(),
            roots: roots.to_vec(),
        });
        vec![
            ("grains", grains),
            ("pillar", pillar),
            ("opts", opts),
            ("saltenv", Value::from(self.saltenv.clone())),
            ("env", Value::from(self.saltenv.clone())),
            ("salt", Value::from_object(Salt { env })),
        ]
    }

    /// The minion options a template may read (`opts`, and the first place
    /// `config.get` looks). converge renders like `salt-call --local`: the
    /// formulas' `libsaltcli.jinja` then takes it for a local call, whose
    /// `config.get` supports `merge` and `delimiter`, as converge's does.
    fn opts(&self, grains: &Value) -> Value {
        let id = grains.get_item(&Value::from("id")).unwrap_or_default();
        data::dict([
            (Value::from("id"), id),
            (Value::from("__cli"), Value::from("salt-call")),
            (Value::from("saltenv"), Value::from(self.saltenv.clone())),
            (Value::from("renderer"), Value::from("jinja|yaml")),
            (Value::from("file_client"), Value::from("local")),
            (Value::from("pillar_merge_lists"), Value::from(false)),
        ])
    }
}

/// The variables naming the template being rendered (`sls`, `tpldir`...).
/// `path` is relative to its root (`postgres/init.sls`).
fn naming_vars(path: &str, sls: Option<&str>) -> Vec<(&'static str, Value)> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let mut vars = vec![
        ("tplfile", Value::from(path)),
        (
            "tpldir",
            Value::from(if dir.is_empty() {
                ".".into()
            } else {
                dir.clone()
            }),
        ),
        ("tpldot", Value::from(dir.replace('/', "."))),
    ];
    if let Some(sls) = sls {
        vars.extend([
            ("sls", Value::from(sls)),
            ("slspath", Value::from(dir.clone())),
            ("sls_path", Value::from(dir.replace('/', "_"))),
            ("slsdotpath", Value::from(dir.replace('/', "."))),
            ("slscolonpath", Value::from(dir.replace('/', ":"))),
        ]);
    }
    vars
}

impl Renderer {
    pub fn new(roots: Vec<PathBuf>) -> Renderer {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(false);
        // Salt escapes nothing; minijinja would JSON-escape `.yaml` files
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_trim_blocks(false);
        env.set_lstrip_blocks(false);
        env.set_unknown_method_callback(|state, value, method, args| {
            match minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args) {
                Err(e) if e.kind() == minijinja::ErrorKind::UnknownMethod => {
                    match pystr::method(value, method, args) {
                        Some(r) => r,
                        None => Err(data::immutable_error(value, method).unwrap_or(e)),
                    }
                }
                other => other,
            }
        });
        env.set_formatter(filters::python_formatter);
        minijinja_contrib::add_to_environment(&mut env);
        filters::register(&mut env);
        extras::register(&mut env);
        regex::register(&mut env);
        env.add_function(syntax::PERCENT, pystr::percent);
        let load_roots = roots.clone();
        env.add_function(
            syntax::LOAD,
            move |state: &State, value: Value, format: String, name: Option<String>| {
                load_serialized(state, &load_roots, &value, &format, name.as_deref())
            },
        );
        env.set_path_join_callback(|name, parent| {
            if name.starts_with("./") || name.starts_with("../") {
                let dir = parent.rsplit_once('/').map_or("", |(d, _)| d);
                normalize(&format!("{dir}/{name}")).into()
            } else {
                name.trim_start_matches("salt://").to_string().into()
            }
        });
        let loader_roots = roots.clone();
        env.set_loader(move |name| {
            for root in &loader_roots {
                match std::fs::read_to_string(root.join(name)) {
                    Ok(text) => return Ok(Some(syntax::rewrite(&text).text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read {name}: {e}"),
                        ))
                    }
                }
            }
            Ok(None)
        });
        Renderer { env, roots }
    }

    /// Render an sls file (`source.name` is its path relative to its root).
    pub fn render_sls(
        &self,
        source: &Arc<Source>,
        sls: &str,
        ctx: &HostContext,
    ) -> Result<String, Error> {
        let mut vars = ctx.base(&self.roots);
        vars.extend(naming_vars(&source.rel, Some(sls)));
        self.render(source, vars)
    }

    /// Render a file template (`file.managed` with `template: jinja`).
    /// `extra` holds the merged `defaults` and `context`; it wins over the rest.
    pub fn render_file(
        &self,
        source: &Arc<Source>,
        sls: &str,
        ctx: &HostContext,
        extra: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, Error> {
        let mut vars = ctx.base(&self.roots);
        vars.extend(naming_vars(&source.rel, None));
        vars.push(("sls", Value::from(sls)));
        vars.push(("source", Value::from(format!("salt://{}", source.rel))));
        let mut all: Vec<(String, Value)> =
            vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        all.extend(
            extra
                .iter()
                .map(|(k, v)| (k.clone(), data::adopt(Value::from_serialize(v)))),
        );
        self.render_pairs(source, all)
    }

    fn render(
        &self,
        source: &Arc<Source>,
        vars: Vec<(&'static str, Value)>,
    ) -> Result<String, Error> {
        self.render_pairs(
            source,
            vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        )
    }

    fn render_pairs(
        &self,
        source: &Arc<Source>,
        vars: Vec<(String, Value)>,
    ) -> Result<String, Error> {
        let ctx: Value = vars.into_iter().collect();
        // The loader keeps what it compiled by name, so a template that a
        // thousand states render is parsed once; that copy is used only when
        // its text is the one asked for.
        let rewritten = syntax::rewrite(&source.text).text;
        let out = match self.env.get_template(&source.rel) {
            Ok(t) if t.source() == rewritten => t.render(ctx),
            _ => self
                .env
                .template_from_named_str(&source.rel, &rewritten)
                .and_then(|t| t.render(ctx)),
        };
        let mut out = out.map_err(|e| self.error(&e, source))?;
        if source.text.ends_with('\n') {
            out.push('\n');
        }
        Ok(out)
    }

    /// A minijinja error as ours, pointing into the template where it
    /// happened (the rendered file itself or one it includes), at the
    /// place in the file as written.
    fn error(&self, outer: &minijinja::Error, source: &Arc<Source>) -> Error {
        // An error of ours carried through (a YAML error in an imported
        // file) is reported as it is.
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(outer);
        while let Some(c) = cause {
            if let Some(Carried(e)) = c.downcast_ref::<Carried>() {
                return e.duplicate();
            }
            cause = c.source();
        }
        // An error inside an included or imported template arrives wrapped
        // ("could not render include"): report the innermost one, where it
        // happened.
        let mut err = outer;
        while let Some(inner) =
            std::error::Error::source(err).and_then(|c| c.downcast_ref::<minijinja::Error>())
        {
            if inner.line().is_none() {
                break;
            }
            err = inner;
        }
        let mut message = match err.detail() {
            Some(detail) if err.kind() == minijinja::ErrorKind::InvalidOperation => {
                detail.to_string()
            }
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        };
        let name = err.name().unwrap_or(&source.rel).to_string();
        let text = if name == source.rel {
            Some(Arc::clone(source))
        } else {
            self.roots.iter().find_map(|r| {
                std::fs::read_to_string(r.join(&name))
                    .ok()
                    .map(|t| Source::file(r, &name, t))
            })
        };
        // The range is in the rewritten text: back to the file's.
        let mut range = match (&text, err.range()) {
            (Some(src), Some(r)) => Some(syntax::rewrite(&src.text).original_range(r)),
            _ => None,
        };
        // minijinja's span of `x['k'](...)` starts at `[`: point at `x`
        if let (Some(src), Some(r)) = (&text, &mut range) {
            if src.text[r.start..].starts_with(['[', '.']) {
                let before = &src.text[..r.start];
                let chain = before
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                    .map_or(0, |i| i + 1);
                if chain < r.start && !before[chain..].starts_with('.') {
                    r.start = chain;
                }
            }
        }
        // minijinja's span of `a and b` starts at `and`: point at `b`
        if let (Some(src), Some(r)) = (&text, &mut range) {
            loop {
                let rest = src.text.get(r.start..r.end).unwrap_or_default();
                let trimmed = rest.trim_start();
                let Some(word) = ["and ", "or ", "not ", "if ", "else "]
                    .iter()
                    .find(|w| trimmed.starts_with(**w))
                else {
                    break;
                };
                r.start += rest.len() - trimmed.len() + word.len();
                let rest = &src.text[r.start..r.end];
                r.start += rest.len() - rest.trim_start().len();
            }
        }
        if err.kind() == minijinja::ErrorKind::UndefinedError {
            // Name what is undefined: the expression the error points at.
            if let (Some(src), Some(range)) = (&text, &range) {
                if let Some(expr) = src.text.get(range.clone()) {
                    message = format!("undefined variable `{}`", expr.trim());
                }
            }
        }
        if err.kind() == minijinja::ErrorKind::InvalidOperation
            && message.contains("undefined is not callable")
        {
            // `salt['x.y'](...)` or `salt.x.y(...)` of a function converge
            // does not offer: say which.
            if let (Some(src), Some(range)) = (&text, &range) {
                if let Some(name) = src.text.get(range.clone()).and_then(salt_function_name) {
                    message = format!(
                        "salt['{name}'] is not available while rendering{}",
                        crate::error::suggest(&name, exec::names())
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        if err.kind() == minijinja::ErrorKind::UnknownMethod
            && message.contains("undefined has no method named")
        {
            // `salt.nomodule.x()`: the module is unknown
            if let (Some(src), Some(range)) = (&text, &range) {
                if let Some(name) = src.text.get(range.clone()).and_then(salt_function_name) {
                    message = format!("salt['{name}'] is not available while rendering");
                }
            }
        }
        if !std::ptr::eq(err, outer) {
            message = format!("{message} (while rendering {})", source.name);
        }
        let template = text.as_ref().map_or(name.clone(), |t| t.name.clone());
        let span = match (text, err.line()) {
            (Some(src), Some(line)) => Some(span_in(&src, line, range)),
            _ => None,
        };
        Error::Jinja {
            span,
            template,
            message,
        }
    }
}

/// The function a call expression names (`salt['cmd.run'](...)`,
/// `salt.cmd.run(...)`), when it names one.
fn salt_function_name(call: &str) -> Option<String> {
    let rest = call.trim().strip_prefix("salt")?.trim_start();
    if let Some(inner) = rest.strip_prefix('[') {
        let inner = inner.trim_start();
        let quote = inner.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let body = &inner[1..];
        return Some(body[..body.find(quote)?].to_string());
    }
    let rest = rest.strip_prefix('.')?;
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// What Salt's serializer tags load (see `syntax`): the text of an imported
/// template or of a `load_*` block, read as `format`. `name` is the
/// imported template's, so that a YAML error points into that file.
fn load_serialized(
    state: &State,
    roots: &[PathBuf],
    value: &Value,
    format: &str,
    name: Option<&str>,
) -> Result<Value, minijinja::Error> {
    let text = exec::text(value);
    match format {
        "text" => Ok(Value::from(text)),
        "json" => filters::load_json(&text),
        _ => {
            let Some(name) = name else {
                return filters::load_yaml_text(&text);
            };
            let joined = state
                .get_template(name)
                .map(|t| t.name().to_string())
                .unwrap_or_else(|_| name.to_string());
            let original = roots.iter().find_map(|r| {
                std::fs::read_to_string(r.join(&joined))
                    .ok()
                    .map(|t| Source::file(r, &joined, t))
            });
            let source = match &original {
                Some(o) => Source::rendered(o, text),
                None => Source::new(joined.clone(), text),
            };
            match crate::yaml::load(&source) {
                Ok(node) => Ok(node.map_or(Value::from(()), |n| data::from_node(&n))),
                Err(e) => Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("{joined}: {}", e.headline()),
                )
                .with_source(Carried(e))),
            }
        }
    }
}

/// A span for the error: at `range` (byte offsets in the source) when
/// known, since minijinja's line for an expression spanning several lines
/// is where it ends, and the author looks for where it starts; else the
/// whole of `line`.
fn span_in(src: &Arc<Source>, line: usize, range: Option<std::ops::Range<usize>>) -> Span {
    let Some(r) = range.filter(|r| r.start < src.text.len()) else {
        return Span::line_of(src, line);
    };
    let line = src.text[..r.start].matches('\n').count() + 1;
    let line_start = src.text[..r.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src.text[r.start..]
        .find('\n')
        .map_or(src.text.len(), |i| r.start + i);
    let col = src.text[line_start..r.start].chars().count() + 1;
    let end = r.end.min(line_end).max(r.start);
    let len = src.text[r.start..end].chars().count().max(1);
    Span::new(src, line, col, len)
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests;
