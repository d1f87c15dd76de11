//! `postgres_tablespace.present/absent`. A tablespace cannot move: one at
//! another location fails the state; its owner and options are set.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::args::{connected, scalar, AbsentArgs};
use super::{any_row, changed, exists, quiet, sql, unknown, Removal};
use crate::facts::pg_session::{ident, literal, Found};
use crate::facts::pg_tablespace::Tablespace;
use crate::functions::{Ctx, Function};
use crate::plan::{Failure, Plan};

pub(crate) struct TablespacePresent;
pub(crate) struct TablespaceAbsent;

connected! {
    pub struct PresentArgs {
        pub name: String,
        #[serde(deserialize_with = "required")]
        pub directory: String,
        #[serde(default)]
        pub options: Option<IndexMap<String, Value>>,
        #[serde(default, deserialize_with = "scalar")]
        pub owner: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub maintenance_db: Option<String>,
    }
}

fn required<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    scalar(d)?.ok_or_else(|| serde::de::Error::custom("expected a directory"))
}

/// An option's value as PostgreSQL prints it (`1.1`, `on`).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[async_trait]
impl Function for TablespacePresent {
    type Args = PresentArgs;

    async fn plan(&self, a: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &a.name;
        let session = a.session(a.maintenance_db.as_deref());
        let found = Tablespace::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        let options: Vec<(String, String)> = a
            .options
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect();
        let ts = match &found {
            Found::Present(ts) => ts,
            Found::Absent | Found::Unreachable(_) => {
                let owner = a
                    .owner
                    .as_deref()
                    .map(|o| format!(" OWNER {}", ident(o)))
                    .unwrap_or_default();
                let with = if options.is_empty() {
                    String::new()
                } else {
                    let each: Vec<String> = options
                        .iter()
                        .map(|(k, v)| format!("{} = {}", ident(k), literal(v)))
                        .collect();
                    format!(" WITH ({})", each.join(", "))
                };
                return Ok(quiet(
                    changed(name, json!("Present")),
                    unknown(format!("Tablespace {name} is set to be created"), &found),
                    format!("The tablespace {name} has been created"),
                    vec![sql(
                        &session,
                        format!(
                            "CREATE TABLESPACE {}{owner} LOCATION {}{with};\n",
                            ident(name),
                            literal(&a.directory)
                        ),
                        format!("Failed to create tablespace {name}"),
                    )],
                ));
            }
        };
        if ts.location != a.directory {
            return Err(Failure::new(format!(
                "Tablespace {name} is not at the right location ({}, not {}). This is unfixable without dropping and recreating the tablespace.",
                ts.location, a.directory
            )));
        }
        let mut update = Map::new();
        let mut script = String::new();
        let (mut comment, mut done) = (String::new(), String::new());
        if let Some(o) = a.owner.as_ref().filter(|o| **o != ts.owner) {
            update.insert("owner".into(), json!(o));
            script.push_str(&format!(
                "ALTER TABLESPACE {} OWNER TO {};\n",
                ident(name),
                ident(o)
            ));
            comment = format!("Tablespace {name} owner to be altered");
            done = format!("Tablespace {name} owner changed");
        }
        let mut set = Map::new();
        for (k, v) in &options {
            if !ts.options.contains(&format!("{k}={v}")) {
                set.insert(k.clone(), json!(v));
                script.push_str(&format!(
                    "ALTER TABLESPACE {} SET ({} = {});\n",
                    ident(name),
                    ident(k),
                    literal(v)
                ));
            }
        }
        if !set.is_empty() {
            update.insert("options".into(), Value::Object(set));
            comment = format!("Tablespace {name} options to be altered");
            done = format!("Tablespace {name} opts changed");
        }
        if update.is_empty() {
            return Ok(Plan::noop(format!("Tablespace {name} is already present")));
        }
        Ok(quiet(
            changed(name, Value::Object(update)),
            comment,
            done,
            vec![sql(
                &session,
                script,
                format!("Failed to alter tablespace {name}"),
            )],
        ))
    }
}

#[async_trait]
impl Function for TablespaceAbsent {
    type Args = AbsentArgs;

    async fn plan(&self, a: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &a.name;
        let session = a.session(a.maintenance_db.as_deref());
        let found = Tablespace::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        let drop = format!("DROP TABLESPACE {};\n", ident(name));
        let probe = Tablespace::command(&session, name);
        Ok(Removal {
            failed: format!("Failed to remove tablespace {name}"),
            ..Removal::of(&session, "Tablespace", name, drop, probe, |out| {
                any_row(out, false)
            })
        }
        .plan(name, exists(found)))
    }
}
