//! Pillar: the per-host data the states render with.
//!
//! The pillar top file picks sls files for a host; each renders (with the
//! host's grains and the pillar built so far) to a mapping, and they merge
//! in order: mappings recursively, lists replaced, later scalars win. The
//! command line's `--pillar` merges last.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::Error;
use crate::render::{HostCalls, HostContext, Renderer};
use crate::source::{Source, Span};
use crate::tree::{find_sls, read_sls, sls::relative, Top};
use crate::yaml::{self, Value as Y};

pub(crate) struct Pillar {
    /// The base environment's pillar_roots.
    roots: Vec<PathBuf>,
    renderer: Renderer,
}

impl Pillar {
    pub(crate) fn new(config: &Config) -> Pillar {
        let roots = config.pillar_roots.get("base").cloned().unwrap_or_default();
        Pillar {
            renderer: Renderer::new(roots.clone()),
            roots,
        }
    }

    /// The pillar of host `id`.
    pub(crate) fn compile(
        &self,
        id: &str,
        grains: &Value,
        over: Option<&Value>,
        host: Option<Arc<dyn HostCalls>>,
    ) -> Result<Value, Error> {
        let mut pillar = Value::Object(Map::new());
        if find_sls(&self.roots, "top").is_some() {
            let ctx = HostContext::new("base", grains, &pillar, host.clone());
            let original = read_sls(&self.roots, "base", "top", None)?;
            let text = self.renderer.render_sls(&original, "top", &ctx)?;
            let top = Top::parse(&Source::rendered(&original, text), id, grains)?;
            let mut seen = HashSet::new();
            for (_env, name, span) in &top.entries {
                self.load(name, Some(span), grains, &host, &mut pillar, &mut seen)?;
            }
        }
        if let Some(o) = over {
            merge(&mut pillar, o.clone());
        }
        Ok(pillar)
    }

    fn load(
        &self,
        name: &str,
        span: Option<&Span>,
        grains: &Value,
        host: &Option<Arc<dyn HostCalls>>,
        pillar: &mut Value,
        seen: &mut HashSet<String>,
    ) -> Result<(), Error> {
        if !seen.insert(name.to_string()) {
            return Ok(());
        }
        let original = read_sls(&self.roots, "base (pillar)", name, span)?;
        let ctx = HostContext::new("base", grains, pillar, host.clone());
        let text = self.renderer.render_sls(&original, name, &ctx)?;
        let source = Source::rendered(&original, text);
        let Some(root) = yaml::load(&source)? else {
            return Ok(());
        };
        let Y::Map(map) = &root.value else {
            return Err(Error::expected(
                &root,
                "a mapping",
                format!("pillar sls `{name}` (after rendering)"),
            ));
        };
        if let Some(inc) = map.get("include") {
            for item in inc.as_seq().unwrap_or_default() {
                let inc_name = item.scalar_string().unwrap_or_default();
                let inc_name = relative(&inc_name, name, &source.rel, &item.span)?;
                self.load(&inc_name, Some(&item.span), grains, host, pillar, seen)?;
            }
        }
        let mut data = root.to_json();
        if let Some(obj) = data.as_object_mut() {
            obj.remove("include");
        }
        merge(pillar, data);
        Ok(())
    }
}

/// Salt's pillar merge: mappings recursively, anything else replaced.
pub(crate) fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, other) => *slot = other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_as_salt_does() {
        let mut a = json!({"postgres": {"writer": "pgdb1", "ports": [1, 2]}, "x": 1});
        merge(
            &mut a,
            json!({"postgres": {"writer": "pgdb2", "ports": [3]}, "y": 2}),
        );
        assert_eq!(
            a,
            json!({"postgres": {"writer": "pgdb2", "ports": [3]}, "x": 1, "y": 2})
        );
    }

    #[test]
    fn top_files_includes_and_override() {
        let dir = crate::testing::files(&[
            (
                "top.sls",
                "base:\n  'pgdb*':\n    - globals\n    - site\n  'other':\n    - nothing\n",
            ),
            (
                "globals.sls",
                "include:\n  - .common\npostgres:\n  writer: pgdb1\n  query: pgdb2\n",
            ),
            (
                "common.sls",
                "postgres:\n  version: 15\n  writer: overridden-by-globals\n",
            ),
            (
                "site.sls",
                "site: {{ grains['id'] }}-{{ pillar['postgres']['version'] }}\n",
            ),
        ]);
        let config = crate::testing::config(None, Some(dir.path()));
        let pillar = Pillar::new(&config)
            .compile(
                "pgdb1",
                &json!({"id": "pgdb1"}),
                Some(&json!({"postgres": {"query": "x"}})),
                None,
            )
            .unwrap();
        assert_eq!(
            pillar,
            json!({"postgres": {"version": 15, "writer": "pgdb1", "query": "x"}, "site": "pgdb1-15"})
        );
    }
}
