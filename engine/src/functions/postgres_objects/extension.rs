//! `postgres_extension.present/absent`: an extension created in the
//! database `maintenance_db`; present also moves it to `schema` (when it
//! can move) and updates it to `ext_version` (when older), as Salt does.

use async_trait::async_trait;
use serde_json::json;

use super::args::{connected, older, scalar};
use super::{changed, quiet, sql, unknown, Removal};
use crate::facts::pg_extension::Extension;
use crate::facts::pg_session::{ident, literal, Found};
use crate::functions::{Ctx, Function};
use crate::plan::{Failure, Plan};

pub(crate) struct ExtensionPresent;
pub(crate) struct ExtensionAbsent;

connected! {
    pub struct PresentArgs {
        pub name: String,
        #[serde(default)]
        pub if_not_exists: Option<bool>,
        #[serde(default, deserialize_with = "scalar")]
        pub schema: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub ext_version: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub from_version: Option<String>,
        #[serde(default, deserialize_with = "scalar")]
        pub maintenance_db: Option<String>,
    }
}

connected! {
    pub struct AbsentArgs {
        pub name: String,
        #[serde(default)]
        pub if_exists: Option<bool>,
        #[serde(default)]
        pub restrict: Option<bool>,
        #[serde(default)]
        pub cascade: Option<bool>,
        #[serde(default, deserialize_with = "scalar")]
        pub maintenance_db: Option<String>,
    }
}

fn create(a: &PresentArgs) -> String {
    let mut sql = String::from("CREATE EXTENSION ");
    if a.if_not_exists != Some(false) {
        sql.push_str("IF NOT EXISTS ");
    }
    sql.push_str(&ident(&a.name));
    let mut with = Vec::new();
    if let Some(s) = &a.schema {
        with.push(format!("SCHEMA {}", ident(s)));
    }
    if let Some(v) = &a.ext_version {
        with.push(format!("VERSION {}", literal(v)));
    }
    if let Some(v) = &a.from_version {
        with.push(format!("FROM {}", literal(v)));
    }
    if !with.is_empty() {
        sql.push_str(&format!(" WITH {}", with.join(" ")));
    }
    sql + ";\n"
}

#[async_trait]
impl Function for ExtensionPresent {
    type Args = PresentArgs;

    async fn plan(&self, a: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &a.name;
        let session = a.session(a.maintenance_db.as_deref());
        let found = Extension::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        let installed = match &found {
            Found::Present(Extension {
                available: false,
                installed: None,
            }) => {
                return Err(Failure::new(format!(
                    "Extension {name} is not available on this server (pg_available_extensions); its package is not installed"
                )))
            }
            Found::Present(e) => e.installed.as_ref(),
            Found::Absent | Found::Unreachable(_) => None,
        };
        let Some(have) = installed else {
            return Ok(quiet(
                changed(name, json!("Installed")),
                unknown(format!("Extension {name} is set to be installed"), &found),
                format!("The extension {name} has been installed"),
                vec![sql(
                    &session,
                    create(a),
                    format!("Failed to install extension {name}"),
                )],
            ));
        };
        let mut script = String::new();
        if let Some(s) = a
            .schema
            .as_ref()
            .filter(|s| have.relocatable && **s != have.schema)
        {
            script.push_str(&format!(
                "ALTER EXTENSION {} SET SCHEMA {};\n",
                ident(name),
                ident(s)
            ));
        }
        if let Some(v) = a.ext_version.as_ref().filter(|v| older(&have.version, v)) {
            script.push_str(&format!(
                "ALTER EXTENSION {} UPDATE TO {};\n",
                ident(name),
                literal(v)
            ));
        }
        if script.is_empty() {
            return Ok(Plan::noop(format!("Extension {name} is already present")));
        }
        Ok(quiet(
            changed(name, json!("Upgraded")),
            format!("Extension {name} is set to be upgraded"),
            format!("The extension {name} has been upgraded"),
            vec![sql(
                &session,
                script,
                format!("Failed to upgrade extension {name}"),
            )],
        ))
    }
}

#[async_trait]
impl Function for ExtensionAbsent {
    type Args = AbsentArgs;

    async fn plan(&self, a: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &a.name;
        let session = a.session(a.maintenance_db.as_deref());
        let found = Extension::read(ctx.host.transport.as_ref(), &session, name)
            .await
            .map_err(Failure::new)?;
        // Salt's defaults: CASCADE unless told otherwise.
        let mut drop = String::from("DROP EXTENSION ");
        if a.if_exists == Some(true) {
            drop.push_str("IF EXISTS ");
        }
        drop.push_str(&ident(name));
        if a.cascade != Some(false) {
            drop.push_str(" CASCADE");
        }
        if a.restrict == Some(true) {
            drop.push_str(" RESTRICT");
        }
        drop.push_str(";\n");
        let probe = Extension::command(&session, name);
        Ok(
            Removal::of(&session, "Extension", name, drop, probe, |out| {
                Extension::parse(out).map(installed)
            })
            .plan(name, installed(found)),
        )
    }
}

/// An extension is there when it is installed (the server may only offer
/// it).
fn installed(found: Found<Extension>) -> Found<()> {
    match found {
        Found::Present(Extension {
            installed: Some(_), ..
        }) => Found::Present(()),
        Found::Present(_) | Found::Absent => Found::Absent,
        Found::Unreachable(why) => Found::Unreachable(why),
    }
}
