//! Given these facts, this plan: each branch of the switchover's steps,
//! decided from servers' recorded answers, no host needed.

use serde_json::json;

use super::postgres::{follow, gate, ready, Pair};
use crate::facts::{recorded, ControlData, Server};
use crate::functions::pgbouncer::{pause, resume};
use crate::functions::postgres::Streams;
use crate::plan::{Action, On};
use crate::postgres::{Bouncer, Layout};

/// A server from a row of the status query (`facts::Server`).
fn server(row: &str) -> Server {
    Server::parse(&recorded(&format!("{row}\n"))).unwrap()
}

const PRIMARY: &str = "f|0/3000148||000000010000000000000003||f|1";
const STANDBY_OF_PGDB1: &str = "t|0/3000148|0/3000148||streaming,1,10.77.0.11|f|1";

fn pair(new: &str, old: &str) -> Pair<'static> {
    Pair {
        writer: "pgdb2",
        query: "pgdb1",
        writer_names: vec!["pgdb2".into(), "10.77.0.12".into()],
        query_names: vec!["pgdb1".into(), "10.77.0.11".into()],
        new: server(new),
        old: server(old),
    }
}

#[test]
fn a_switchover_is_due_when_the_writer_to_be_streams_from_the_primary() {
    let p = ready(&pair(STANDBY_OF_PGDB1, PRIMARY), 1 << 24).unwrap();
    assert_eq!(
        serde_json::Value::Object(p.changes.clone()),
        json!({"switchover": {"from": "pgdb1", "to": "pgdb2", "lag_bytes": 0}})
    );
    assert!(p
        .comment
        .starts_with("Switchover is due and safe: pgdb1 → pgdb2"));
    assert!(p.actions.is_empty());
}

#[test]
fn a_done_switchover_needs_nothing() {
    let new_primary = "f|0/5000000||000000020000000000000005||f|2";
    let old_follows = "t|0/5000000|0/5000000||streaming,2,pgdb2|f|2";
    let p = ready(&pair(new_primary, old_follows), 1 << 24).unwrap();
    assert!(p.is_noop());
    assert_eq!(
        p.comment,
        "pgdb2 is the writer and pgdb1 streams from it on timeline 2: nothing to do"
    );
}

#[test]
fn every_unsafe_cluster_is_refused_saying_what_was_found() {
    let cases = [
        (
            "f|0/5000000||000000020000000000000005||f|2",
            "t|0/5000000|0/5000000|||f|1",
            "pgdb2 is already the writer, but pgdb1 does not stream from it",
        ),
        (
            "f|0/5000000||000000020000000000000005||f|2",
            PRIMARY,
            "both pgdb2 and pgdb1 run as primaries: refusing to touch a split cluster",
        ),
        (
            STANDBY_OF_PGDB1,
            "t|0/5000000|0/5000000||streaming,1,pgdb3|f|1",
            "neither pgdb2 nor pgdb1 is a primary",
        ),
        (
            "t|0/3000148|0/3000148|||f|1",
            PRIMARY,
            "pgdb2 is not a streaming standby of pgdb1",
        ),
        (
            "t|0/3000148|0/3000148||streaming,1,pgdb1|t|1",
            PRIMARY,
            "replay is paused on pgdb2",
        ),
        (
            "t|0/3000148|0/1000000||streaming,1,pgdb1|f|1",
            PRIMARY,
            "pgdb2 replays 32.0 MiB behind pgdb1, past the limit of 16.0 MiB",
        ),
    ];
    for (new, old, words) in cases {
        let f = ready(&pair(new, old), 1 << 24).unwrap_err();
        assert!(f.comment.contains(words), "{words}: {}", f.comment);
    }
}

fn controldata(state: &str) -> ControlData {
    ControlData::parse(&recorded(&format!(
        "Database cluster state:               {state}\nLatest checkpoint location:           0/3000028\nLatest checkpoint's TimeLineID:       1\n"
    )))
    .unwrap()
}

#[test]
fn the_gate_waits_for_the_shutdown_checkpoint() {
    let l = Layout::default();
    let behind = server("t|0/3000000|0/3000000||streaming,1,pgdb1|f|1");
    let p = gate("pgdb2", "pgdb1", &controldata("shut down"), &behind, &l, 10).unwrap();
    assert_eq!(
        p.describe(),
        ["pgdb2: wait until pgdb2 has received WAL past 0/3000028 (at most 10 s)"]
    );
    assert_eq!(p.changes["pgdb2"], json!({"checkpoint": "0/3000028"}));

    let past = server("t|0/30000A0|0/30000A0||streaming,1,pgdb1|f|1");
    let p = gate("pgdb2", "pgdb1", &controldata("shut down"), &past, &l, 10).unwrap();
    assert!(p.is_noop());
    assert!(p
        .comment
        .starts_with("pgdb2 holds all of pgdb1's WAL: received 0/30000A0"));

    // A test run, before the old writer stops: the gate is still ahead,
    // and a real run that got here would refuse.
    let p = gate(
        "pgdb2",
        "pgdb1",
        &controldata("in production"),
        &behind,
        &l,
        10,
    )
    .unwrap();
    assert!(matches!(p.actions.as_slice(), [Action::Fail(c)] if c.contains("not promoting")));
    assert!(p.comment.contains("once it has stopped cleanly"));

    let not_standby = server(PRIMARY);
    let f = gate(
        "pgdb2",
        "pgdb1",
        &controldata("shut down"),
        &not_standby,
        &l,
        10,
    )
    .unwrap_err();
    assert!(f.comment.starts_with("pgdb2 is not a standby"));
}

fn streams() -> Streams {
    Streams {
        id: "pgdb1".into(),
        cluster: Layout::default(),
        upstream: vec!["pgdb2".into(), "10.77.0.12".into()],
        timeline: 2,
    }
}

#[test]
fn following_is_judged_by_the_wal_receiver() {
    let follows = server("t|0/5000000|0/5000000||streaming,2,10.77.0.12|f|2");
    let p = follow(streams(), Some(&follows), 30);
    assert!(p.is_noop());
    assert_eq!(p.comment, "pgdb1 streams from pgdb2 on timeline 2");

    // Started, but on the old timeline (it forked off): wait, then fail.
    let forked = server("t|0/6000000|0/6000000|||f|1");
    let p = follow(streams(), Some(&forked), 30);
    assert_eq!(
        p.describe(),
        ["pgdb1: wait until pgdb1 streams from pgdb2 on timeline 2 (at most 30 s)"]
    );
    let p = follow(streams(), None, 30);
    assert!(!p.is_noop());
}

#[test]
fn pause_everywhere_at_once_and_resume_all_if_one_fails() {
    let ids = ["pgdb1".to_string(), "pgdb2".to_string()];
    let on = [On::host("pgdb1"), On::host("pgdb2")];
    let b = Bouncer {
        pause_timeout: 3,
        ..Bouncer::default()
    };
    let p = pause(&ids, &on, &b);
    assert_eq!(
        p.describe(),
        ["at once: pgdb1: PgBouncer PAUSE; pgdb2: PgBouncer PAUSE"]
    );
    let [Action::Together(members)] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    assert!(
        matches!(&members[0], Action::Console { timeout: 3, tolerate: Some(t), .. } if t == "already")
    );
    assert_eq!(
        p.undo.iter().map(Action::describe).collect::<Vec<_>>(),
        ["at once: pgdb1: PgBouncer RESUME; pgdb2: PgBouncer RESUME"]
    );
    assert_eq!(
        p.undone,
        "every PgBouncer (pgdb1, pgdb2) is resumed; nothing else was changed"
    );
    let r = resume(&ids, &on, &b);
    assert_eq!(r.done, "PgBouncer serving on pgdb1, pgdb2");
    assert!(
        matches!(&r.actions[0], Action::Together(m) if matches!(&m[1], Action::Console { tolerate: Some(t), .. } if t == "not paused"))
    );
}
