//! The command line on temporary trees with a local host: the contract's
//! commands, Salt's output, idempotence, test mode, exit codes.

mod support;

use support::{listing, Test};

/// A tree in the seed's spirit that runs anywhere: files rendered from
/// pillar, a command guarded by `onlyif`, a reload on `onchanges`.
fn site() -> Test {
    Test::new()
        .top(&["app"])
        .file("pillar/top.sls", "base:\n  '*':\n    - globals\n")
        .file("pillar/globals.sls", "postgres:\n  writer: pgdb1\n  query: pgdb2\nport: 6432\n")
        .file(
            "states/app/init.sls",
            r#"{% set out = '{root}/out' %}
{{ out }}:
  file.directory: []

{{ out }}/pgbouncer.ini:
  file.managed:
    - source: salt://app/pgbouncer.ini.j2
    - template: jinja
    - mode: 0640
    - require:
      - file: {{ out }}

{{ out }}/standby.conf:
  file.managed:
    - contents: "primary_conninfo = 'host={{ pillar['postgres']['writer'] }}'"
    - require:
      - file: {{ out }}

promote:
  cmd.run:
    - name: touch {{ out }}/promoted
    - onlyif: test -e {{ out }}/standby.signal

reload:
  cmd.run:
    - name: echo reloaded >> {{ out }}/reloads
    - onchanges:
      - file: {{ out }}/pgbouncer.ini
"#,
        )
        .file(
            "states/app/pgbouncer.ini.j2",
            "[databases]\n{% if grains['id'] == pillar['postgres']['writer'] %}app = host=/var/run/postgresql\n{% else %}* = host={{ pillar['postgres']['writer'] }}\n{% endif %}\n[pgbouncer]\nlisten_port = {{ pillar['port'] }}\n",
        )
}

#[test]
fn test_mode_on_a_fresh_root_reports_every_file_new_and_changes_nothing() {
    let t = site();
    let before = listing(t.root());
    let out = t.run_with(&["highstate", "local", "--test"]);
    out.code(0)
        .stdout_has("Result: None")
        .stdout_has(
            "newfile:\n                  {root}/out/pgbouncer.ini"
                .replace("{root}", &t.root().display().to_string())
                .as_str(),
        )
        .stdout_has("Comment: The following files will be changed:")
        .stdout_has("Comment: onlyif condition is false")
        .stdout_has("Command \"echo reloaded >>");
    assert_eq!(listing(t.root()), before, "a test run wrote something");
}

#[test]
fn real_run_converges_then_changes_nothing_and_pillar_edits_show_diffs() {
    let t = site();
    let first = t.run_with(&["highstate", "local"]);
    first.code(0);
    assert_eq!(first.succeeded_line(), "Succeeded: 5 (changed=4)");
    assert_eq!(first.read("out/reloads").as_deref(), Some("reloaded\n"));
    assert!(first
        .read("out/pgbouncer.ini")
        .unwrap()
        .contains("* = host=pgdb1"));
    let mode = std::fs::metadata(t.root().join("out/pgbouncer.ini")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o640
    );

    let second = t.run_with(&["highstate", "local"]);
    second.code(0);
    assert_eq!(second.succeeded_line(), "Succeeded: 5");
    assert_eq!(
        second.read("out/reloads").as_deref(),
        Some("reloaded\n"),
        "reloaded without a change"
    );

    // Failover in pillar: exactly the two files that mention the writer differ.
    let t = t.file(
        "pillar/globals.sls",
        "postgres:\n  writer: local\n  query: pgdb1\nport: 6432\n",
    );
    let before = listing(t.root());
    let test = t.run_with(&["highstate", "local", "--test", "--out", "json"]);
    test.code(0);
    let states = test.json()["local"].as_object().unwrap().clone();
    let changed: Vec<&str> = states
        .values()
        .filter(|s| s["result"].is_null())
        .map(|s| s["__id__"].as_str().unwrap())
        .collect();
    let root = t.root().display().to_string();
    assert_eq!(changed.len(), 3, "{changed:?}");
    assert!(changed.contains(&format!("{root}/out/pgbouncer.ini").as_str()));
    assert!(changed.contains(&format!("{root}/out/standby.conf").as_str()));
    assert!(changed.contains(&"reload"));
    let ini = states
        .values()
        .find(|s| s["__id__"] == format!("{root}/out/pgbouncer.ini"))
        .unwrap();
    assert_eq!(
        ini["changes"]["diff"],
        "--- \n+++ \n@@ -1,5 +1,5 @@\n [databases]\n-* = host=pgdb1\n+app = host=/var/run/postgresql\n \n [pgbouncer]\n listen_port = 6432\n"
    );
    assert_eq!(listing(t.root()), before);
}

#[test]
fn json_output_has_salts_shape() {
    let t = Test::new().top(&["app"]).file(
        "states/app.sls",
        "hello:\n  cmd.run:\n    - name: echo hi\n",
    );
    let out = t.run_with(&["highstate", "local", "--out", "json"]);
    out.code(0);
    let v = out.json();
    let rec = &v["local"]["cmd_|-hello_|-echo hi_|-run"];
    assert_eq!(rec["__id__"], "hello");
    assert_eq!(rec["__sls__"], "app");
    assert_eq!(rec["name"], "echo hi");
    assert_eq!(rec["result"], true);
    assert_eq!(rec["comment"], "Command \"echo hi\" run");
    assert_eq!(rec["changes"]["stdout"], "hi");
    assert_eq!(rec["changes"]["retcode"], 0);
    assert_eq!(rec["__run_num__"], 0);
    assert!(rec["duration"].is_f64());
    assert_eq!(rec["start_time"].as_str().unwrap().len(), 15);
}

#[test]
fn a_failing_state_exits_2_and_test_mode_fails_on_known_failures() {
    let t = Test::new()
        .top(&["app"])
        .file("states/app.sls", "bad:\n  cmd.run:\n    - name: exit 3\nafter:\n  test.nop:\n    - require:\n      - cmd: bad\n");
    let out = t.run_with(&["highstate", "local"]);
    out.code(2)
        .stdout_has("Comment: One or more requisite failed: app.bad")
        .stdout_has("Failed:    2");
    // In a test run the command would run: nothing fails yet.
    t.run_with(&["highstate", "local", "--test"]).code(0);
    let t = t.file("states/app.sls", "x:\n  test.fail_without_changes: []\n");
    t.run_with(&["highstate", "local", "--test"]).code(2);
}

#[test]
fn sls_pillar_override_and_the_pillar_command() {
    let t = Test::new()
        .file("pillar/top.sls", "base:\n  '*':\n    - globals\n")
        .file(
            "pillar/globals.sls",
            "postgres:\n  writer: pgdb1\n  port: 5432\n",
        )
        .file(
            "states/one.sls",
            "{root}/one:\n  file.managed:\n    - contents: {{ pillar['postgres']['writer'] }}\n",
        )
        .file(
            "states/two.sls",
            "{root}/two:\n  file.managed:\n    - contents: two\n",
        );
    let out = t.run_with(&[
        "sls",
        "local",
        "one,two",
        "--pillar",
        "{\"postgres\": {\"writer\": \"pgdb2\"}}",
    ]);
    out.code(0);
    assert_eq!(out.read("one").as_deref(), Some("pgdb2\n"));
    assert_eq!(out.read("two").as_deref(), Some("two\n"));
    let p = t.run_with(&["pillar", "local", "--pillar", "{\"extra\": [1, 2]}"]);
    p.code(0);
    assert_eq!(
        p.stdout,
        "local:\n  postgres:\n    writer: pgdb1\n    port: 5432\n  extra:\n    - 1\n    - 2\n"
    );
    t.run_with(&["sls", "local", "nope"])
        .code(1)
        .stderr_has("No matching sls found for 'nope' in env 'base'");
}

#[test]
fn show_prints_run_order_and_dot() {
    let t = Test::new().top(&["app"]).file(
        "states/app.sls",
        "b:\n  test.nop:\n    - require:\n      - test: a\na:\n  test.nop: []\n",
    );
    let out = t.run_with(&["show", "local"]);
    out.code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "local:");
    assert!(lines[1].contains("1. test.nop a"), "{}", out.stdout);
    assert!(lines[2].contains("2. test.nop b"), "{}", out.stdout);
    assert!(lines[3].contains("require: test.nop a"), "{}", out.stdout);
    let dot = t.run_with(&["show", "local", "--format", "dot"]);
    dot.code(0)
        .stdout_has("digraph states")
        .stdout_has("[label=\"require\"]");
}

#[test]
fn run_prints_each_hosts_output_and_exit_code() {
    let t = Test::new().file(
        "roster.yaml",
        "a:\n  connection: local\nb:\n  connection: local\n",
    );
    let out = t.run_with(&["run", "*", "--", "echo", "$((6*7))"]);
    out.code(0);
    assert_eq!(
        out.stdout.matches("stdout:\n        42\n").count(),
        2,
        "{}",
        out.stdout
    );
    let out = t.run_with(&[
        "--out",
        "json",
        "run",
        "a",
        "--",
        "echo out; echo err >&2; exit 4",
    ]);
    out.code(2);
    assert_eq!(out.json()["a"]["retcode"], 4);
    assert_eq!(out.json()["a"]["stderr"], "err");
}

/// The seed's own tree (tests/fixtures/seed-salt-tree), paths pointed into
/// a temporary root: it renders and compiles for both hosts, in Salt's order.
#[test]
fn the_seed_tree_compiles_for_both_hosts_in_salts_order() {
    let seed =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/seed-salt-tree");
    let read = |p: &str| {
        std::fs::read_to_string(seed.join(p))
            .unwrap()
            .replace("/pg_data", "{root}/pg_data")
            .replace("/etc/pgbouncer", "{root}/etc/pgbouncer")
    };
    let t = Test::new()
        .file(
            "roster.yaml",
            "pgdb1:\n  connection: local\npgdb2:\n  connection: local\n",
        )
        .file("states/top.sls", &read("top.sls"))
        .file(
            "states/postgres/init.sls",
            &read("postgres/init.sls").replace("grains['host']", "grains['id']"),
        )
        .file(
            "states/postgres/pgbouncer.ini.j2",
            &read("postgres/pgbouncer.ini.j2").replace("grains['host']", "grains['id']"),
        )
        .file(
            "states/postgres/recovery.conf.j2",
            &read("postgres/recovery.conf.j2").replace("grains['host']", "grains['id']"),
        )
        .file(
            "states/postgres-failover/mydb.sls",
            &read("postgres-failover/mydb.sls"),
        )
        .file("pillar/top.sls", &read("pillar/top.sls"))
        .file("pillar/globals.sls", &read("pillar/globals.sls"));
    let out = t.run_with(&["--out", "json", "show", "pgdb*"]);
    out.code(0);
    let v = out.json();
    let ids = |h: &str| {
        v[h].as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{}.{} {}",
                    s["state"].as_str().unwrap(),
                    s["fun"].as_str().unwrap(),
                    s["__id__"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    let root = t.root().display().to_string();
    assert_eq!(
        ids("pgdb1"),
        [
            "cmd.run promote".to_string(),
            "service.running postgresql-9.5".into(),
            format!("file.managed {root}/etc/pgbouncer/pgbouncer.ini"),
            "cmd.run kill -HUP `cat /var/run/pgbouncer/pgbouncer.pid`".into(),
        ]
    );
    assert_eq!(
        ids("pgdb2")[0],
        format!("file.managed {root}/pg_data/9.5/recovery.conf")
    );
    // The recovery.conf template gets restore_cmd through `context`.
    std::fs::create_dir_all(t.root().join("pg_data/9.5")).unwrap();
    let out = t.run_with(&["sls", "pgdb2", "postgres", "--test"]);
    out.stdout_has("newfile");
    let out = t.run_with(&["--out", "json", "sls", "pgdb2", "postgres"]);
    let conf = out
        .read("pg_data/9.5/recovery.conf")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        conf.contains(&format!(
            "restore_command = 'scp pgdb1:{root}/pg_data/9.5/pg_xlog/%f \"%p\"'"
        )),
        "{conf}"
    );
    assert!(
        conf.contains("primary_conninfo = 'user=postgres host=pgdb1'"),
        "{conf}"
    );
}

#[test]
fn templates_run_commands_on_the_target_and_sls_listed_twice_run_once() {
    let t = Test::new()
        .file("states/top.sls", "base:\n  '*':\n    - a\n    - b\n  'local':\n    - a\n")
        .file("states/a.sls", "include:\n  - b\n{root}/a:\n  file.managed:\n    - contents: \"{{ salt['cmd.run']('echo from-$((40+2))') }} {{ grains['id'] }}\"\n")
        .file("states/b.sls", "{root}/b:\n  file.managed:\n    - contents: b\n    - mode: 0644\n");
    let out = t.run_with(&["highstate", "local"]);
    out.code(0);
    assert_eq!(out.succeeded_line(), "Succeeded: 2 (changed=2)");
    assert_eq!(out.read("a").as_deref(), Some("from-42 local\n"));
    let mode = std::fs::metadata(t.root().join("b")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o644
    );
}

#[test]
fn yaml_1_1_values_reach_states_as_salt_reads_them() {
    let t = Test::new().top(&["app"]).file(
        "states/app.sls",
        "{root}/f:\n  file.managed:\n    - contents: {{ [True, 'yes', 0644] | json }}\n    - makedirs: yes\n    - mode: 0640\n",
    );
    let out = t.run_with(&["highstate", "local"]);
    out.code(0);
    assert_eq!(out.read("f").as_deref(), Some("True\nyes\n644\n"));
}

/// The shipped tree, compiled (not run) for both hosts with pillar for
/// Debian's layout, for a plain PGDATA (the seed's /pg_data/15), and for
/// PostgreSQL 11's recovery.conf.
#[test]
fn the_shipped_tree_serves_debian_plain_pgdata_and_old_layouts() {
    let t = Test::shipped();
    let show = |over: &str| {
        let out = t.run_with(&["--pillar", over, "--out", "json", "show", "pgdb*"]);
        out.code(0);
        out.json()
    };
    let names = |v: &serde_json::Value, host: &str| -> Vec<String> {
        v[host]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{}.{} {}",
                    s["state"].as_str().unwrap(),
                    s["fun"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    let debian = show("{}");
    assert!(names(&debian, "pgdb2")
        .contains(&"file.managed /etc/postgresql/15/main/conf.d/standby.conf".to_string()));
    // The standby marker is the standby state's to write, once the server
    // is down; never a file state under a running primary.
    assert!(names(&debian, "pgdb2").contains(&"postgres.standby postgresql".to_string()));
    assert!(!names(&debian, "pgdb2")
        .iter()
        .any(|n| n.contains("standby.signal")));
    assert!(names(&debian, "pgdb1").contains(&"postgres.promoted promote".to_string()));
    assert!(names(&debian, "pgdb1").contains(&"pgbouncer.reloaded pgbouncer_reload".to_string()));
    // Run order: a standby's PgBouncer is pointed at the writer (and
    // reloaded) before its server is stopped, rewound or restarted (an old
    // writer back from a partition still has clients on it); the writer's
    // after its promotion.
    let order = t.run_with(&["show", "pgdb*"]);
    order.code(0);
    let at = |host: &str, what: &str| -> usize {
        let text = &order.stdout[order.stdout.find(&format!("{host}:")).expect("the host")..];
        text.lines()
            .take_while(|l| l.starts_with(' ') || l.starts_with(&format!("{host}:")))
            .position(|l| l.contains(&format!(". {what}")))
            .unwrap_or_else(|| panic!("{host}: no {what} in\n{}", order.stdout))
    };
    assert!(
        at("pgdb2", "pgbouncer.reloaded pgbouncer_reload")
            < at("pgdb2", "postgres.standby postgresql")
    );
    assert!(
        at("pgdb2", "file.managed pgbouncer_config") < at("pgdb2", "postgres.standby postgresql")
    );
    assert!(
        at("pgdb1", "postgres.promoted promote") < at("pgdb1", "file.managed pgbouncer_config")
    );

    let plain = show(
        r#"{"postgres": {"datadir": "/pg_data/15", "confdir": "/pg_data/15", "bindir": "/usr/pgsql-15/bin"}}"#,
    );
    let q = names(&plain, "pgdb2");
    assert!(
        q.contains(&"file.managed /pg_data/15/conf.d/standby.conf".to_string()),
        "{q:?}"
    );
    assert!(
        q.contains(&"postgres.standby postgresql".to_string()),
        "{q:?}"
    );
    assert!(
        q.iter()
            .any(|n| n.contains(">> /pg_data/15/postgresql.conf")),
        "{q:?}"
    );

    let old = show(
        r#"{"postgres": {"version": "11", "datadir": "/pg_data/11", "confdir": "/pg_data/11"}}"#,
    );
    let q = names(&old, "pgdb2");
    assert!(
        q.contains(&"file.managed /pg_data/11/recovery.conf".to_string()),
        "{q:?}"
    );
    assert!(!q.iter().any(|n| n.contains("standby.signal")), "{q:?}");

    // A pillar naming one host as both: refused, with the place.
    let out = t.run_with(&[
        "--pillar",
        r#"{"postgres": {"query": "pgdb1"}}"#,
        "show",
        "pgdb1",
    ]);
    out.code(1)
        .stderr_has("both name pgdb1")
        .stderr_has("postgres/map.jinja:");
}

#[test]
fn a_failover_naming_a_host_outside_the_roster_is_refused_before_anything_runs() {
    let t = Test::shipped();
    let over = r#"{"postgres": {"writer": "pgdb9", "query": "pgdb1"}}"#;
    let out = t.run_with(&["--pillar", over, "orchestrate", "failover"]);
    out.code(1)
        .stderr_has("both must be in the roster (pgdb1, pgdb2)")
        .stderr_has("failover.sls:");
    assert!(out.stdout.is_empty());
}

/// A `salt://` source that does not exist fails that state only, with
/// Salt's comment; the other states run (as in Salt, whose formulas rely
/// on it: an example pillar may name a key file that is not there).
#[test]
fn a_missing_source_fails_its_state_only() {
    let t = Test::new()
        .file(
            "states/top.sls",
            "base:\n  '*':\n    - app\n",
        )
        .file(
            "states/app.sls",
            "{root}/missing:\n  file.managed:\n    - source: salt://nowhere/x.j2\n{root}/here:\n  file.managed:\n    - contents: hi\n",
        );
    let out = t.run_with(&["--out", "json", "highstate", "local"]);
    out.code(2);
    let v = out.json();
    let states = v["local"].as_object().unwrap();
    let missing = states
        .values()
        .find(|s| s["__id__"].as_str().unwrap().ends_with("/missing"))
        .unwrap();
    assert_eq!(missing["result"], false);
    assert_eq!(
        missing["comment"],
        "Source file salt://nowhere/x.j2 not found in saltenv 'base'"
    );
    assert_eq!(out.read("here").as_deref(), Some("hi\n"));
}
