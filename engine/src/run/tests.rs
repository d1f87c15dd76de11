//! The executor on whole trees against a fake host: order, requisites,
//! checks, test mode, mod_watch, failhard.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::compile::Graph;
use crate::testing::TestTree;
use crate::transport::fake::{Call, Fake};

struct World {
    fake: Arc<Fake>,
    host: Host,
    graph: Graph,
    _tree: TestTree,
}

/// `sls` as `demo.sls` of a fresh tree, compiled for a host backed by `fake`.
fn world(sls: &str, fake: Fake) -> World {
    let tree = TestTree::new(&[("demo.sls", sls)]);
    let graph = tree.compile("demo").unwrap();
    let fake = Arc::new(fake);
    let host = Host::new(
        "h",
        fake.clone(),
        Arc::clone(&tree.tree),
        "base",
        tree.render.clone(),
    );
    World {
        fake,
        host,
        graph,
        _tree: tree,
    }
}

async fn run_world(w: &World, test: bool) -> Vec<StateResult> {
    run(
        &w.graph,
        &w.host,
        &crate::functions::Registry::states(),
        Options::test(test),
    )
    .await
}

fn summary(results: &[StateResult]) -> Vec<(String, Option<bool>, String)> {
    results
        .iter()
        .map(|r| (r.state.id.clone(), r.result, r.comment.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_require_skips_dependents_down_the_chain() {
    let w = world(
        "bad:\n  test.fail_without_changes: []\nmid:\n  test.nop:\n    - require:\n      - test: bad\nend:\n  test.nop:\n    - require:\n      - mid\n",
        Fake::new(),
    );
    let s = summary(&run_world(&w, false).await);
    assert_eq!(
        s[1],
        (
            "mid".into(),
            Some(false),
            "One or more requisite failed: demo.bad".into()
        )
    );
    assert_eq!(
        s[2],
        (
            "end".into(),
            Some(false),
            "One or more requisite failed: demo.mid".into()
        )
    );
    assert_eq!(s[0].2, "Failure!");
}

#[tokio::test(flavor = "multi_thread")]
async fn onchanges_runs_only_when_a_target_changed_in_test_mode_too() {
    let sls = "/etc/app.conf:\n  file.managed:\n    - contents: new\nreload:\n  cmd.run:\n    - name: kill -HUP 1\n    - onchanges:\n      - file: /etc/app.conf\nquiet:\n  cmd.run:\n    - name: echo never\n    - onchanges:\n      - reload_never\nreload_never:\n  test.nop: []\n";
    let w = world(sls, Fake::new().file("/etc/app.conf", "old\n"));
    let r = run_world(&w, true).await;
    assert_eq!(r[0].result, None);
    assert_eq!(r[1].result, None, "{:?}", r[1]);
    assert_eq!(
        r[1].comment,
        "Command \"kill -HUP 1\" would have been executed"
    );
    let quiet = r.iter().find(|x| x.state.id == "quiet").unwrap();
    assert_eq!(
        quiet.comment,
        "State was not run because none of the onchanges reqs changed"
    );
    // Test mode wrote nothing and ran nothing.
    assert!(w.fake.writes().is_empty());
    assert!(w.fake.commands().is_empty());

    let w = world(sls, Fake::new().file("/etc/app.conf", "new\n"));
    let r = run_world(&w, false).await;
    assert_eq!(
        r[1].comment,
        "State was not run because none of the onchanges reqs changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn onfail_runs_only_after_a_failure() {
    let w = world(
        "a:\n  test.fail_without_changes: []\nrescue:\n  test.succeed_with_changes:\n    - onfail:\n      - test: a\nok:\n  test.nop: []\nidle:\n  test.succeed_with_changes:\n    - onfail:\n      - test: ok\n",
        Fake::new(),
    );
    let r = run_world(&w, false).await;
    let by = |id: &str| r.iter().find(|x| x.state.id == id).unwrap().clone();
    assert_eq!(by("rescue").result, Some(true));
    assert_eq!(by("rescue").comment, "Success!");
    assert_eq!(
        by("idle").comment,
        "State was not run because onfail req did not change"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_reloads_a_running_service_when_its_file_changed() {
    let sls = "/etc/pgbouncer/pgbouncer.ini:\n  file.managed:\n    - contents: x\npgbouncer:\n  service.running:\n    - reload: True\n    - watch:\n      - file: /etc/pgbouncer/pgbouncer.ini\n";
    let fake = Fake::new().answer(
        "if [ -d /run/systemd/system ]",
        0,
        "sysv\npresent\nrunning\nenabled\n",
    );
    let w = world(sls, fake);
    let r = run_world(&w, true).await;
    assert_eq!(
        (r[1].result, r[1].comment.as_str()),
        (None, "Service is set to be reloaded")
    );
    let r = run_world(&w, false).await;
    assert_eq!(
        (r[1].result, r[1].comment.as_str()),
        (Some(true), "Service reloaded")
    );
    assert!(w
        .fake
        .commands()
        .iter()
        .any(|c| c == "service pgbouncer reload"));
    // The file is in place now: a second run leaves the service alone.
    let r = run_world(&w, false).await;
    assert_eq!(r[1].comment, "The service pgbouncer is already running");
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_run_in_test_mode_and_skip() {
    let fake = Fake::new()
        .answer("test -e /gone", 1, "")
        .answer("test -e /here", 0, "");
    let w = world(
        "a:\n  cmd.run:\n    - name: echo a\n    - onlyif: test -e /gone\nb:\n  cmd.run:\n    - name: echo b\n    - unless: test -e /here\nc:\n  cmd.run:\n    - name: echo c\n    - creates: /etc/passwd-not-there\n",
        fake.file("/etc/passwd-not-there", "x"),
    );
    let r = run_world(&w, true).await;
    assert_eq!(
        summary(&r).iter().map(|s| s.2.as_str()).collect::<Vec<_>>(),
        [
            "onlyif condition is false",
            "unless condition is true",
            "/etc/passwd-not-there exists"
        ]
    );
    assert_eq!(w.fake.commands(), ["test -e /gone", "test -e /here"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn cmd_run_reports_salts_changes_and_fails_on_nonzero() {
    let fake = Fake::new()
        .answer("echo hi", 0, "hi\n")
        .answer("false", 1, "");
    let w = world(
        "hello:\n  cmd.run:\n    - name: echo hi\nnope:\n  cmd.run:\n    - name: 'false'\n",
        fake,
    );
    let r = run_world(&w, false).await;
    assert_eq!(
        serde_json::Value::Object(r[0].changes.clone()),
        json!({"pid": 4242, "retcode": 0, "stderr": "", "stdout": "hi"})
    );
    assert_eq!(
        (r[1].result, r[1].comment.as_str()),
        (Some(false), "Command \"false\" run")
    );
    assert_eq!(r[1].changes["retcode"], json!(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn prereq_runs_before_a_state_that_would_change() {
    let sls = "/etc/app.conf:\n  file.managed:\n    - contents: new\ndrain:\n  cmd.run:\n    - name: echo drain\n    - prereq:\n      - file: /etc/app.conf\n";
    let w = world(sls, Fake::new().file("/etc/app.conf", "old\n"));
    let r = run_world(&w, false).await;
    assert_eq!(
        r.iter().map(|x| x.state.id.as_str()).collect::<Vec<_>>(),
        ["drain", "/etc/app.conf"]
    );
    assert_eq!(r[0].comment, "Command \"echo drain\" run");
    let calls = w.fake.calls();
    let exec_at = calls
        .iter()
        .position(|c| matches!(c, Call::Exec(e) if e.cmd == "echo drain"))
        .unwrap();
    let write_at = calls
        .iter()
        .position(|c| matches!(c, Call::Write(_)))
        .unwrap();
    assert!(exec_at < write_at);
    let r = run_world(&w, false).await;
    assert_eq!(r[0].comment, "No changes detected");
}

#[tokio::test(flavor = "multi_thread")]
async fn failhard_stops_the_run() {
    let w = world(
        "a:\n  test.fail_without_changes:\n    - failhard: True\nb:\n  test.nop: []\n",
        Fake::new(),
    );
    assert_eq!(run_world(&w, false).await.len(), 1);
    // Not in test mode.
    assert_eq!(run_world(&w, true).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn second_run_changes_nothing() {
    let w = world("/etc/a:\n  file.managed:\n    - contents: a\n/etc/b:\n  file.managed:\n    - contents: b\n    - mode: 600\n", Fake::new());
    let first = run_world(&w, false).await;
    assert!(first.iter().all(|r| r.result == Some(true) && r.changed()));
    let second = run_world(&w, false).await;
    assert!(
        second
            .iter()
            .all(|r| r.result == Some(true) && !r.changed()),
        "{second:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_command_the_next_files_are_read_in_one_batch() {
    let w = world(
        "first:\n  cmd.run:\n    - name: echo hi\n/a:\n  file.managed:\n    - contents: a\n/b:\n  file.managed:\n    - contents: b\n/c:\n  file.managed:\n    - contents: c\n",
        Fake::new(),
    );
    run_world(&w, false).await;
    let reads: Vec<Vec<String>> = w
        .fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::Read(p) => Some(p),
            _ => None,
        })
        .collect();
    // The prefetch, then one read after the command for what is left.
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert_eq!(reads[1], ["/a", "/b", "/c"]);
}
