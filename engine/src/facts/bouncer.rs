//! A PgBouncer as its admin console says it is: `SHOW STATE` (active,
//! paused, suspended). `SHOW DATABASES`' `paused` column stays 0 for a
//! global PAUSE, so only this says whether clients are being held.

use crate::postgres::{console, console_answer, Bouncer};
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BouncerState {
    pub paused: bool,
    pub suspended: bool,
}

impl BouncerState {
    pub fn command(b: &Bouncer) -> Exec {
        let mut e = console(b, &["SHOW STATE"], 5);
        // Unaligned, no headers: `key|value` rows.
        e.cmd = e.cmd.replacen("psql -X -q", "psql -X -q -A -t", 1);
        e
    }

    pub fn parse(out: &Output) -> Result<BouncerState, String> {
        let text = console_answer(out, 5)?;
        let value = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once('|'))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim() == "yes")
        };
        match (value("paused"), value("suspended")) {
            (Some(paused), Some(suspended)) => Ok(BouncerState { paused, suspended }),
            _ => Err(format!("unexpected answer to SHOW STATE: {text:?}")),
        }
    }

    pub async fn read(host: &dyn Transport, b: &Bouncer) -> Result<BouncerState, String> {
        BouncerState::parse(&super::run(host, &BouncerState::command(b)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn paused_or_not() {
        let s = BouncerState::parse(&recorded("active|yes\npaused|no\nsuspended|no\n")).unwrap();
        assert!(!s.paused && !s.suspended);
        let s = BouncerState::parse(&recorded("active|no\npaused|yes\nsuspended|no\n")).unwrap();
        assert!(s.paused);
        assert!(BouncerState::parse(&recorded("garbage\n")).is_err());
    }
}
