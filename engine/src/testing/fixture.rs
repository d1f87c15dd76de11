//! Plan fixtures: a fake host, a chunk from YAML, and the plan a function
//! makes for them. "Given these facts, expect this plan", no host needed.

use std::sync::Arc;

use crate::compile::{Checks, Chunk, Signatures, StateId};
use crate::host::Host;
use crate::plan::{Failure, Plan};
use crate::render::HostContext;
use crate::source::{Source, Span};
use crate::transport::fake::Fake;
use crate::tree::Tree;
use crate::yaml;

pub(crate) struct Fixture {
    pub fake: Arc<Fake>,
    pub host: Host,
    /// The state tree's root (for `salt://` sources).
    pub root: tempfile::TempDir,
}

/// A host backed by `fake`, with an empty state tree in a temporary root
/// and some pillar.
pub(crate) fn fixture(fake: Fake) -> Fixture {
    let root = crate::testing::files(&[]);
    let config = crate::testing::config(Some(root.path()), None);
    let fake = Arc::new(fake);
    let render = HostContext::new(
        "base",
        &serde_json::json!({"id": "h1", "host": "h1"}),
        &serde_json::json!({"port": 6432, "writer": "pgdb1"}),
        None,
    );
    let host = Host::new(
        "h1",
        fake.clone(),
        Arc::new(Tree::new(config)),
        "base",
        render,
    );
    Fixture { fake, host, root }
}

/// A chunk of `function` (`file.managed`) with the arguments written as a
/// YAML mapping; its ID is its `name`.
pub(crate) fn chunk(function: &str, args: &str) -> Chunk {
    let source = Source::new("test.sls", args);
    let node = yaml::load(&source).expect("valid YAML").expect("a mapping");
    let map = node.as_map().expect("a mapping");
    let args: Vec<_> = map
        .iter()
        .map(|(k, v)| {
            (
                k.scalar_string().unwrap_or_default(),
                k.span.clone(),
                v.clone(),
            )
        })
        .collect();
    let name = map
        .get("name")
        .and_then(|n| n.scalar_string())
        .unwrap_or_default();
    let (module, fun) = function.split_once('.').expect("module.function");
    Chunk {
        state: StateId {
            module: module.into(),
            id: name.clone(),
            name,
            fun: fun.into(),
        },
        sls: "test".into(),
        env: "base".into(),
        args,
        parsed: crate::compile::Parsed::none(),
        requisites: vec![],
        order: 10000.0,
        written_order: crate::compile::WrittenOrder {
            value: 10000.0,
            name: 0,
        },
        failhard: false,
        checks: Checks::default(),
        span: Span::file(&source),
        fun_span: Span::file(&source),
        auto_order: 0,
        included_from: vec![],
        retry: None,
        as_declared: None,
    }
}

/// The chunk with its arguments parsed by `function`, as compiling does.
pub(super) fn compiled(function: &str, args: &str) -> Result<Chunk, Failure> {
    let mut chunk = chunk(function, args);
    chunk.parsed = crate::functions::Registry::states()
        .parse(function, &chunk.args_node())
        .expect("a registered function")
        .map_err(|e| Failure::new(e.message))?;
    Ok(chunk)
}

fn planner(function: &str) -> std::sync::Arc<dyn crate::functions::StateFn> {
    match crate::functions::Registry::states().get(function) {
        Some(crate::functions::Entry::Plans(f)) => std::sync::Arc::clone(f),
        _ => panic!("{function} is not a planning function"),
    }
}

/// The plan `function` makes on the fixture's host.
pub(crate) async fn plan(fx: &Fixture, function: &str, args: &str) -> Result<Plan, Failure> {
    let chunk = compiled(function, args)?;
    planner(function)
        .plan(&crate::functions::Ctx {
            host: &fx.host,
            chunk: &chunk,
        })
        .await
}

/// The mod_watch plan `function` makes.
pub(crate) async fn watch(
    fx: &Fixture,
    function: &str,
    args: &str,
) -> Result<Option<Plan>, Failure> {
    let chunk = compiled(function, args)?;
    planner(function)
        .watch(&crate::functions::Ctx {
            host: &fx.host,
            chunk: &chunk,
        })
        .await
}
