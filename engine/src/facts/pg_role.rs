//! A role as the server has it (`pg_roles`, and `pg_authid` for its
//! password), in one probe: its attributes, the roles it is a member of,
//! and whether its stored password is the one wanted.
//!
//! Passwords are compared the way Salt does, by computing the verifier
//! of the wanted password with the stored one's salt and iteration count
//! and comparing. PostgreSQL computes it (`sha256()`, in SQL), so
//! converge holds no hashing code of its own. The password reaches the
//! server as `COPY` data into a temporary table of the psql session, never
//! in a statement's text: neither the server's log (`log_statement`, an
//! error's statement), `pg_stat_activity` nor `pg_stat_statements` ever
//! show it. The same SQL makes the verifier a new password is stored as,
//! with a fresh salt, set by `ALTER ROLE` run from a `DO` block (whose
//! inner statements are not logged either).

use serde::Deserialize;

use super::pg_session::{json_row, literal, Found, Secret, Session};
use crate::transport::{Exec, Output, Transport};

/// How a password is stored: Salt's `encrypted`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Method {
    /// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`; the
    /// default (Salt's is md5).
    #[default]
    Scram,
    /// `md5<md5 of password || role name>`, deprecated since PostgreSQL 10.
    Md5,
}

/// A password to compare with the stored one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Password {
    pub secret: Secret,
    pub method: Method,
}

impl Password {
    /// Already a verifier (`md5...`, `SCRAM-SHA-256$...`): stored as is.
    pub(crate) fn is_verifier(&self) -> bool {
        let p = &self.secret.0;
        p.starts_with("SCRAM-SHA-256$")
            || (p.len() == 35
                && p.starts_with("md5")
                && p[3..].bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Role {
    pub superuser: bool,
    pub inherit: bool,
    pub createrole: bool,
    pub createdb: bool,
    pub login: bool,
    pub replication: bool,
    /// The roles it is a member of.
    pub groups: Vec<String>,
    /// Whether the stored password is the wanted one; `None` when no
    /// password was asked about, or the stored one cannot be read (a
    /// role other than a superuser cannot read `pg_authid`).
    pub password: Option<bool>,
    /// Whether `VALID UNTIL` is the wanted time (to the second); `None`
    /// when none was asked about.
    pub valid_until: Option<bool>,
}

/// What to ask about besides the attributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Ask {
    pub password: Option<Password>,
    pub valid_until: Option<String>,
}

impl Role {
    pub(crate) fn command(session: &Session, name: &str, ask: &Ask) -> Exec {
        session.script(&Role::sql(name, ask))
    }

    pub(crate) fn parse(out: &Output) -> Result<Found<Role>, String> {
        json_row(out, false)
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        session: &Session,
        name: &str,
        ask: &Ask,
    ) -> Result<Found<Role>, String> {
        Role::parse(&super::run(host, &Role::command(session, name, ask)).await?)
    }

    /// The probe's script: the attributes from `pg_roles`; the password
    /// compared in `pg_authid` only when the session may read it (psql's
    /// `\if`: a query naming a table it may not read fails as a whole).
    fn sql(name: &str, ask: &Ask) -> String {
        let n = literal(name);
        let valid = match &ask.valid_until {
            Some(v) => format!(
                "r.rolvaliduntil::timestamp(0) is not distinct from {}::timestamptz::timestamp(0)",
                literal(v)
            ),
            None => "null".into(),
        };
        let row = |password: &str, from: &str| {
            format!(
                "select json_build_object('superuser', r.rolsuper, 'inherit', r.rolinherit, \
'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb, 'login', r.rolcanlogin, \
'replication', r.rolreplication, \
'groups', coalesce((select json_agg(g.rolname order by g.rolname) from pg_catalog.pg_auth_members m \
join pg_catalog.pg_roles g on g.oid = m.roleid where m.member = r.oid), '[]'), \
'password', {password}, 'valid_until', {valid}) {from} where r.rolname = {n};\n"
            )
        };
        let Some(p) = &ask.password else {
            return row("null", "from pg_catalog.pg_roles r");
        };
        let stored = "a.rolpassword";
        format!(
            "{}select has_table_privilege('pg_catalog.pg_authid', 'select') as converge_authid \\gset\n\
\\if :converge_authid\n{}\\else\n{}\\endif\n",
            secret(p),
            row(
                &format!("coalesce({} = {stored}, false)", compare(p, name, stored)),
                "from pg_catalog.pg_roles r join pg_catalog.pg_authid a on a.oid = r.oid"
            ),
            row("null", "from pg_catalog.pg_roles r"),
        )
    }
}

/// The statements that put `p` into the session's temporary table
/// `converge_secret`, as `COPY` data (text format: backslash, tab and line
/// ends escaped): `p` as given, and as SASLprep maps it (`prepped`).
fn secret(p: &Password) -> String {
    let copy = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r")
    };
    format!(
        "CREATE TEMPORARY TABLE converge_secret (p text, prepped text);\n\
COPY converge_secret FROM STDIN;\n{}\t{}\n\\.\n",
        copy(&p.secret.0),
        copy(&prepped(&p.secret.0))
    )
}

/// An SQL expression: the verifier `p` would be stored as, for role
/// `name`, with the salt and iteration count of the verifier `stored`.
fn compare(p: &Password, name: &str, stored: &str) -> String {
    if p.is_verifier() {
        return "(select p from converge_secret)".into();
    }
    match p.method {
        Method::Md5 => md5(name),
        Method::Scram => format!(
            "({})",
            scram(
                &saslprep(&p.secret.0),
                &format!(
                    "select split_part(split_part({stored}, '$', 2), ':', 1)::int as iter, \
decode(split_part(split_part({stored}, '$', 2), ':', 2), 'base64') as salt \
where {stored} like 'SCRAM-SHA-256$%'"
                )
            )
        ),
    }
}

fn md5(name: &str) -> String {
    format!(
        "'md5' || md5((select p from converge_secret) || {})",
        literal(name)
    )
}

/// An SQL expression: what `p` is to be stored as for role `name`, with
/// a fresh salt; `None` when PostgreSQL must hash it itself (a password in
/// another script than ASCII, whose SASLprep only the server's own code
/// gets exactly right).
fn verifier(p: &Password, name: &str) -> Option<String> {
    if p.is_verifier() {
        return Some("(select p from converge_secret)".into());
    }
    match p.method {
        Method::Md5 => Some(md5(name)),
        Method::Scram if p.secret.0.is_ascii() => Some(format!(
            "({})",
            scram(
                &saslprep(&p.secret.0),
                "select 4096 as iter, decode(replace(gen_random_uuid()::text, '-', ''), 'hex') as salt",
            )
        )),
        Method::Scram => None,
    }
}

/// The password's bytes as SCRAM hashes them (RFC 7613's SASLprep, as
/// PostgreSQL applies it): ASCII as it is; otherwise `prepped`, in NFKC.
fn saslprep(password: &str) -> String {
    if password.is_ascii() {
        "convert_to((select p from converge_secret), 'UTF8')".into()
    } else {
        "convert_to(normalize((select prepped from converge_secret), NFKC), 'UTF8')".into()
    }
}

/// SASLprep's mappings: non-ASCII spaces to a space, the characters
/// "commonly mapped to nothing" removed (NFKC follows, in SQL).
fn prepped(password: &str) -> String {
    let space = |c: char| {
        matches!(
            c,
            '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200b}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
        )
    };
    let nothing = |c: char| {
        matches!(c, '\u{ad}' | '\u{34f}' | '\u{1806}' | '\u{180b}'..='\u{180d}' | '\u{200c}' | '\u{200d}'
            | '\u{2060}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}')
    };
    password
        .chars()
        .filter(|c| !nothing(*c))
        .map(|c| if space(c) { ' ' } else { c })
        .collect()
}

/// SCRAM-SHA-256's verifier (RFC 5802, 7677) of the password bytes `pw`
/// (an SQL expression), with the `iter` and `salt` of the query `parts`,
/// as one SQL query: PBKDF2-HMAC-SHA-256 (one block) as a recursive CTE,
/// HMAC from `sha256()` with the key's pads computed once.
fn scram(pw: &str, parts: &str) -> String {
    // HMAC's inner and outer pads of the key in `source`: a key longer
    // than the block (64 bytes) is hashed first (`keyed`), zeros pad it.
    let pads = |source: &str| {
        let pad = |x: u8| {
            format!(
                "(select string_agg(set_byte(decode('00', 'hex'), 0, get_byte(k, i) # {x}), ''::bytea order by i) from generate_series(0, 63) i)"
            )
        };
        format!(
            "select {} as ipad, {} as opad from (select key || decode(repeat('00', 64), 'hex') as k from {source}) k",
            pad(0x36),
            pad(0x5c)
        )
    };
    let bits = "('x' || encode(h, 'hex'))::bit(256)";
    format!(
        "with recursive parts as ({parts}), \
keyed as (select case when length(pw) > 64 then sha256(pw) else pw end as key from (select {pw} as pw) p), \
pads as ({}), \
u(n, u, acc) as (\
select 1, h, {bits} from (select sha256(opad || sha256(ipad || salt || decode('00000001', 'hex'))) as h from pads, parts) s \
union all \
select n + 1, h, (acc # {bits})::bit(256) from (select n, acc, sha256(opad || sha256(ipad || u)) as h from u, pads, parts where n < iter) s), \
salted as (select decode((select string_agg(lpad(to_hex(substring(acc from 1 + 32 * i for 32)::int), 8, '0'), '' order by i) \
from generate_series(0, 7) i), 'hex') as key from u where n = (select iter from parts)), \
spads as ({}) \
select 'SCRAM-SHA-256$' || iter || ':' || encode(salt, 'base64') || '$' \
|| encode(sha256(sha256(spads.opad || sha256(spads.ipad || convert_to('Client Key', 'UTF8')))), 'base64') || ':' \
|| encode(sha256(spads.opad || sha256(spads.ipad || convert_to('Server Key', 'UTF8'))), 'base64') as verifier \
from spads, parts",
        pads("keyed"),
        pads("salted"),
    )
}

/// `CREATE ROLE`/`ALTER ROLE` attributes, as flags.
pub(crate) fn flag(name: &str, on: bool) -> String {
    if on {
        name.to_string()
    } else {
        format!("NO{name}")
    }
}

/// The statements that store `p` as `role`'s password: the password into
/// the session's temporary table, then `ALTER ROLE` with its verifier
/// made in SQL (or, for a password PostgreSQL must hash itself, with the
/// password under `password_encryption = 'scram-sha-256'`), from a `DO`
/// block, so that no statement's text holds either.
pub(crate) fn set_password(p: &Password, role: &str) -> String {
    let (setup, value) = match verifier(p, role) {
        Some(v) => (String::new(), v),
        None => (
            "PERFORM pg_catalog.set_config('password_encryption', 'scram-sha-256', true); ".into(),
            "(select p from converge_secret)".into(),
        ),
    };
    let body = format!(
        "BEGIN {setup}EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', {}, {value}); END",
        literal(role)
    );
    format!("{}DO {};\n", secret(p), dollar(&body))
}

/// `body` dollar-quoted, with a tag it does not hold.
pub(crate) fn dollar(body: &str) -> String {
    let mut tag = "$converge$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$converge{n}$");
    }
    format!("{tag}{body}{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn a_role_as_recorded_from_postgresql_15() {
        // The probe's output for `localUser` after `postgres_user.present`
        // (CREATEDB, member of `readers`), password compared.
        let out = recorded("{\"superuser\" : false, \"inherit\" : true, \"createrole\" : false, \"createdb\" : true, \"login\" : true, \"replication\" : false, \"groups\" : [\"readers\"], \"password\" : true, \"valid_until\" : null}\n");
        let Found::Present(r) = Role::parse(&out).unwrap() else {
            panic!()
        };
        assert!(r.createdb && r.login && r.inherit && !r.superuser);
        assert_eq!(r.groups, ["readers"]);
        assert_eq!((r.password, r.valid_until), (Some(true), None));
        assert_eq!(Role::parse(&recorded("")).unwrap(), Found::Absent);
    }

    #[test]
    fn the_probe_compares_passwords_only_where_it_may_read_them() {
        let ask = Ask {
            password: Some(Password {
                secret: Secret("pw".into()),
                method: Method::Scram,
            }),
            valid_until: None,
        };
        let sql = Role::sql("o'k", &ask);
        assert!(
            sql.starts_with("CREATE TEMPORARY TABLE converge_secret (p text, prepped text);\nCOPY converge_secret FROM STDIN;\npw\tpw\n\\.\n"),
            "{sql}"
        );
        assert!(sql.contains("\\if :converge_authid"));
        assert!(sql.contains("where r.rolname = E'o''k'"));
        // Without a password asked about, pg_authid is not named at all.
        let sql = Role::sql("x", &Ask::default());
        assert!(!sql.contains("pg_authid"), "{sql}");
    }

    #[test]
    fn verifiers_given_as_passwords_are_kept() {
        let p = |s: &str| Password {
            secret: Secret(s.into()),
            method: Method::Scram,
        };
        assert!(p("md5a4b8e0f3e2c1d0e9f8a7b6c5d4e3f2a1").is_verifier());
        assert!(p("SCRAM-SHA-256$4096:c2FsdA==$a:b").is_verifier());
        assert!(!p("md5isnotaverifier").is_verifier());
        let set = set_password(&p("SCRAM-SHA-256$4096:c2FsdA==$a:b"), "r");
        assert!(set.ends_with("DO $converge$BEGIN EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', E'r', (select p from converge_secret)); END$converge$;\n"), "{set}");
        // A password in another script is hashed by the server itself; it
        // is in the COPY data only, mapped by SASLprep beside it.
        let s = set_password(&p("pä\u{a0}ss\tw\\d"), "r");
        assert!(
            s.contains("set_config('password_encryption', 'scram-sha-256', true)"),
            "{s}"
        );
        assert!(
            s.contains("\npä\u{a0}ss\\tw\\\\d\tpä ss\\tw\\\\d\n\\.\n"),
            "{s}"
        );
        assert_eq!(s.matches("pä").count(), 2);
        assert_eq!(
            dollar("a $converge$ b"),
            "$converge1$a $converge$ b$converge1$"
        );
    }
}
