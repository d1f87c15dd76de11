//! Jinja as Salt configures it, by minijinja.
//!
//! Salt's settings: undefined variables are errors, `trim_blocks` and
//! `lstrip_blocks` off. Jinja drops a template's final newline; Salt adds it
//! back to the rendered text, but not inside it: an included template loses
//! its final newline, the one rendered keeps it. Python's str/dict methods
//! come from minijinja-contrib's pycompat. Includes and imports resolve in
//! the environment's file_roots, `./x` and `../x` relative to the template.

mod filters;
mod lookup;
mod salt;

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};

pub use filters::{flow_yaml, python_json};
pub use lookup::{traverse, Lookup};
pub use salt::{HostCalls, Salt};

use crate::error::Error;
use crate::source::{Source, Span};

/// A Jinja environment over one saltenv's file_roots.
pub struct Renderer {
    env: Environment<'static>,
    roots: Vec<PathBuf>,
}

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

    fn base(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("grains", Value::from_object(Lookup(self.grains.clone()))),
            ("pillar", Value::from_object(Lookup(self.pillar.clone()))),
            ("saltenv", Value::from(self.saltenv.clone())),
            ("env", Value::from(self.saltenv.clone())),
            (
                "salt",
                Value::from_object(Salt {
                    pillar: self.pillar.clone(),
                    grains: self.grains.clone(),
                    host: self.host.clone(),
                    roster: Arc::clone(&self.roster),
                }),
            ),
        ]
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
        env.set_trim_blocks(false);
        env.set_lstrip_blocks(false);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.set_formatter(filters::python_formatter);
        minijinja_contrib::add_to_environment(&mut env);
        filters::register(&mut env);
        env.add_function("raise", |msg: String| -> Result<Value, minijinja::Error> {
            Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                msg,
            ))
        });
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
                    Ok(text) => return Ok(Some(text)),
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
        let mut vars = ctx.base();
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
        let mut vars = ctx.base();
        vars.extend(naming_vars(&source.rel, None));
        vars.push(("sls", Value::from(sls)));
        vars.push(("source", Value::from(format!("salt://{}", source.rel))));
        let mut all: Vec<(String, Value)> =
            vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        all.extend(
            extra
                .iter()
                .map(|(k, v)| (k.clone(), Value::from_serialize(v))),
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
        let tmpl = self.template(source).map_err(|e| self.error(&e, source))?;
        let mut out = tmpl.render(ctx).map_err(|e| self.error(&e, source))?;
        if source.text.ends_with('\n') {
            out.push('\n');
        }
        Ok(out)
    }

    /// `source` compiled. The loader keeps what it compiled by name, so a
    /// template that a thousand states render is parsed once; that copy is
    /// used only when its text is the one asked for.
    fn template<'a>(
        &'a self,
        source: &'a Source,
    ) -> Result<minijinja::Template<'a, 'a>, minijinja::Error> {
        match self.env.get_template(&source.rel) {
            Ok(t) if t.source() == source.text => Ok(t),
            _ => self.env.template_from_named_str(&source.rel, &source.text),
        }
    }

    /// A minijinja error as ours, pointing into the template where it
    /// happened (the rendered file itself or one it includes).
    fn error(&self, outer: &minijinja::Error, source: &Arc<Source>) -> Error {
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
        if err.kind() == minijinja::ErrorKind::UndefinedError {
            // Name what is undefined: the expression the error points at.
            if let (Some(src), Some(range)) = (&text, err.range()) {
                if let Some(expr) = src.text.get(range) {
                    message = format!("undefined variable `{}`", expr.trim());
                }
            }
        }
        if !std::ptr::eq(err, outer) {
            message = format!("{message} (while rendering {})", source.name);
        }
        let template = text.as_ref().map_or(name.clone(), |t| t.name.clone());
        let span = match (text, err.line()) {
            (Some(src), Some(line)) => Some(span_in(&src, line, err.range())),
            _ => None,
        };
        Error::Jinja {
            span,
            template,
            message,
        }
    }
}

/// A span for `line`, narrowed to `range` (byte offsets in the source) when
/// that range lies on the line.
fn span_in(src: &Arc<Source>, line: usize, range: Option<std::ops::Range<usize>>) -> Span {
    let line_start: usize = src
        .text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let line_text = src.line(line).unwrap_or("");
    match range {
        Some(r) if r.start >= line_start && r.start <= line_start + line_text.len() => {
            let col = src.text[line_start..r.start].chars().count() + 1;
            let end = r.end.min(line_start + line_text.len()).max(r.start);
            let len = src.text[r.start..end].chars().count().max(1);
            Span::new(src, line, col, len)
        }
        _ => Span::line_of(src, line),
    }
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
