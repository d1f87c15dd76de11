//! The cluster's real state, read at the start of a failover: for each
//! host, whether ssh reaches it, whether its server runs, what the server
//! says it is, its control data, and whether its PgBouncer is paused. A
//! failover decides from this, not from a journal of earlier runs.

use std::sync::Arc;

use crate::facts::{BouncerState, BouncerTargets, ControlData, Postmaster, Server};
use crate::postgres::{Bouncer, Layout};
use crate::transport::Transport;

use super::super::cluster::Cluster;

/// One host as found.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Node {
    pub id: String,
    /// Its roster address.
    pub address: String,
    /// Why ssh cannot reach it; `None` when it can.
    pub unreachable: Option<String>,
    /// Whether its server runs (`None`: could not tell).
    pub postmaster: Option<Postmaster>,
    /// What the running server says it is.
    pub server: Option<Server>,
    pub control: Option<ControlData>,
    pub bouncer: Option<BouncerState>,
    /// Where its PgBouncer sends its databases now (database, host).
    pub targets: Option<Vec<(String, String)>>,
    /// Probes that failed, in words, for the account of a refusal.
    pub problems: Vec<String>,
}

impl Node {
    pub(super) fn reachable(&self) -> bool {
        self.unreachable.is_none()
    }

    pub(super) fn running(&self) -> bool {
        self.postmaster == Some(Postmaster::Running)
    }

    pub(super) fn stopped(&self) -> bool {
        self.postmaster == Some(Postmaster::Stopped)
    }

    /// A running primary.
    pub(super) fn primary(&self) -> bool {
        self.server.as_ref().is_some_and(|s| !s.in_recovery)
    }

    /// A running standby.
    pub(super) fn standby(&self) -> bool {
        self.server.as_ref().is_some_and(|s| s.in_recovery)
    }

    /// Whether its PgBouncer sends every database to `writer` (by id or
    /// address, or by the local socket when it is the writer); `None`
    /// when that could not be read.
    pub(super) fn points_at(&self, writer: &Node) -> Option<bool> {
        let targets = self.targets.as_ref()?;
        Some(targets.iter().all(|(_, host)| {
            *host == writer.id
                || *host == writer.address
                || (self.id == writer.id && host.starts_with('/'))
        }))
    }

    pub(super) fn timeline(&self) -> Option<u32> {
        self.server
            .as_ref()
            .map(|s| s.timeline)
            .or(self.control.as_ref().map(|c| c.timeline))
    }

    /// One line: how it was found.
    pub(super) fn describe(&self) -> String {
        if let Some(why) = &self.unreachable {
            return format!("{}: unreachable ({why})", self.id);
        }
        let pg = match (&self.server, &self.postmaster, &self.control) {
            (Some(s), _, _) => s.describe(),
            (None, Some(Postmaster::Stopped), Some(c)) => format!(
                "PostgreSQL stopped (`{}`, timeline {}, checkpoint {})",
                c.state, c.timeline, c.checkpoint
            ),
            (None, Some(Postmaster::Running), _) => "PostgreSQL runs but does not answer".into(),
            _ => "PostgreSQL state unknown".into(),
        };
        let bouncer = match self.bouncer {
            Some(b) if b.paused => ", PgBouncer PAUSED",
            Some(_) => ", PgBouncer serving",
            None => ", PgBouncer not answering",
        };
        format!("{}: {pg}{bouncer}", self.id)
    }
}

/// The writer-to-be and the hosts to follow it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Survey {
    pub writer: Node,
    pub others: Vec<Node>,
}

impl Survey {
    pub(super) fn describe(&self) -> String {
        std::iter::once(&self.writer)
            .chain(&self.others)
            .map(Node::describe)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Read every host at once; `others` get `budget` seconds to answer ssh
/// when it is given.
pub(super) async fn survey(
    cluster: &Arc<Cluster>,
    writer: &str,
    others: &[String],
    budget: Option<u64>,
    layout: &Layout,
    bouncer: &Bouncer,
) -> Survey {
    let ids: Vec<(String, Option<u64>)> = std::iter::once((writer.to_string(), None))
        .chain(others.iter().map(|o| (o.clone(), budget)))
        .collect();
    let nodes = crate::job::in_parallel(ids.into_iter().map(|(id, budget)| {
        let (c, l, b) = (Arc::clone(cluster), layout.clone(), bouncer.clone());
        async move { node(&c, &id, budget, &l, &b).await }
    }))
    .await;
    let mut nodes = nodes.into_iter();
    Survey {
        writer: nodes.next().expect("the writer"),
        others: nodes.collect(),
    }
}

async fn node(
    cluster: &Cluster,
    id: &str,
    budget: Option<u64>,
    layout: &Layout,
    b: &Bouncer,
) -> Node {
    let mut n = Node {
        id: id.to_string(),
        address: cluster.address(id),
        ..Node::default()
    };
    let t: Arc<dyn Transport> = match cluster.transport_within(id, budget).await {
        Ok(t) => t,
        Err(e) => {
            n.unreachable = Some(e);
            return n;
        }
    };
    let t = t.as_ref();
    let (pm, cd, bs, bt) = tokio::join!(
        Postmaster::read(t, layout),
        ControlData::read(t, layout),
        BouncerState::read(t, b),
        BouncerTargets::read(t, b)
    );
    match bt {
        Ok(t) => n.targets = Some(t.0),
        Err(e) => n.problems.push(format!("PgBouncer's databases: {e}")),
    }
    match pm {
        Ok(p) => n.postmaster = Some(p),
        Err(e) => n.problems.push(e),
    }
    match cd {
        Ok(c) => n.control = Some(c),
        Err(e) => n.problems.push(e),
    }
    match bs {
        Ok(s) => n.bouncer = Some(s),
        Err(e) => n.problems.push(format!("PgBouncer: {e}")),
    }
    if n.running() {
        match Server::read(t, layout).await {
            Ok(s) => n.server = Some(s),
            Err(e) => n.problems.push(format!("PostgreSQL does not answer: {e}")),
        }
    }
    n
}
