//! Applying a plan: its actions in order, each on its host; the first
//! that fails ends the plan, after its `undo` actions have run.
//!
//! The host's file cache forgets a path written here and everything after
//! a command ran here, so later plans see what earlier states did.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinSet;

use super::Reach;
use crate::host::Host;
use crate::plan::{Action, On, Plan, Verdict};
use crate::postgres::{console, console_answer, psql, rows};
use crate::result::{Changes, Outcome};
use crate::transport::{Transport, TransportError, NO_PARENT};

/// Why an action failed: its own words, what it saw, the changes to keep.
struct Failed {
    fail: String,
    detail: String,
    changes: Option<Changes>,
}

impl Failed {
    fn new(fail: impl Into<String>, detail: impl Into<String>) -> Failed {
        Failed {
            fail: fail.into(),
            detail: detail.into(),
            changes: None,
        }
    }

    fn comment(&self) -> String {
        if self.detail.is_empty() {
            self.fail.clone()
        } else if self.fail.is_empty() {
            self.detail.clone()
        } else {
            format!("{}: {}", self.fail, self.detail)
        }
    }
}

/// What a successful action adds to the state's changes.
enum Done {
    Merge(Changes),
    /// A captured command: its output is the state's changes (`cmd.run`).
    Replace(Changes),
}

pub(crate) async fn apply(plan: Plan, here: &Host, reach: Option<&dyn Reach>) -> Outcome {
    if plan.is_noop() {
        // A plan with nothing to do may word a real run apart from a test
        // run (Salt's "File X is in the correct state" after a test's "The
        // file X is in the correct state").
        return Outcome::ok(if plan.done.is_empty() {
            plan.comment
        } else {
            plan.done
        });
    }
    let mut changes = plan.applied.unwrap_or(plan.changes);
    for action in plan.actions {
        match act(action, here, reach).await {
            Ok(Done::Merge(more)) => changes.extend(more),
            Ok(Done::Replace(c)) => changes = c,
            Err(mut f) => {
                if f.fail.is_empty() && f.detail.is_empty() {
                    f.fail = plan.done.clone();
                }
                let mut comment = f.comment();
                if !plan.undo.is_empty() {
                    match undo(plan.undo, here, reach).await {
                        Ok(()) => comment = format!("{comment}; {}", plan.undone),
                        Err(e) => comment = format!("{comment}; and undoing failed too: {e}"),
                    }
                }
                return Outcome::new(Some(false), f.changes.unwrap_or_default(), comment);
            }
        }
    }
    Outcome::new(Some(true), changes, plan.done)
}

async fn undo(actions: Vec<Action>, here: &Host, reach: Option<&dyn Reach>) -> Result<(), String> {
    for a in actions {
        act(a, here, reach).await.map_err(|f| f.comment())?;
    }
    Ok(())
}

/// One action; `Together` runs its members at once.
async fn act(action: Action, here: &Host, reach: Option<&dyn Reach>) -> Result<Done, Failed> {
    let mut leaves = Vec::new();
    flatten(action, &mut leaves);
    // What this host's file cache must forget: the file a write put, or
    // everything once anything else ran here.
    let written = match leaves.as_slice() {
        [Action::Write { on: On::Here, file }] => Some(file.path.clone()),
        _ => None,
    };
    let touches_here = leaves
        .iter()
        .any(|a| a.hosts().iter().any(|on| on.is_here(&here.id)));
    let mut resolved = Vec::with_capacity(leaves.len());
    for a in leaves {
        let t = transport(&a, here, reach).await?;
        resolved.push((a, t));
    }
    let out = if resolved.len() == 1 {
        let (a, t) = resolved.pop().expect("one");
        leaf(a, t).await
    } else {
        together(resolved).await
    };
    match written {
        Some(path) => here.forget(&path),
        None if touches_here => here.forget_all(),
        None => {}
    }
    out
}

fn flatten(action: Action, out: &mut Vec<Action>) {
    match action {
        Action::Together(all) => all.into_iter().for_each(|a| flatten(a, out)),
        other => out.push(other),
    }
}

/// The connection an action's host is reached through.
async fn transport(
    action: &Action,
    here: &Host,
    reach: Option<&dyn Reach>,
) -> Result<Arc<dyn Transport>, Failed> {
    match action.hosts().first() {
        None => Ok(Arc::clone(&here.transport)),
        Some(on) if on.is_here(&here.id) => Ok(Arc::clone(&here.transport)),
        Some(On::Here) => unreachable!("is_here"),
        Some(On::Host(id)) => match reach {
            Some(r) => r.transport(id).await.map_err(|e| Failed::new("", e)),
            None => Err(Failed::new(
                "",
                format!("acting on {id} needs an orchestration; a host acts on itself only"),
            )),
        },
    }
}

/// Members at once; every failure is reported, under the first's words.
async fn together(members: Vec<(Action, Arc<dyn Transport>)>) -> Result<Done, Failed> {
    let mut set = JoinSet::new();
    for (i, (a, t)) in members.into_iter().enumerate() {
        set.spawn(async move { (i, leaf(a, t).await) });
    }
    let mut outs: Vec<(usize, Result<Done, Failed>)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(o) => outs.push(o),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    outs.sort_by_key(|(i, _)| *i);
    let mut changes = Changes::new();
    let mut failures: Vec<Failed> = Vec::new();
    for (_, o) in outs {
        match o {
            Ok(Done::Merge(c) | Done::Replace(c)) => changes.extend(c),
            Err(f) => failures.push(f),
        }
    }
    match failures.first() {
        None => Ok(Done::Merge(changes)),
        Some(first) => {
            let details: Vec<String> = failures
                .iter()
                .map(|f| f.detail.clone())
                .filter(|d| !d.is_empty())
                .collect();
            Err(Failed::new(first.fail.clone(), details.join("; ")))
        }
    }
}

/// `id: ` before what a remote host said, nothing for this host.
fn prefix(on: &On) -> String {
    match on {
        On::Here => String::new(),
        On::Host(id) => format!("{id}: "),
    }
}

async fn leaf(action: Action, t: Arc<dyn Transport>) -> Result<Done, Failed> {
    match action {
        Action::Write { on, file } => match t.write_file(&file).await {
            Ok(()) => Ok(Done::Merge(Changes::new())),
            Err(TransportError::Io { message, .. }) if message == NO_PARENT => {
                Err(Failed::new(message, ""))
            }
            Err(e) => Err(Failed::new(
                "Unable to manage file",
                format!("{}{e}", prefix(&on)),
            )),
        },
        Action::Run {
            on,
            exec,
            capture,
            fail,
            ..
        } => {
            let out = t.exec(&exec).await.map_err(|e| {
                Failed::new(
                    fail.clone().unwrap_or_default(),
                    format!("{}{e}", prefix(&on)),
                )
            })?;
            let captured = capture.then(|| {
                Changes::from_iter([
                    ("pid".to_string(), json!(out.pid.unwrap_or(0))),
                    ("retcode".to_string(), json!(out.code)),
                    ("stderr".to_string(), json!(out.stderr_trimmed())),
                    ("stdout".to_string(), json!(out.stdout_trimmed())),
                ])
            });
            if out.success() {
                return Ok(match captured {
                    Some(c) => Done::Replace(c),
                    None => Done::Merge(Changes::new()),
                });
            }
            // Without words of its own (`cmd.run`), the plan's `done`
            // comment is the failure's, as Salt reports it.
            let detail = match &fail {
                Some(_) if !out.stderr.trim().is_empty() => {
                    format!("{}{}", prefix(&on), out.stderr.trim())
                }
                _ => String::new(),
            };
            Err(Failed {
                fail: fail.unwrap_or_default(),
                detail,
                changes: captured,
            })
        }
        Action::Sql {
            on,
            cluster,
            sql,
            fail,
        } => {
            let out = t
                .exec(&psql(&cluster, &sql))
                .await
                .map_err(|e| Failed::new(fail.clone(), format!("{}{e}", prefix(&on))))?;
            rows(&out)
                .map(|_| Done::Merge(Changes::new()))
                .map_err(|e| Failed::new(fail, format!("{}{e}", prefix(&on))))
        }
        Action::Console {
            on,
            bouncer,
            command,
            timeout,
            tolerate,
            fail,
        } => {
            let out = t
                .exec(&console(&bouncer, &[&command], timeout))
                .await
                .map_err(|e| Failed::new(fail.clone(), format!("{}{e}", prefix(&on))))?;
            match console_answer(&out, timeout) {
                Ok(_) => Ok(Done::Merge(Changes::new())),
                Err(e) if tolerate.as_deref().is_some_and(|t| e.contains(t)) => {
                    Ok(Done::Merge(Changes::new()))
                }
                Err(e) => Err(Failed::new(fail, format!("{}{e}", prefix(&on)))),
            }
        }
        Action::Await {
            on,
            check,
            timeout,
            fail,
            explain,
        } => {
            let deadline = Instant::now() + timeout;
            let probe = check.probe();
            loop {
                let seen = match t.exec(&probe).await {
                    Ok(out) => check.judge(&out),
                    Err(e) => Verdict::Pending(e.to_string()),
                };
                match seen {
                    Verdict::Met(c) => return Ok(Done::Merge(c)),
                    Verdict::Pending(why) if Instant::now() >= deadline => {
                        let mut detail = format!("{}{why}", prefix(&on));
                        if let Some(e) = &explain {
                            if let Ok(out) = t.exec(e).await {
                                let quoted = out.stdout.trim_end();
                                if !quoted.is_empty() {
                                    detail.push_str(&format!("\n{quoted}"));
                                }
                            }
                        }
                        return Err(Failed::new(fail, detail));
                    }
                    Verdict::Pending(_) => {
                        tokio::time::sleep(Duration::from_millis(check.interval_ms())).await;
                    }
                }
            }
        }
        Action::Fail(comment) => Err(Failed::new(comment, "")),
        Action::Together(_) => unreachable!("flattened"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use async_trait::async_trait;
    use serde_json::json;

    use super::*;
    use crate::functions::pgbouncer::pause;
    use crate::functions::postgres::ReceivedPast;
    use crate::postgres::{Bouncer, Layout, Lsn};
    use crate::testing::fixture;
    use crate::transport::fake::Fake;

    /// Hosts by id, each a fake.
    struct Hosts(HashMap<String, Arc<Fake>>);

    #[async_trait]
    impl Reach for Hosts {
        async fn transport(&self, id: &str) -> Result<Arc<dyn Transport>, String> {
            match self.0.get(id) {
                Some(f) => Ok(Arc::clone(f) as Arc<dyn Transport>),
                None => Err(format!("{id}: Unable to connect: no route to host")),
            }
        }
    }

    fn hosts(list: Vec<(&str, Fake)>) -> (Hosts, HashMap<String, Arc<Fake>>) {
        let map: HashMap<String, Arc<Fake>> = list
            .into_iter()
            .map(|(id, f)| (id.to_string(), Arc::new(f)))
            .collect();
        (Hosts(map.clone()), map)
    }

    const CONSOLE: &str = "timeout -s KILL";

    #[tokio::test(flavor = "multi_thread")]
    async fn a_pause_that_fails_somewhere_is_undone_everywhere() {
        let fx = fixture(Fake::new());
        let (reach, fakes) = hosts(vec![
            ("pgdb1", Fake::new()),
            (
                "pgdb2",
                Fake::new()
                    .answer(CONSOLE, 137, "")
                    .answers_in_turn(&format!("{CONSOLE} 5 "), &[(0, "")]),
            ),
        ]);
        let ids = ["pgdb1".to_string(), "pgdb2".to_string()];
        let on = [On::host("pgdb1"), On::host("pgdb2")];
        let b = Bouncer {
            pause_timeout: 1,
            ..Bouncer::default()
        };
        let out = apply(pause(&ids, &on, &b), &fx.host, Some(&reach)).await;
        assert_eq!(out.result, Some(false));
        assert_eq!(
            out.comment,
            "PAUSE did not complete: pgdb2: no answer within 1 s; every PgBouncer (pgdb1, pgdb2) is resumed; nothing else was changed"
        );
        // Each PgBouncer got its PAUSE, then its RESUME.
        for id in ["pgdb1", "pgdb2"] {
            let sent: Vec<String> = fakes[id]
                .commands()
                .iter()
                .map(|c| c.rsplit(" -c ").next().unwrap().to_string())
                .collect();
            assert_eq!(sent, ["PAUSE", "RESUME"], "{id}");
        }
        // The controller itself ran nothing.
        assert!(fx.fake.commands().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_wait_probes_until_the_check_holds_and_records_what_it_saw() {
        let fx = fixture(Fake::new());
        let row = |lsn: &str| format!("t|{lsn}|{lsn}||streaming,1,pgdb1|f|1\n");
        let (behind, past) = (row("0/3000000"), row("0/30000A0"));
        let (reach, fakes) = hosts(vec![(
            "pgdb2",
            Fake::new().answers_in_turn("psql", &[(0, &behind), (0, &behind), (0, &past)]),
        )]);
        let wait = Action::wait(
            ReceivedPast {
                id: "pgdb2".into(),
                cluster: Layout::default(),
                lsn: Lsn::parse("0/3000028").unwrap(),
            },
            Duration::from_secs(10),
            "not promoting",
        )
        .at("pgdb2");
        let plan =
            Plan::change(Changes::new(), "", "caught up", vec![wait]).applied(Changes::new());
        let out = apply(plan, &fx.host, Some(&reach)).await;
        assert_eq!(out.result, Some(true), "{}", out.comment);
        assert_eq!(
            serde_json::Value::Object(out.changes),
            json!({"pgdb2": {"received": "0/30000A0", "checkpoint": "0/3000028"}})
        );
        assert_eq!(fakes["pgdb2"].commands().len(), 3);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_wait_past_its_deadline_fails_with_what_it_saw_last() {
        let fx = fixture(Fake::new());
        let behind = "t|0/3000000|0/3000000||streaming,1,pgdb1|f|1\n";
        let (reach, _) = hosts(vec![("pgdb2", Fake::new().answer("psql", 0, behind))]);
        let check = ReceivedPast {
            id: "pgdb2".into(),
            cluster: Layout::default(),
            lsn: Lsn::parse("0/3000028").unwrap(),
        };
        let plan = Plan::change(
            Changes::new(),
            "",
            "",
            vec![Action::verify(check, "not promoting").at("pgdb2")],
        );
        let out = apply(plan, &fx.host, Some(&reach)).await;
        assert_eq!(out.result, Some(false));
        assert_eq!(
            out.comment,
            "not promoting: pgdb2: it received WAL only up to 0/3000000"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_host_run_reaches_no_other_host() {
        let fx = fixture(Fake::new());
        let plan = Plan::change(
            Changes::new(),
            "",
            "",
            vec![Action::run(crate::transport::Exec::new("true"), "no").at("pgdb9")],
        );
        let out = apply(plan, &fx.host, None).await;
        assert_eq!(out.result, Some(false));
        assert!(
            out.comment.contains("needs an orchestration"),
            "{}",
            out.comment
        );
        let (reach, _) = hosts(vec![]);
        let plan = Plan::change(
            Changes::new(),
            "",
            "",
            vec![Action::run(crate::transport::Exec::new("true"), "no").at("pgdb9")],
        );
        let out = apply(plan, &fx.host, Some(&reach)).await;
        assert_eq!(out.comment, "pgdb9: Unable to connect: no route to host");
    }
}
