//! `listen`, `listen_in`, `retry` and `reload_modules` against Salt
//! 3008.4: `listen.sls` applied with `test=True` by `salt-call --local`
//! (`salt-listen.json`: each state by `__run_num__`, with its tag, result,
//! comment and changes), and the same tree here, in test mode too, on a
//! fake host (nothing runs in a test run).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::functions::Registry;
use crate::host::Host;
use crate::run::{self, Options};
use crate::testing::{runtime, TestTree};
use crate::transport::fake::Fake;

fn run_tree(sls: &str, test: bool, fake: Fake) -> (Vec<crate::result::StateResult>, Arc<Fake>) {
    let tree = TestTree::new(&[("listen.sls", sls)]);
    let graph = tree.compile("listen").unwrap();
    let fake = Arc::new(fake);
    let host = Host::new(
        "h",
        fake.clone(),
        Arc::clone(&tree.tree),
        "base",
        tree.render.clone(),
    );
    let results = runtime().block_on(run::run(
        &graph,
        &host,
        &Registry::states(),
        Options::test(test),
    ));
    (results, fake)
}

#[test]
fn listeners_mod_watch_runs_at_the_end_as_salts_does() {
    let (ours, _) = run_tree(include_str!("listen.sls"), true, Fake::new());
    let salt: Vec<Value> = serde_json::from_str(include_str!("salt-listen.json")).unwrap();
    let ours: Vec<Value> = ours
        .iter()
        .map(|r| {
            json!({"tag": r.state.tag(), "result": r.result, "comment": r.comment, "changes": r.changes})
        })
        .collect();
    assert_eq!(ours, salt);
}

#[test]
fn a_listener_fires_when_applied_too_and_only_when_what_it_listens_to_changed() {
    let sls = "conf:\n  test.succeed_with_changes: []\nquiet:\n  test.nop: []\nsvc:\n  cmd.run:\n    - name: echo restart\n    - listen:\n      - test: conf\nidle:\n  cmd.run:\n    - name: echo idle\n    - listen:\n      - test: quiet\n";
    let (ours, fake) = run_tree(sls, false, Fake::new());
    let tags: Vec<(String, Option<bool>)> =
        ours.iter().map(|r| (r.state.tag(), r.result)).collect();
    assert_eq!(
        tags,
        [
            (
                "test_|-conf_|-conf_|-succeed_with_changes".to_string(),
                Some(true)
            ),
            ("test_|-quiet_|-quiet_|-nop".to_string(), Some(true)),
            ("cmd_|-svc_|-echo restart_|-run".to_string(), Some(true)),
            ("cmd_|-idle_|-echo idle_|-run".to_string(), Some(true)),
            (
                "cmd_|-listener_svc_|-echo restart_|-mod_watch".to_string(),
                Some(true)
            ),
        ]
    );
    assert_eq!(ours[4].run_num, 4);
    assert_eq!(ours[4].comment, "Command \"echo restart\" run");
    // The listened-to state ran its command twice: as itself, and at the end.
    let runs = fake
        .commands()
        .iter()
        .filter(|c| c.contains("echo restart"))
        .count();
    assert_eq!(runs, 2);
}

#[test]
fn a_retried_state_runs_again_when_applied() {
    let sls = "flaky:\n  cmd.run:\n    - name: ./flaky\n    - retry:\n        attempts: 3\n        interval: 0\n";
    let fake = Fake::new().answers_in_turn("./flaky", &[(1, ""), (0, "ok")]);
    let (ours, fake) = run_tree(sls, false, fake);
    assert_eq!(ours[0].result, Some(true));
    assert_eq!(
        ours[0].comment,
        "Attempt 1: Returned a result of \"False\", with the following comment: \"Command \"./flaky\" run\"\nCommand \"./flaky\" run"
    );
    assert_eq!(fake.commands().len(), 2);
}
