//! The pause guard: a small process on each PgBouncer host, armed with the
//! PAUSE and disarmed by the RESUME, so that no PgBouncer stays paused when
//! the controller dies (SIGKILL, lost ssh, a reboot). It is its own session
//! (setsid) on the host, so it outlives the command that started it.
//!
//! Past its deadline, if still armed, it RESUMEs its PgBouncer; on the old
//! writer, if it still holds the permission to, it first starts the old
//! writer again (nobody was promoted). The permission and the arming are
//! files that the guard and the controller each take by an atomic rename,
//! so exactly one of them acts: the controller takes the permission away
//! (`commit`) before it promotes anyone, and refuses to promote if the
//! guard took it first.

use crate::plan::{Action, On};
use crate::postgres::{console, Bouncer, Layout};
use crate::transport::shell::quote;
use crate::transport::Exec;

/// Where a guard keeps its files on its host (tmpfs: gone at a reboot,
/// as a paused PgBouncer is).
pub fn dir(b: &Bouncer) -> String {
    format!("/run/converge/guard-{}", b.port)
}

/// What the guard runs, detached: `$1` its directory, `$2` its deadline
/// in seconds. (The sleep is the timer itself.)
const GUARD: &str = r#"d=$1
sleep "$2"
cd "$d" || exit 0
mv armed fired 2>/dev/null || exit 0
. ./env
echo "$(date +%T.%N) fired after $2 s"
if mv restart restart.fired 2>/dev/null; then
  if ! runuser -u "$PG_USER" -- $PG_STATUS >/dev/null 2>&1; then
    runuser -u "$PG_USER" -- $PG_START && echo "$(date +%T.%N) started the old writer again"
  fi
fi
$RESUME && echo "$(date +%T.%N) resumed PgBouncer"
rm -f env
"#;

/// Arm the guard on a host: `restart` on the old writer of a planned
/// switchover only. The settings (the admin password among them) travel
/// on the command's stdin into a 0600 file, never on a command line.
pub fn arm(on: On, b: &Bouncer, layout: &Layout, restart: bool, deadline: u64) -> Action {
    let d = dir(b);
    let resume = console(b, &["RESUME"], 5);
    let env = format!(
        "export PGPASSWORD={}\nexport PGCONNECT_TIMEOUT=3\nPG_USER={}\nPG_STATUS={}\nPG_START={}\nRESUME={}\n",
        quote(&b.admin_password),
        quote(&layout.user),
        quote(&layout.status_command()),
        quote(&layout.start_command()),
        quote(&resume.cmd),
    );
    let cmd = format!(
        "set -e; mkdir -p -m 0700 {d}; cd {d}; \
         if [ -f pid ] && kill -0 \"$(cat pid)\" 2>/dev/null; then kill -- \"-$(cat pid)\" 2>/dev/null || true; fi; \
         rm -f armed fired disarmed restart restart.fired restart.committed; \
         (umask 077; cat > env); {} : > armed; \
         setsid nohup bash -c {} converge-guard {d} {deadline} </dev/null >>log 2>&1 & echo $! > pid",
        if restart { ": > restart;" } else { "" },
        quote(GUARD),
    );
    Action::Run {
        on,
        exec: Exec::new(cmd).stdin(env),
        capture: false,
        fail: Some("could not arm the pause guard".into()),
    }
}

/// Disarm: the guard stands down (if it already fired, it resumed the
/// PgBouncer itself: nothing is lost).
pub fn disarm(on: On, b: &Bouncer) -> Action {
    let d = dir(b);
    let cmd = format!(
        "cd {d} 2>/dev/null || exit 0; mv armed disarmed 2>/dev/null; \
         if [ -f pid ]; then kill -- \"-$(cat pid)\" 2>/dev/null; rm -f pid; fi; rm -f env; true"
    );
    Action::Run {
        on,
        exec: Exec::new(cmd),
        capture: false,
        fail: Some("could not disarm the pause guard".into()),
    }
}

/// Take the permission to restart the old writer away from its guard:
/// fails when the guard has fired (and restarted it) already.
pub fn commit(on: On, b: &Bouncer) -> Action {
    let d = dir(b);
    Action::Run {
        on,
        exec: Exec::new(format!(
            "cd {d} && mv restart restart.committed 2>/dev/null || {{ echo 'the pause guard fired first: it has started the old writer again and resumed PgBouncer' >&2; exit 1; }}"
        )),
        capture: false,
        fail: Some("not promoting".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_travel_on_stdin_and_the_guard_outlives_its_session() {
        let b = Bouncer {
            admin_password: "s3cret".into(),
            ..Bouncer::default()
        };
        let Action::Run { exec, .. } = arm(On::host("pgdb1"), &b, &Layout::default(), true, 6)
        else {
            panic!()
        };
        assert!(!exec.cmd.contains("s3cret"));
        assert!(String::from_utf8(exec.stdin.unwrap())
            .unwrap()
            .contains("PGPASSWORD=s3cret"));
        assert!(exec.cmd.contains("setsid nohup bash -c"));
        assert!(exec.cmd.contains(": > restart;"));
        assert!(exec.cmd.ends_with("echo $! > pid"));
    }
}
