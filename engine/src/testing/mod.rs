//! What unit tests share: temporary trees (the files a test writes, the
//! config that points at them, a state tree compiled from them) and a
//! runtime for tests that are not async themselves. Tests that need a tree
//! on disk start here, so that a new config key or a change to how an sls
//! is compiled has one place to go.

mod fixture;

pub(crate) use fixture::{chunk, fixture, plan, watch};

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tempfile::TempDir;

use crate::compile::{self, Graph};
use crate::config::Config;
use crate::error::Error;
use crate::render::HostContext;
use crate::source::{Source, Span};
use crate::tree::{High, Tree};

/// A single-threaded runtime, for a test to block on.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A temporary directory holding `files` ((path, text)), parents made.
pub(crate) fn files(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a file in the tree")).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// A config whose base environment is `states` (file_roots) and `pillar`
/// (pillar_roots), each when given.
pub(crate) fn config(states: Option<&Path>, pillar: Option<&Path>) -> Config {
    let base = |root: Option<&Path>| {
        root.map(|r| ("base".to_string(), vec![r.to_path_buf()]))
            .into_iter()
            .collect()
    };
    Config {
        file_roots: base(states),
        pillar_roots: base(pillar),
        roster_file: "roster.yaml".into(),
        saltenv: "base".into(),
        timeout: 10,
    }
}

/// A state tree made of `files`, and what host `h` (no pillar) renders it with.
pub(crate) struct TestTree {
    pub tree: Arc<Tree>,
    pub render: HostContext,
    /// The files, removed with the tree.
    _dir: TempDir,
}

impl TestTree {
    pub(crate) fn new(files: &[(&str, &str)]) -> TestTree {
        let dir = self::files(files);
        TestTree {
            tree: Arc::new(Tree::new(config(Some(dir.path()), None))),
            render: HostContext::new("base", &json!({"id": "h"}), &json!({}), None),
            _dir: dir,
        }
    }

    /// The graph of sls `name`, as `converge sls` compiles it.
    pub(crate) fn compile(&self, name: &str) -> Result<Graph, Error> {
        let cli = Source::new("cli", name);
        let high = High::build(
            &self.tree,
            &self.render,
            &[("base".into(), name.into(), Span::file(&cli))],
        )?;
        Graph::build(compile::compile(
            &high,
            crate::functions::Registry::states().as_ref(),
        )?)
    }
}
