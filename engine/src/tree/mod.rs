//! The state tree: file_roots per saltenv, sls names and `salt://` URLs.
//!
//! A tree is shared by every host of a run; what differs per host (grains,
//! pillar) comes in through `render::HostContext`.

mod high;
pub(crate) mod sls;
mod top;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use high::{Arg, Decl, High, IdBlock};
pub(crate) use top::Top;

use crate::config::Config;
use crate::error::Error;
use crate::render::{HostContext, Renderer};
use crate::source::{Source, Span};

pub struct Tree {
    pub config: Config,
    renderers: HashMap<String, Renderer>,
}

impl Tree {
    pub fn new(config: Config) -> Tree {
        let renderers = config
            .file_roots
            .iter()
            .map(|(env, roots)| (env.clone(), Renderer::new(roots.clone())))
            .collect();
        Tree { config, renderers }
    }

    pub fn renderer(&self, env: &str) -> Result<&Renderer, Error> {
        self.config.roots(env)?;
        Ok(&self.renderers[env])
    }

    /// `a.b` → `a/b.sls` or `a/b/init.sls` in the first root that has one;
    /// the path relative to its root comes back as the source's name.
    pub fn find_sls(&self, env: &str, name: &str) -> Result<Option<(PathBuf, String)>, Error> {
        Ok(find_sls(self.config.roots(env)?, name))
    }

    /// Read an sls as a source.
    pub fn read_sls(
        &self,
        env: &str,
        name: &str,
        span: Option<&Span>,
    ) -> Result<Arc<Source>, Error> {
        read_sls(self.config.roots(env)?, env, name, span)
    }

    /// The file a `salt://path` (or a bare relative path) names, with its
    /// path relative to the root; `None` when no root has it.
    pub fn resolve_url(&self, env: &str, url: &str) -> Result<Option<(PathBuf, String)>, Error> {
        let (rel, env) = split_url(url, env);
        for root in self.config.roots(env)? {
            let path = root.join(&rel);
            if path.is_file() {
                return Ok(Some((path, rel.clone())));
            }
        }
        Ok(None)
    }

    /// Render the sls `name` of `env` for one host, and parse it.
    pub fn load_sls(
        &self,
        env: &str,
        name: &str,
        ctx: &HostContext,
        span: Option<&Span>,
    ) -> Result<sls::Sls, Error> {
        sls::load(self, env, name, ctx, span)
    }
}

/// The sls `name` from `roots` as a source, or the error naming it missing.
pub(crate) fn read_sls(
    roots: &[PathBuf],
    env: &str,
    name: &str,
    span: Option<&Span>,
) -> Result<Arc<Source>, Error> {
    let (path, rel) = find_sls(roots, name).ok_or_else(|| Error::MissingSls {
        name: name.to_string(),
        env: env.to_string(),
        span: span.cloned(),
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let root = path
        .to_str()
        .and_then(|p| p.strip_suffix(&rel))
        .map(PathBuf::from)
        .unwrap_or_default();
    Ok(Source::file(&root, &rel, text))
}

/// `a.b` → `a/b.sls` or `a/b/init.sls` in the first of `roots` that has one.
pub(crate) fn find_sls(roots: &[PathBuf], name: &str) -> Option<(PathBuf, String)> {
    let rel = name.replace('.', "/");
    for root in roots {
        for candidate in [format!("{rel}.sls"), format!("{rel}/init.sls")] {
            let path = root.join(&candidate);
            if path.is_file() {
                return Some((path, candidate));
            }
        }
    }
    None
}

/// `salt://a/b?saltenv=dev` → (`a/b`, `dev`).
fn split_url<'a>(url: &'a str, env: &'a str) -> (String, &'a str) {
    let path = url.strip_prefix("salt://").unwrap_or(url);
    let (path, env) = match path.split_once('?') {
        Some((p, query)) => (p, query.strip_prefix("saltenv=").unwrap_or(env)),
        None => (path, env),
    };
    (path.trim_start_matches('/').to_string(), env)
}
