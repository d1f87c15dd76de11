//! PostgreSQL and PgBouncer as facts and commands: the layout of a cluster,
//! SQL through `psql` on the host, `pg_controldata`, the PgBouncer admin
//! console. Each probe is a command plus a parser, tested on recorded
//! output; the state functions (`postgres.*`, `pgbouncer.*`) are built on
//! these and judge every step by querying, never by an exit code.

mod controldata;
mod layout;
mod lsn;
mod sql;
mod status;

pub use controldata::{parse_controldata, ControlData};
pub use layout::{Bouncer, Layout};
pub use lsn::Lsn;
pub use sql::{admin, psql, query, Rows};
pub use status::{status, Receiver, Status, STATUS_SQL};
