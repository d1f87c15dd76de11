//! SQL on a host through `psql` (over the host's transport), and the
//! PgBouncer admin console: each a command to run, and a reader of what it
//! printed. Passwords travel in the command's environment, never on its
//! command line (where `ps` on the host would show them).

use super::{Bouncer, Layout};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

/// Rows of unaligned, tuples-only psql output (fields split on `|`).
pub(super) type Rows = Vec<Vec<String>>;

/// The psql command line for `sql` against the local cluster, as its OS user.
pub(crate) fn psql(layout: &Layout, sql: &str) -> Exec {
    let cmd = format!(
        "psql -XAtq -F '|' -h {} -p {} -d postgres -c {}",
        quote(&layout.socket_dir),
        layout.port,
        quote(sql)
    );
    Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(30))
}

/// The rows psql printed, or psql's error message.
pub(crate) fn rows(out: &Output) -> Result<Rows, String> {
    if !out.success() {
        let msg = out.stderr.trim();
        return Err(if msg.is_empty() {
            format!("psql exited {}", out.code)
        } else {
            msg.to_string()
        });
    }
    Ok(out
        .stdout
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect())
}

/// `commands` to PgBouncer's admin console in one session, within
/// `timeout` seconds (psql is killed past it, which closes the session:
/// PAUSE has no timeout of its own).
pub(crate) fn console(b: &Bouncer, commands: &[&str], timeout: u64) -> Exec {
    let mut cmd = format!(
        "timeout -s KILL {timeout} psql -X -q -h {} -p {} -U {} -d pgbouncer",
        quote(&b.socket_dir),
        b.port,
        quote(&b.admin_user)
    );
    for c in commands {
        cmd.push_str(&format!(" -c {}", quote(c)));
    }
    let mut exec = Exec::new(cmd).timeout(Some(timeout + 5));
    exec.env
        .push(("PGPASSWORD".into(), b.admin_password.clone()));
    exec.env.push(("PGCONNECT_TIMEOUT".into(), "3".into()));
    exec
}

/// What the console answered, or why it did not (`timeout`: the one the
/// command was built with).
pub(crate) fn console_answer(out: &Output, timeout: u64) -> Result<String, String> {
    match out.code {
        0 => Ok(out.stdout.clone()),
        137 => Err(format!("no answer within {timeout} s")),
        _ => Err(out.stderr.trim().to_string()),
    }
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
    fn rows_split_on_bars_and_errors_carry_psqls_words() {
        assert_eq!(
            rows(&out(0, "f|0/3000148\nt|\n", "")),
            Ok(vec![
                vec!["f".into(), "0/3000148".into()],
                vec!["t".into(), "".into()]
            ])
        );
        assert_eq!(
            rows(&out(2, "", "psql: error: connection refused\n")),
            Err("psql: error: connection refused".into())
        );
        assert_eq!(rows(&out(1, "", "")), Err("psql exited 1".into()));
    }

    #[test]
    fn the_console_password_is_in_the_environment_not_the_command() {
        let b = Bouncer {
            admin_password: "s3cret".into(),
            ..Bouncer::default()
        };
        let e = console(&b, &["PAUSE"], 5);
        assert!(!e.cmd.contains("s3cret"), "{}", e.cmd);
        assert!(e.env.contains(&("PGPASSWORD".into(), "s3cret".into())));
        assert_eq!(
            console_answer(&out(137, "", ""), 5),
            Err("no answer within 5 s".into())
        );
    }
}

/// The console's own refusals, recorded from PgBouncer 1.18: the words the
/// PAUSE and RESUME plans tolerate are in them.
#[cfg(test)]
mod recorded {
    use super::*;

    fn refused(name: &str) -> Output {
        let mut out = crate::facts::fixture(name);
        out.code = 1;
        out
    }

    #[test]
    fn pause_when_paused_and_resume_when_not_are_recognised() {
        let again = console_answer(&refused("pgbouncer-pause-already-paused"), 5).unwrap_err();
        assert!(again.contains("already"), "{again}");
        let not = console_answer(&refused("pgbouncer-resume-not-paused"), 5).unwrap_err();
        assert!(not.contains("not paused"), "{not}");
        assert_eq!(
            console_answer(&crate::facts::fixture("pgbouncer-resume"), 5),
            Ok(String::new())
        );
    }
}
