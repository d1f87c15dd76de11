//! `postgres_schema.present/absent`: a schema in database `dbname`. As in
//! Salt, `owner` is its owner when it is created; an existing schema is
//! left as it is.

use async_trait::async_trait;
use serde_json::json;

use super::args::{connected, scalar};
use super::{any_row, changed, exists, quiet, sql, unknown, Removal};
use crate::facts::pg_schema::Schema;
use crate::facts::pg_session::{ident, Found};
use crate::functions::{Ctx, Function};
use crate::plan::{Failure, Plan};

pub(crate) struct SchemaPresent;
pub(crate) struct SchemaAbsent;

connected! {
    pub struct PresentArgs {
        pub name: String,
        pub dbname: String,
        #[serde(default, deserialize_with = "scalar")]
        pub owner: Option<String>,
    }
}

connected! {
    pub struct AbsentArgs {
        pub name: String,
        pub dbname: String,
    }
}

#[async_trait]
impl Function for SchemaPresent {
    type Args = PresentArgs;

    async fn plan(&self, a: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (name, db) = (&a.name, &a.dbname);
        let session = a.session(Some(db));
        let found = Schema::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        if let Found::Present(_) = found {
            return Ok(Plan::noop(format!(
                "Schema {name} already exists in database {db}"
            )));
        }
        let owner = a
            .owner
            .as_deref()
            .map(|o| format!(" AUTHORIZATION {}", ident(o)))
            .unwrap_or_default();
        Ok(quiet(
            changed(name, json!("Present")),
            unknown(
                format!("Schema {name} is set to be created in database {db}."),
                &found,
            ),
            format!("Schema {name} has been created in database {db}"),
            vec![sql(
                &session,
                format!("CREATE SCHEMA {}{owner};\n", ident(name)),
                format!("Failed to create schema {name} in database {db}"),
            )],
        ))
    }
}

#[async_trait]
impl Function for SchemaAbsent {
    type Args = AbsentArgs;

    async fn plan(&self, a: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let (name, db) = (&a.name, &a.dbname);
        let session = a.session(Some(db));
        let found = Schema::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        let drop = format!("DROP SCHEMA {};\n", ident(name));
        let probe = Schema::command(&session, name);
        Ok(Removal {
            what: format!("schema {name} of database {db}"),
            gone: format!("Schema {name} is not present in database {db}, so it cannot be removed"),
            would: format!("Schema {name} is set to be removed from database {db}"),
            done: format!("Schema {name} has been removed from database {db}"),
            ..Removal::of(&session, "Schema", name, drop, probe, |out| {
                any_row(out, true)
            })
        }
        .plan(name, exists(found)))
    }
}
