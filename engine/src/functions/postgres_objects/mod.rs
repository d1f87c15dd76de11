//! Salt's `postgres_*` states: roles (`postgres_user`, `postgres_group`),
//! databases, schemas, extensions and tablespaces of a PostgreSQL server,
//! present or absent, with Salt's arguments, comments and changes.
//!
//! Each reads what is there with one probe (`facts::pg_*`) and plans SQL
//! (one psql session per state, through `facts::pg_session`, which keeps
//! passwords off command lines). Unlike Salt, which gets what it cannot
//! read wrong silently, a server that cannot be reached is said so: its
//! objects are planned as a fresh server needs them (a test run before
//! the server is installed shows what will be created), and applying
//! such a plan fails while the server stays unreachable.
//!
//! Where converge differs from Salt on purpose: passwords are stored as
//! SCRAM-SHA-256 verifiers unless `encrypted: md5` asks for md5 (Salt's
//! default is md5, deprecated since PostgreSQL 10); an extension the
//! server does not have fails the state in test runs too. As Salt's, a
//! test run of a creation, removal or alteration says `None` and shows no
//! changes (a role's update alone shows what would change): the changes
//! show once applied.

mod args;
mod database;
mod extension;
mod role;
mod schema;
mod tablespace;

use std::fmt;

use crate::facts::pg_session::{reply, Found, Reply, Session};
use crate::plan::{Action, Changes, Check, Plan, Verdict};
use crate::transport::{Exec, Output};

pub(super) use database::{DatabaseAbsent, DatabasePresent};
pub(super) use extension::{ExtensionAbsent, ExtensionPresent};
pub(super) use role::{GroupAbsent, GroupPresent, UserAbsent, UserPresent};
pub(super) use schema::{SchemaAbsent, SchemaPresent};
pub(super) use tablespace::{TablespaceAbsent, TablespacePresent};

/// One psql session running `sql`; `fail` and psql's error if it fails.
fn sql(session: &Session, sql: String, fail: String) -> Action {
    Action::Run {
        on: crate::plan::On::Here,
        exec: session.script(&sql),
        capture: false,
        fail: Some(fail),
        what: None,
    }
}

/// A plan whose test run Salt answers `None` with no changes (`{}`):
/// every creation, removal and alteration of these states but a role's
/// update; `changes` show once applied.
fn quiet(
    changes: Changes,
    comment: impl Into<String>,
    done: impl Into<String>,
    actions: Vec<Action>,
) -> Plan {
    super::would::change(comment, done, actions).applied(changes)
}

/// `{name: value}`, Salt's changes of these states.
fn changed(name: &str, value: serde_json::Value) -> Changes {
    Changes::from_iter([(name.to_string(), value)])
}

/// A change planned without knowing what is there: the test run's
/// comment says why.
fn unknown(comment: String, found: &Found<impl Sized>) -> String {
    match found {
        Found::Unreachable(why) => format!("{comment} (PostgreSQL cannot be reached now: {why})"),
        _ => comment,
    }
}

/// An `*_absent` state's plan, in Salt's words: nothing to do when the
/// object is absent, its removal when present. While the server cannot
/// be reached, nothing to remove as far as a test run can tell; applied,
/// the probe runs again and must find it absent.
struct Removal<'s> {
    session: &'s Session,
    /// The object in lower case (`database app`), for the check.
    what: String,
    /// Salt's comments: not there (also the unreachable plan's done), to
    /// be removed, removed, and when the removal fails.
    gone: String,
    would: String,
    done: String,
    failed: String,
    /// The statements that remove it.
    drop: String,
    /// The object's probe, and whether its answer finds it.
    probe: Exec,
    found: fn(&Output) -> Result<Found<()>, String>,
}

impl<'s> Removal<'s> {
    /// Salt's usual words for `{kind} {name}` (`Database app`).
    fn of(
        session: &'s Session,
        kind: &str,
        name: &str,
        drop: String,
        probe: Exec,
        found: fn(&Output) -> Result<Found<()>, String>,
    ) -> Removal<'s> {
        let it = format!("{kind} {name}");
        Removal {
            session,
            what: format!("{} {name}", kind.to_lowercase()),
            gone: format!("{it} is not present, so it cannot be removed"),
            would: format!("{it} is set to be removed"),
            done: format!("{it} has been removed"),
            failed: format!("{it} failed to be removed"),
            drop,
            probe,
            found,
        }
    }

    fn plan(self, name: &str, found: Found<()>) -> Plan {
        match found {
            Found::Absent => Plan::noop(self.gone),
            Found::Present(()) => quiet(
                changed(name, serde_json::json!("Absent")),
                self.would,
                self.done,
                vec![sql(self.session, self.drop, self.failed)],
            ),
            Found::Unreachable(why) => Plan::change(
                Changes::new(),
                format!(
                    "PostgreSQL cannot be reached now ({why}): {} is taken as absent, and checked again when applied",
                    self.what
                ),
                self.gone,
                vec![Action::verify(
                    Gone {
                        what: self.what.clone(),
                        probe: self.probe,
                        found: self.found,
                    },
                    format!("Cannot tell whether {} is present", self.what),
                )],
            ),
        }
    }
}

/// Whether an object was found, whatever was read of it.
fn exists<T>(found: Found<T>) -> Found<()> {
    match found {
        Found::Present(_) => Found::Present(()),
        Found::Absent => Found::Absent,
        Found::Unreachable(why) => Found::Unreachable(why),
    }
}

/// A check that an object is absent: its probe must find nothing.
#[derive(Clone)]
struct Gone {
    what: String,
    probe: Exec,
    found: fn(&Output) -> Result<Found<()>, String>,
}

impl fmt::Debug for Gone {
    /// The probe's input may hold a password: only what is checked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gone").field("what", &self.what).finish()
    }
}

impl Check for Gone {
    fn describe(&self) -> String {
        format!("{} is absent", self.what)
    }

    fn probe(&self) -> Exec {
        self.probe.clone()
    }

    fn judge(&self, out: &Output) -> Verdict {
        match (self.found)(out) {
            Ok(Found::Absent) => Verdict::Met(Changes::new()),
            Ok(Found::Present(())) => Verdict::Pending(format!("{} is present", self.what)),
            Ok(Found::Unreachable(why)) | Err(why) => Verdict::Pending(why),
        }
    }
}

/// Whether psql's output (of any of the object probes) holds a row.
fn any_row(out: &Output, within: bool) -> Result<Found<()>, String> {
    match reply(out)? {
        Reply::Unreachable(why) => Ok(Found::Unreachable(why)),
        Reply::NoDatabase(_) if within => Ok(Found::Absent),
        Reply::NoDatabase(why) => Err(why),
        Reply::Ran(text) if text.trim().is_empty() => Ok(Found::Absent),
        Reply::Ran(_) => Ok(Found::Present(())),
    }
}

#[cfg(test)]
mod tests;
