//! PostgreSQL and PgBouncer as converge speaks to them: where a cluster
//! lives (`Layout`, `Bouncer`), the commands that act on it, WAL positions,
//! and SQL or admin-console sessions through `psql` on the host. What a
//! server *is* (its control data, role, WAL receiver) is read by the
//! probes in `facts`; what to *do* is built here, as commands.

mod layout;
mod lsn;
mod sql;

pub(crate) use layout::{prepared, Bouncer, Layout};
pub(crate) use lsn::Lsn;
pub(crate) use sql::{console, console_answer, psql, rows};
