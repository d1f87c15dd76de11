//! Given these facts (a fake host's answers), this plan: every branch of
//! `postgres.running`, `.stopped` and `.promoted` on one host.

use crate::plan::Action;
use crate::testing::{fixture, plan};
use crate::transport::fake::Fake;

const PG_CTL: &str = "/usr/lib/postgresql/15/bin/pg_ctl";
const INIT: &str = "if [ -d /run/systemd/system ]";

fn status(code: i32) -> Fake {
    Fake::new().answer(&format!("{PG_CTL} status"), code, "")
}

#[tokio::test(flavor = "multi_thread")]
async fn running_starts_a_stopped_server_with_pg_ctl_and_checks_it_runs() {
    let fx = fixture(status(3).answer(INIT, 0, "sysv\n"));
    let p = plan(&fx, "postgres.running", "name: postgresql")
        .await
        .unwrap();
    assert_eq!(
        p.comment,
        "PostgreSQL (/var/lib/postgresql/15/main) is set to start on h1"
    );
    assert_eq!(
        p.done,
        "Started PostgreSQL (/var/lib/postgresql/15/main) on h1"
    );
    assert_eq!(p.changes["h1"], "started");
    assert_eq!(
        p.describe(),
        [
            format!("run `{PG_CTL} start -w -t 60 -D /etc/postgresql/15/main -l /var/log/postgresql/postgresql-15-main.log -s`"),
            "check that PostgreSQL (/var/lib/postgresql/15/main) runs".to_string(),
        ]
    );
    let [Action::Run { exec, .. }, _] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    assert_eq!(exec.runas.as_deref(), Some("postgres"));
}

#[tokio::test(flavor = "multi_thread")]
async fn running_goes_through_the_unit_where_systemd_runs() {
    let fx = fixture(status(3).answer(INIT, 0, "systemd\n"));
    let p = plan(&fx, "postgres.running", "name: postgresql")
        .await
        .unwrap();
    assert_eq!(
        p.describe()[0],
        "run `systemctl start -- postgresql@15-main`"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn running_server_needs_nothing() {
    let fx = fixture(status(0));
    let p = plan(&fx, "postgres.running", "name: postgresql")
        .await
        .unwrap();
    assert!(p.is_noop());
    assert_eq!(
        p.comment,
        "PostgreSQL (/var/lib/postgresql/15/main) is already running"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_cluster_at_all_is_a_failure_not_a_start() {
    let fx = fixture(Fake::new().failing(
        &format!("{PG_CTL} status"),
        4,
        "pg_ctl: directory \"/var/lib/postgresql/15/main\" does not exist",
    ));
    let f = plan(&fx, "postgres.running", "name: postgresql")
        .await
        .unwrap_err();
    assert!(
        f.comment
            .starts_with("no PostgreSQL cluster in /var/lib/postgresql/15/main"),
        "{f}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stopped_stops_fast_and_then_wants_a_clean_shutdown_in_the_control_file() {
    let fx = fixture(status(0));
    let p = plan(&fx, "postgres.stopped", "name: postgresql")
        .await
        .unwrap();
    assert_eq!(
        p.comment,
        "PostgreSQL (/var/lib/postgresql/15/main) on h1 is set to stop (fast mode)"
    );
    let d = p.describe();
    assert!(
        d[0].starts_with(&format!("run `{PG_CTL} stop -W -m fast")),
        "{d:?}"
    );
    assert_eq!(d[1], "check that h1 is cleanly shut down");
    // Once applied, the changes are what the check saw (the checkpoint).
    assert_eq!(p.applied, Some(Default::default()));

    let immediate = plan(&fx, "postgres.stopped", "name: postgresql\nmode: immediate")
        .await
        .unwrap();
    assert!(immediate.describe()[0].contains("-m immediate"));

    let fx = fixture(status(3));
    let p = plan(&fx, "postgres.stopped", "name: postgresql")
        .await
        .unwrap();
    assert!(p.is_noop());
    assert_eq!(
        p.comment,
        "PostgreSQL (/var/lib/postgresql/15/main) is already stopped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn promoted_exactly_when_the_standby_marker_is_there() {
    let marker = "/var/lib/postgresql/15/main/standby.signal";
    let fx = fixture(Fake::new().file(marker, ""));
    let p = plan(&fx, "postgres.promoted", "name: promote")
        .await
        .unwrap();
    assert_eq!(
        p.comment,
        format!("PostgreSQL on h1 is set to be promoted ({marker} is present)")
    );
    let d = p.describe();
    assert!(
        d[0].starts_with(&format!("run `{PG_CTL} promote -W")),
        "{d:?}"
    );
    assert_eq!(d[1], "check that h1 runs as a primary");
    assert_eq!(p.changes["h1"], "promoted");

    let fx = fixture(Fake::new());
    let p = plan(&fx, "postgres.promoted", "name: promote")
        .await
        .unwrap();
    assert!(p.is_noop());
    assert_eq!(
        p.comment,
        format!("{marker} is absent: PostgreSQL is not a standby here, nothing to promote")
    );
    // Before PostgreSQL 12 the marker is recovery.conf.
    let fx = fixture(Fake::new().file("/pg/11/recovery.conf", ""));
    let p = plan(
        &fx,
        "postgres.promoted",
        "name: promote\ncluster: {major: 11, datadir: /pg/11}",
    )
    .await
    .unwrap();
    assert!(!p.is_noop());
}

#[tokio::test(flavor = "multi_thread")]
async fn pgbouncer_reloads_through_its_console_here() {
    let fx = fixture(Fake::new());
    let p = plan(
        &fx,
        "pgbouncer.reloaded",
        "name: r\npgbouncer: {admin_password: secret}",
    )
    .await
    .unwrap();
    assert_eq!(p.describe(), ["PgBouncer RELOAD"]);
    assert_eq!(p.comment, "PgBouncer on h1 is set to reload");
    assert_eq!(p.done, "PgBouncer reloaded on h1");
    assert!(!format!("{p:?}").contains("secret"));
}
