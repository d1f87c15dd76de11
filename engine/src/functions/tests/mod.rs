//! Plans of each state function, from recorded facts (a fake host); the
//! `file.*` cases and the recorded runs answered as Salt answered them.

mod file_cases;
mod recorded;

use serde_json::{json, Value};

use crate::compile::Signatures;
use crate::plan::{Action, Plan};
use crate::testing::{fixture, plan, watch};
use crate::transport::fake::Fake;

/// The one file a plan writes (and nothing else).
fn only_write(p: &Plan) -> &crate::transport::WriteFile {
    let [Action::Write { file, .. }] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    file
}

fn test_comment(path: &str) -> String {
    format!("The file {path} is set to be changed\nNote: No changes made, actual changes may\nbe different due to other states.")
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_new_file_from_contents() {
    // The remote user and the owner asked for, from the path probe.
    let fx = fixture(Fake::new().answer("k() {", 0, "root\nroot\nu\tpostgres\tpostgres\n---\n"));
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
        json!({"diff": "New file", "user": "postgres", "mode": "0640"})
    );
    let w = only_write(&p);
    assert_eq!(w.content, b"hello\n");
    assert_eq!((w.mode, w.user.as_deref()), (Some(0o640), Some("postgres")));
    // Planning read the host and changed nothing on it.
    assert!(fx.fake.writes().is_empty());
    assert!(fx.fake.commands().iter().all(|c| c.starts_with("k() {")));
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
    // Salt words it one way in a test, another once run.
    assert_eq!(p.comment, "The file /etc/app.conf is in the correct state");
    assert_eq!(p.done, "File /etc/app.conf is in the correct state");
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
    let w = only_write(&p);
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
        "'source' cannot be used in combination with 'contents', 'contents_pillar', or 'contents_grains'"
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
    // Each missing directory is made and given its mode, as Salt's
    // `file.makedirs` does.
    assert_eq!(
        exec.cmd,
        "set --; d=/srv/new; while [ ! -d \"$d\" ]; do set -- \"$d\" \"$@\"; d=$(dirname -- \"$d\"); done; for d in \"$@\"; do mkdir -- \"$d\" && chmod -- 0750 \"$d\" || exit 1; done"
    );
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
    let Some(Err(err)) = super::Registry::states().parse("file.managed", &c.args_node()) else {
        panic!("accepted")
    };
    assert_eq!(err.unknown.as_ref().unwrap().0, "usr");
    assert_eq!(err.span.to_string(), "test.sls:2:1");
}

/// The path probe's answer for paths under a directory `/d` that exists:
/// `entries` are (path, kind, link target, kind followed) records.
fn paths_answer(entries: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from("root\nroot\n---\n");
    for (p, k, t, f) in entries {
        out.push_str(&format!("{p}\0{k}\0{t}\0{f}\0{p}\0root:root:644\0"));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_takes_the_first_source_the_tree_has() {
    let fx = fixture(Fake::new());
    std::fs::create_dir_all(fx.root.path().join("app/files/Debian")).unwrap();
    std::fs::write(fx.root.path().join("app/files/Debian/app.conf"), "debian\n").unwrap();
    std::fs::create_dir_all(fx.root.path().join("app/files/default")).unwrap();
    std::fs::write(
        fx.root.path().join("app/files/default/app.conf"),
        "default\n",
    )
    .unwrap();
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/app.conf\nsource: [salt://app/files/local/app.conf, salt://app/files/Debian/app.conf, salt://app/files/default/app.conf]",
    )
    .await
    .unwrap();
    let w = only_write(&p);
    assert_eq!(w.content, b"debian\n");
    let err = plan(
        &fx,
        "file.managed",
        "name: /etc/app.conf\nsource: [salt://app/nope, salt://app/neither]",
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.comment,
        "Unable to manage file: none of the specified sources were found"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_passes_unknown_keywords_to_its_template() {
    let fx = fixture(Fake::new());
    std::fs::write(
        fx.root.path().join("t.j2"),
        "{{ listen }} {{ name }} {{ mode }} {{ port }}\n",
    )
    .unwrap();
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/t\nsource: salt://t.j2\ntemplate: jinja\nmode: 640\nlisten: 0.0.0.0\ncontext: {port: 1}",
    )
    .await
    .unwrap();
    let w = only_write(&p);
    assert_eq!(
        String::from_utf8_lossy(&w.content),
        "0.0.0.0 /etc/t 0640 1\n"
    );
    // Without a template they could do nothing: refused, as typos.
    let err = plan(&fx, "file.managed", "name: /etc/t\ncontents: x\nlisten: 1")
        .await
        .unwrap_err();
    assert!(
        err.comment.starts_with("unknown field `listen`"),
        "{}",
        err.comment
    );
    // One letter away from an argument: a typo, even with a template.
    let err = plan(
        &fx,
        "file.managed",
        "name: /etc/t\nsource: salt://t.j2\ntemplate: jinja\ngrup: adm",
    )
    .await
    .unwrap_err();
    assert!(
        err.comment.starts_with("unknown field `grup`"),
        "{}",
        err.comment
    );
    let err = plan(&fx, "file.managed", "name: /etc/t\ncontents: x\nattrs: i")
        .await
        .unwrap_err();
    assert!(
        err.comment.contains("is not supported by converge"),
        "{}",
        err.comment
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_checks_new_content_and_backs_up_the_old() {
    let fx = fixture(Fake::new().file("/etc/sudoers", "old\n"));
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/sudoers\ncontents: new\ncheck_cmd: visudo -cf\ntmp_ext: .sudo\nbackup: minion",
    )
    .await
    .unwrap();
    let d = p.describe();
    assert_eq!(d.len(), 3, "{d:?}");
    assert_eq!(d[0], "check that `visudo -cf` accepts the new content");
    assert!(
        d[1].starts_with("run `d=/var/cache/salt/minion/file_backup/etc; "),
        "{}",
        d[1]
    );
    assert_eq!(d[2], "write /etc/sudoers");
    let Action::Await { check, .. } = &p.actions[0] else {
        panic!()
    };
    let probe = check.probe();
    assert!(probe.cmd.contains("visudo -cf \"$t\""), "{}", probe.cmd);
    assert_eq!(probe.stdin.as_deref(), Some(&b"new\n"[..]));
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_reads_contents_from_pillar() {
    let fx = fixture(Fake::new());
    let p = plan(
        &fx,
        "file.managed",
        "name: /etc/port\ncontents_pillar: port",
    )
    .await
    .unwrap();
    let w = only_write(&p);
    assert_eq!(w.content, b"6432\n");
    let err = plan(&fx, "file.managed", "name: /etc/x\ncontents_pillar: a:b")
        .await
        .unwrap_err();
    assert_eq!(err.comment, "Pillar a:b does not exist");
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_hides_diffs_when_asked() {
    let fx = fixture(Fake::new().file("/etc/pw", "secret=1\n"));
    for arg in ["show_changes: false", "show_diff: false"] {
        let p = plan(
            &fx,
            "file.managed",
            &format!("name: /etc/pw\ncontents: secret=2\n{arg}"),
        )
        .await
        .unwrap();
        assert_eq!(p.changes["diff"], json!("<show_changes=False>"), "{arg}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn symlink_plans_from_the_path_probe() {
    let fx = fixture(Fake::new().answer(
        "k() {",
        0,
        &paths_answer(&[("/d/l", "l", "/old", "f"), ("/d", "d", "", "d")]),
    ));
    let p = plan(&fx, "file.symlink", "name: /d/l\ntarget: /new")
        .await
        .unwrap();
    assert_eq!(Value::Object(p.changes.clone()), json!({"change": "/d/l"}));
    assert_eq!(p.comment, "Link /d/l target is set to be changed to /new");
    assert_eq!(
        p.describe(),
        ["run `rm -f -- /d/l`", "run `ln -sT -- /new /d/l`"]
    );
    assert_eq!(p.done, "Created new symlink /d/l -> /new");
    assert_eq!(
        Value::Object(p.applied.clone().unwrap()),
        json!({"new": "/d/l"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn line_editors_plan_a_backup_and_a_write() {
    let conf = "listen = a\nport = 5432\n";
    let fx = fixture(Fake::new().file_with("/etc/pg.conf", conf, 0o640, "postgres", "postgres"));
    let p = plan(
        &fx,
        "file.replace",
        "name: /etc/pg.conf\npattern: '^port = (\\d+)'\nrepl: 'port = 6432 # \\1'",
    )
    .await
    .unwrap();
    assert_eq!(p.comment, "Changes would have been made");
    assert_eq!(
        p.changes["diff"],
        json!("--- \n+++ \n@@ -1,2 +1,2 @@\n listen = a\n-port = 5432\n+port = 6432 # 5432\n")
    );
    assert_eq!(
        p.describe(),
        [
            "run `cp --preserve=mode,timestamps -- /etc/pg.conf /etc/pg.conf.bak`",
            "write /etc/pg.conf"
        ]
    );
    // The write keeps the file's owner and mode.
    let Action::Write { file: w, .. } = &p.actions[1] else {
        panic!()
    };
    assert_eq!((w.user.as_ref(), w.mode), (None, None));

    let p = plan(
        &fx,
        "file.comment",
        "name: /etc/pg.conf\nregex: ^port\nbackup: false",
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(p.changes.clone()),
        json!({"/etc/pg.conf": "updated"})
    );
    assert_eq!(
        p.applied.as_ref().unwrap()["diff"],
        json!("--- \n+++ \n@@ -1,2 +1,2 @@\n listen = a\n-port = 5432\n+#port = 5432\n")
    );
    let p = plan(
        &fx,
        "file.blockreplace",
        "name: /etc/pg.conf\nmarker_start: '# BEGIN'\nmarker_end: '# END'\ncontent: 'x = 1'\nappend_if_not_found: true",
    )
    .await
    .unwrap();
    assert_eq!(p.comment, "Changes would be made");
    let Action::Write { file: w, .. } = &p.actions[1] else {
        panic!()
    };
    assert_eq!(
        String::from_utf8_lossy(&w.content),
        format!("{conf}# BEGIN\nx = 1\n# END\n")
    );
    let p = plan(
        &fx,
        "file.append",
        "name: /etc/pg.conf\ntext: [port = 5432, 'a = b']",
    )
    .await
    .unwrap();
    let w = only_write(&p);
    assert_eq!(
        String::from_utf8_lossy(&w.content),
        format!("{conf}a = b\n")
    );
    assert_eq!(p.done, "Appended 1 lines");
}

#[tokio::test(flavor = "multi_thread")]
async fn directory_recurse_plans_each_entry_from_the_walk() {
    let walk = "d\x00d\x00755\x00root\x00root\x00conf.d\x00f\x00f\x00644\x00root\x00root\x00conf.d/a.conf\x00f\x00f\x00600\x00postgres\x00postgres\x00pg_hba.conf\x00";
    let fx = fixture(
        Fake::new()
            .dir("/etc/pg")
            .dir("/etc")
            .answer("k() {", 0, "root\nroot\nu\tpostgres\tpostgres\ng\tpostgres\ty\n---\n/etc/pg\0d\0\0d\0/etc/pg\0root:root:755\0/etc\0d\0\0d\0/etc\0root:root:755\0")
            .answer("find -P", 0, walk),
    );
    let p = plan(
        &fx,
        "file.directory",
        "name: /etc/pg\nuser: postgres\ngroup: postgres\nrecurse: [user, group]",
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(p.changes.clone()),
        json!({
            "/etc/pg/conf.d": {"user": "postgres", "group": "postgres"},
            "/etc/pg/conf.d/a.conf": {"user": "postgres", "group": "postgres"},
            "/etc/pg": {"user": "postgres", "group": "postgres"}
        })
    );
    assert_eq!(
        p.describe(),
        [
            "run `chown -- postgres:postgres /etc/pg`",
            "run `chown -- postgres:postgres /etc/pg/conf.d`",
            "run `chown -- postgres:postgres /etc/pg/conf.d/a.conf`"
        ]
    );
    let applied = p.applied.unwrap();
    assert_eq!(
        (applied["user"].clone(), applied["group"].clone()),
        (json!("postgres"), json!("postgres"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn recurse_nests_what_each_file_and_directory_would_do() {
    let fx = fixture(Fake::new().dir("/srv"));
    std::fs::create_dir_all(fx.root.path().join("site/sub")).unwrap();
    std::fs::write(fx.root.path().join("site/a"), "a={{ x }}\n").unwrap();
    std::fs::write(fx.root.path().join("site/sub/b"), "b\n").unwrap();
    let p = plan(
        &fx,
        "file.recurse",
        "name: /srv/site\nsource: salt://site\ntemplate: jinja\ndefaults: {x: 1}",
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(p.changes.clone()),
        json!({
            "/srv/site": {"/srv/site": {"directory": "new"}},
            "/srv/site/sub": {"/srv/site/sub": {"directory": "new"}},
            "/srv/site/a": {"newfile": "/srv/site/a"},
            "/srv/site/sub/b": {"newfile": "/srv/site/sub/b"}
        })
    );
    // Made once applied: not the directory itself, made first.
    let applied = p.applied.clone().unwrap();
    assert!(!applied.contains_key("/srv/site"));
    assert_eq!(
        applied["/srv/site/a"],
        json!({"diff": "New file", "mode": "0644"})
    );
    let written: Vec<String> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Write { file, .. } => Some(format!(
                "{}={}",
                file.path,
                String::from_utf8_lossy(&file.content)
            )),
            _ => None,
        })
        .collect();
    assert_eq!(written, ["/srv/site/a=a=1\n", "/srv/site/sub/b=b\n"]);
    assert_eq!(p.done, "Recursively updated /srv/site");
}

#[test]
fn wrong_values_of_managed_point_at_their_key() {
    let c = crate::testing::chunk("file.managed", "name: /x\ncontents: y\nmode: rw");
    let Some(Err(err)) = super::Registry::states().parse("file.managed", &c.args_node()) else {
        panic!("accepted")
    };
    assert_eq!(err.span.to_string(), "test.sls:3:1");
    assert_eq!(err.path, "mode");
    let c = crate::testing::chunk(
        "file.managed",
        "name: /x\nsource: salt://t\ntemplate: jinja\nusr: root",
    );
    let Some(Err(err)) = super::Registry::states().parse("file.managed", &c.args_node()) else {
        panic!("accepted")
    };
    assert_eq!(err.unknown.as_ref().unwrap().0, "usr");
    assert_eq!(err.span.to_string(), "test.sls:4:1");
}
