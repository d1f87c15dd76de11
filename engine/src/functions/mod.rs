//! The state functions (`file.managed`, `cmd.run`...), one file each, and
//! the registry that maps a name to its implementation.
//!
//! A function reads its typed arguments and facts from the host, and
//! returns a plan. It never changes the host itself and never knows whether
//! the run is a test: the executor decides whether to apply the plan.
//! Adding a function is a file and a line in `REGISTRY`.

mod cmd;
mod file_absent;
mod file_directory;
mod file_managed;
mod mode;
mod pgbouncer;
mod pkg_installed;
mod postgres_server;
mod postgres_switchover;
pub mod salt;
pub mod service;
mod test_states;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::de::DeserializeOwned;

use crate::compile::Chunk;
use crate::host::Host;
use crate::plan::{Changes, Failure, Plan};
use crate::transport::Transport;
use crate::yaml::{self, DeError, Node};

pub use cmd::env_pairs;
pub use mode::Mode;

/// What a function sees while planning: the host and its own chunk.
pub struct Ctx<'a> {
    pub host: &'a Host,
    pub chunk: &'a Chunk,
}

impl Ctx<'_> {
    /// The hosts a step acts on: those `tgt` names, through the
    /// orchestrator (a step of an orchestration), or this host itself.
    pub async fn targets(
        &self,
        tgt: Option<&str>,
    ) -> Result<Vec<(String, Arc<dyn Transport>)>, Failure> {
        match (tgt, &self.host.orchestrator) {
            (Some(t), Some(orch)) => orch
                .connect(&salt::Target::Glob(t.to_string()))
                .await
                .map_err(Failure::new),
            (Some(t), None) if t != self.host.id => Err(Failure::new(format!(
                "`tgt: {t}` is for orchestrations; on a host, leave it out"
            ))),
            _ => Ok(vec![(
                self.host.id.clone(),
                Arc::clone(&self.host.transport),
            )]),
        }
    }

    /// The names a host may go by in a conninfo: its roster id and address.
    pub fn aliases(&self, id: &str) -> Vec<String> {
        let mut names = vec![id.to_string()];
        if let Some(addr) = self.host.orchestrator.as_ref().and_then(|o| o.address(id)) {
            names.push(addr);
        }
        names
    }
}

/// A state function with typed arguments.
#[async_trait]
pub trait Function: Send + Sync + 'static {
    type Args: DeserializeOwned + Send + Sync;

    /// Paths this state will look at, read in one batch before the run.
    fn paths(_args: &Self::Args) -> Vec<String> {
        Vec::new()
    }

    /// `salt://` URLs this state needs, checked before anything runs.
    fn sources(_args: &Self::Args) -> Vec<String> {
        Vec::new()
    }

    async fn plan(&self, args: &Self::Args, ctx: &Ctx<'_>) -> Result<Plan, Failure>;

    /// What to do when a watched state changed and this one had nothing to
    /// do (Salt's `mod_watch`). `None`: nothing.
    async fn watch(&self, _args: &Self::Args, _ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        Ok(None)
    }
}

/// The result, changes and comment a state comes to.
pub type Outcome = (Option<bool>, Changes, String);

/// A state that hands the run's test flag on to something that converges
/// by itself: the orchestration steps (`salt.state` runs the target hosts'
/// states with `test` as given). It has no plan of its own.
#[async_trait]
pub trait Delegate: Send + Sync + 'static {
    type Args: DeserializeOwned + Send + Sync;
    async fn delegate(&self, args: &Self::Args, ctx: &Ctx<'_>, test: bool) -> Outcome;
}

/// The registry's view of a function: arguments still untyped.
#[async_trait]
pub trait StateFn: Send + Sync {
    fn validate(&self, args: &Node) -> Result<(), DeError>;
    fn paths(&self, chunk: &Chunk) -> Vec<String>;
    fn sources(&self, chunk: &Chunk) -> Vec<String>;
    async fn plan(&self, ctx: &Ctx<'_>) -> Result<Plan, Failure>;
    async fn watch(&self, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure>;
    /// For a `Delegate`: its outcome; `None` for planned states.
    async fn delegate(&self, _ctx: &Ctx<'_>, _test: bool) -> Option<Outcome> {
        None
    }
}

struct Delegated<D>(D);

#[async_trait]
impl<D: Delegate> StateFn for Delegated<D> {
    fn validate(&self, node: &Node) -> Result<(), DeError> {
        yaml::from_node::<D::Args>(node).map(|_| ())
    }

    fn paths(&self, _chunk: &Chunk) -> Vec<String> {
        Vec::new()
    }

    fn sources(&self, _chunk: &Chunk) -> Vec<String> {
        Vec::new()
    }

    async fn plan(&self, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        Err(Failure::new(
            "this state runs only as an orchestration step",
        ))
    }

    async fn watch(&self, _ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        Ok(None)
    }

    async fn delegate(&self, ctx: &Ctx<'_>, test: bool) -> Option<Outcome> {
        Some(match args::<D::Args>(ctx.chunk) {
            Ok(a) => self.0.delegate(&a, ctx, test).await,
            Err(f) => (Some(false), f.changes, f.comment),
        })
    }
}

struct Typed<F>(F);

fn args<A: DeserializeOwned>(chunk: &Chunk) -> Result<A, Failure> {
    yaml::from_node(&chunk.args_node())
        .map_err(|e| Failure::new(format!("invalid arguments: {}: {}", e.path, e.message)))
}

#[async_trait]
impl<F: Function> StateFn for Typed<F> {
    fn validate(&self, node: &Node) -> Result<(), DeError> {
        yaml::from_node::<F::Args>(node).map(|_| ())
    }

    fn paths(&self, chunk: &Chunk) -> Vec<String> {
        args::<F::Args>(chunk)
            .map(|a| F::paths(&a))
            .unwrap_or_default()
    }

    fn sources(&self, chunk: &Chunk) -> Vec<String> {
        args::<F::Args>(chunk)
            .map(|a| F::sources(&a))
            .unwrap_or_default()
    }

    async fn plan(&self, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        self.0.plan(&args(ctx.chunk)?, ctx).await
    }

    async fn watch(&self, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        self.0.watch(&args(ctx.chunk)?, ctx).await
    }
}

fn registry() -> &'static IndexMap<&'static str, Box<dyn StateFn>> {
    static REGISTRY: OnceLock<IndexMap<&'static str, Box<dyn StateFn>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r: IndexMap<&'static str, Box<dyn StateFn>> = IndexMap::new();
        r.insert("file.managed", Box::new(Typed(file_managed::Managed)));
        r.insert("file.absent", Box::new(Typed(file_absent::Absent)));
        r.insert("file.directory", Box::new(Typed(file_directory::Directory)));
        r.insert("cmd.run", Box::new(Typed(cmd::Run)));
        r.insert("cmd.wait", Box::new(Typed(cmd::Wait)));
        r.insert("service.running", Box::new(Typed(service::Running)));
        r.insert("service.dead", Box::new(Typed(service::Dead)));
        r.insert("pkg.installed", Box::new(Typed(pkg_installed::Installed)));
        r.insert("test.nop", Box::new(Typed(test_states::NOP)));
        r.insert(
            "test.succeed_without_changes",
            Box::new(Typed(test_states::NOP)),
        );
        r.insert(
            "test.succeed_with_changes",
            Box::new(Typed(test_states::SUCCEED_WITH)),
        );
        r.insert(
            "test.fail_without_changes",
            Box::new(Typed(test_states::FAIL_WITHOUT)),
        );
        r.insert(
            "test.fail_with_changes",
            Box::new(Typed(test_states::FAIL_WITH)),
        );
        r.insert(
            "postgres.running",
            Box::new(Typed(postgres_server::Running)),
        );
        r.insert(
            "postgres.stopped",
            Box::new(Typed(postgres_server::Stopped)),
        );
        r.insert(
            "postgres.promoted",
            Box::new(Typed(postgres_server::Promoted)),
        );
        r.insert(
            "postgres.switchover_ready",
            Box::new(Typed(postgres_switchover::SwitchoverReady)),
        );
        r.insert(
            "postgres.caught_up",
            Box::new(Typed(postgres_switchover::CaughtUp)),
        );
        r.insert(
            "postgres.streaming",
            Box::new(Typed(postgres_switchover::Streaming)),
        );
        r.insert(
            "postgres.status",
            Box::new(Typed(postgres_switchover::Report)),
        );
        r.insert("pgbouncer.paused", Box::new(Typed(pgbouncer::Paused)));
        r.insert("pgbouncer.resumed", Box::new(Typed(pgbouncer::Resumed)));
        r.insert("pgbouncer.reloaded", Box::new(Typed(pgbouncer::Reloaded)));
        r.insert("salt.state", Box::new(Delegated(salt::State)));
        r.insert("salt.function", Box::new(Delegated(salt::Function)));
        r
    })
}

pub fn lookup(name: &str) -> Option<&'static dyn StateFn> {
    registry().get(name).map(|b| b.as_ref())
}

pub fn names() -> impl Iterator<Item = &'static str> {
    registry().keys().copied()
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
