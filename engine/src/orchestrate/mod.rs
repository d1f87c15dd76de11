//! `converge orchestrate NAME`, the layer above the engine: an sls of steps
//! rendered and run on the controller, with the master's pillar;
//! requisites, `onfail` and `failhard` as in Salt.
//!
//! Steps are states whose functions this layer adds to the host's own
//! (`steps`): `salt.state` converges hosts and nests their reports,
//! `salt.function` calls an execution function (`modules`) on them, and
//! the PostgreSQL and PgBouncer steps plan actions on the hosts they
//! target. They reach hosts through `Cluster`: the engine, with its one
//! connection per host for the whole orchestration. The engine below knows
//! nothing of orchestration.

mod cluster;
mod failover;
mod lock;
pub(crate) mod modules;
mod salt;
pub(crate) mod steps;
mod target;

use std::sync::Arc;

use serde_json::Value;

use crate::error::Error;
use crate::grains;
use crate::job::{Engine, Mode};
use crate::result::{HostOutcome, HostReport, Report};
use crate::run::{self, Observer, Options};
use crate::transport::local::Local;
use crate::transport::Transport;

pub(crate) use cluster::Cluster;

/// Run orchestration `name`; its report has one host, `<controller>_master`,
/// as Salt keys a runner's return.
pub async fn run(
    engine: &Engine,
    name: &str,
    test: bool,
    pillar: Option<Value>,
    jobs: usize,
    observer: Option<Arc<dyn Observer>>,
) -> Result<Report, Error> {
    let out = run_connected(engine, name, test, pillar, jobs, observer).await;
    engine.disconnect().await;
    out
}

async fn run_connected(
    engine: &Engine,
    name: &str,
    test: bool,
    pillar: Option<Value>,
    jobs: usize,
    observer: Option<Arc<dyn Observer>>,
) -> Result<Report, Error> {
    let _held = match lock::take(&engine.config.roster_file, name) {
        Ok(held) => held,
        Err(why) => return Ok(refused(name, why)),
    };
    let cluster = Arc::new(Cluster {
        engine: engine.clone(),
        observer: observer.clone(),
        pillar: pillar.clone(),
        jobs,
    });
    let functions = Arc::new(steps::registry(&cluster));
    // This machine as the host that runs the steps: its grains (its id
    // `<host>_master`) and the master's pillar.
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
    let controller = engine
        .compile_host(&id, local, grains, pillar.as_ref(), &mode, functions, true)
        .await?;
    let opts = Options {
        test,
        failhard: false,
        observer,
        reach: Some(cluster),
    };
    let results = run::run(
        &controller.graph,
        &controller.host,
        &controller.functions,
        opts,
    )
    .await;
    Ok(Report {
        hosts: vec![HostReport {
            id,
            outcome: HostOutcome::Reached(results),
        }],
    })
}

/// The report of an orchestration that did not start: one failed state.
fn refused(name: &str, why: String) -> Report {
    let state = crate::compile::StateId {
        module: "orchestrate".into(),
        id: name.into(),
        name: name.into(),
        fun: "lock".into(),
    };
    Report {
        hosts: vec![HostReport {
            id: "orchestrate".into(),
            outcome: HostOutcome::Reached(vec![crate::result::StateResult {
                state,
                sls: name.into(),
                result: Some(false),
                changes: Default::default(),
                comment: why,
                start_time: crate::clock::now(),
                duration_ms: 0.0,
                run_num: 0,
                nested: None,
            }]),
        }],
    }
}
