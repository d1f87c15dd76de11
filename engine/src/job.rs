//! A command's work across hosts: connect, gather grains, compile pillar and
//! states, and only when every host compiled, converge them in parallel
//! into a typed `Report`.
//!
//! Input errors (a YAML or Jinja error, a missing requisite...) stop the
//! whole job before anything runs on any host, so nothing is half-applied.
//! A host that cannot be reached fails alone; the others go on.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::compile::{self, Graph};
use crate::config::{Config, Overrides};
use crate::error::Error;
use crate::functions::Registry;
use crate::grains;
use crate::host::{Host, TransportCalls};
use crate::pillar::Pillar;
use crate::render::{HostCalls, HostContext};
use crate::result::{HostOutcome, HostReport, Report};
use crate::roster::{self, Roster};
use crate::run::{self, Options};
use crate::source::Span;
use crate::transport::{self, Transport, TransportError};
use crate::tree::{High, Top, Tree};

/// What to converge: the top file's states, or the named sls files.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Highstate,
    Sls(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub target: String,
    pub mode: Mode,
    pub test: bool,
    pub pillar: Option<Value>,
    pub jobs: usize,
}

/// The loaded master side: config, state tree and roster. Cheap to clone,
/// so that each host's work can be its own task.
#[derive(Clone)]
pub struct Engine {
    pub config: Arc<Config>,
    pub tree: Arc<Tree>,
    pub roster: Arc<Roster>,
    /// The pillar tree, its templates compiled once for every host.
    pillar: Arc<Pillar>,
    /// One connection per host for the engine's whole life (an
    /// orchestration reaches the same host many times), with its grains.
    pool: Arc<std::sync::Mutex<HashMap<String, Arc<Connection>>>>,
}

/// A host's connection and grains, each made once even when several tasks
/// ask at the same time. A host that could not be reached is not tried
/// again in the same command: its error is kept (an unreachable host costs
/// a connect timeout once, not at every step of an orchestration).
#[derive(Default)]
struct Connection {
    transport: tokio::sync::OnceCell<Result<Arc<dyn Transport>, TransportError>>,
    grains: tokio::sync::OnceCell<Value>,
}

/// A host ready to run: connected, with its compiled graph and the
/// functions it names.
pub struct Prepared {
    pub host: Host,
    pub graph: Graph,
    pub functions: Arc<Registry>,
    pub grains: Value,
    pub pillar: Value,
}

/// Per host, in roster order: prepared, or why it could not be reached.
pub(crate) type Hosts = Vec<(roster::Host, Result<Prepared, TransportError>)>;

impl Engine {
    pub fn load(over: &Overrides) -> Result<Engine, Error> {
        let config = Config::load(over)?;
        let roster = Roster::load(&config.roster_file)?;
        Ok(Engine {
            tree: Arc::new(Tree::new(config.clone())),
            pillar: Arc::new(Pillar::new(&config)),
            config: Arc::new(config),
            roster: Arc::new(roster),
            pool: Default::default(),
        })
    }

    /// Connect to and compile every targeted host (`jobs` at a time).
    pub async fn prepare(
        &self,
        target: &str,
        mode: &Mode,
        pillar: Option<&Value>,
        jobs: usize,
    ) -> Result<Hosts, Error> {
        let hosts: Vec<roster::Host> = self.roster.select(target)?.into_iter().cloned().collect();
        let gate = Arc::new(Semaphore::new(jobs.max(1)));
        let prepared = in_parallel(hosts.into_iter().map(|h| {
            let gate = Arc::clone(&gate);
            let (this, mode, pillar) = (self.clone(), mode.clone(), pillar.cloned());
            async move {
                let _permit = gate.acquire().await.expect("never closed");
                let r = this.prepare_host(&h, &mode, pillar.as_ref()).await;
                (h, r)
            }
        }))
        .await;
        let mut out = Vec::with_capacity(prepared.len());
        let mut first_error = None;
        for (h, r) in prepared {
            match r {
                Ok(p) => out.push((h, p)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        Ok(out)
    }

    async fn prepare_host(
        &self,
        h: &roster::Host,
        mode: &Mode,
        over: Option<&Value>,
    ) -> Result<Result<Prepared, TransportError>, Error> {
        // Where each host's time goes, for `--log-level debug`.
        let started = std::time::Instant::now();
        let transport = match self.connect(h).await {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let connected = started.elapsed();
        let grains = match self.grains(h, &transport).await {
            Ok(g) => g,
            Err(e) => return Ok(Err(e)),
        };
        let gathered = started.elapsed();
        let prepared = self
            .compile_host(
                &h.id,
                transport,
                grains,
                over,
                mode,
                Registry::states(),
                false,
            )
            .await;
        tracing::debug!(
            host = %h.id,
            connect = ?connected,
            grains = ?(gathered - connected),
            compile = ?(started.elapsed() - gathered),
            "host prepared"
        );
        prepared.map(Ok)
    }

    /// Host `id`, reached through `transport`, ready to run `mode` with
    /// `functions`: its pillar compiled with its grains (the command
    /// line's `over` last), then its states with both. With `roster`, its
    /// templates also see the roster's ids (an orchestration's controller).
    ///
    /// Rendering is synchronous and may call the host back
    /// (`salt['cmd.run']`), so it runs on a blocking thread.
    #[allow(clippy::too_many_arguments)]
    pub async fn compile_host(
        &self,
        id: &str,
        transport: Arc<dyn Transport>,
        grains: Value,
        over: Option<&Value>,
        mode: &Mode,
        functions: Arc<Registry>,
        roster: bool,
    ) -> Result<Prepared, Error> {
        let calls: Arc<dyn HostCalls> = Arc::new(TransportCalls {
            transport: Arc::clone(&transport),
            handle: tokio::runtime::Handle::current(),
        });
        let (this, id, over, mode) = (self.clone(), id.to_string(), over.cloned(), mode.clone());
        let compiled = tokio::task::spawn_blocking(move || -> Result<_, Error> {
            let pillar =
                this.pillar
                    .compile(&id, &grains, over.as_ref(), Some(Arc::clone(&calls)))?;
            let mut render = HostContext::new(&this.config.saltenv, &grains, &pillar, Some(calls));
            if roster {
                render = render.with_roster(this.roster_ids());
            }
            let graph = this.compile(&id, &grains, &render, &mode, functions.as_ref())?;
            let host = Host::new(
                &id,
                transport,
                Arc::clone(&this.tree),
                &this.config.saltenv,
                render,
            )
            .with_secrets(&pillar);
            Ok(Prepared {
                host,
                graph,
                functions,
                grains,
                pillar,
            })
        })
        .await;
        match compiled {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    pub fn roster_ids(&self) -> Vec<String> {
        self.roster.hosts.iter().map(|h| h.id.clone()).collect()
    }

    /// The pool's slot for host `id`.
    fn slot(&self, id: &str) -> Arc<Connection> {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(pool.entry(id.to_string()).or_default())
    }

    /// The host's connection, opened on first use.
    pub async fn connect(&self, h: &roster::Host) -> Result<Arc<dyn Transport>, TransportError> {
        let slot = self.slot(&h.id);
        let t = slot
            .transport
            .get_or_init(|| transport::connect(h, self.config.timeout))
            .await;
        t.clone()
    }

    /// The host's grains, gathered once per engine.
    pub async fn grains(
        &self,
        h: &roster::Host,
        transport: &Arc<dyn Transport>,
    ) -> Result<Value, TransportError> {
        let slot = self.slot(&h.id);
        let g = slot
            .grains
            .get_or_try_init(|| grains::gather(&h.id, transport.as_ref()))
            .await?;
        Ok(g.clone())
    }

    /// Close every connection (at the end of a command).
    pub async fn disconnect(&self) {
        let slots: Vec<Arc<Connection>> = {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            pool.drain().map(|(_, c)| c).collect()
        };
        for slot in slots {
            if let Some(Ok(t)) = slot.transport.get() {
                t.close().await;
            }
        }
    }

    /// The graph of one host's states.
    pub fn compile(
        &self,
        id: &str,
        grains: &Value,
        render: &HostContext,
        mode: &Mode,
        functions: &Registry,
    ) -> Result<Graph, Error> {
        let env = &self.config.saltenv;
        let entries: Vec<(String, String, Span)> = match mode {
            Mode::Highstate => {
                let original = self.tree.read_sls(env, "top", None)?;
                let text = self
                    .tree
                    .renderer(env)?
                    .render_sls(&original, "top", render)?;
                let source = crate::source::Source::rendered(&original, text);
                let top = Top::parse(&source, id, grains)?;
                top.entries
            }
            Mode::Sls(names) => {
                let cli = crate::source::Source::new("<command line>", names.join(","));
                names
                    .iter()
                    .map(|n| {
                        if self.tree.find_sls(env, n)?.is_none() {
                            return Err(Error::MissingSls {
                                name: n.clone(),
                                env: env.clone(),
                                span: None,
                            });
                        }
                        Ok((env.clone(), n.clone(), Span::file(&cli)))
                    })
                    .collect::<Result<_, Error>>()?
            }
        };
        let high = High::build(&self.tree, render, &entries)?;
        let chunks = compile::compile(&high, functions)?;
        Graph::build(chunks)
    }

    /// highstate / sls: converge the targeted hosts, in roster order.
    pub async fn apply(&self, req: &Request) -> Result<Report, Error> {
        let out = self.apply_connected(req).await;
        self.disconnect().await;
        out
    }

    /// As `apply`, keeping the connections open for what comes next.
    pub async fn apply_connected(&self, req: &Request) -> Result<Report, Error> {
        let hosts = self
            .prepare(&req.target, &req.mode, req.pillar.as_ref(), req.jobs)
            .await?;
        Ok(self.converge(hosts, req.test, req.jobs).await)
    }

    /// Run prepared hosts (`jobs` at a time).
    pub async fn converge(&self, hosts: Hosts, test: bool, jobs: usize) -> Report {
        let gate = Arc::new(Semaphore::new(jobs.max(1)));
        let hosts = in_parallel(hosts.into_iter().map(|(h, p)| {
            let gate = Arc::clone(&gate);
            async move {
                let _permit = gate.acquire().await.expect("never closed");
                let outcome = match p {
                    Ok(p) => {
                        let started = std::time::Instant::now();
                        let results =
                            run::run(&p.graph, &p.host, &p.functions, Options::test(test)).await;
                        tracing::debug!(host = %h.id, run = ?started.elapsed(), "host converged");
                        HostOutcome::Reached(results)
                    }
                    Err(e) => HostOutcome::Unreachable {
                        address: h.address.clone(),
                        why: e.to_string(),
                    },
                };
                HostReport {
                    id: h.id.clone(),
                    outcome,
                }
            }
        }))
        .await;
        Report { hosts }
    }
}

/// Run `tasks` at once (each its own tokio task), results in the order
/// given. A task that panicked is a bug: its panic goes on here.
pub(crate) async fn in_parallel<T, F>(tasks: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut set = JoinSet::new();
    for (i, t) in tasks.into_iter().enumerate() {
        set.spawn(async move { (i, t.await) });
    }
    let mut out = Vec::with_capacity(set.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => out.push(r),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn in_parallel_runs_every_task_at_once() {
        // Each task waits for all the others: run one after another, they
        // would wait forever.
        let barrier = Arc::new(tokio::sync::Barrier::new(3));
        let tasks = (0..3).map(|i| {
            let b = Arc::clone(&barrier);
            async move {
                b.wait().await;
                i
            }
        });
        let out = tokio::time::timeout(Duration::from_secs(5), in_parallel(tasks))
            .await
            .expect("the tasks ran one after another");
        assert_eq!(out, [0, 1, 2]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn one_connection_and_one_grains_probe_per_host_even_when_asked_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let roster = dir.path().join("roster.yaml");
        std::fs::write(&roster, "h:\n  connection: local\n").unwrap();
        let over = Overrides {
            roster: Some(roster),
            ..Overrides::default()
        };
        let engine = Engine::load(&over).unwrap();
        let h = engine.roster.hosts[0].clone();
        let (a, b) = tokio::join!(engine.connect(&h), engine.connect(&h));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(Arc::ptr_eq(&a, &b));
        let (g1, g2) = tokio::join!(engine.grains(&h, &a), engine.grains(&h, &b));
        assert_eq!(g1.unwrap(), g2.unwrap());
        engine.disconnect().await;
        // A new command connects anew.
        let c = engine.connect(&h).await.unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
