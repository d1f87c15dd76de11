//! The steps an orchestration adds to the host's state functions: Salt's
//! own (`salt.state`, `salt.function`), and PostgreSQL and PgBouncer steps
//! that plan actions on the hosts they target (`tgt`). Each holds the
//! cluster it reaches hosts through.

mod pgbouncer;
pub(crate) mod postgres;

use std::sync::Arc;

use super::cluster::Cluster;
use super::failover::Failover;
use super::salt;
use crate::functions::{Entry, Registry};

/// The host's functions with the steps added (a step of the same name as
/// a host's function, `postgres.running`, takes a `tgt`).
pub(crate) fn registry(cluster: &Arc<Cluster>) -> Registry {
    let c = || Arc::clone(cluster);
    Registry::states().with([
        ("salt.state", Entry::delegate(salt::State(c()))),
        ("salt.function", Entry::delegate(salt::Function(c()))),
        ("postgres.failover", Entry::delegate(Failover(c()))),
        ("postgres.running", Entry::function(postgres::Running(c()))),
        ("postgres.stopped", Entry::function(postgres::Stopped(c()))),
        (
            "postgres.switchover_ready",
            Entry::function(postgres::SwitchoverReady(c())),
        ),
        (
            "postgres.caught_up",
            Entry::function(postgres::CaughtUp(c())),
        ),
        (
            "postgres.streaming",
            Entry::function(postgres::Streaming(c())),
        ),
        ("postgres.status", Entry::function(postgres::Status(c()))),
        ("pgbouncer.paused", Entry::function(pgbouncer::Paused(c()))),
        (
            "pgbouncer.resumed",
            Entry::function(pgbouncer::Resumed(c())),
        ),
        (
            "pgbouncer.reloaded",
            Entry::function(pgbouncer::Reloaded(c())),
        ),
    ])
}

#[cfg(test)]
mod tests;
