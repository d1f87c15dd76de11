//! `pgbouncer.reloaded`: this host's PgBouncer re-reads its configuration,
//! through its admin console, where RELOAD is synchronous (SIGHUP would
//! race a RESUME sent just after). The console plans here are shared with
//! an orchestration's multi-host steps (`pgbouncer.paused`, `.resumed`).
//!
//! PAUSE has no timeout of its own (and in session pooling waits for every
//! client to leave): the console session is killed past `pause_timeout`,
//! and then every PgBouncer of the step is RESUMEd, so a failed pause
//! leaves clients running.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, On, Plan};
use crate::postgres::Bouncer;

pub(crate) struct Reloaded;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[allow(dead_code)]
    pub name: String,
    #[serde(default)]
    pub pgbouncer: Bouncer,
}

/// `command` to the console of each of `hosts` at once.
pub(crate) fn everywhere(
    hosts: &[On],
    b: &Bouncer,
    command: &str,
    timeout: u64,
    tolerate: Option<&str>,
    fail: &str,
) -> Action {
    Action::Together(
        hosts
            .iter()
            .map(|on| Action::Console {
                on: on.clone(),
                bouncer: b.clone(),
                command: command.to_string(),
                timeout,
                tolerate: tolerate.map(str::to_string),
                fail: fail.to_string(),
            })
            .collect(),
    )
}

/// The plan of a console command on `hosts` (named `ids` in comments),
/// each of which becomes `state`.
fn plan(ids: &[String], hosts: &[On], b: &Bouncer, command: &str, state: &str) -> Plan {
    let on = ids.join(", ");
    let changes: Changes = ids.iter().map(|id| (id.clone(), json!(state))).collect();
    let comment = format!("PgBouncer on {on} is set to {}", command.to_lowercase());
    let (action, done) = match command {
        "PAUSE" => (
            everywhere(
                hosts,
                b,
                "PAUSE",
                b.pause_timeout,
                Some("already"),
                "PAUSE did not complete",
            ),
            format!("PgBouncer paused on {on}: clients wait, none fails"),
        ),
        "RESUME" => (
            everywhere(hosts, b, "RESUME", 5, Some("not paused"), "RESUME failed"),
            format!("PgBouncer serving on {on}"),
        ),
        _ => (
            everywhere(hosts, b, command, 10, None, &format!("{command} failed")),
            format!("PgBouncer reloaded on {on}"),
        ),
    };
    Plan::change(changes, comment, done, vec![action])
}

/// PAUSE on `hosts`; if any does not complete, RESUME on all of them.
pub(crate) fn pause(ids: &[String], hosts: &[On], b: &Bouncer) -> Plan {
    let resume = everywhere(hosts, b, "RESUME", 5, Some("not paused"), "RESUME failed");
    plan(ids, hosts, b, "PAUSE", "paused").undo(
        vec![resume],
        format!(
            "every PgBouncer ({}) is resumed; nothing else was changed",
            ids.join(", ")
        ),
    )
}

/// RESUME on `hosts` ("not paused" is no error).
pub(crate) fn resume(ids: &[String], hosts: &[On], b: &Bouncer) -> Plan {
    plan(ids, hosts, b, "RESUME", "resumed").applied(Changes::new())
}

/// RELOAD on `hosts`.
pub(crate) fn reload(ids: &[String], hosts: &[On], b: &Bouncer) -> Plan {
    plan(ids, hosts, b, "RELOAD", "reloaded")
}

#[async_trait]
impl Function for Reloaded {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        Ok(reload(
            std::slice::from_ref(&ctx.host.id),
            &[On::Here],
            &args.pgbouncer,
        ))
    }
}
