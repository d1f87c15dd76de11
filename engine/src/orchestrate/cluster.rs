//! The hosts of the roster as an orchestration's steps see them: each
//! reached through the engine's one connection per host, converged or
//! called on by target. It is the executor's `Reach` for the actions steps
//! plan on other hosts.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::modules::{self, On};
use super::target::Target;
use crate::job::{in_parallel, Engine, Mode, Request};
use crate::pillar::merge;
use crate::plan::Failure;
use crate::result::Report;
use crate::roster;
use crate::run::{Observer, Reach};
use crate::transport::Transport;

/// A host's id and its connection.
pub(super) type Conn = (String, Arc<dyn Transport>);

pub(crate) struct Cluster {
    pub engine: Engine,
    /// Told as the steps inside a step (a failover's) start and end.
    pub observer: Option<Arc<dyn Observer>>,
    /// The command line's `--pillar`, under each step's own `pillar:`.
    pub pillar: Option<Value>,
    pub jobs: usize,
}

impl Cluster {
    pub(crate) fn hosts(&self, tgt: &Target) -> Vec<roster::Host> {
        self.engine
            .roster
            .hosts
            .iter()
            .filter(|h| tgt.matches(&h.id))
            .cloned()
            .collect()
    }

    /// The connections to the hosts `tgt` names, in roster order. `Err`
    /// when none matches or one cannot be reached (naming it).
    pub(crate) async fn connect(&self, tgt: &Target) -> Result<Vec<Conn>, String> {
        let hosts = self.hosts(tgt);
        if hosts.is_empty() {
            return Err(format!(
                "no host in the roster matches `{}`",
                tgt.describe()
            ));
        }
        let conns = in_parallel(hosts.into_iter().map(|h| {
            let engine = self.engine.clone();
            async move {
                let t = engine.connect(&h).await;
                (h.id, t)
            }
        }))
        .await;
        conns
            .into_iter()
            .map(|(id, t)| t.map(|t| (id.clone(), t)).map_err(|e| format!("{id}: {e}")))
            .collect()
    }

    /// The one host `id` names, connected.
    pub(crate) async fn one(&self, id: &str) -> Result<Conn, Failure> {
        let mut hosts = self
            .connect(&Target::Glob(id.to_string()))
            .await
            .map_err(Failure::new)?;
        match hosts.len() {
            1 => Ok(hosts.remove(0)),
            n => Err(Failure::new(format!("`{id}` names {n} hosts; name one"))),
        }
    }

    /// Host `id`'s roster address (its id when it has none of its own).
    pub(crate) fn address(&self, id: &str) -> String {
        self.engine
            .roster
            .hosts
            .iter()
            .find(|h| h.id == id)
            .map_or_else(|| id.to_string(), |h| h.address.clone())
    }

    /// The names host `id` may go by in a conninfo: its roster id and address.
    pub(crate) fn aliases(&self, id: &str) -> Vec<String> {
        let mut names = vec![id.to_string()];
        if let Some(h) = self.engine.roster.hosts.iter().find(|h| h.id == id) {
            names.push(h.address.clone());
        }
        names
    }

    /// Converge the hosts `tgt` names. `Err` when the input is wrong (a
    /// render or compile error).
    pub(crate) async fn state(
        &self,
        tgt: &Target,
        mode: Mode,
        test: bool,
        pillar: Option<Value>,
    ) -> Result<Report, String> {
        let hosts = self.hosts(tgt);
        if hosts.is_empty() {
            return Ok(Report::default());
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

    /// The files host `id`'s states (`mode`, with `pillar` added) would
    /// write, as things are, each with its state's changes (its diff):
    /// planned, not applied.
    pub(crate) async fn planned_writes(
        &self,
        id: &str,
        mode: Mode,
        pillar: Value,
    ) -> Result<Vec<(crate::transport::WriteFile, crate::plan::Changes)>, String> {
        let h = self
            .engine
            .roster
            .hosts
            .iter()
            .find(|h| h.id == id)
            .ok_or_else(|| format!("{id} is not in the roster"))?;
        let mut over = self.pillar.clone();
        let base = over.get_or_insert_with(|| Value::Object(Map::new()));
        merge(base, pillar);
        let t = self
            .engine
            .connect(h)
            .await
            .map_err(|e| format!("{id}: {e}"))?;
        let grains = self
            .engine
            .grains(h, &t)
            .await
            .map_err(|e| format!("{id}: {e}"))?;
        let p = self
            .engine
            .compile_host(
                id,
                t,
                grains,
                over.as_ref(),
                &mode,
                crate::functions::Registry::states(),
                false,
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut files = Vec::new();
        for (idx, plan) in crate::run::plans(&p.graph, &p.host, &p.functions).await {
            let plan = plan.map_err(|f| format!("{id}: {}: {f}", p.graph.chunks[idx].state.id))?;
            for a in plan.actions {
                if let crate::plan::Action::Write { file, .. } = a {
                    files.push((file, plan.changes.clone()));
                }
            }
        }
        Ok(files)
    }

    /// Call execution function `fun` on the hosts `tgt` names: per host,
    /// its return and whether it succeeded.
    pub(crate) async fn function(
        &self,
        tgt: &Target,
        fun: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Vec<(String, Value, bool)>, String> {
        let exec =
            modules::lookup(fun).ok_or_else(|| format!("Function {fun} is not available"))?;
        Ok(in_parallel(self.hosts(tgt).into_iter().map(|h| {
            let (engine, args, kwargs) = (self.engine.clone(), args.to_vec(), kwargs.clone());
            async move {
                let ret = match engine.connect(&h).await {
                    Ok(t) => {
                        let on = On {
                            transport: t.as_ref(),
                        };
                        exec.call(&on, &args, &kwargs).await
                    }
                    Err(e) => Err(Value::String(e.to_string())),
                };
                match ret {
                    Ok(v) => (h.id, v, true),
                    Err(v) => (h.id, v, false),
                }
            }
        }))
        .await)
    }
}

impl Cluster {
    /// Host `id`'s connection, ssh given `seconds` to answer instead of the
    /// roster's timeout when they are fewer. The first connection to a host
    /// is the one its run keeps (a failure too).
    pub(crate) async fn transport_within(
        &self,
        id: &str,
        seconds: Option<u64>,
    ) -> Result<Arc<dyn Transport>, String> {
        let mut h = self
            .engine
            .roster
            .hosts
            .iter()
            .find(|h| h.id == id)
            .cloned()
            .ok_or_else(|| format!("{id} is not in the roster"))?;
        if let Some(s) = seconds {
            h.timeout = h.timeout.min(s);
        }
        self.engine
            .connect(&h)
            .await
            .map_err(|e| format!("{id}: {e}"))
    }
}

#[async_trait]
impl Reach for Cluster {
    async fn transport(&self, id: &str) -> Result<Arc<dyn Transport>, String> {
        self.transport_within(id, None).await
    }
}
