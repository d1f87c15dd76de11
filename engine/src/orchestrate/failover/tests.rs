//! Given the cluster as found, this failover: every case decided from
//! recorded facts, no host needed.

use super::decide::{decide, Ask, Case, Step};
use super::survey::{Node, Survey};
use crate::facts::{recorded, BouncerState, ControlData, Postmaster, Server};

fn server(row: &str) -> Option<Server> {
    Some(Server::parse(&recorded(&format!("{row}\n"))).unwrap())
}

fn control(state: &str, tli: u32) -> Option<ControlData> {
    Some(
        ControlData::parse(&recorded(&format!(
            "Database cluster state:               {state}\nLatest checkpoint location:           0/3000028\nLatest checkpoint's TimeLineID:       {tli}\n"
        )))
        .unwrap(),
    )
}

const SERVING: Option<BouncerState> = Some(BouncerState {
    paused: false,
    suspended: false,
});

fn node(id: &str, addr: &str) -> Node {
    Node {
        id: id.into(),
        address: addr.into(),
        bouncer: SERVING,
        ..Node::default()
    }
}

fn up(mut n: Node, row: &str) -> Node {
    n.postmaster = Some(Postmaster::Running);
    n.server = server(row);
    n
}

fn down(mut n: Node, state: &str, tli: u32) -> Node {
    n.postmaster = Some(Postmaster::Stopped);
    n.control = control(state, tli);
    n
}

fn pgdb2() -> Node {
    node("pgdb2", "10.77.0.12")
}

fn pgdb1() -> Node {
    node("pgdb1", "10.77.0.11")
}

const STANDBY_OF_PGDB1: &str = "t|0/3000148|0/3000148||streaming,1,pgdb1|f|1";
const STANDBY_ALONE: &str = "t|0/3000148|0/3000148|||f|1";
const PRIMARY_TL1: &str = "f|0/3000148||000000010000000000000003||f|1";
const PRIMARY_TL2: &str = "f|0/5000000||000000020000000000000005||f|2";

fn ask(writer_lost: bool) -> Ask {
    Ask {
        writer: "pgdb2".into(),
        query: "pgdb1".into(),
        writer_lost,
        max_lag_bytes: 1 << 24,
    }
}

fn survey(w: Node, o: Node) -> Survey {
    Survey {
        writer: w,
        others: vec![o],
    }
}

fn ids(steps: &[Step]) -> Vec<&'static str> {
    steps.iter().map(Step::id).collect()
}

#[test]
fn a_running_writer_gets_todays_safe_switchover() {
    let d = decide(
        &survey(up(pgdb2(), STANDBY_OF_PGDB1), up(pgdb1(), PRIMARY_TL1)),
        &ask(false),
    )
    .unwrap();
    assert_eq!(d.case, Case::Switchover);
    assert_eq!(
        ids(&d.steps),
        [
            "prepare_pgbouncer",
            "pause_pgbouncer",
            "stop_old_writer",
            "new_writer_has_all_wal",
            "commit",
            "promote_new_writer",
            "repoint_pgbouncer",
            "resume_pgbouncer",
            "checkpoint_new_writer",
            "settle_new_writer",
            "old_writer_to_standby"
        ]
    );
    assert_eq!(
        d.steps[1],
        Step::Pause {
            hosts: vec!["pgdb1".into(), "pgdb2".into()],
            restart_on: Some("pgdb1".into())
        }
    );
    // Before the commit, a failure starts the old writer again.
    assert_eq!(
        ids(&d.steps[..d.commit]).last(),
        Some(&"new_writer_has_all_wal")
    );
    assert_eq!(
        ids(&d.undo_before),
        ["restart_old_writer", "resume_pgbouncer", "discard_prepared"]
    );
    // After it, the old writer starts again only if nobody was promoted.
    assert_eq!(
        ids(&d.undo_after),
        [
            "writer_or_old_writer",
            "resume_pgbouncer",
            "discard_prepared"
        ]
    );
    assert!(d.account.starts_with("Switchover is due and safe"));
}

#[test]
fn a_crashed_writer_is_fenced_never_restarted_and_its_lost_wal_measured() {
    let d = decide(
        &survey(
            up(pgdb2(), STANDBY_ALONE),
            down(pgdb1(), "in production", 1),
        ),
        &ask(false),
    )
    .unwrap();
    assert_eq!(d.case, Case::WriterDown);
    assert_eq!(
        ids(&d.steps),
        [
            "prepare_pgbouncer",
            "pause_pgbouncer",
            "fence_old_writer",
            "no_other_writer",
            "promote_new_writer",
            "repoint_pgbouncer",
            "resume_pgbouncer",
            "checkpoint_new_writer",
            "settle_new_writer",
            "old_writer_to_standby"
        ]
    );
    assert!(matches!(
        &d.steps[1],
        Step::Pause {
            restart_on: None,
            ..
        }
    ));
    assert!(
        matches!(&d.steps[2], Step::Fence { received: Some(l), .. } if l.to_string() == "0/3000148")
    );
    // Nothing starts the crashed writer again; prepared files go.
    assert_eq!(ids(&d.undo_before), ["discard_prepared"]);
    assert!(
        matches!(&d.steps[3], Step::OnlyWriter { from, ssh: true, .. } if from == &vec![None, Some("pgdb2".to_string())])
    );
    // Clients are resumed before anything that can wait.
    let at = |id| ids(&d.steps).iter().position(|s| *s == id).unwrap();
    assert!(at("resume_pgbouncer") < at("checkpoint_new_writer"));
    assert!(
        matches!(&d.steps[5], Step::Repoint { hosts } if hosts == &vec!["pgdb1".to_string(), "pgdb2".to_string()])
    );
}

#[test]
fn a_cleanly_stopped_writer_is_waited_for_and_may_come_back() {
    let d = decide(
        &survey(up(pgdb2(), STANDBY_ALONE), down(pgdb1(), "shut down", 1)),
        &ask(false),
    )
    .unwrap();
    assert_eq!(d.case, Case::WriterDown);
    assert_eq!(
        ids(&d.steps)[..4],
        [
            "prepare_pgbouncer",
            "pause_pgbouncer",
            "new_writer_has_all_wal",
            "commit"
        ]
    );
    assert_eq!(
        ids(&d.undo_before),
        ["restart_old_writer", "resume_pgbouncer", "discard_prepared"]
    );
}

#[test]
fn an_unreachable_writer_is_refused_until_the_operator_confirms() {
    let mut lost = pgdb1();
    lost.unreachable = Some("Unable to connect: No route to host".into());
    let s = survey(up(pgdb2(), STANDBY_ALONE), lost);
    let why = decide(&s, &ask(false)).unwrap_err();
    assert!(
        why.contains("refusing to promote pgdb2 while pgdb1 may still accept writes"),
        "{why}"
    );
    assert!(
        why.contains("converge orchestrate failover --pillar '{\"writer_lost\": true}'"),
        "{why}"
    );
    let d = decide(&s, &ask(true)).unwrap();
    assert_eq!(d.case, Case::WriterLost);
    assert_eq!(
        ids(&d.steps),
        [
            "prepare_pgbouncer",
            "no_other_writer",
            "promote_new_writer",
            "repoint_pgbouncer",
            "release_stuck_clients",
            "checkpoint_new_writer",
            "settle_new_writer"
        ]
    );
    assert!(matches!(&d.steps[1], Step::OnlyWriter { ssh: false, .. }));
    assert!(d.notes[0]
        .contains("must be converged (`converge highstate pgdb1`) before clients reach it"));
}

#[test]
fn a_done_failover_needs_nothing_and_an_interrupted_one_is_finished() {
    let follows = "t|0/5000000|0/5000000||streaming,2,pgdb2|f|2";
    let d = decide(
        &survey(up(pgdb2(), PRIMARY_TL2), up(pgdb1(), follows)),
        &ask(false),
    )
    .unwrap();
    assert_eq!(d.case, Case::Done);
    assert!(d.steps.is_empty());

    // Killed after the promotion: the old writer down, a PgBouncer paused.
    let mut paused = down(pgdb1(), "shut down", 1);
    paused.bouncer = Some(BouncerState {
        paused: true,
        suspended: false,
    });
    let d = decide(&survey(up(pgdb2(), PRIMARY_TL2), paused), &ask(false)).unwrap();
    assert_eq!(d.case, Case::Finish);
    assert_eq!(
        ids(&d.steps),
        [
            "prepare_pgbouncer",
            "repoint_pgbouncer",
            "resume_pgbouncer",
            "settle_new_writer",
            "old_writer_to_standby"
        ]
    );

    // A stale writer back from a partition: its clients held first.
    let d = decide(
        &survey(up(pgdb2(), PRIMARY_TL2), up(pgdb1(), PRIMARY_TL1)),
        &ask(false),
    )
    .unwrap();
    assert_eq!(d.case, Case::Finish);
    assert_eq!(
        ids(&d.steps)[..3],
        ["stop_old_writer", "prepare_pgbouncer", "pause_pgbouncer"]
    );
    assert_eq!(ids(&d.steps).last(), Some(&"old_writer_to_standby"));
}

#[test]
fn clusters_that_cannot_be_failed_over_are_refused_with_an_account() {
    let both = decide(
        &survey(up(pgdb2(), PRIMARY_TL2), up(pgdb1(), PRIMARY_TL2)),
        &ask(false),
    )
    .unwrap_err();
    assert!(
        both.contains("both pgdb2 and pgdb1 run as primaries"),
        "{both}"
    );
    assert!(both.contains("converge highstate pgdb1"), "{both}");

    let mut gone = pgdb2();
    gone.unreachable = Some("refused".into());
    let w = decide(&survey(gone, up(pgdb1(), PRIMARY_TL1)), &ask(false)).unwrap_err();
    assert!(
        w.starts_with("pgdb2, the writer pillar names, cannot be reached"),
        "{w}"
    );

    let w = decide(
        &survey(
            down(pgdb2(), "shut down in recovery", 1),
            up(pgdb1(), PRIMARY_TL1),
        ),
        &ask(false),
    )
    .unwrap_err();
    assert!(w.contains("pgdb2's PostgreSQL is not running"), "{w}");
    assert!(w.contains("Found: pgdb2: PostgreSQL stopped"), "{w}");

    let neither = decide(
        &survey(up(pgdb2(), STANDBY_ALONE), up(pgdb1(), STANDBY_ALONE)),
        &ask(false),
    )
    .unwrap_err();
    assert!(
        neither.contains("neither pgdb2 nor pgdb1 is a primary"),
        "{neither}"
    );

    let lagging = decide(
        &survey(
            up(pgdb2(), "t|0/3000148|0/1000000||streaming,1,pgdb1|f|1"),
            up(pgdb1(), PRIMARY_TL1),
        ),
        &ask(false),
    )
    .unwrap_err();
    assert!(lagging.contains("past the limit"), "{lagging}");
}

#[test]
fn a_pgbouncer_still_sending_clients_to_the_old_writer_is_repointed() {
    // The roles are right, but a repoint wrote pgdb1's file and was cut
    // off before its RELOAD: the running PgBouncer says where it sends.
    let follows = "t|0/5000000|0/5000000||streaming,2,pgdb2|f|2";
    let mut w = up(pgdb2(), PRIMARY_TL2);
    w.targets = Some(vec![("app".into(), "/var/run/postgresql".into())]);
    let mut o = up(pgdb1(), follows);
    o.targets = Some(vec![("app".into(), "pgdb1".into())]);
    let d = decide(&survey(w.clone(), o.clone()), &ask(false)).unwrap();
    assert_eq!(d.case, Case::Finish);
    assert!(
        ids(&d.steps).contains(&"repoint_pgbouncer"),
        "{:?}",
        ids(&d.steps)
    );
    o.targets = Some(vec![("app".into(), "pgdb2".into())]);
    let d = decide(&survey(w, o), &ask(false)).unwrap();
    assert_eq!(d.case, Case::Done);
}
