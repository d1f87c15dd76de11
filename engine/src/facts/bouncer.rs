//! Whether a PgBouncer holds its clients (a global PAUSE or SUSPEND).
//!
//! PgBouncer 1.18's console has no command that says so: `SHOW STATE`
//! came later, and `SHOW DATABASES`' `paused` column counts only `PAUSE
//! db`. PgBouncer logs every global PAUSE, SUSPEND and RESUME it accepts,
//! and its start: the last of those lines since its last start is its
//! state. (A PAUSE that the admin client cancels while it waits resumes
//! without a log line: a blind spot, on the safe side.)

use crate::postgres::Bouncer;
use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BouncerState {
    pub paused: bool,
    pub suspended: bool,
}

impl BouncerState {
    pub(crate) fn command(b: &Bouncer) -> Exec {
        Exec::new(format!(
            "grep -E ' LOG (PAUSE|RESUME|SUSPEND) command issued$| LOG process up: PgBouncer | LOG Admin disappeared when suspended' -- {} | tail -n 1",
            quote(&b.logfile)
        ))
    }

    pub(crate) fn parse(out: &Output) -> Result<BouncerState, String> {
        let last = out.stdout.trim();
        let state = |paused, suspended| Ok(BouncerState { paused, suspended });
        if last.ends_with("LOG PAUSE command issued") {
            state(true, false)
        } else if last.ends_with("LOG SUSPEND command issued") {
            state(false, true)
        } else if last.is_empty() {
            Err("its log says nothing of its state".into())
        } else {
            state(false, false)
        }
    }

    pub(crate) async fn read(host: &dyn Transport, b: &Bouncer) -> Result<BouncerState, String> {
        BouncerState::parse(&super::run(host, &BouncerState::command(b)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn the_last_global_command_since_its_start() {
        let at = |line: &str| BouncerState::parse(&recorded(&format!("{line}\n")));
        assert!(
            at("2026-11-30 15:40:01.123 UTC [88] LOG PAUSE command issued")
                .unwrap()
                .paused
        );
        let r = at("2026-11-30 15:40:02.456 UTC [88] LOG RESUME command issued").unwrap();
        assert!(!r.paused && !r.suspended);
        let up = at("2026-11-30 15:30:00.000 UTC [88] LOG process up: PgBouncer 1.18.0, libevent 2.1.12-stable (epoll), adns: c-ares 1.18.1, tls: OpenSSL 3.0.17 1 Jul 2025").unwrap();
        assert!(!up.paused);
        assert!(
            at("2026-11-30 15:40:01.123 UTC [88] LOG SUSPEND command issued")
                .unwrap()
                .suspended
        );
        assert!(BouncerState::parse(&recorded("")).is_err());
    }
}

/// Where a PgBouncer sends each of its databases, as it runs now (its
/// configuration file may say otherwise until a RELOAD): `SHOW DATABASES`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct BouncerTargets(pub Vec<(String, String)>);

impl BouncerTargets {
    pub(crate) fn command(b: &crate::postgres::Bouncer) -> Exec {
        crate::postgres::console(b, &["SHOW DATABASES"], 5)
    }

    /// psql's aligned table: `name | host | ...` rows under a header; the
    /// console's own database (no host) left out.
    pub(crate) fn parse(out: &Output) -> Result<BouncerTargets, String> {
        let text = crate::postgres::console_answer(out, 5)?;
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .by_ref()
            .find(|l| l.contains('|'))
            .ok_or_else(|| format!("unexpected answer to SHOW DATABASES: {text:?}"))?
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| format!("SHOW DATABASES has no `{name}` column"))
        };
        let (name, host) = (col("name")?, col("host")?);
        let mut targets = Vec::new();
        for l in lines.filter(|l| l.contains('|') && !l.starts_with('-')) {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let (Some(n), Some(h)) = (cells.get(name), cells.get(host)) else {
                continue;
            };
            if !h.is_empty() {
                targets.push((n.to_string(), h.to_string()));
            }
        }
        Ok(BouncerTargets(targets))
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        b: &crate::postgres::Bouncer,
    ) -> Result<BouncerTargets, String> {
        BouncerTargets::parse(&super::run(host, &BouncerTargets::command(b)).await?)
    }
}

#[cfg(test)]
mod recorded {
    use super::*;
    use crate::facts::fixture;

    #[test]
    fn where_each_database_goes() {
        let on_writer = BouncerTargets::parse(&fixture("pgbouncer-show-databases-active")).unwrap();
        assert_eq!(
            on_writer.0,
            [("app".to_string(), "/var/run/postgresql".to_string())]
        );
        let elsewhere =
            BouncerTargets::parse(&fixture("pgbouncer-show-databases-standby-host")).unwrap();
        assert_eq!(elsewhere.0, [("app".to_string(), "pgdb1".to_string())]);
    }
}
