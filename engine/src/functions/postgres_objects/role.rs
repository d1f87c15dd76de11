//! `postgres_user.present/absent` and `postgres_group.present/absent`:
//! a role with its attributes, password, expiry and memberships. A user
//! logs in unless told otherwise, a group does not; both inherit.
//!
//! As in Salt, only what is given is compared and set; memberships are
//! added, never revoked; the password is compared with the stored one
//! (unless `refresh_password`, which sets it every time, for servers where
//! the stored one cannot be read). The password is set in the same
//! transaction that creates or alters the role.

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::args::{connected, AbsentArgs, Encrypted};
use super::{any_row, changed, exists, quiet, sql, unknown, Removal};
use crate::facts::pg_role::{flag, set_password, Ask, Password, Role};
use crate::facts::pg_session::{ident, literal, Found, Secret, Session};
use crate::functions::{Ctx, Function};
use crate::plan::{Failure, Plan};

pub(crate) struct UserPresent;
pub(crate) struct UserAbsent;
pub(crate) struct GroupPresent;
pub(crate) struct GroupAbsent;

connected! {
    pub struct UserArgs {
        pub name: String,
        #[serde(default)]
        pub createdb: Option<bool>,
        #[serde(default)]
        pub createroles: Option<bool>,
        #[serde(default)]
        pub encrypted: Encrypted,
        #[serde(default)]
        pub superuser: Option<bool>,
        #[serde(default)]
        pub replication: Option<bool>,
        #[serde(default)]
        pub inherit: Option<bool>,
        #[serde(default)]
        pub login: Option<bool>,
        #[serde(default, deserialize_with = "super::args::scalar")]
        pub password: Option<String>,
        #[serde(default, deserialize_with = "super::args::scalar")]
        pub default_password: Option<String>,
        #[serde(default)]
        pub refresh_password: Option<bool>,
        #[serde(default, deserialize_with = "super::args::scalar")]
        pub valid_until: Option<String>,
        #[serde(default, deserialize_with = "super::args::groups")]
        pub groups: Option<Vec<String>>,
        #[serde(default, deserialize_with = "super::args::scalar")]
        pub maintenance_db: Option<String>,
    }
}

connected! {
    pub struct GroupArgs {
        pub name: String,
        #[serde(default)]
        pub createdb: Option<bool>,
        #[serde(default)]
        pub createroles: Option<bool>,
        #[serde(default)]
        pub encrypted: Encrypted,
        #[serde(default)]
        pub superuser: Option<bool>,
        #[serde(default)]
        pub replication: Option<bool>,
        #[serde(default)]
        pub inherit: Option<bool>,
        #[serde(default)]
        pub login: Option<bool>,
        #[serde(default, deserialize_with = "super::args::scalar")]
        pub password: Option<String>,
        #[serde(default)]
        pub refresh_password: Option<bool>,
        #[serde(default, deserialize_with = "super::args::groups")]
        pub groups: Option<Vec<String>>,
        #[serde(default, deserialize_with = "super::args::scalar")]
        pub maintenance_db: Option<String>,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    User,
    Group,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    fn lower(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
        }
    }
}

/// A role as a `present` state wants it.
struct Wanted<'a> {
    kind: Kind,
    name: &'a str,
    /// Salt's order of the attributes in changes and in SQL.
    attrs: [(&'static str, &'static str, Option<bool>); 6],
    password: Option<Password>,
    /// Set only when the role is created.
    default_password: Option<Password>,
    refresh: bool,
    valid_until: Option<&'a str>,
    groups: &'a [String],
}

/// A password as given: none when empty (Salt's way to say none).
fn password(p: &Option<String>, e: Encrypted) -> Result<Option<Password>, Failure> {
    match p.as_deref() {
        None | Some("") => Ok(None),
        Some(p) if p.contains('\0') => Err(Failure::new("a password cannot hold a NUL character")),
        Some(p) => Ok(Some(Password {
            secret: Secret(p.to_string()),
            method: e.0,
        })),
    }
}

impl<'a> Wanted<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        kind: Kind,
        name: &'a str,
        createdb: Option<bool>,
        inherit: Option<bool>,
        login: Option<bool>,
        createroles: Option<bool>,
        replication: Option<bool>,
        superuser: Option<bool>,
    ) -> Wanted<'a> {
        Wanted {
            kind,
            name,
            attrs: [
                ("createdb", "CREATEDB", createdb),
                ("inherit", "INHERIT", inherit),
                ("login", "LOGIN", login),
                ("createroles", "CREATEROLE", createroles),
                ("replication", "REPLICATION", replication),
                ("superuser", "SUPERUSER", superuser),
            ],
            password: None,
            default_password: None,
            refresh: false,
            valid_until: None,
            groups: &[],
        }
    }
}

/// What `role` has of attribute `key`.
fn has(role: &Role, key: &str) -> bool {
    match key {
        "createdb" => role.createdb,
        "inherit" => role.inherit,
        "login" => role.login,
        "createroles" => role.createrole,
        "replication" => role.replication,
        _ => role.superuser,
    }
}

async fn present(w: Wanted<'_>, session: Session, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
    let (word, kind, name) = (w.kind.word(), w.kind.lower(), w.name);
    let ask = Ask {
        password: w.password.clone().filter(|_| !w.refresh),
        valid_until: w.valid_until.map(str::to_string),
    };
    let found = Role::read(ctx.host.transport.as_ref(), &session, name, &ask)
        .await
        .map_err(Failure::new)?;
    let role = match &found {
        Found::Present(r) => r,
        Found::Absent | Found::Unreachable(_) => {
            // Created with Salt's defaults: inheriting, a user logging in.
            let mut flags = Vec::new();
            for (key, sql_flag, value) in w.attrs {
                let value = match key {
                    "inherit" => value.or(Some(true)),
                    "login" => value.or(Some(w.kind == Kind::User)),
                    _ => value,
                };
                if let Some(v) = value {
                    flags.push(flag(sql_flag, v));
                }
            }
            if let Some(v) = w.valid_until {
                flags.push(format!("VALID UNTIL {}", literal(v)));
            }
            let mut script = format!(
                "BEGIN;\nCREATE ROLE {} WITH {};\n",
                ident(name),
                flags.join(" ")
            );
            if let Some(p) = w.password.as_ref().or(w.default_password.as_ref()) {
                script.push_str(&set_password(p, name));
            }
            for g in w.groups {
                script.push_str(&format!("GRANT {} TO {};\n", ident(g), ident(name)));
            }
            script.push_str("COMMIT;\n");
            return Ok(quiet(
                changed(name, json!("Present")),
                unknown(format!("{word} {name} is set to be created"), &found),
                format!("The {kind} {name} has been created"),
                vec![sql(
                    &session,
                    script,
                    format!("Failed to create {kind} {name}"),
                )],
            ));
        }
    };
    let mut update = Map::new();
    let mut flags = Vec::new();
    for (key, sql_flag, value) in w.attrs {
        if let Some(v) = value.filter(|v| *v != has(role, key)) {
            update.insert(key.into(), Value::Bool(v));
            flags.push(flag(sql_flag, v));
        }
    }
    // Unknown (the stored password cannot be read) is set again.
    let set = w
        .password
        .as_ref()
        .filter(|_| w.refresh || role.password != Some(true));
    if set.is_some() {
        update.insert("password".into(), Value::Bool(true));
    }
    if let Some(v) = w.valid_until.filter(|_| role.valid_until == Some(false)) {
        update.insert("valid_until".into(), json!(v));
        flags.push(format!("VALID UNTIL {}", literal(v)));
    }
    let missing: Vec<&String> = w
        .groups
        .iter()
        .filter(|g| !role.groups.contains(g))
        .collect();
    if !missing.is_empty() {
        update.insert("groups".into(), json!(missing));
    }
    if update.is_empty() {
        return Ok(Plan::noop(format!("{word} {name} is already present")));
    }
    let mut script = String::from("BEGIN;\n");
    if !flags.is_empty() {
        script.push_str(&format!(
            "ALTER ROLE {} WITH {};\n",
            ident(name),
            flags.join(" ")
        ));
    }
    if let Some(p) = set {
        script.push_str(&set_password(p, name));
    }
    for g in missing {
        script.push_str(&format!("GRANT {} TO {};\n", ident(g), ident(name)));
    }
    script.push_str("COMMIT;\n");
    Ok(Plan::change(
        changed(name, Value::Object(update)),
        format!("{word} {name} is set to be updated"),
        format!("The {kind} {name} has been updated"),
        vec![sql(
            &session,
            script,
            format!("Failed to update {kind} {name}"),
        )],
    ))
}

async fn absent(kind: Kind, name: &str, session: Session, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
    let found = Role::read(ctx.host.transport.as_ref(), &session, name, &Ask::default())
        .await
        .map_err(Failure::new)?;
    let drop = format!("DROP ROLE {};\n", ident(name));
    let probe = Role::command(&session, name, &Ask::default());
    Ok(
        Removal::of(&session, kind.word(), name, drop, probe, |out| {
            any_row(out, false)
        })
        .plan(name, exists(found)),
    )
}

#[async_trait]
impl Function for UserPresent {
    type Args = UserArgs;

    async fn plan(&self, a: &UserArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let mut w = Wanted::new(
            Kind::User,
            &a.name,
            a.createdb,
            a.inherit,
            a.login,
            a.createroles,
            a.replication,
            a.superuser,
        );
        w.password = password(&a.password, a.encrypted)?;
        w.default_password = password(&a.default_password, a.encrypted)?;
        w.refresh = a.refresh_password == Some(true);
        w.valid_until = a.valid_until.as_deref();
        w.groups = a.groups.as_deref().unwrap_or_default();
        present(w, a.session(a.maintenance_db.as_deref()), ctx).await
    }
}

#[async_trait]
impl Function for GroupPresent {
    type Args = GroupArgs;

    async fn plan(&self, a: &GroupArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let mut w = Wanted::new(
            Kind::Group,
            &a.name,
            a.createdb,
            a.inherit,
            a.login,
            a.createroles,
            a.replication,
            a.superuser,
        );
        w.password = password(&a.password, a.encrypted)?;
        w.refresh = a.refresh_password == Some(true);
        w.groups = a.groups.as_deref().unwrap_or_default();
        present(w, a.session(a.maintenance_db.as_deref()), ctx).await
    }
}

#[async_trait]
impl Function for UserAbsent {
    type Args = AbsentArgs;

    async fn plan(&self, a: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        absent(
            Kind::User,
            &a.name,
            a.session(a.maintenance_db.as_deref()),
            ctx,
        )
        .await
    }
}

#[async_trait]
impl Function for GroupAbsent {
    type Args = AbsentArgs;

    async fn plan(&self, a: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        absent(
            Kind::Group,
            &a.name,
            a.session(a.maintenance_db.as_deref()),
            ctx,
        )
        .await
    }
}
