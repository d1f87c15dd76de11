//! `postgres_database.present/absent`. Encoding, collation and character
//! type are set when a database is created and cannot change after; the
//! owner and the default tablespace can (`owner_recurse`: the owner of
//! every schema, relation and routine in it too).

use async_trait::async_trait;
use serde_json::json;

use super::args::{connected, scalar, AbsentArgs};
use super::{any_row, changed, exists, quiet, sql, unknown, Removal};
use crate::facts::pg_database::Database;
use crate::facts::pg_session::{ident, literal, Found};
use crate::functions::{Ctx, Function};
use crate::plan::{Failure, Plan};

pub(crate) struct DatabasePresent;
pub(crate) struct DatabaseAbsent;

connected! {
    pub struct PresentArgs {
        pub name: String,
        #[serde(default, deserialize_with = "scalar")]
        pub tablespace: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub encoding: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub lc_collate: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub lc_ctype: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub owner: Option<String>,
        #[serde(default)]
        pub owner_recurse: bool,
        #[serde(default, deserialize_with = "scalar")]
        pub template: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub maintenance_db: Option<String>,
    }
}

/// Whether `have` is what is `wanted`, if anything is.
fn fits(wanted: &Option<String>, have: &str) -> bool {
    wanted.as_deref().is_none_or(|w| w == have)
}

/// `CREATE DATABASE` with the options given, in Salt's order.
fn create(a: &PresentArgs) -> String {
    let mut with = Vec::new();
    let opts = [
        ("TABLESPACE", a.tablespace.as_deref().map(ident)),
        ("OWNER", a.owner.as_deref().map(ident)),
        ("TEMPLATE", a.template.as_deref().map(ident)),
        ("ENCODING", a.encoding.as_deref().map(literal)),
        ("LC_COLLATE", a.lc_collate.as_deref().map(literal)),
        ("LC_CTYPE", a.lc_ctype.as_deref().map(literal)),
    ];
    for (key, value) in opts {
        if let Some(v) = value {
            with.push(format!("{key} = {v}"));
        }
    }
    let with = if with.is_empty() {
        String::new()
    } else {
        format!(" WITH {}", with.join(" "))
    };
    format!("CREATE DATABASE {}{with};\n", ident(&a.name))
}

/// Give `owner` every schema, relation and routine of the database the
/// session is in, but those of the system and of extensions (a sequence
/// that belongs to a column follows its table).
fn recurse(owner: &str) -> String {
    let o = literal(owner);
    format!(
        "DO $converge$DECLARE r record; BEGIN
FOR r IN SELECT format('ALTER SCHEMA %I OWNER TO %I', nspname, {o}) AS q FROM pg_catalog.pg_namespace n
  WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
UNION ALL SELECT format('ALTER %s %s OWNER TO %I',
    CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
      WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.oid::regclass, {o})
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
UNION ALL SELECT format('ALTER %s %s OWNER TO %I', CASE p.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END, p.oid::regprocedure, {o})
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
LOOP EXECUTE r.q; END LOOP; END$converge$;\n"
    )
}

#[async_trait]
impl Function for DatabasePresent {
    type Args = PresentArgs;

    async fn plan(&self, a: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &a.name;
        let session = a.session(a.maintenance_db.as_deref());
        let found = Database::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        let db = match &found {
            Found::Present(db) => db,
            Found::Absent | Found::Unreachable(_) => {
                return Ok(quiet(
                    changed(name, json!("Present")),
                    unknown(format!("Database {name} is set to be created"), &found),
                    format!("The database {name} has been created"),
                    vec![sql(
                        &session,
                        create(a),
                        format!("Failed to create database {name}"),
                    )],
                ))
            }
        };
        let encoding = a
            .encoding
            .as_ref()
            .is_none_or(|e| e.eq_ignore_ascii_case(&db.encoding));
        if !encoding || !fits(&a.lc_collate, &db.collate) || !fits(&a.lc_ctype, &db.ctype) {
            return Err(Failure::new(format!(
                "Database {name} has wrong parameters which couldn't be changed on fly."
            )));
        }
        let owner = a.owner.as_deref().filter(|o| *o != db.owner);
        let tablespace = a.tablespace.as_deref().filter(|t| *t != db.tablespace);
        if owner.is_none() && tablespace.is_none() {
            return Ok(Plan::noop(format!("Database {name} is already present")));
        }
        let fail = format!("Failed to change parameters for database {name}");
        let mut actions = Vec::new();
        let mut script = String::new();
        if let Some(o) = owner {
            script.push_str(&format!(
                "ALTER DATABASE {} OWNER TO {};\n",
                ident(name),
                ident(o)
            ));
        }
        if let Some(t) = tablespace {
            script.push_str(&format!(
                "ALTER DATABASE {} SET TABLESPACE {};\n",
                ident(name),
                ident(t)
            ));
        }
        actions.push(sql(&session, script, fail.clone()));
        if let Some(o) = owner.filter(|_| a.owner_recurse) {
            actions.push(sql(&session.on(name), recurse(o), fail));
        }
        Ok(quiet(
            changed(name, json!("Parameters changed")),
            format!("Database {name} exists, but parameters need to be changed"),
            format!("Parameters for database {name} have been changed"),
            actions,
        ))
    }
}

#[async_trait]
impl Function for DatabaseAbsent {
    type Args = AbsentArgs;

    async fn plan(&self, a: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &a.name;
        let session = a.session(a.maintenance_db.as_deref());
        let found = Database::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        // As Salt: no new connections, the ones there ended, dropped.
        let drop = format!(
            "REVOKE CONNECT ON DATABASE {d} FROM public;\n\
SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_catalog.pg_stat_activity WHERE datname = {l} AND pid <> pg_catalog.pg_backend_pid();\n\
DROP DATABASE {d};\n",
            d = ident(name),
            l = literal(name)
        );
        let probe = Database::command(&session, name);
        Ok(Removal::of(&session, "Database", name, drop, probe, |out| {
            any_row(out, false)
        })
        .plan(name, exists(found)))
    }
}
