//! The failover on a bad day, on the lab, each under write load: the
//! writer's PostgreSQL killed, the writer's host cut off, converge itself
//! killed after each step of a switchover, ssh to the old writer lost, a
//! new writer that cannot be promoted, a diverged old writer, and two runs
//! at once. Each checks the final roles, the standby streaming on the
//! writer's timeline, the exit code, that no PgBouncer is left paused, and
//! (probed all along) that clients never could reach two writers.

mod lab_support;
mod support;

use std::time::Duration;

use lab_support::writers::Writers;
use lab_support::*;

/// Clients writing through both PgBouncers, and the writers watched.
struct Traffic {
    rt: tokio::runtime::Runtime,
    load: Option<load::Load>,
    opts: load::Options,
    writers: Option<Writers>,
}

impl Traffic {
    fn start(tag: &str) -> Traffic {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let opts = load::Options {
            // Longer than a pause can last (pause_timeout + the guard's second).
            timeout: Duration::from_secs(10),
            ..load::Options::lab()
        };
        rt.block_on(load::prepare(&opts)).unwrap();
        let load = rt.block_on(async { load::Load::start(&opts, tag) });
        let writers = Writers::watch(
            ["pgdb1", "pgdb2"]
                .iter()
                .map(|h| (h.to_string(), address(h)))
                .collect(),
        );
        // Some rows before anything happens.
        std::thread::sleep(Duration::from_millis(300));
        Traffic {
            rt,
            load: Some(load),
            opts,
            writers: Some(writers),
        }
    }

    /// Stop the clients: the writers seen at once (at most one, or the test
    /// fails), and the acknowledged rows missing on `writer`.
    fn stop(&mut self, writer: &str, tag: &str) -> (Vec<load::Writer>, usize) {
        let (most, who, samples) = self.writers.take().unwrap().stop();
        assert!(samples >= 3, "the writers were probed only {samples} times");
        assert!(
            most <= 1,
            "clients could reach {most} writers at once: {who:?}"
        );
        let writers = self.rt.block_on(self.load.take().unwrap().stop());
        let target = format!("{}:6432", address(writer));
        let lost = self
            .rt
            .block_on(load::lost_rows(&self.opts, &target, tag, &writers))
            .unwrap();
        (writers, lost)
    }
}

fn failed(writers: &[load::Writer]) -> usize {
    writers.iter().map(|w| w.failed).sum()
}

/// The failover's nested step `id`, from `--out json`.
fn step<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    let master = v.as_object().unwrap().values().next().unwrap();
    let failover = master
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["__id__"] == "failover")
        .expect("the failover step");
    failover["changes"]["ret"]["failover"]
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["__id__"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {failover}"))
}

#[test]
fn a_crashed_writer_is_fenced_then_replaced_and_rejoins_rewound() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let mut traffic = Traffic::start("crash");
    lab_script(&["kill-pg", "pgdb1"]);
    lab.writer("pgdb2", "pgdb1");
    let out = lab.converge(&["--out", "json", "orchestrate", "failover"]);
    out.code(0);
    let v = out.json();
    let fence = step(&v, "fence_old_writer");
    assert_eq!(fence["result"], true, "{fence}");
    let reported = &fence["changes"]["pgdb1"]["lost_wal_bytes"];
    assert!(reported.is_u64(), "lost WAL not measured: {fence}");
    std::thread::sleep(Duration::from_millis(300));
    let (writers, lost) = traffic.stop("pgdb2", "crash");
    // Rows acknowledged by the old writer and never received by the new
    // one are lost, and only those: none when it had no WAL past them.
    if reported == 0 {
        assert_eq!(lost, 0, "{lost} rows lost though no WAL was");
    }
    assert!(writers.iter().all(|w| w.acknowledged > 20), "{writers:?}");
    healthy("pgdb2", "pgdb1");
    let rejoin = step(&v, "old_writer_to_standby");
    assert!(
        rejoin.to_string().contains("rewound by pg_rewind"),
        "{rejoin}"
    );
    // Nothing left to do.
    lab.converge(&["orchestrate", "failover"])
        .code(0)
        .stdout_has("nothing to do");
}

#[test]
fn a_writer_cut_off_is_replaced_only_on_the_operators_word_then_fenced_when_it_returns() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let mut traffic = Traffic::start("cut");
    lab_script(&["cut", "pgdb1"]);
    lab.writer("pgdb2", "pgdb1");
    let refused = lab.converge(&["orchestrate", "failover"]);
    refused
        .code(2)
        .stdout_has("refusing to promote pgdb2 while pgdb1 may still accept writes")
        .stdout_has("--pillar '{\"writer_lost\": true}'");
    assert_eq!(sql("pgdb2", "select pg_is_in_recovery()"), "t");
    lab.converge(&[
        "--pillar",
        r#"{"writer_lost": true}"#,
        "orchestrate",
        "failover",
    ])
    .code(0)
    .stdout_has("must be converged (`converge highstate pgdb1`) before clients reach it");
    assert_eq!(sql("pgdb2", "select pg_is_in_recovery()"), "f");
    // Clients through pgdb2's PgBouncer write again; pgdb1's cannot be
    // reached at all, so no row there can be acknowledged.
    let (writers, _) = traffic.stop("pgdb2", "cut");
    assert!(writers[1].acknowledged > 20, "{writers:?}");
    // It comes back as the writer it was: the next run fences it (clients
    // held first), repoints its PgBouncer and rewinds it.
    lab_script(&["heal", "pgdb1"]);
    assert_eq!(sql("pgdb1", "select pg_is_in_recovery()"), "f");
    let watch = Writers::watch(vec![
        ("pgdb1".into(), address("pgdb1")),
        ("pgdb2".into(), address("pgdb2")),
    ]);
    let out = lab.converge(&["--out", "json", "orchestrate", "failover"]);
    out.code(0);
    let rejoin = step(&out.json(), "old_writer_to_standby").to_string();
    assert!(rejoin.contains("rewound by pg_rewind"), "{rejoin}");
    assert!(rejoin.contains("lost_wal"), "{rejoin}");
    let (most, _, _) = watch.stop();
    // Two primaries existed while it was cut off (the operator's word);
    // from its return on, clients reach one writer only once fenced.
    assert!(most <= 2);
    healthy("pgdb2", "pgdb1");
}

/// Killed right after `step`: no PgBouncer stays paused past the guard's
/// deadline, the cluster keeps (or has) a writer, and a rerun finishes.
fn killed_after(lab: &Lab, step: &str, from: &str, to: &str) {
    lab.writer(to, from);
    let mut traffic = Traffic::start("kill");
    let mut run = lab.start(&["orchestrate", "failover"]);
    run.wait_for(&format!(" {step} in "));
    run.kill();
    // pause_timeout (5 s) plus the guard's second, plus a probe's slack.
    let took = until_resumed(Duration::from_secs(8));
    eprintln!("killed after {step}: PgBouncers serving again after {took:?}");
    // Before any rerun: a writer, and clients through both PgBouncers
    // reach it (the guards repointed them if the new writer was promoted,
    // or started the old writer again if nobody was).
    let writer_now = if sql(to, "select pg_is_in_recovery()") == "f" {
        to
    } else {
        from
    };
    assert_eq!(
        sql(writer_now, "select pg_is_in_recovery()"),
        "f",
        "killed after {step}: no writer"
    );
    served(&format!("after-{step}"));
    std::thread::sleep(Duration::from_millis(200));
    let rerun = lab.converge(&["orchestrate", "failover"]);
    assert_eq!(
        rerun.code, 0,
        "rerun after a kill after {step}:\n{}\n{}",
        rerun.stdout, rerun.stderr
    );
    std::thread::sleep(Duration::from_millis(200));
    let (_, lost) = traffic.stop(to, "kill");
    assert_eq!(lost, 0, "killed after {step}: acknowledged rows lost");
    healthy(to, from);
}

/// Writes through each PgBouncer land, none fails.
fn served(tag: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = load::Options::lab();
    for target in &opts.targets {
        let one = load::Options {
            targets: vec![target.clone()],
            timeout: Duration::from_secs(10),
            ..opts.clone()
        };
        let w = rt.block_on(async {
            let l = load::Load::start(&one, &format!("{tag}-{target}"));
            tokio::time::sleep(Duration::from_millis(300)).await;
            l.stop().await
        });
        assert!(
            w[0].acknowledged > 0 && w[0].failed == 0,
            "{tag}: clients through {target} are not served: {:?}",
            w[0].errors
        );
    }
}

#[test]
fn converge_killed_after_any_step_leaves_no_pgbouncer_paused_and_a_rerun_finishes() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let steps = [
        "prepare_pgbouncer",
        "pause_pgbouncer",
        "stop_old_writer",
        "new_writer_has_all_wal",
        "commit",
        "promote_new_writer",
        "repoint_pgbouncer",
        "resume_pgbouncer",
    ];
    let (mut from, mut to) = ("pgdb1", "pgdb2");
    for step in steps {
        killed_after(&lab, step, from, to);
        (from, to) = (to, from);
    }
}

#[test]
fn ssh_to_the_old_writer_lost_mid_switchover_is_finished_by_a_rerun() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    lab.writer("pgdb2", "pgdb1");
    let mut traffic = Traffic::start("ssh");
    let mut run = lab.start(&["orchestrate", "failover"]);
    run.wait_for(" pause_pgbouncer in ");
    lab_script(&["stop-sshd", "pgdb1"]);
    let code = run.code();
    assert_eq!(code, 2, "a failover that lost its old writer must fail");
    until_resumed(Duration::from_secs(8));
    lab_script(&["start-sshd", "pgdb1"]);
    let rerun = lab.converge(&["orchestrate", "failover"]);
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stdout, rerun.stderr);
    std::thread::sleep(Duration::from_millis(200));
    let (writers, lost) = traffic.stop("pgdb2", "ssh");
    assert_eq!(lost, 0);
    assert_eq!(failed(&writers), 0, "{writers:?}");
    healthy("pgdb2", "pgdb1");
}

#[test]
fn a_new_writer_that_cannot_be_promoted_leaves_the_old_writer_writing() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    // Its standby marker gone (a running standby no longer needs it):
    // promotion is impossible, which the failover finds only at that step.
    on("pgdb2", "rm /var/lib/postgresql/15/main/standby.signal");
    lab.writer("pgdb2", "pgdb1");
    let mut traffic = Traffic::start("nopromote");
    let out = lab.converge(&["--out", "json", "orchestrate", "failover"]);
    out.code(2);
    let v = out.json();
    let promote = step(&v, "promote_new_writer");
    assert_eq!(promote["result"], false, "{promote}");
    let restore = step(&v, "writer_or_old_writer");
    assert_eq!(restore["result"], true, "{restore}");
    std::thread::sleep(Duration::from_millis(300));
    let (writers, lost) = traffic.stop("pgdb1", "nopromote");
    assert_eq!(lost, 0);
    assert!(writers.iter().all(|w| w.acknowledged > 20), "{writers:?}");
    // pgdb1 writes again, pgdb2 follows it again.
    healthy("pgdb1", "pgdb2");
}

#[test]
fn a_diverged_old_writer_without_rewind_is_refused_then_recloned_when_allowed() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    let mut traffic = Traffic::start("diverge");
    lab_script(&["kill-pg", "pgdb1"]);
    lab.writer("pgdb2", "pgdb1");
    let off = r#"{"postgres": {"rewind": false}}"#;
    let out = lab.converge(&["--pillar", off, "orchestrate", "failover"]);
    // The switch is done; the old writer cannot follow and says why.
    out.code(2).stdout_has("rewind is off in pillar");
    assert_eq!(sql("pgdb2", "select pg_is_in_recovery()"), "f");
    let (writers, _) = traffic.stop("pgdb2", "diverge");
    assert!(writers.iter().all(|w| w.acknowledged > 20), "{writers:?}");
    assert!(!paused("pgdb1") && !paused("pgdb2"));
    // With re-cloning allowed, the next run makes it a standby again.
    let reclone = r#"{"postgres": {"rewind": false, "reclone": true}}"#;
    lab.converge(&["--pillar", reclone, "highstate", "pgdb1"])
        .code(0)
        .stdout_has("a fresh copy (pg_basebackup)");
    healthy("pgdb2", "pgdb1");
}

#[test]
fn a_second_failover_at_once_refuses_and_names_the_first() {
    let lab = Lab::fresh();
    lab.converge(&["highstate", "pgdb*"]).code(0);
    lab.writer("pgdb2", "pgdb1");
    let mut first = lab.start(&["orchestrate", "failover"]);
    first.wait_for(" ... failover (postgres.failover)");
    let second = lab.converge(&["orchestrate", "failover"]);
    second
        .code(2)
        .stdout_has("another orchestration runs on this roster: pid")
        .stdout_has("converge orchestrate failover");
    assert_eq!(first.code(), 0);
    healthy("pgdb2", "pgdb1");
}
