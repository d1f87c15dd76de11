//! `converge orchestrate NAME`: an sls of steps (`salt.state`,
//! `salt.function`, and any state) rendered and run on the controller, with
//! the master's pillar; requisites, `onfail` and `failhard` as in Salt.
//!
//! The steps reach hosts through the engine, which keeps one connection per
//! host for the whole orchestration.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::compile::Graph;
use crate::error::Error;
use crate::functions::salt::{Orchestrator, Target};
use crate::grains;
use crate::host::Host;
use crate::job::{join_all, Engine, Mode, Prepared, Request};
use crate::modules::{self, On};
use crate::pillar::merge;
use crate::report;
use crate::roster;
use crate::run::{self, Observer, Options};
use crate::transport::local::Local;
use crate::transport::Transport;

/// Run orchestration `name`; the return is keyed `<controller>_master`, as
/// Salt keys a runner's return.
pub async fn run(
    engine: &Engine,
    name: &str,
    test: bool,
    pillar: Option<Value>,
    jobs: usize,
    observer: Option<Arc<dyn Observer>>,
) -> Result<Map<String, Value>, Error> {
    let out = match controller(engine, name, pillar, jobs).await {
        Ok((graph, host)) => {
            let opts = Options {
                test,
                failhard: false,
                observer,
            };
            let results = run::run(&graph, &host, opts).await;
            Ok(Map::from_iter([(
                host.id.clone(),
                Value::Object(report::host_return(&results)),
            )]))
        }
        Err(e) => Err(e),
    };
    engine.disconnect().await;
    out
}

/// This machine as the host that runs orchestration `name`: its grains
/// (its id `<host>_master`), the master's pillar, the orchestration
/// compiled for it, and its steps reaching hosts through `engine`.
async fn controller(
    engine: &Engine,
    name: &str,
    pillar: Option<Value>,
    jobs: usize,
) -> Result<(Graph, Host), Error> {
    let local: Arc<dyn Transport> = Arc::new(Local::new(engine.config.timeout));
    let mut grains = grains::gather("master", local.as_ref())
        .await
        .map_err(|e| Error::invalid(None, format!("cannot read this machine's grains: {e}")))?;
    let hostname = grains
        .get("host")
        .and_then(Value::as_str)
        .unwrap_or("converge");
    let id = format!("{hostname}_master");
    grains["id"] = Value::String(id.clone());
    let mode = Mode::Sls(vec![name.to_string()]);
    let Prepared {
        mut host, graph, ..
    } = engine.compile_host(&id, local, grains, pillar.as_ref(), &mode, true)?;
    host.orchestrator = Some(Arc::new(Steps {
        engine: engine.clone(),
        pillar,
        jobs,
    }));
    Ok((graph, host))
}

/// The engine as orchestration steps see it.
struct Steps {
    engine: Engine,
    /// The command line's `--pillar`, under each step's own `pillar:`.
    pillar: Option<Value>,
    jobs: usize,
}

impl Steps {
    fn hosts(&self, tgt: &Target) -> Vec<roster::Host> {
        self.engine
            .roster
            .hosts
            .iter()
            .filter(|h| tgt.matches(&h.id))
            .cloned()
            .collect()
    }
}

#[async_trait]
impl Orchestrator for Steps {
    async fn state(
        &self,
        tgt: &Target,
        mode: Mode,
        test: bool,
        pillar: Option<Value>,
    ) -> Result<Map<String, Value>, String> {
        let hosts = self.hosts(tgt);
        if hosts.is_empty() {
            return Ok(Map::new());
        }
        let mut over = self.pillar.clone();
        if let Some(step) = pillar {
            let base = over.get_or_insert_with(|| Value::Object(Map::new()));
            merge(base, step);
        }
        let ids: Vec<String> = hosts.iter().map(|h| h.id.clone()).collect();
        let req = Request {
            target: ids.join(","),
            mode,
            test,
            pillar: over,
            jobs: self.jobs,
        };
        self.engine
            .apply_connected(&req)
            .await
            .map_err(|e| e.to_string())
    }

    async fn connect(&self, tgt: &Target) -> Result<Vec<(String, Arc<dyn Transport>)>, String> {
        let hosts = self.hosts(tgt);
        if hosts.is_empty() {
            return Err(format!(
                "no host in the roster matches `{}`",
                tgt.describe()
            ));
        }
        let tasks = hosts.into_iter().map(|h| {
            let engine = self.engine.clone();
            tokio::spawn(async move {
                let t = engine.connect(&h).await;
                (h.id, t)
            })
        });
        join_all(tasks)
            .await
            .into_iter()
            .map(|(id, t)| t.map(|t| (id.clone(), t)).map_err(|e| format!("{id}: {e}")))
            .collect()
    }

    fn address(&self, id: &str) -> Option<String> {
        self.engine
            .roster
            .hosts
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.address.clone())
    }

    async fn function(
        &self,
        tgt: &Target,
        fun: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Vec<(String, Value, bool)>, String> {
        let exec =
            modules::lookup(fun).ok_or_else(|| format!("Function {fun} is not available"))?;
        let tasks = self.hosts(tgt).into_iter().map(|h| {
            let (engine, args, kwargs) = (self.engine.clone(), args.to_vec(), kwargs.clone());
            tokio::spawn(async move {
                let ret = match engine.connect(&h).await {
                    Ok(t) => {
                        exec.call(
                            &On {
                                id: &h.id,
                                transport: t.as_ref(),
                            },
                            &args,
                            &kwargs,
                        )
                        .await
                    }
                    Err(e) => Err(Value::String(e.to_string())),
                };
                match ret {
                    Ok(v) => (h.id, v, true),
                    Err(v) => (h.id, v, false),
                }
            })
        });
        Ok(join_all(tasks).await)
    }
}
