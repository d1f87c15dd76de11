//! The `postgres_*` states against a real PostgreSQL server of their own:
//! a scratch cluster made by `initdb` in a temporary directory, on a
//! free port of 127.0.0.1 and a socket in that directory, logging every
//! statement. Each scenario runs a tree through the executor with the
//! local transport, as `converge sls` does: created, nothing to do the
//! second time, altered, removed; and the server's log never holds a
//! password.
//!
//! Needs root (the server runs as the `postgres` OS user) and the server
//! binaries in /usr/lib/postgresql/<version>/bin (.ci/run installs them and
//! runs as root; elsewhere these tests fail and say why):
//!
//!     cargo test -p converge-engine postgres_objects::live

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::functions::Registry;
use crate::host::Host;
use crate::result::StateResult;
use crate::run::{self, Options};
use crate::testing::{runtime, TestTree};
use crate::transport::local::Local;

/// A cluster of its own, stopped and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    fn start() -> Cluster {
        assert!(
            nix::unistd::geteuid().is_root(),
            "this test runs a PostgreSQL server as the postgres OS user: run it as root (.ci/run does)"
        );
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries in /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|b| b.join("initdb").exists())
            .expect("an initdb in /usr/lib/postgresql/*/bin");
        let dir = tempfile::Builder::new()
            .prefix("converge-pgobjects-")
            .tempdir_in("/tmp")
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Cluster { dir, bin, port };
        sh(&format!("chown postgres: {0} && chmod 755 {0}", c.path()));
        c.as_postgres(&format!(
            "{}/initdb -D {}/data -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null",
            c.bin.display(),
            c.path()
        ));
        c.as_postgres(&format!(
            "mkdir {d}/ts {d}/ts2 && {}/pg_ctl -D {d}/data -l {d}/log -w -s -o \"-p {} -k {d} -c listen_addresses=127.0.0.1 -c log_statement=all\" start",
            c.bin.display(),
            c.port,
            d = c.path()
        ));
        c
    }

    fn path(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn as_postgres(&self, cmd: &str) -> String {
        sh(&format!("runuser -u postgres -- sh -c '{cmd}'"))
    }

    /// `sql`'s answer, unaligned, as the superuser.
    fn query(&self, sql: &str) -> String {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--", "psql", "-XAtq", "-h"])
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Whether `role` logs in over TCP with `password` (SCRAM or md5).
    fn logs_in(&self, role: &str, password: &str) -> bool {
        Command::new("psql")
            .args(["-XAtq", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", role, "-d", "postgres", "-c", "select 1"])
            .env("PGPASSWORD", password)
            .output()
            .unwrap()
            .status
            .success()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// The connection arguments of every state here.
    fn conn(&self) -> String {
        format!(
            "    - db_host: {}\n    - db_port: {}\n",
            self.path(),
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                &format!("{}/data", self.path()),
                "-m",
                "immediate",
                "-s",
                "stop",
            ])
            .status();
    }
}

fn sh(cmd: &str) -> String {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The results of `sls` (states with `{conn}` in their arguments), run
/// for real or as a test, by ID.
fn apply(c: &Cluster, sls: &str, test: bool) -> Vec<(String, Option<bool>, Value, String)> {
    let tree = TestTree::new(&[("pg.sls", &sls.replace("{conn}", &c.conn()))]);
    let graph = tree.compile("pg").unwrap();
    let host = Host::new(
        "h",
        Arc::new(Local::new(60)),
        Arc::clone(&tree.tree),
        "base",
        tree.render.clone(),
    );
    let results: Vec<StateResult> = runtime().block_on(run::run(
        &graph,
        &host,
        &Registry::states(),
        Options::test(test),
    ));
    results
        .into_iter()
        .map(|r| {
            (
                r.state.id.clone(),
                r.result,
                Value::Object(r.changes),
                r.comment,
            )
        })
        .collect()
}

fn by_id<'a>(
    results: &'a [(String, Option<bool>, Value, String)],
    id: &str,
) -> &'a (String, Option<bool>, Value, String) {
    results
        .iter()
        .find(|r| r.0 == id)
        .unwrap_or_else(|| panic!("no result for {id}: {results:?}"))
}

const SECRET: &str = "s3cret-pw'x";

fn present(c: &Cluster) -> String {
    let d = c.path();
    format!(
        "readers:
  postgres_group.present:
{{conn}}
app:
  postgres_user.present:
    - password: \"{SECRET}\"
    - createdb: True
    - groups: readers
    - valid_until: '2030-01-01 00:00:00'
{{conn}}    - require:
      - postgres_group: readers
ts:
  postgres_tablespace.present:
    - directory: {d}/ts
    - owner: app
    - options:
        seq_page_cost: 1.1
{{conn}}    - require:
      - postgres_user: app
appdb:
  postgres_database.present:
    - owner: app
    - encoding: UTF8
    - template: template0
    - tablespace: ts
{{conn}}    - require:
      - postgres_tablespace: ts
sch:
  postgres_schema.present:
    - dbname: appdb
    - owner: app
{{conn}}    - require:
      - postgres_database: appdb
citext:
  postgres_extension.present:
    - maintenance_db: appdb
    - schema: sch
    - ext_version: '1.4'
{{conn}}    - require:
      - postgres_schema: sch
"
    )
}

fn results_of(r: &[(String, Option<bool>, Value, String)]) -> Vec<(String, Option<bool>, Value)> {
    r.iter()
        .map(|(id, res, ch, _)| (id.clone(), *res, ch.clone()))
        .collect()
}

#[test]
fn created_then_nothing_to_do_then_altered_then_removed() {
    let c = Cluster::start();
    let sls = present(&c);

    // A test run changes nothing and says what would be created, with no
    // changes to show (as Salt's).
    let test = apply(&c, &sls, true);
    assert_eq!(by_id(&test, "app").1, None);
    assert_eq!(by_id(&test, "app").2, json!({}));
    assert_eq!(by_id(&test, "app").3, "User app is set to be created");
    assert_eq!(
        c.query("select count(*) from pg_roles where rolname = 'app'"),
        "0"
    );

    let first = apply(&c, &sls, false);
    assert_eq!(
        results_of(&first),
        [
            ("readers".into(), Some(true), json!({"readers": "Present"})),
            ("app".into(), Some(true), json!({"app": "Present"})),
            ("ts".into(), Some(true), json!({"ts": "Present"})),
            ("appdb".into(), Some(true), json!({"appdb": "Present"})),
            ("sch".into(), Some(true), json!({"sch": "Present"})),
            ("citext".into(), Some(true), json!({"citext": "Installed"})),
        ],
        "{first:#?}"
    );
    assert_eq!(by_id(&first, "app").3, "The user app has been created");
    assert_eq!(
        c.query("select rolcreatedb, rolcanlogin, rolinherit, rolvaliduntil::date from pg_roles where rolname = 'app'"),
        "t|t|t|2030-01-01"
    );
    assert_eq!(
        c.query("select rolcanlogin from pg_roles where rolname = 'readers'"),
        "f"
    );
    assert!(c
        .query("select rolpassword from pg_authid where rolname = 'app'")
        .starts_with("SCRAM-SHA-256$4096:"));
    assert!(
        c.logs_in("app", SECRET),
        "app cannot log in with its password"
    );
    assert_eq!(
        c.query("select pg_get_userbyid(datdba), t.spcname from pg_database d join pg_tablespace t on t.oid = d.dattablespace where datname = 'appdb'"),
        "app|ts"
    );
    assert_eq!(
        c.query("select spcoptions from pg_tablespace where spcname = 'ts'"),
        "{seq_page_cost=1.1}"
    );

    // The second time, nothing to do, in a test run and for real.
    for test in [true, false] {
        let again = apply(&c, &sls, test);
        for (id, result, changes, comment) in &again {
            assert_eq!(
                (*result, changes),
                (Some(true), &json!({})),
                "{id}: {comment}"
            );
        }
        assert_eq!(by_id(&again, "app").3, "User app is already present");
        assert_eq!(
            by_id(&again, "sch").3,
            "Schema sch already exists in database appdb"
        );
        assert_eq!(
            by_id(&again, "citext").3,
            "Extension citext is already present"
        );
    }

    // Altered: attributes, password (md5 now), membership, owners, options,
    // the extension's version.
    let altered = sls
        .replace("createdb: True", "createdb: False\n    - encrypted: md5")
        .replace(&format!("password: \"{SECRET}\""), "password: other-pw")
        .replace("groups: readers", "groups: readers,writers")
        .replace("seq_page_cost: 1.1", "seq_page_cost: 1.2")
        .replace("ext_version: '1.4'", "ext_version: '1.6'");
    let altered = format!(
        "writers:\n  postgres_group.present:\n{{conn}}    - require_in:\n      - postgres_user: app\nowner2:\n  postgres_user.present:\n{{conn}}\n{}",
        altered.replace("appdb:\n  postgres_database.present:\n    - owner: app", "appdb:\n  postgres_database.present:\n    - owner: owner2\n    - owner_recurse: True")
    );
    let test = apply(&c, &altered, true);
    assert_eq!(by_id(&test, "app").1, None);
    assert_eq!(
        by_id(&test, "app").2,
        json!({"app": {"createdb": false, "password": true, "groups": ["writers"]}})
    );
    assert_eq!(by_id(&test, "app").3, "User app is set to be updated");
    let done = apply(&c, &altered, false);
    assert_eq!(
        results_of(&done)
            .into_iter()
            .filter(|(id, _, _)| ["app", "ts", "appdb", "citext"].contains(&id.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "app".into(),
                Some(true),
                json!({"app": {"createdb": false, "password": true, "groups": ["writers"]}})
            ),
            (
                "ts".into(),
                Some(true),
                json!({"ts": {"options": {"seq_page_cost": "1.2"}}})
            ),
            (
                "appdb".into(),
                Some(true),
                json!({"appdb": "Parameters changed"})
            ),
            ("citext".into(), Some(true), json!({"citext": "Upgraded"})),
        ],
        "{done:#?}"
    );
    // (md5 cannot log in where pg_hba.conf asks for scram-sha-256: the
    // verifier is compared instead.)
    assert_eq!(
        // (hex-encoded here, so that the log check below holds)
        c.query(&format!(
            "select rolpassword = 'md5' || md5(convert_from(decode('{}', 'hex'), 'UTF8') || 'app') from pg_authid where rolname = 'app'",
            "other-pw".bytes().map(|b| format!("{b:02x}")).collect::<String>()
        )),
        "t"
    );
    assert_eq!(
        c.query("select string_agg(g.rolname, ',' order by g.rolname) from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles r on r.oid = m.member where r.rolname = 'app'"),
        "readers,writers"
    );
    // owner_recurse: the database and what is in it.
    assert_eq!(
        c.query("select pg_get_userbyid(datdba) from pg_database where datname = 'appdb'"),
        "owner2"
    );
    let in_db = |sql: &str| {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--", "psql", "-XAtq", "-h"])
            .arg(c.dir.path())
            .args(["-p", &c.port.to_string(), "-d", "appdb", "-c", sql])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(
        in_db("select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'sch'"),
        "owner2"
    );
    assert_eq!(
        in_db("select extversion from pg_extension where extname = 'citext'"),
        "1.6"
    );
    let again = apply(&c, &altered, false);
    for (id, result, changes, comment) in &again {
        assert_eq!(
            (*result, changes),
            (Some(true), &json!({})),
            "{id}: {comment}"
        );
    }

    // As a role that is not a superuser, over TCP with its own password
    // (SCRAM, given on psql's stdin): the stored password cannot be read,
    // so it is set every time, as Salt's `refresh_password` would.
    c.query("CREATE ROLE admin LOGIN CREATEROLE PASSWORD 'admin-pw'");
    let tcp = format!(
        "helper:\n  postgres_user.present:\n    - password: helper-pw\n    - db_host: 127.0.0.1\n    - db_port: {}\n    - db_user: admin\n    - db_password: admin-pw\n",
        c.port
    );
    let first = apply(&c, &tcp, false);
    assert_eq!(
        (first[0].1, &first[0].2),
        (Some(true), &json!({"helper": "Present"})),
        "{first:?}"
    );
    assert!(c.logs_in("helper", "helper-pw"));
    let again = apply(&c, &tcp, false);
    assert_eq!(
        (again[0].1, &again[0].2),
        (Some(true), &json!({"helper": {"password": true}})),
        "{again:?}"
    );
    c.query("DROP ROLE helper; DROP ROLE admin");

    // A password in another script: hashed by the server, compared after
    // SASLprep (a no-break space, a soft hyphen, a ligature), nothing to
    // do the second time.
    let word = "p\u{e4}\u{a0}ss\u{ad}\u{fb01}x";
    let intl = format!("intl:\n  postgres_user.present:\n    - password: \"{word}\"\n{{conn}}");
    let first = apply(&c, &intl, false);
    assert_eq!(first[0].2, json!({"intl": "Present"}), "{first:?}");
    assert!(c.logs_in("intl", word));
    let again = apply(&c, &intl, false);
    assert_eq!(
        (again[0].1, &again[0].2),
        (Some(true), &json!({})),
        "{again:?}"
    );
    c.query("DROP ROLE intl");

    // Removed, in the order the requisites give; then nothing to remove.
    let absent = "citext:\n  postgres_extension.absent:\n    - maintenance_db: appdb\n{conn}
sch:\n  postgres_schema.absent:\n    - dbname: appdb\n{conn}    - require:\n      - postgres_extension: citext
appdb:\n  postgres_database.absent:\n{conn}    - require:\n      - postgres_schema: sch
ts:\n  postgres_tablespace.absent:\n{conn}    - require:\n      - postgres_database: appdb
app:\n  postgres_user.absent:\n{conn}    - require:\n      - postgres_tablespace: ts
owner2:\n  postgres_user.absent:\n{conn}    - require:\n      - postgres_database: appdb
readers:\n  postgres_group.absent:\n{conn}    - require:\n      - postgres_user: app
writers:\n  postgres_group.absent:\n{conn}    - require:\n      - postgres_user: app
"
    .to_string();
    let gone = apply(&c, &absent, false);
    for (id, result, changes, comment) in &gone {
        assert_eq!(
            (*result, changes),
            (Some(true), &json!({id.clone(): "Absent"})),
            "{id}: {comment}"
        );
    }
    assert_eq!(
        by_id(&gone, "sch").3,
        "Schema sch has been removed from database appdb"
    );
    let again = apply(&c, &absent, false);
    for (id, result, changes, comment) in &again {
        assert_eq!(
            (*result, changes),
            (Some(true), &json!({})),
            "{id}: {comment}"
        );
    }
    assert_eq!(
        by_id(&again, "app").3,
        "User app is not present, so it cannot be removed"
    );

    // Every statement was logged, and not one password.
    let log = c.log();
    assert!(
        log.contains("CREATE TABLESPACE"),
        "the log holds statements"
    );
    for secret in [SECRET, "other-pw", &SECRET.replace('\'', "''"), "helper-pw"] {
        let line = log.lines().find(|l| l.contains(secret));
        assert_eq!(line, None, "the server's log holds a password");
    }
}

#[test]
fn a_server_that_is_not_there_yet() {
    let sls = "app:\n  postgres_user.present:\n    - db_host: /nonexistent\nold:\n  postgres_user.absent:\n    - db_host: /nonexistent\n";
    let run = |test| {
        let tree = TestTree::new(&[("pg.sls", sls)]);
        let graph = tree.compile("pg").unwrap();
        let host = Host::new(
            "h",
            Arc::new(Local::new(60)),
            Arc::clone(&tree.tree),
            "base",
            tree.render.clone(),
        );
        runtime().block_on(run::run(
            &graph,
            &host,
            &Registry::states(),
            Options::test(test),
        ))
    };
    // A test run says what a fresh server will need.
    let test = run(true);
    assert_eq!(test[0].result, None);
    assert!(
        test[0].comment.starts_with("User app is set to be created (PostgreSQL cannot be reached now: connection to server on socket \"/nonexistent/.s.PGSQL.5432\" failed: No such file or directory)"),
        "{}",
        test[0].comment
    );
    assert_eq!(test[1].result, Some(true));
    // Applied, neither can do what it says.
    let real = run(false);
    assert_eq!(real[0].result, Some(false));
    assert!(
        real[0].comment.starts_with("Failed to create user app: "),
        "{}",
        real[0].comment
    );
    assert_eq!(real[1].result, Some(false));
    assert!(
        real[1]
            .comment
            .starts_with("Cannot tell whether user old is present: connection to server"),
        "{}",
        real[1].comment
    );
}
