//! `pgbouncer.paused`, `pgbouncer.resumed`, `pgbouncer.reloaded` on the
//! hosts `tgt` names, all at once: the console plans of
//! `functions::pgbouncer`, on each target.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::super::cluster::Cluster;
use super::super::target::Target;
use crate::functions::pgbouncer::{pause, reload, resume};
use crate::functions::{Ctx, Function};
use crate::plan::{Failure, On, Plan};
use crate::postgres::Bouncer;

pub(super) struct Paused(pub Arc<Cluster>);
pub(super) struct Resumed(pub Arc<Cluster>);
pub(super) struct Reloaded(pub Arc<Cluster>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    #[allow(dead_code)]
    pub name: String,
    /// The hosts whose PgBouncer to act on.
    pub tgt: String,
    #[serde(default)]
    pub pgbouncer: Bouncer,
}

/// The targets, each reachable, by id.
async fn targets(cluster: &Cluster, tgt: &str) -> Result<(Vec<String>, Vec<On>), Failure> {
    let conns = cluster
        .connect(&Target::Glob(tgt.to_string()))
        .await
        .map_err(Failure::new)?;
    let ids: Vec<String> = conns.into_iter().map(|(id, _)| id).collect();
    let on = ids.iter().map(|id| On::host(id)).collect();
    Ok((ids, on))
}

#[async_trait]
impl Function for Paused {
    type Args = Args;

    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (ids, on) = targets(&self.0, &args.tgt).await?;
        Ok(pause(&ids, &on, &args.pgbouncer))
    }
}

#[async_trait]
impl Function for Resumed {
    type Args = Args;

    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (ids, on) = targets(&self.0, &args.tgt).await?;
        Ok(resume(&ids, &on, &args.pgbouncer))
    }
}

#[async_trait]
impl Function for Reloaded {
    type Args = Args;

    async fn plan(&self, args: &Args, _ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (ids, on) = targets(&self.0, &args.tgt).await?;
        Ok(reload(&ids, &on, &args.pgbouncer))
    }
}
