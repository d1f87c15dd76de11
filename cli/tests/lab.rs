//! End-to-end tests against the lab of real hosts (tests/lab): sshd,
//! PostgreSQL 15 and PgBouncer in network namespaces. They bring the lab up
//! themselves (root needed), and run one at a time: one at a time in this
//! process, and holding the lab's lock against other processes (another
//! engineer's tests, the lab's selftest) for the whole test.
//!
//! The lab is the one `LAB_ID` names (default 0; `LAB_DIR` too): its
//! roster, addresses and files, so that several labs can run these tests at
//! once.

mod lab_support;
mod support;

use std::process::Command;
use std::time::Duration;

use lab_support::*;
use support::run_in;

#[test]
fn highstate_over_ssh_converges_then_changes_nothing() {
    let lab = Lab::fresh();
    let before = snapshot();
    lab.converge(&["highstate", "pgdb*", "--test"]).code(0);
    assert_eq!(snapshot(), before, "--test changed a host");
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let second = lab.converge(&["highstate", "pgdb*"]);
    second.code(0);
    let lines = succeeded_lines(&second);
    assert_eq!(lines.len(), 2, "{}", second.stdout);
    assert!(
        lines.iter().all(|l| !l.contains("changed")),
        "the second run changed something:\n{}",
        second.stdout
    );
    assert!(on("pgdb2", "cat /etc/pgbouncer/pgbouncer.ini")
        .contains("app = host=pgdb1 port=5432 dbname=app"));
    assert!(
        on("pgdb1", "cat /etc/pgbouncer/pgbouncer.ini").contains("app = host=/var/run/postgresql")
    );
}

#[test]
fn one_ssh_connection_per_host_per_run() {
    let lab = Lab::fresh();
    let before = (logins("pgdb1"), logins("pgdb2"));
    lab.converge(&["highstate", "pgdb*"]).code(0);
    lab.converge(&["highstate", "pgdb*", "--test"]).code(0);
    let after = (logins("pgdb1"), logins("pgdb2"));
    // Two runs: at most one login each, none when the first run's master persists.
    assert!(
        after.0 - before.0 <= 1 && after.1 - before.1 <= 1,
        "logins: {before:?} -> {after:?}"
    );
}

#[test]
fn an_unreachable_host_fails_alone() {
    let lab = Lab::fresh();
    lab_script(&["stop-sshd", "pgdb2"]);
    let out = lab.converge(&["--out", "json", "highstate", "pgdb*"]);
    lab_script(&["start-sshd", "pgdb2"]);
    out.code(2);
    let v = out.json();
    let pgdb2 = v["pgdb2"].as_object().unwrap();
    assert_eq!(pgdb2.len(), 1, "{pgdb2:?}");
    let entry = pgdb2.values().next().unwrap();
    assert_eq!(entry["result"], false);
    assert!(
        entry["comment"]
            .as_str()
            .unwrap()
            .contains("Unable to connect"),
        "{entry}"
    );
    assert!(
        v["pgdb1"]
            .as_object()
            .unwrap()
            .values()
            .all(|s| s["result"] == true),
        "{}",
        v["pgdb1"]
    );
}

#[test]
fn a_host_key_mismatch_is_refused() {
    let _lab = Lab::fresh();
    let dir = tempfile::tempdir().unwrap();
    // pgdb2's key, pinned for pgdb1's address: the wrong key.
    let lab = &lab_env().dir;
    let known = std::fs::read_to_string(lab.join("known_hosts")).unwrap();
    let pgdb2_key = known
        .lines()
        .find(|l| l.starts_with("pgdb2"))
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1;
    std::fs::write(
        dir.path().join("known_hosts"),
        format!("{} {pgdb2_key}\n", address("pgdb1")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("roster.yaml"),
        format!(
            "pgdb1:\n  host: {}\n  priv: {}\n  known_hosts_file: {}/known_hosts\n",
            address("pgdb1"),
            lab.join("id_ed25519").display(),
            dir.path().display()
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("states")).unwrap();
    std::fs::write(
        dir.path().join("states/top.sls"),
        "base:\n  '*':\n    - x\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("states/x.sls"), "x:\n  test.nop: []\n").unwrap();
    let out = run_in(dir.path(), &["highstate".into(), "pgdb1".into()], &[]);
    out.code(2).stdout_has("Host key verification failed");
}

#[test]
fn awkward_paths_and_contents_round_trip_and_runas_switches_user() {
    let _lab = Lab::fresh();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(roster(), dir.path().join("roster.yaml")).unwrap();
    std::fs::create_dir(dir.path().join("states")).unwrap();
    std::fs::write(
        dir.path().join("states/top.sls"),
        "base:\n  'pgdb1':\n    - odd\n",
    )
    .unwrap();
    let sls = r#"odd file:
  file.managed:
    - name: "/tmp/it's a \"file\" $HOME `x`"
    - contents: "a 'quoted' \"line\" with $HOME and `ticks` and \\ backslash"
    - mode: 0600
whoami:
  cmd.run:
    - name: id -un > /tmp/whoami-out; cat /tmp/whoami-out
    - runas: postgres
    - cwd: /tmp
"#;
    std::fs::write(dir.path().join("states/odd.sls"), sls).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "--out".into(),
            "json".into(),
            "highstate".into(),
            "pgdb1".into(),
        ],
        &[],
    );
    out.code(0);
    let content = on("pgdb1", "cat \"/tmp/it's a \\\"file\\\" \\$HOME \\`x\\`\"");
    assert_eq!(
        content,
        "a 'quoted' \"line\" with $HOME and `ticks` and \\ backslash\n"
    );
    let v = out.json();
    let whoami = v["pgdb1"]
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["__id__"] == "whoami")
        .unwrap();
    assert_eq!(whoami["changes"]["stdout"], "postgres");
    // And again: nothing to do.
    let again = run_in(dir.path(), &["highstate".into(), "pgdb1".into()], &[]);
    again.stdout_has("is in the correct state");
}

/// Salt's failover, under load: every acknowledged row is there after a
/// failover and a failback, no transaction failed, and the old writer
/// streams on the new timeline each time.
#[test]
fn failover_and_failback_under_write_load_lose_nothing() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = load::Options::lab();
    rt.block_on(load::prepare(&opts)).unwrap();
    let running = rt.block_on(async { load::Load::start(&opts, "e2e") });
    std::thread::sleep(Duration::from_millis(300));

    lab.writer("pgdb2", "pgdb1");
    let out = lab.converge(&["orchestrate", "failover"]);
    out.code(0);
    assert_eq!(sql("pgdb2", "select pg_is_in_recovery()"), "f");
    assert_eq!(
        sql(
            "pgdb1",
            "select status || ' ' || received_tli from pg_stat_wal_receiver"
        ),
        "streaming 2"
    );

    std::thread::sleep(Duration::from_millis(300));
    lab.writer("pgdb1", "pgdb2");
    lab.converge(&["orchestrate", "failover"]).code(0);
    assert_eq!(sql("pgdb1", "select pg_is_in_recovery()"), "f");
    assert_eq!(
        sql(
            "pgdb2",
            "select status || ' ' || received_tli from pg_stat_wal_receiver"
        ),
        "streaming 3"
    );
    std::thread::sleep(Duration::from_millis(300));

    let writers = rt.block_on(running.stop());
    let failed: usize = writers.iter().map(|w| w.failed).sum();
    assert_eq!(
        failed,
        0,
        "failed transactions: {:?}",
        writers.iter().map(|w| &w.errors).collect::<Vec<_>>()
    );
    assert!(
        writers.iter().all(|w| w.acknowledged > 50),
        "too few writes: {writers:?}"
    );
    let lost = rt
        .block_on(load::lost_rows(&opts, &opts.targets[1], "e2e", &writers))
        .unwrap();
    assert_eq!(lost, 0);
    // Writes through either PgBouncer land on the writer.
    for target in &opts.targets {
        let one = load::Options {
            targets: vec![target.clone()],
            ..opts.clone()
        };
        let w = rt.block_on(async {
            let l = load::Load::start(&one, &format!("probe-{target}"));
            tokio::time::sleep(Duration::from_millis(100)).await;
            l.stop().await
        });
        assert!(w[0].acknowledged > 0 && w[0].failed == 0, "{target}: {w:?}");
    }
    // The same failover again: nothing to do.
    let again = lab.converge(&["orchestrate", "failover"]);
    again.code(0);
    assert!(
        succeeded_lines(&again)
            .iter()
            .all(|l| !l.contains("changed")),
        "{}",
        again.stdout
    );
}

#[test]
fn failover_test_mode_shows_both_hosts_diffs_and_changes_nothing() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let before = snapshot();
    lab.writer("pgdb2", "pgdb1");
    let out = lab.converge(&["orchestrate", "failover", "--test"]);
    out.code(0)
        .stdout_has("pgdb1:")
        .stdout_has("pgdb2:")
        .stdout_has("-app = host=pgdb1 port=5432 dbname=app")
        .stdout_has("+app = host=/var/run/postgresql port=5432 dbname=app")
        .stdout_has("planned switchover")
        .stdout_has("PostgreSQL on pgdb2 is set to be promoted");
    // The old writer's standby configuration, as a new file.
    let lines: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    assert!(
        lines
            .windows(2)
            .any(|w| w == ["newfile:", "/etc/postgresql/15/main/conf.d/standby.conf"]),
        "{}",
        out.stdout
    );
    assert_eq!(snapshot(), before, "--test changed a host");
}

#[test]
fn a_plain_highstate_never_makes_two_writers() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let before = snapshot();
    // Pillar edited, but no orchestration: both hosts refuse to switch.
    lab.writer("pgdb2", "pgdb1");
    let out = lab.converge(&["highstate", "pgdb*"]);
    out.code(2)
        .stdout_has("pgdb2 still streams from a running primary")
        .stdout_has("pgdb1 runs as a primary")
        .stdout_has("pgdb2 is not a primary yet");
    assert_eq!(snapshot(), before, "a refused highstate changed a host");
}

#[test]
fn failover_refusals_change_nothing() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let before = snapshot();

    // The pillar names one host twice: refused before anything runs.
    lab.writer("pgdb2", "pgdb2");
    lab.converge(&["orchestrate", "failover"])
        .code(1)
        .stderr_has("both name pgdb2");

    // The standby does not stream.
    lab.writer("pgdb2", "pgdb1");
    sql(
        "pgdb2",
        "alter system set primary_conninfo = 'host=nowhere'",
    );
    sql("pgdb2", "select pg_reload_conf()");
    std::thread::sleep(Duration::from_millis(500));
    let out = lab.converge(&["orchestrate", "failover"]);
    sql("pgdb2", "alter system reset primary_conninfo");
    sql("pgdb2", "select pg_reload_conf()");
    // Waited for (it might be reconnecting), then refused before anything
    // was touched.
    out.code(2).stdout_has("pgdb2 does not stream from pgdb1");
    assert_eq!(snapshot(), before, "a refused failover changed a host");

    // Replay too far behind (pillar limit: 0 bytes, while replay is paused).
    lab_script(&["reset-pg"]);
    lab.writer("pgdb1", "pgdb2");
    lab.converge(&["highstate", "pgdb*"]).code(0);
    lab.writer("pgdb2", "pgdb1");
    let before = snapshot();
    sql("pgdb2", "select pg_wal_replay_pause()");
    sql(
        "pgdb1",
        "create table if not exists lagging (x int); insert into lagging values (1)",
    );
    let out = lab.converge(&[
        "--pillar",
        "{\"postgres\": {\"max_lag_bytes\": 0}}",
        "orchestrate",
        "failover",
    ]);
    sql("pgdb2", "select pg_wal_replay_resume()");
    out.code(2);
    assert!(
        out.stdout.contains("replay is paused on pgdb2") || out.stdout.contains("past the limit"),
        "{}",
        out.stdout
    );
    sql("pgdb1", "drop table lagging");
    assert_eq!(snapshot(), before, "a refused failover changed a host");

    // An unreachable host.
    lab_script(&["stop-sshd", "pgdb1"]);
    let out = lab.converge(&["orchestrate", "failover"]);
    lab_script(&["start-sshd", "pgdb1"]);
    out.code(2).stdout_has("pgdb1");
    assert_eq!(sql("pgdb1", "select pg_is_in_recovery()"), "f");
    assert_eq!(
        sql("pgdb2", "select status from pg_stat_wal_receiver"),
        "streaming"
    );
}

/// A PAUSE that cannot complete (a transaction outlives `pause_timeout`):
/// the failover stops, every PgBouncer is resumed, nothing else changed.
#[test]
fn a_pause_that_times_out_resumes_every_pgbouncer() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let before = snapshot();
    let mut long = Command::new("psql")
        .args([
            "-h",
            &address("pgdb1"),
            "-p",
            "6432",
            "-U",
            "app",
            "app",
            "-c",
            "begin; select pg_sleep(6); commit;",
        ])
        .env("PGPASSWORD", "app-lab")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("psql");
    std::thread::sleep(Duration::from_millis(300));
    lab.writer("pgdb2", "pgdb1");
    let out = lab.converge(&[
        "--pillar",
        r#"{"pgbouncer": {"pause_timeout": 1}}"#,
        "orchestrate",
        "failover",
    ]);
    let _ = long.wait();
    out.code(2)
        .stdout_has("PAUSE did not complete")
        .stdout_has("every PgBouncer (pgdb1, pgdb2) is resumed");
    assert_eq!(snapshot(), before, "a failed failover changed a host");
    // Clients get through both PgBouncers again.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = load::Options::lab();
    rt.block_on(load::prepare(&opts)).unwrap();
    let w = rt.block_on(async {
        let l = load::Load::start(&opts, "after-pause");
        tokio::time::sleep(Duration::from_millis(200)).await;
        l.stop().await
    });
    assert!(
        w.iter().all(|w| w.acknowledged > 0 && w.failed == 0),
        "{w:?}"
    );
}
