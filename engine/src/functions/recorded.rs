//! converge against Salt's own answers: each `recorded/<name>.sls` was
//! run by Salt 3008.4 in test mode on the machine whose facts are in
//! `facts/fixtures/` (see `recorded/README.md`), and `recorded/<name>.json`
//! holds what Salt answered per state ID. Here every state of the sls is
//! compiled and planned on a fake host that answers with those facts, and
//! its test-run answer must be Salt's: result, changes and comment.
//!
//! A test run's result is `None` when the plan would change something
//! (changes to show, or an action other than a check: Salt's "would
//! change", with or without changes to show), `false` when planning failed
//! or the plan fails, else `true`: a plan of checks alone changes nothing.

use serde_json::Value;

use crate::functions::{Ctx, Entry, Registry};
use crate::plan::{Action, Plan};
use crate::testing::{fixture, TestTree};
use crate::transport::fake::Fake;

/// Salt's answer, or converge's, for one state.
#[derive(Debug, PartialEq)]
struct Answer {
    result: Option<bool>,
    changes: Value,
    comment: String,
}

fn answer(plan: Result<Plan, crate::plan::Failure>) -> Answer {
    match plan {
        Ok(p) => {
            let acts = |a: &Action| !matches!(a, Action::Await { .. } | Action::Fail(_));
            let result = if !p.changes.is_empty() || p.actions.iter().any(acts) {
                None
            } else if p.actions.iter().any(|a| matches!(a, Action::Fail(_))) {
                Some(false)
            } else {
                Some(true)
            };
            Answer {
                result,
                changes: Value::Object(p.changes),
                comment: p.comment,
            }
        }
        Err(f) => Answer {
            result: Some(false),
            changes: Value::Object(f.changes),
            comment: f.comment,
        },
    }
}

/// Plan every state of `sls` (the file `recorded/<name>.sls`) on `fake`
/// and compare with `recorded/<name>.json`; the states in `differ` are
/// known to differ and must (still) differ.
pub async fn compare(name: &str, sls: &str, recorded: &str, fake: Fake, differ: &[&str]) {
    let salt: serde_json::Map<String, Value> = serde_json::from_str(recorded).unwrap();
    let tree = TestTree::new(&[(&format!("{name}.sls"), sls)]);
    let graph = tree.compile(name).unwrap_or_else(|e| panic!("{e}"));
    let fx = fixture(fake);
    let states = Registry::states();
    let mut mismatches = Vec::new();
    for &idx in &graph.order {
        let chunk = &graph.chunks[idx];
        let id = &chunk.state.id;
        let Some(Entry::Plans(f)) = states.get(&chunk.state.function()) else {
            panic!("{id}: not a planning function");
        };
        let ctx = Ctx {
            host: &fx.host,
            chunk,
        };
        let ours = answer(f.plan(&ctx).await);
        let theirs = &salt[id.as_str()];
        let theirs = Answer {
            result: theirs["result"].as_bool(),
            changes: theirs["changes"].clone(),
            comment: theirs["comment"].as_str().unwrap().to_string(),
        };
        let same = ours == theirs;
        if same == differ.contains(&id.as_str()) {
            mismatches.push(format!(
                "{id}: {}\n  salt:     {theirs:?}\n  converge: {ours:?}",
                if same {
                    "now the same as Salt: take it off the list"
                } else {
                    "differs"
                }
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{name}: {} state(s)\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// A host whose accounts are those of the recording machine.
fn accounts_host() -> Fake {
    let fx = |name: &str| match name {
        "postgres" => include_str!("../facts/fixtures/accounts-postgres.txt"),
        "cloudsdk" => include_str!("../facts/fixtures/accounts-cloudsdk.txt"),
        _ => include_str!("../facts/fixtures/accounts-newuser.txt"),
    };
    let mut fake = Fake::new().answer(
        "echo @group; getent group",
        0,
        include_str!("../facts/fixtures/groups.txt"),
    );
    for user in ["postgres", "cloudsdk", "newuser", "ghost"] {
        fake = fake.answer(
            &format!("echo @passwd; getent passwd -- {user};"),
            0,
            fx(user),
        );
    }
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn users_and_groups_as_salt_answers() {
    compare(
        "accounts",
        include_str!("recorded/accounts.sls"),
        include_str!("recorded/accounts.json"),
        accounts_host(),
        // Salt answers `None` for these contradictions; converge refuses
        // them (result false), before anything is planned.
        &["grp-change"],
    )
    .await;
}
