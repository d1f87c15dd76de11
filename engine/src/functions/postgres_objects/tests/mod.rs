//! Given what the server answers, this plan; and against Salt 3008.4.
//!
//! `salt/` holds what Salt answered in test runs of the same trees
//! against a scratch PostgreSQL 15 in four states (see salt/README.md);
//! the probes' answers below are what PostgreSQL 15 printed for our
//! probes in those states. Each scenario runs a tree through the executor
//! in test mode and compares every state with Salt's: the same result,
//! changes and comment, but where a difference is listed, with its reason.

mod live;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::functions::Registry;
use crate::host::Host;
use crate::plan::Action;
use crate::run::{self, Options};
use crate::testing::{fixture, plan, TestTree};
use crate::transport::fake::Fake;
use crate::transport::{Exec, FileFact, Output, Transport, TransportError, WriteFile};

/// A PostgreSQL server as psql shows it: each probe's answer chosen by
/// what its script asks (every needle in `PGDATABASE=<db>` and the
/// script; the last answer given wins); nothing found is an empty answer.
#[derive(Default)]
struct Server {
    answers: Vec<(Vec<&'static str>, Output)>,
    scripts: Mutex<Vec<String>>,
}

impl Server {
    fn answer(mut self, needles: &[&'static str], stdout: &str) -> Server {
        let out = Output {
            stdout: format!("{stdout}\n"),
            ..Output::default()
        };
        self.answers.push((needles.to_vec(), out));
        self
    }

    /// psql 15, connecting to a database that does not exist.
    fn no_database(mut self, db: &'static str) -> Server {
        let out = Output {
            code: 2,
            stderr: format!("psql: error: connection to server on socket \"/tmp/pgobj-pg/sock/.s.PGSQL.55432\" failed: FATAL:  database \"{db}\" does not exist\n"),
            ..Output::default()
        };
        self.answers.push((vec![db_needle(db)], out));
        self
    }
}

fn db_needle(db: &'static str) -> &'static str {
    Box::leak(format!("PGDATABASE={db}\n").into_boxed_str())
}

#[async_trait]
impl Transport for Server {
    async fn exec(&self, exec: &Exec) -> Result<Output, TransportError> {
        let db = exec
            .env
            .iter()
            .find(|(k, _)| k == "PGDATABASE")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let script = String::from_utf8_lossy(exec.stdin.as_deref().unwrap_or_default());
        let seen = format!("PGDATABASE={db}\n{script}");
        self.scripts.lock().unwrap().push(seen.clone());
        Ok(self
            .answers
            .iter()
            .rev()
            .find(|(needles, _)| needles.iter().all(|n| seen.contains(n)))
            .map(|(_, o)| o.clone())
            .unwrap_or_default())
    }

    async fn read_files(&self, paths: &[String]) -> Result<Vec<FileFact>, TransportError> {
        Ok(paths.iter().map(|p| FileFact::missing(p)).collect())
    }

    async fn write_file(&self, w: &WriteFile) -> Result<(), TransportError> {
        Err(TransportError::Broken(format!("no file here: {}", w.path)))
    }
}

/// (result, changes, comment) of each state of `sls` in a test run, by ID.
fn test_run(sls: &str, server: Server) -> Vec<(String, Value)> {
    let tree = TestTree::new(&[("pg.sls", sls)]);
    let graph = tree.compile("pg").unwrap();
    let host = Host::new(
        "h",
        Arc::new(server),
        Arc::clone(&tree.tree),
        "base",
        tree.render.clone(),
    );
    let results = crate::testing::runtime().block_on(run::run(
        &graph,
        &host,
        &Registry::states(),
        Options::test(true),
    ));
    results
        .into_iter()
        .map(|r| {
            (
                r.state.id,
                json!({"result": r.result, "changes": r.changes, "comment": r.comment}),
            )
        })
        .collect()
}

/// Salt's answers of a recording, by ID.
fn salt(name: &str) -> Vec<(String, Value)> {
    let text = match name {
        "fresh" => include_str!("salt/fresh.json"),
        "present" => include_str!("salt/present.json"),
        "drift" => include_str!("salt/drift.json"),
        "absent" => include_str!("salt/absent.json"),
        "odd" => include_str!("salt/odd.json"),
        _ => unreachable!(),
    };
    let rows: Vec<Value> = serde_json::from_str(text).unwrap();
    rows.into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                json!({"result": r["result"], "changes": r["changes"], "comment": r["comment"]}),
            )
        })
        .collect()
}

/// Ours against Salt's: equal, but for the `differences` ((ID, what ours
/// is, why)), each of which must be one.
fn compare(
    ours: &[(String, Value)],
    salts: &[(String, Value)],
    differences: &[(&str, Value, &str)],
) {
    let ids: Vec<&String> = ours.iter().map(|(id, _)| id).collect();
    let salt_ids: Vec<&String> = salts.iter().map(|(id, _)| id).collect();
    assert_eq!(ids, salt_ids, "the same states, in Salt's order");
    for ((id, mine), (_, theirs)) in ours.iter().zip(salts) {
        match differences.iter().find(|(d, _, _)| d == id) {
            Some((_, expected, why)) => {
                assert_ne!(mine, theirs, "{id}: listed as different ({why}) but equal");
                assert_eq!(mine, expected, "{id}: {why}");
            }
            None => assert_eq!(mine, theirs, "{id}"),
        }
    }
}

fn would(changes: Value, comment: &str) -> Value {
    json!({"result": null, "changes": changes, "comment": comment})
}

#[test]
fn a_fresh_server_as_salt_sees_it() {
    // Nothing of the tree exists; appdb neither, so neither does what is in it.
    let server = Server::default().no_database("appdb");
    let ours = test_run(include_str!("salt/present.sls"), server);
    compare(&ours, &salt("fresh"), &[]);
}

/// What PostgreSQL 15 printed for the probes with every object of the tree
/// in place (salt/README.md): app's password stored as md5, for Salt.
fn everything_there(app_password: bool) -> Server {
    let app = format!("{{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : true, \"login\" : true, \"replication\" : false, \"groups\" : [\"readers\"], \"password\" : {app_password}, \"valid_until\" : null}}");
    Server::default()
        .answer(&["rolname = E'readers'"], "{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : false, \"login\" : false, \"replication\" : false, \"groups\" : [], \"password\" : null, \"valid_until\" : null}")
        .answer(&["rolname = E'app'"], &app)
        .answer(&["datname = E'appdb'"], "{\"owner\" : \"app\", \"encoding\" : \"UTF8\", \"collate\" : \"C.UTF-8\", \"ctype\" : \"C.UTF-8\", \"tablespace\" : \"pg_default\"}")
        .answer(&["PGDATABASE=appdb\n", "nspname = E'sch'"], "{\"owner\" : \"app\"}")
        .answer(&["PGDATABASE=appdb\n", "lower(E'citext')"], "{\"available\" : true, \"installed\" : {\"version\" : \"1.4\", \"schema\" : \"sch\", \"relocatable\" : true}}")
        .answer(&["spcname = E'ts'"], "{\"owner\" : \"app\", \"location\" : \"/tmp/pgobj-pg/ts\", \"options\" : [\"seq_page_cost=1.1\"]}")
}

#[test]
fn everything_in_place_is_already_present() {
    // Stored as md5 (Salt's default), app's password is set again as SCRAM.
    let ours = test_run(include_str!("salt/present.sls"), everything_there(false));
    compare(
        &ours,
        &salt("present"),
        &[(
            "app",
            would(json!({"app": {"password": true}}), "User app is set to be updated"),
            "the password is stored as md5, and converge stores SCRAM-SHA-256 unless `encrypted: md5`",
        )],
    );
    // Had it been stored as SCRAM, nothing at all.
    let ours = test_run(include_str!("salt/present.sls"), everything_there(true));
    compare(&ours, &salt("present"), &[]);
}

#[test]
fn what_drifted_is_set_to_be_updated() {
    // app lost CREATEDB and its membership, and has another password;
    // appdb and ts belong to postgres; ts has another option; citext is
    // 1.4 and 1.6 is wanted; `gone` exists.
    let app = "{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : false, \"login\" : true, \"replication\" : false, \"groups\" : [], \"password\" : false, \"valid_until\" : false}";
    let server = everything_there(false)
        .answer(&["rolname = E'app'"], &app.replace("\"valid_until\" : false", "\"valid_until\" : null"))
        .answer(&["rolname = E'app'", "2031-02-03"], app)
        .answer(&["rolname = E'gone'"], "{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : false, \"login\" : false, \"replication\" : false, \"groups\" : [], \"password\" : null, \"valid_until\" : null}")
        .answer(&["datname = E'appdb'"], "{\"owner\" : \"postgres\", \"encoding\" : \"UTF8\", \"collate\" : \"C.UTF-8\", \"ctype\" : \"C.UTF-8\", \"tablespace\" : \"pg_default\"}")
        .answer(&["spcname = E'ts'"], "{\"owner\" : \"postgres\", \"location\" : \"/tmp/pgobj-pg/ts\", \"options\" : [\"seq_page_cost=2\"]}");
    let ours = test_run(include_str!("salt/drift.sls"), server);
    compare(
        &ours,
        &salt("drift"),
        &[
            (
                "ts",
                would(json!({}), "Tablespace ts options to be altered"),
                "its comment has no line break (and converge changes nothing: Salt 3008.4 alters the owner in a test run)",
            ),
        ],
    );
}

#[test]
fn absent_as_salt_sees_it() {
    let role = "{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : false, \"login\" : true, \"replication\" : false, \"groups\" : [], \"password\" : null, \"valid_until\" : null}";
    let server = Server::default()
        .answer(&["rolname = E'app'"], role)
        .answer(&["rolname = E'readers'"], role)
        .answer(&["datname = E'appdb'"], "{\"owner\" : \"app\", \"encoding\" : \"UTF8\", \"collate\" : \"C.UTF-8\", \"ctype\" : \"C.UTF-8\", \"tablespace\" : \"pg_default\"}")
        .answer(&["PGDATABASE=appdb\n", "nspname = E'sch'"], "{\"owner\" : \"app\"}")
        .answer(&["PGDATABASE=appdb\n", "lower(E'citext')"], "{\"available\" : true, \"installed\" : {\"version\" : \"1.4\", \"schema\" : \"sch\", \"relocatable\" : true}}")
        .answer(&["PGDATABASE=appdb\n", "lower(E'hstore')"], "{\"available\" : true, \"installed\" : null}")
        .answer(&["spcname = E'ts'"], "{\"owner\" : \"app\", \"location\" : \"/tmp/pgobj-pg/ts\", \"options\" : [\"seq_page_cost=2\"]}");
    let ours = test_run(include_str!("salt/absent.sls"), server);
    compare(&ours, &salt("absent"), &[]);
}

#[test]
fn what_cannot_be_done_fails_in_a_test_run_too() {
    let server = Server::default()
        .answer(&["datname = E'appdb'"], "{\"owner\" : \"app\", \"encoding\" : \"UTF8\", \"collate\" : \"C.UTF-8\", \"ctype\" : \"C.UTF-8\", \"tablespace\" : \"pg_default\"}")
        .answer(&["spcname = E'ts'"], "{\"owner\" : \"app\", \"location\" : \"/tmp/pgobj-pg/ts\", \"options\" : [\"seq_page_cost=2\"]}")
        .answer(&["PGDATABASE=appdb\n", "lower(E'nosuchext')"], "{\"available\" : false, \"installed\" : null}");
    let ours = test_run(include_str!("salt/odd.sls"), server);
    compare(
        &ours,
        &salt("odd"),
        &[
            (
                "ts",
                json!({"result": false, "changes": {}, "comment": "Tablespace ts is not at the right location (/tmp/pgobj-pg/ts, not /tmp/elsewhere). This is unfixable without dropping and recreating the tablespace."}),
                "Salt 3008.4 says `already present` in a test run, and fails only when applied",
            ),
            (
                "nosuchext",
                json!({"result": false, "changes": {}, "comment": "Extension nosuchext is not available on this server (pg_available_extensions); its package is not installed"}),
                "Salt 3008.4 says it would install it, and fails when applied",
            ),
        ],
    );
}

// Plans: the SQL each branch runs.

/// The script of the plan's one action (psql's input).
fn script(p: &crate::plan::Plan) -> String {
    let [Action::Run { exec, fail, .. }] = p.actions.as_slice() else {
        panic!("one psql session: {p:?}")
    };
    assert!(fail.is_some());
    String::from_utf8(exec.stdin.clone().unwrap()).unwrap()
}

const ABSENT: &str = "";

#[tokio::test(flavor = "multi_thread")]
async fn a_user_is_created_with_salts_defaults_in_one_transaction() {
    let fx = fixture(Fake::new().answer("exec psql", 0, ABSENT));
    let p = plan(
        &fx,
        "postgres_user.present",
        "name: app\npassword: s3cr3t\ngroups: a,b\nvalid_until: '2030-01-01'\nreplication: false",
    )
    .await
    .unwrap();
    let s = script(&p);
    assert!(s.starts_with("BEGIN;\nCREATE ROLE \"app\" WITH INHERIT LOGIN NOREPLICATION VALID UNTIL E'2030-01-01';\n"), "{s}");
    // The password only as COPY data, once; set from a DO block.
    assert!(
        s.contains("COPY converge_secret FROM STDIN;\ns3cr3t\ts3cr3t\n\\.\n"),
        "{s}"
    );
    assert_eq!(s.matches("s3cr3t").count(), 2, "{s}");
    assert!(
        s.contains("as verifier from spads, parts)); END$converge$;\n"),
        "{s}"
    );
    assert!(
        s.ends_with("GRANT \"a\" TO \"app\";\nGRANT \"b\" TO \"app\";\nCOMMIT;\n"),
        "{s}"
    );
    assert_eq!(p.done, "The user app has been created");
    // The password is in the script (stdin), nowhere else.
    let [Action::Run { exec, .. }] = p.actions.as_slice() else {
        panic!()
    };
    assert!(!exec.cmd.contains("s3cr3t") && exec.env.iter().all(|(_, v)| v != "s3cr3t"));
    assert!(!format!("{p:?}").contains("s3cr3t"));
    // A group does not log in.
    let p = plan(&fx, "postgres_group.present", "name: readers")
        .await
        .unwrap();
    assert_eq!(
        script(&p),
        "BEGIN;\nCREATE ROLE \"readers\" WITH INHERIT NOLOGIN;\nCOMMIT;\n"
    );
    assert_eq!(p.done, "The group readers has been created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_is_altered_in_what_differs_only() {
    let role = "{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : true, \"login\" : true, \"replication\" : false, \"groups\" : [\"a\"], \"password\" : true, \"valid_until\" : null}";
    let fx = fixture(Fake::new().answer("exec psql", 0, role));
    let p = plan(
        &fx,
        "postgres_user.present",
        "name: app\npassword: pw\ncreatedb: false\nlogin: true\ngroups: [a, b]\nsuperuser: true",
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(p.changes.clone()),
        json!({"app": {"createdb": false, "superuser": true, "groups": ["b"]}})
    );
    assert_eq!(
        script(&p),
        "BEGIN;\nALTER ROLE \"app\" WITH NOCREATEDB SUPERUSER;\nGRANT \"b\" TO \"app\";\nCOMMIT;\n"
    );
    assert_eq!(p.done, "The user app has been updated");
    // refresh_password sets it whatever is stored; default_password is
    // for creating only.
    let p = plan(
        &fx,
        "postgres_user.present",
        "name: app\npassword: pw\nrefresh_password: true\ndefault_password: other",
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(p.changes.clone()),
        json!({"app": {"password": true}})
    );
    assert!(!script(&p).contains("other"));
    let p = plan(
        &fx,
        "postgres_user.present",
        "name: app\ndefault_password: other",
    )
    .await
    .unwrap();
    assert!(p.is_noop());
    assert_eq!(p.comment, "User app is already present");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_that_cannot_be_compared_is_set_again() {
    // Not a superuser: pg_authid cannot be read, `password` is null.
    // (With db_password, psql's command reads it first.)
    let role = "{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : false, \"login\" : true, \"replication\" : false, \"groups\" : [], \"password\" : null, \"valid_until\" : null}";
    let fx = fixture(Fake::new().answer("IFS= read -r -d '' PGPASSWORD", 0, role));
    let p = plan(
        &fx,
        "postgres_user.present",
        "name: app\npassword: pw\nencrypted: md5\ndb_user: admin\ndb_password: adminpw",
    )
    .await
    .unwrap();
    assert_eq!(
        Value::Object(p.changes.clone()),
        json!({"app": {"password": true}})
    );
    let s = script(&p);
    assert!(
        s.contains("'md5' || md5((select p from converge_secret) || E'app')"),
        "{s}"
    );
    // The connecting role's password goes in ahead of the script.
    let [Action::Run { exec, .. }] = p.actions.as_slice() else {
        panic!()
    };
    assert!(exec.stdin.as_ref().unwrap().starts_with(b"adminpw\0"));
    assert!(exec.env.contains(&("PGUSER".into(), "admin".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn arguments_salt_refuses_or_converge_cannot_honour() {
    let fx = fixture(Fake::new());
    let e = plan(&fx, "postgres_user.present", "name: app\nencrypted: false")
        .await
        .unwrap_err();
    assert!(
        e.comment
            .contains("unencrypted passwords were removed in PostgreSQL 10"),
        "{e}"
    );
    let e = plan(&fx, "postgres_user.present", "name: app\nconnlimit: 3")
        .await
        .unwrap_err();
    assert!(e.comment.contains("unknown field `connlimit`"), "{e}");
    // A probe that fails for another reason than an absent server fails the state.
    let fx = fixture(Fake::new().failing("exec psql", 2, "psql: error: connection to server on socket \"/s/.s.PGSQL.5432\" failed: FATAL:  Peer authentication failed for user \"app\"\n"));
    let e = plan(&fx, "postgres_user.absent", "name: app")
        .await
        .unwrap_err();
    assert!(
        e.comment
            .ends_with("Peer authentication failed for user \"app\""),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn databases_are_created_with_salts_options_and_altered_where_they_can_be() {
    let fx = fixture(Fake::new().answer("exec psql", 0, ABSENT));
    let p = plan(
        &fx,
        "postgres_database.present",
        "name: db1\nowner: localUser\nencoding: UTF8\nlc_collate: en_US.UTF-8\nlc_ctype: en_US.UTF-8\ntemplate: template0\ntablespace: my_space\nuser: postgres",
    )
    .await
    .unwrap();
    assert_eq!(
        script(&p),
        "CREATE DATABASE \"db1\" WITH TABLESPACE = \"my_space\" OWNER = \"localUser\" TEMPLATE = \"template0\" ENCODING = E'UTF8' LC_COLLATE = E'en_US.UTF-8' LC_CTYPE = E'en_US.UTF-8';\n"
    );
    let db = "{\"owner\" : \"postgres\", \"encoding\" : \"UTF8\", \"collate\" : \"C.UTF-8\", \"ctype\" : \"C.UTF-8\", \"tablespace\" : \"pg_default\"}";
    let fx = fixture(Fake::new().answer("exec psql", 0, db));
    let p = plan(
        &fx,
        "postgres_database.present",
        "name: db1\nowner: app\nowner_recurse: true\nencoding: utf8",
    )
    .await
    .unwrap();
    let [Action::Run { exec: a, .. }, Action::Run { exec: b, .. }] = p.actions.as_slice() else {
        panic!("{p:?}")
    };
    assert_eq!(
        a.stdin.as_deref(),
        Some(&b"ALTER DATABASE \"db1\" OWNER TO \"app\";\n"[..])
    );
    // ...and then everything in it, connected to it.
    assert!(b.env.contains(&("PGDATABASE".into(), "db1".into())));
    assert!(String::from_utf8_lossy(b.stdin.as_deref().unwrap()).starts_with("DO $converge$"));
    assert_eq!(p.done, "Parameters for database db1 have been changed");
    let e = plan(
        &fx,
        "postgres_database.present",
        "name: db1\nlc_ctype: en_US.UTF-8",
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.comment,
        "Database db1 has wrong parameters which couldn't be changed on fly."
    );
    let p = plan(&fx, "postgres_database.absent", "name: db1")
        .await
        .unwrap();
    let s = script(&p);
    assert!(
        s.starts_with("REVOKE CONNECT ON DATABASE \"db1\" FROM public;\n"),
        "{s}"
    );
    assert!(s.ends_with("DROP DATABASE \"db1\";\n"), "{s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn schemas_extensions_and_tablespaces() {
    let fx = fixture(Fake::new().answer("exec psql", 0, ABSENT));
    let p = plan(
        &fx,
        "postgres_schema.present",
        "name: public\ndbname: db2\nowner: localUser",
    )
    .await
    .unwrap();
    assert_eq!(
        script(&p),
        "CREATE SCHEMA \"public\" AUTHORIZATION \"localUser\";\n"
    );
    assert_eq!(p.done, "Schema public has been created in database db2");
    let p = plan(&fx, "postgres_tablespace.present", "name: my_space\ndirectory: /srv/my_tablespace\nowner: localUser\noptions: {random_page_cost: 1.1}")
        .await
        .unwrap();
    assert_eq!(
        script(&p),
        "CREATE TABLESPACE \"my_space\" OWNER \"localUser\" LOCATION E'/srv/my_tablespace' WITH (\"random_page_cost\" = E'1.1');\n"
    );
    let ext = "{\"available\" : true, \"installed\" : null}";
    let fx = fixture(Fake::new().answer("exec psql", 0, ext));
    let p = plan(
        &fx,
        "postgres_extension.present",
        "name: uuid-ossp\nmaintenance_db: db1\nschema: uuid-ossp\next_version: 1.1",
    )
    .await
    .unwrap();
    assert_eq!(
        script(&p),
        "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA \"uuid-ossp\" VERSION E'1.1';\n"
    );
    let installed = "{\"available\" : true, \"installed\" : {\"version\" : \"1.1\", \"schema\" : \"public\", \"relocatable\" : true}}";
    let fx = fixture(Fake::new().answer("exec psql", 0, installed));
    let p = plan(
        &fx,
        "postgres_extension.present",
        "name: x\nschema: ext\next_version: '1.10'",
    )
    .await
    .unwrap();
    assert_eq!(
        script(&p),
        "ALTER EXTENSION \"x\" SET SCHEMA \"ext\";\nALTER EXTENSION \"x\" UPDATE TO E'1.10';\n"
    );
    let p = plan(&fx, "postgres_extension.absent", "name: x")
        .await
        .unwrap();
    assert_eq!(script(&p), "DROP EXTENSION \"x\" CASCADE;\n");
    let p = plan(
        &fx,
        "postgres_extension.absent",
        "name: x\ncascade: false\nif_exists: true",
    )
    .await
    .unwrap();
    assert_eq!(script(&p), "DROP EXTENSION IF EXISTS \"x\";\n");
}

/// Every `postgres_*` state Salt compiled for the postgres-formula (its
/// `show_low_sls`, tests/formulas/recorded/postgres) is accepted with the
/// arguments Salt gave it.
#[test]
fn the_postgres_formulas_states_take_their_arguments() {
    use crate::compile::Signatures;
    let low: Value = serde_json::from_str(include_str!(
        "../../../../../tests/formulas/recorded/postgres/show_low_sls.json"
    ))
    .unwrap();
    let mut seen = Vec::new();
    for c in low["local"].as_array().unwrap() {
        let module = c["state"].as_str().unwrap();
        if !module.starts_with("postgres_") {
            continue;
        }
        let function = format!("{module}.{}", c["fun"].as_str().unwrap());
        let args: serde_json::Map<String, Value> = c
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| {
                !k.starts_with("__")
                    && !["state", "fun", "order", "require", "onchanges"].contains(&k.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let chunk = crate::testing::chunk(&function, &Value::Object(args).to_string());
        let parsed = Registry::states()
            .parse(&function, &chunk.args_node())
            .expect("a registered function");
        assert!(
            parsed.is_ok(),
            "{function}: {:?}",
            parsed.err().map(|e| e.message)
        );
        seen.push(function);
    }
    // Its ten: two users, a tablespace, two databases, two schemas, two
    // extensions and the absent user.
    assert_eq!(seen.len(), 10, "{seen:?}");
}
