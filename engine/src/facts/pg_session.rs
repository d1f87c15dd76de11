//! How the probes of a server's objects (roles, databases, schemas...)
//! and the plans that change them reach PostgreSQL: the way Salt's
//! `postgres` module does, `psql` as an OS user (`user`; `postgres` when
//! the server is reached over a local socket), as a database role
//! (`db_user`), at a host or socket directory (`db_host`) and port
//! (`db_port`), in one database.
//!
//! The SQL goes in on psql's stdin, and the role's password
//! (`db_password`) ahead of it, read by the shell into psql's environment:
//! neither is ever on a command line (where `ps` shows it, and which an
//! ssh transport puts the environment on) nor in a plan's description.
//! Literals and identifiers are quoted here, once.

use std::fmt;

use serde::Deserialize;

use crate::transport::{Exec, Output};

/// A secret string: shown as `<hidden>` by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Session {
    /// The OS user psql runs as.
    pub runas: Option<String>,
    pub db_user: Option<String>,
    pub db_password: Option<Secret>,
    /// A host name or address, or a socket directory (`/var/run/postgresql`).
    pub db_host: Option<String>,
    pub db_port: Option<u16>,
    pub database: String,
}

/// psql, quiet, unaligned and tuples only, never prompting, stopping at
/// the first error, reading its script from stdin.
const PSQL: &str = "psql -X -q -A -t -w -v ON_ERROR_STOP=1 -f -";

impl Session {
    /// Salt's defaults: psql runs as `postgres` unless `user` says
    /// otherwise or the server is reached over TCP (then as whoever runs
    /// converge); the database is `postgres`.
    pub(crate) fn new(
        user: Option<&str>,
        db_user: Option<&str>,
        db_password: Option<&str>,
        db_host: Option<&str>,
        db_port: Option<u16>,
        database: Option<&str>,
    ) -> Session {
        let local = db_host.is_none_or(|h| h.starts_with('/'));
        let runas = match user {
            Some(u) => Some(u.to_string()),
            None if local => Some("postgres".to_string()),
            None => None,
        };
        Session {
            runas,
            db_user: db_user.map(str::to_string),
            db_password: db_password.map(|p| Secret(p.to_string())),
            db_host: db_host.map(str::to_string),
            db_port,
            database: database.unwrap_or("postgres").to_string(),
        }
    }

    /// The same server, in database `database`.
    pub(crate) fn on(&self, database: &str) -> Session {
        Session {
            database: database.to_string(),
            ..self.clone()
        }
    }

    /// The command that runs `script` (psql's input: SQL and psql's own
    /// `\gset`/`\if`).
    pub(crate) fn script(&self, script: &str) -> Exec {
        let (cmd, stdin) = match &self.db_password {
            None => (format!("exec {PSQL}"), script.as_bytes().to_vec()),
            Some(p) => (
                format!("IFS= read -r -d '' PGPASSWORD && export PGPASSWORD && exec {PSQL}"),
                [p.0.as_bytes(), b"\0", script.as_bytes()].concat(),
            ),
        };
        let mut exec = Exec::new(cmd)
            .runas(self.runas.as_deref())
            .stdin(stdin)
            .timeout(Some(120));
        // Connection parameters in the environment: a database name is
        // never read as a connection string there, as `-d` would.
        exec.env.push(("PGDATABASE".into(), self.database.clone()));
        for (k, v) in [
            ("PGHOST", self.db_host.clone()),
            ("PGPORT", self.db_port.map(|p| p.to_string())),
            ("PGUSER", self.db_user.clone()),
        ] {
            if let Some(v) = v {
                exec.env.push((k.into(), v));
            }
        }
        exec.env.push(("PGCONNECT_TIMEOUT".into(), "10".into()));
        exec
    }
}

/// What psql came back with.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Reply {
    /// The script ran: what it printed.
    Ran(String),
    /// Nothing answers there (the server is down or not set up yet).
    Unreachable(String),
    /// The server runs, but the database to connect to does not exist.
    NoDatabase(String),
}

/// What the probe found.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Found<T> {
    Present(T),
    Absent,
    /// The server does not answer (it is not started yet): `why`.
    Unreachable(String),
}

/// One JSON object or nothing, as the object probes print it. `within`:
/// the probe looks inside the database it connects to (a schema, an
/// extension), so that a database that does not exist holds none.
pub(crate) fn json_row<T: for<'de> Deserialize<'de>>(
    out: &Output,
    within: bool,
) -> Result<Found<T>, String> {
    match reply(out)? {
        Reply::Unreachable(why) => Ok(Found::Unreachable(why)),
        Reply::NoDatabase(_) if within => Ok(Found::Absent),
        Reply::NoDatabase(why) => Err(why),
        Reply::Ran(text) => match text.trim() {
            "" => Ok(Found::Absent),
            row => serde_json::from_str(row)
                .map(Found::Present)
                .map_err(|e| format!("unexpected answer from PostgreSQL ({e}): {row}")),
        },
    }
}

/// psql's answer, or its error in its own words.
pub(crate) fn reply(out: &Output) -> Result<Reply, String> {
    let msg = psql_message(&out.stderr);
    match out.code {
        0 => Ok(Reply::Ran(out.stdout.clone())),
        // psql: 2 is "the connection to the server went bad".
        2 if msg.contains("Is the server running")
            || msg.contains("the database system is starting up")
            || msg.contains("the database system is shutting down") =>
        {
            Ok(Reply::Unreachable(first_line(&msg)))
        }
        2 if msg.contains("database \"") && msg.contains("\" does not exist") => {
            Ok(Reply::NoDatabase(first_line(&msg)))
        }
        code if msg.is_empty() => Err(format!("psql exited {code}")),
        _ => Err(msg),
    }
}

/// psql's stderr without its prefixes (`psql: error: `,
/// `psql:<stdin>:3: `), notices left out.
fn psql_message(stderr: &str) -> String {
    let lines: Vec<String> = stderr
        .lines()
        .filter(|l| !l.contains("NOTICE:"))
        .map(|l| {
            let l = l.strip_prefix("psql: error: ").unwrap_or(l);
            match l.strip_prefix("psql:<stdin>:") {
                Some(rest) => rest.split_once(": ").map_or(rest, |(_, m)| m).to_string(),
                None => l.to_string(),
            }
        })
        .collect();
    lines.join("\n").trim().to_string()
}

fn first_line(msg: &str) -> String {
    msg.lines().next().unwrap_or_default().trim().to_string()
}

/// `name` as an SQL identifier: `"it""s"`.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as an SQL string literal, read the same whatever
/// `standard_conforming_strings` says: `E'it''s \\ here'`.
pub(crate) fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(code: i32, stdout: &str, stderr: &str) -> Output {
        Output {
            code,
            stdout: stdout.into(),
            stderr: stderr.into(),
            pid: None,
        }
    }

    #[test]
    fn salts_defaults_run_psql_as_postgres_on_the_local_socket() {
        let s = Session::new(None, None, None, None, None, None);
        assert_eq!(s.runas.as_deref(), Some("postgres"));
        assert_eq!(s.database, "postgres");
        let e = s.script("select 1;");
        assert_eq!(e.cmd, format!("exec {PSQL}"));
        assert_eq!(e.stdin.as_deref(), Some(&b"select 1;"[..]));
        assert_eq!(e.env[0], ("PGDATABASE".into(), "postgres".into()));
        // Over TCP, as whoever runs converge; a socket directory is local.
        let tcp = Session::new(
            None,
            Some("app"),
            None,
            Some("db.example"),
            Some(6432),
            None,
        );
        assert_eq!(tcp.runas, None);
        let sock = Session::new(None, None, None, Some("/tmp/s"), Some(55432), Some("db1"));
        assert_eq!(sock.runas.as_deref(), Some("postgres"));
        let e = sock.script("");
        assert!(e.env.contains(&("PGHOST".into(), "/tmp/s".into())));
        assert!(e.env.contains(&("PGPORT".into(), "55432".into())));
        assert!(e.env.contains(&("PGDATABASE".into(), "db1".into())));
    }

    #[test]
    fn the_password_goes_in_on_stdin_never_on_the_command_line() {
        let s = Session::new(None, Some("app"), Some("s3cr3t"), None, None, None);
        let e = s.script("select 1;");
        assert!(!e.cmd.contains("s3cr3t"));
        assert!(e.env.iter().all(|(_, v)| !v.contains("s3cr3t")));
        assert_eq!(e.stdin.as_deref(), Some(&b"s3cr3t\0select 1;"[..]));
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn replies_tell_an_absent_server_from_an_error() {
        // Recorded from psql 15 against nothing on port 5433, and against
        // a server without the database.
        let down = "psql: error: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5433\" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n";
        assert_eq!(
            reply(&out(2, "", down)),
            Ok(Reply::Unreachable("connection to server on socket \"/var/run/postgresql/.s.PGSQL.5433\" failed: No such file or directory".into()))
        );
        let nodb = "psql: error: connection to server on socket \"/tmp/pgobj-pg/sock/.s.PGSQL.55432\" failed: FATAL:  database \"db2\" does not exist\n";
        assert!(matches!(
            reply(&out(2, "", nodb)),
            Ok(Reply::NoDatabase(m)) if m.ends_with("FATAL:  database \"db2\" does not exist")
        ));
        let auth = "psql: error: connection to server on socket \"/tmp/s/.s.PGSQL.5432\" failed: FATAL:  Peer authentication failed for user \"app\"\n";
        assert!(reply(&out(2, "", auth))
            .unwrap_err()
            .ends_with("Peer authentication failed for user \"app\""));
        let sql = "psql:<stdin>:2: NOTICE:  role \"x\" does not exist, skipping\npsql:<stdin>:3: ERROR:  role \"x\" already exists\n";
        assert_eq!(
            reply(&out(3, "", sql)),
            Err("ERROR:  role \"x\" already exists".into())
        );
        assert_eq!(reply(&out(0, "t\n", "")), Ok(Reply::Ran("t\n".into())));
    }

    #[test]
    fn quoting() {
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(literal("it's a \\ test"), "E'it''s a \\\\ test'");
    }
}
