//! Plans of each state function, from recorded facts (a fake host).

use serde_json::json;

use crate::compile::Signatures;
use crate::plan::Action;
use crate::testing::{fixture, plan, watch};
use crate::transport::fake::Fake;

fn test_comment(path: &str) -> String {
    format!("The file {path} is set to be changed\nNote: No changes made, actual changes may\nbe different due to other states.")
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_new_file_from_contents() {
    let fx = fixture(Fake::new());
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/app.conf\ncontents: hello\nmode: 0640\nuser: postgres",
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(p.changes.clone()),
        json!({"newfile": "/etc/app.conf"})
    );
    assert_eq!(p.comment, test_comment("/etc/app.conf"));
    assert_eq!(p.done, "File /etc/app.conf updated");
    assert_eq!(
        serde_json::Value::Object(p.applied.clone().unwrap()),
        json!({"diff": "New file", "mode": "0640"})
    );
    let [Action::Write { file: w, .. }] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    assert_eq!(w.content, b"hello\n");
    assert_eq!((w.mode, w.user.as_deref()), (Some(0o640), Some("postgres")));
    // Planning read the host and changed nothing on it.
    assert!(fx.fake.writes().is_empty());
    assert!(fx.fake.commands().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_unchanged_file_is_a_noop() {
    let fx = fixture(Fake::new().file_with("/etc/app.conf", "hello\n", 0o640, "root", "root"));
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/app.conf\ncontents: hello\nmode: '0640'",
    )
    .await
    .unwrap();
    assert!(p.is_noop());
    assert_eq!(p.comment, "File /etc/app.conf is in the correct state");
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_changed_content_has_salts_diff() {
    let fx = fixture(Fake::new().file("/etc/app.conf", "hello\n"));
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/app.conf\ncontents: |\n  line1\n  hello3\n",
    )
    .await
    .unwrap();
    assert_eq!(
        p.changes["diff"],
        json!("--- \n+++ \n@@ -1 +1,2 @@\n-hello\n+line1\n+hello3\n")
    );
    assert!(p.applied.is_none());
    assert!(matches!(p.actions.as_slice(), [Action::Write { .. }]));
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_mode_drift_alone_is_fixed_in_place() {
    let fx = fixture(Fake::new().file_with("/etc/app.conf", "x\n", 0o644, "root", "root"));
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/app.conf\ncontents: x\nmode: 600",
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(p.changes.clone()),
        json!({"mode": "0600"})
    );
    let [Action::Run { exec, .. }] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    assert_eq!(exec.cmd, "chmod -- 0600 /etc/app.conf");
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_renders_templates_with_context_over_defaults() {
    let fx = fixture(Fake::new());
    std::fs::create_dir_all(fx.root.path().join("pg")).unwrap();
    std::fs::write(
        fx.root.path().join("pg/b.ini.j2"),
        "port = {{ pillar.port }}\nhost = {{ host }}\nwho = {{ who }}\n",
    )
    .unwrap();
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/b.ini\nsource: salt://pg/b.ini.j2\ntemplate: jinja\ndefaults: {host: a, who: d}\ncontext: {host: b}",
    )
    .await
    .unwrap();
    let [Action::Write { file: w, .. }] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    assert_eq!(
        String::from_utf8_lossy(&w.content),
        "port = 6432\nhost = b\nwho = d\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_template_error_fails_only_this_state() {
    let fx = fixture(Fake::new());
    std::fs::write(fx.root.path().join("bad.j2"), "x = {{ nope }}\n").unwrap();
    let err = plan(
        &fx,
        "file.managed",
        "name: /etc/x\nsource: salt://bad.j2\ntemplate: jinja",
    )
    .await
    .unwrap_err();
    assert!(
        err.comment.starts_with("Unable to manage file: "),
        "{}",
        err.comment
    );
    assert!(err.comment.contains("bad.j2:1"), "{}", err.comment);
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_refuses_source_and_contents_together() {
    let fx = fixture(Fake::new());
    let err = plan(
        &fx,
        "file.managed",
        "name: /etc/x\nsource: salt://x\ncontents: y",
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.comment,
        "'source' cannot be used in combination with 'contents'"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn absent_and_directory() {
    let fx = fixture(Fake::new().file("/tmp/gone", "x").dir("/srv/d"));
    let p = plan(&fx, "file.absent", "name: /tmp/gone").await.unwrap();
    assert_eq!(p.comment, "File /tmp/gone is set for removal");
    assert_eq!(p.done, "Removed file /tmp/gone");
    let p = plan(&fx, "file.absent", "name: /tmp/never").await.unwrap();
    assert!(p.is_noop());
    assert_eq!(p.comment, "File /tmp/never is not present");
    let p = plan(&fx, "file.directory", "name: /srv/d").await.unwrap();
    assert_eq!(p.comment, "The directory /srv/d is in the correct state");
    let p = plan(
        &fx,
        "file.directory",
        "name: /srv/new\nmode: 750\nmakedirs: true",
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(p.changes.clone()),
        json!({"/srv/new": {"directory": "new"}})
    );
    let [Action::Run { exec, .. }] = p.actions.as_slice() else {
        panic!()
    };
    assert_eq!(exec.cmd, "mkdir -p -- /srv/new && chmod -- 0750 /srv/new");
}

#[tokio::test(flavor = "multi_thread")]
async fn cmd_run_always_runs_and_wait_only_on_watch() {
    let fx = fixture(Fake::new());
    let p = plan(
        &fx,
        "cmd.run",
        "name: echo hi\nrunas: postgres\ncwd: /tmp\nenv: [{A: '1'}]",
    )
    .await
    .unwrap();
    assert_eq!(p.comment, "Command \"echo hi\" would have been executed");
    assert_eq!(p.done, "Command \"echo hi\" run");
    let [Action::Run {
        exec,
        capture: true,
        ..
    }] = p.actions.as_slice()
    else {
        panic!()
    };
    assert_eq!(
        (exec.runas.as_deref(), exec.cwd.as_deref()),
        (Some("postgres"), Some("/tmp"))
    );
    assert_eq!(exec.env, vec![("A".to_string(), "1".to_string())]);
    assert!(plan(&fx, "cmd.wait", "name: echo hi")
        .await
        .unwrap()
        .is_noop());
    assert!(watch(&fx, "cmd.wait", "name: echo hi")
        .await
        .unwrap()
        .is_some());
}

fn service_host(probe: &str) -> Fake {
    Fake::new().answer("if [ -d /run/systemd/system ]", 0, probe)
}

#[tokio::test(flavor = "multi_thread")]
async fn service_running_on_init_scripts() {
    let fx = fixture(service_host("sysv\npresent\nstopped\nenabled\n"));
    let p = plan(&fx, "service.running", "name: pgbouncer\nenable: true")
        .await
        .unwrap();
    assert_eq!(p.comment, "Service pgbouncer is set to start");
    // Salt's words once started with `enable` that was already so.
    assert_eq!(
        p.done,
        "Service pgbouncer is already enabled, and is running"
    );
    let cmds = p.describe();
    assert_eq!(
        cmds,
        [
            "run `service pgbouncer start`",
            "run `service pgbouncer status >/dev/null 2>&1`"
        ]
    );

    let fx = fixture(service_host("sysv\npresent\nrunning\nenabled\n"));
    let p = plan(
        &fx,
        "service.running",
        "name: pgbouncer\nenable: true\nreload: true",
    )
    .await
    .unwrap();
    assert_eq!(p.comment, "The service pgbouncer is already running");
    let w = watch(&fx, "service.running", "name: pgbouncer\nreload: true")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (w.comment.as_str(), w.done.as_str()),
        ("Service is set to be reloaded", "Service reloaded")
    );
    let w = watch(&fx, "service.running", "name: pgbouncer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.done, "Service restarted");
}

#[tokio::test(flavor = "multi_thread")]
async fn service_on_systemd_and_missing_services() {
    let fx = fixture(service_host("systemd\npresent\nrunning\ndisabled\n"));
    let p = plan(&fx, "service.running", "name: nginx\nenable: true")
        .await
        .unwrap();
    assert_eq!(p.comment, "Service nginx set to be enabled");
    assert_eq!(p.describe(), ["run `systemctl enable -- nginx`"]);
    let p = plan(&fx, "service.dead", "name: nginx").await.unwrap();
    assert_eq!(p.done, "Service nginx was killed");
    let fx = fixture(service_host("sysv\nabsent\nstopped\ndisabled\n"));
    // Not there (yet): a test run says what an earlier state would allow,
    // the real run fails with Salt's words when it is still not there.
    let p = plan(&fx, "service.running", "name: nope").await.unwrap();
    assert_eq!(
        p.comment,
        "Service nope not present; if created in this state run, it would have been started"
    );
    let [Action::Await { check, .. }] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    assert_eq!(
        check.judge(&crate::facts::recorded("sysv\nabsent\nstopped\ndisabled\n")),
        crate::plan::Verdict::Pending("The named service nope is not available".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pkg_installed_from_dpkg_facts() {
    let fx = fixture(Fake::new().answer(
        "dpkg --print-architecture",
        0,
        "amd64\ninstall ok installed pgbouncer 1.18.0-1 amd64\n",
    ));
    let p = plan(&fx, "pkg.installed", "name: pgbouncer").await.unwrap();
    assert_eq!(p.comment, "All specified packages are already installed");
    let p = plan(&fx, "pkg.installed", "name: x\npkgs: [pgbouncer, tini]")
        .await
        .unwrap();
    assert_eq!(
        p.comment,
        "The following packages would be installed/updated: tini"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn test_states_fail_and_succeed_on_demand() {
    let fx = fixture(Fake::new());
    let p = plan(&fx, "test.fail_without_changes", "name: x")
        .await
        .unwrap();
    assert_eq!(p.comment, "If we weren't testing, this would be a failure!");
    assert!(matches!(p.actions.as_slice(), [Action::Fail(c)] if c == "Failure!"));
    let p = plan(&fx, "test.succeed_with_changes", "name: x")
        .await
        .unwrap();
    assert_eq!(p.done, "Success!");
    assert!(p.changes.contains_key("testing"));
}

#[test]
fn unknown_arguments_are_refused_with_their_key() {
    let c = crate::testing::chunk("file.managed", "name: /x\nusr: root");
    let err = match super::Registry::states().parse("file.managed", &c.args_node()) {
        Some(Err(e)) => e,
        _ => panic!("accepted"),
    };
    assert_eq!(err.unknown.as_ref().unwrap().0, "usr");
    assert_eq!(err.span.to_string(), "test.sls:2:1");
}
