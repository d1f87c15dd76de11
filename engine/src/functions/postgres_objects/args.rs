//! Arguments as Salt's `postgres_*` states take them: scalars that YAML
//! may have read as numbers (`password: 1234`, `ext_version: 1.1`), a
//! port as a number or a string, `groups` as a list or comma-separated,
//! and the connection arguments every one of them shares.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

use crate::facts::pg_role::Method;

/// A string, also when YAML read it as a number or a boolean.
pub(super) fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
        Some(other) => Err(de::Error::custom(format!(
            "expected a string, found {other}"
        ))),
    }
}

/// A port: `5432` or `'5432'`.
pub(super) fn port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    match scalar(d)? {
        None => Ok(None),
        Some(p) => p
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("`{p}` is not a port number"))),
    }
}

/// Roles to be a member of: a list, or Salt's comma-separated string.
pub(super) fn groups<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(
            s.split(',')
                .map(str::to_string)
                .filter(|g| !g.is_empty())
                .collect(),
        )),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                other => Err(de::Error::custom(format!(
                    "expected role names, found {other}"
                ))),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(other) => Err(de::Error::custom(format!(
            "expected a list of roles or `a,b`, found {other}"
        ))),
    }
}

/// Salt's `encrypted`: how a password is stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Encrypted(pub Method);

impl<'de> Deserialize<'de> for Encrypted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Encrypted, D::Error> {
        match Value::deserialize(d)? {
            Value::Null | Value::Bool(true) => Ok(Encrypted(Method::Scram)),
            Value::String(s) if s == "scram-sha-256" => Ok(Encrypted(Method::Scram)),
            Value::String(s) if s == "md5" => Ok(Encrypted(Method::Md5)),
            Value::Bool(false) => Err(de::Error::custom(
                "unencrypted passwords were removed in PostgreSQL 10; use scram-sha-256 (the default) or md5",
            )),
            other => Err(de::Error::custom(format!(
                "expected scram-sha-256, md5 or true, found {other}"
            ))),
        }
    }
}

impl fmt::Display for Encrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Method::Scram => "scram-sha-256",
            Method::Md5 => "md5",
        })
    }
}

/// An argument struct with Salt's connection arguments added: `user`
/// (the OS user psql runs as), `db_user`, `db_password`, `db_host`,
/// `db_port`. `maintenance_db` is added by those that take it.
macro_rules! connected {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            $($fields)*
            #[serde(default, deserialize_with = "crate::functions::name_or_id")]
            pub user: Option<String>,
            #[serde(default, deserialize_with = "super::args::scalar")]
            pub db_user: Option<String>,
            #[serde(default, deserialize_with = "super::args::scalar")]
            pub db_password: Option<String>,
            #[serde(default, deserialize_with = "super::args::scalar")]
            pub db_host: Option<String>,
            #[serde(default, deserialize_with = "super::args::port")]
            pub db_port: Option<u16>,
        }

        impl $name {
            /// The server, in database `database` (`postgres` if `None`).
            pub(super) fn session(&self, database: Option<&str>) -> crate::facts::pg_session::Session {
                crate::facts::pg_session::Session::new(
                    self.user.as_deref(),
                    self.db_user.as_deref(),
                    self.db_password.as_deref(),
                    self.db_host.as_deref(),
                    self.db_port,
                    database,
                )
            }
        }
    };
}

pub(crate) use connected;

connected! {
    /// `postgres_user`, `postgres_group`, `postgres_database` and
    /// `postgres_tablespace` absent: the object's name, and where to connect.
    pub struct AbsentArgs {
        pub name: String,
        #[serde(default, deserialize_with = "super::args::scalar")]
        pub maintenance_db: Option<String>,
    }
}

/// Python's `LooseVersion(a) < LooseVersion(b)`, as Salt compares an
/// extension's versions: runs of digits compare as numbers, runs of
/// letters as text, a number before a text.
pub(super) fn older(a: &str, b: &str) -> bool {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Part {
        Num(u64),
        Text(String),
    }
    fn parts(v: &str) -> Vec<Part> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let flush = |cur: &mut String, out: &mut Vec<Part>| {
            if !cur.is_empty() {
                out.push(match cur.parse() {
                    Ok(n) => Part::Num(n),
                    Err(_) => Part::Text(cur.clone()),
                });
                cur.clear();
            }
        };
        for c in v.chars() {
            let same = cur
                .chars()
                .last()
                .is_none_or(|l| l.is_ascii_digit() == c.is_ascii_digit());
            if c == '.' || !same {
                flush(&mut cur, &mut out);
            }
            if c != '.' {
                cur.push(c);
            }
        }
        flush(&mut cur, &mut out);
        out
    }
    parts(a) < parts(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_versions_compare_as_salts() {
        assert!(older("1.1", "1.2"));
        assert!(older("1.9", "1.10"));
        assert!(!older("1.10", "1.9"));
        assert!(!older("1.1", "1.1"));
        assert!(older("1.0", "1.0a"));
        assert!(older("2.5.1", "2.5.2"));
    }

    #[test]
    fn encrypted_as_salt_writes_it() {
        let e = |v: Value| serde_json::from_value::<Encrypted>(v);
        assert_eq!(e(Value::Bool(true)).unwrap().0, Method::Scram);
        assert_eq!(e("md5".into()).unwrap().0, Method::Md5);
        assert_eq!(e("scram-sha-256".into()).unwrap().0, Method::Scram);
        assert!(e(Value::Bool(false))
            .unwrap_err()
            .to_string()
            .contains("removed in PostgreSQL 10"));
    }
}
