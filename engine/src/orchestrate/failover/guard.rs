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
pub(super) fn dir(b: &Bouncer) -> String {
    format!("/run/converge/guard-{}", b.port)
}

/// What the guard runs, detached: `$1` its directory, `$2` its deadline
/// in seconds. (The sleep is the timer itself.) Past it, still armed: if
/// the new writer answers as a primary, the prepared configuration goes
/// in place and PgBouncer reloads (clients reach the new writer); if it
/// answers as a standby (nobody was promoted) and this host holds the old
/// writer's restart, the old writer starts again. If the new writer does
/// not answer at all, the old writer stays down: two writers are worse
/// than none. Then RESUME.
const GUARD: &str = r#"d=$1
sleep "$2"
cd "$d" || exit 0
mv armed fired 2>/dev/null || exit 0
. ./env
log() { echo "$(date +%T.%N) $*"; }
log "fired after $2 s"
ask() { PGPASSWORD="$NEW_PASSWORD" psql -XAtqw "host=$1 port=$NEW_PORT user=$NEW_USER dbname=postgres connect_timeout=1" -c 'select pg_is_in_recovery()' 2>/dev/null; }
state=
if [ -n "$NEW_HOST" ]; then
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    state=$(ask "$NEW_HOST")
    [ -n "$state" ] && break
    sleep 0.2
  done
fi
if [ "$state" = f ]; then
  for f in $NEXT; do
    if [ -e "$f.converge-next" ]; then mv -f -- "$f.converge-next" "$f" && log "put $f in place"; fi
  done
  $RELOAD && log "reloaded PgBouncer: the new writer is a primary"
elif mv restart restart.fired 2>/dev/null || { [ "$state" = t ] && mv restart.committed restart.fired 2>/dev/null; }; then
  if ! runuser -u "$PG_USER" -- $PG_STATUS >/dev/null 2>&1; then
    runuser -u "$PG_USER" -- $PG_START && log "started the old writer again: nobody was promoted"
  fi
fi
# Clients resumed towards a writer still starting would fail their
# login, and PgBouncer would refuse more for server_login_retry: wait (a
# few seconds at most) for the writer it points at to answer.
writer=$OLD_HOST
[ "$state" = f ] && writer=$NEW_HOST
if [ -n "$writer" ]; then
  for _ in $(seq 50); do [ "$(ask "$writer")" = f ] && break; sleep 0.1; done
fi
$RESUME && log "resumed PgBouncer"
rm -f env
"#;

/// The new writer (as a guard asks it whether it was promoted) and the
/// old one's address (the guard waits for the writer it resumes towards).
pub(super) struct NewWriter<'a> {
    pub peer: &'a crate::facts::Peer,
    pub old: &'a str,
}

/// Arm the guard on a host: `restart` on the old writer of a planned
/// switchover only; `new` when there is a new writer to ask. The settings
/// (passwords among them) travel on the command's stdin into a 0600 file,
/// never on a command line.
pub(super) fn arm(
    on: On,
    b: &Bouncer,
    layout: &Layout,
    restart: bool,
    deadline: u64,
    new: Option<NewWriter<'_>>,
) -> Action {
    let d = dir(b);
    let resume = console(b, &["RESUME"], 5);
    let reload = console(b, &["RELOAD"], 5);
    let mut env = format!(
        "export PGPASSWORD={}\nexport PGCONNECT_TIMEOUT=3\nPG_USER={}\nPG_STATUS={}\nPG_START={}\nRESUME={}\nRELOAD={}\nNEXT={}\n",
        quote(&b.admin_password),
        quote(&layout.user),
        quote(&layout.status_command()),
        quote(&layout.start_command()),
        quote(&resume.cmd),
        quote(&reload.cmd),
        quote(&b.files().join(" ")),
    );
    if let Some(n) = new {
        env.push_str(&format!(
            "NEW_HOST={}\nOLD_HOST={}\nNEW_PORT={}\nNEW_USER={}\nNEW_PASSWORD={}\n",
            quote(&n.peer.host),
            quote(n.old),
            n.peer.port,
            quote(&n.peer.user),
            quote(&n.peer.password)
        ));
    }
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
        what: Some(format!(
            "arm the pause guard (past {deadline} s: repoint to the new writer if it was promoted{}, then RESUME)",
            if restart {
                ", else start this old writer again"
            } else {
                ""
            }
        )),
    }
}

/// Disarm: the guard stands down (if it already fired, it resumed the
/// PgBouncer itself: nothing is lost).
pub(super) fn disarm(on: On, b: &Bouncer) -> Action {
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
        what: Some("stand the pause guard down".into()),
    }
}

/// Take the permission to restart the old writer away from its guard:
/// fails when the guard has fired (and restarted it) already.
pub(super) fn commit(on: On, b: &Bouncer) -> Action {
    let d = dir(b);
    Action::Run {
        on,
        exec: Exec::new(format!(
            "cd {d} && mv restart restart.committed 2>/dev/null || {{ echo 'the pause guard fired first: it has started the old writer again and resumed PgBouncer' >&2; exit 1; }}"
        )),
        capture: false,
        fail: Some("not promoting".into()),
        what: Some("take the restart of the old writer from its pause guard".into()),
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
        let peer = crate::facts::Peer {
            host: "10.77.0.12".into(),
            port: 5432,
            user: "replicator".into(),
            password: "r3pl".into(),
        };
        let new = Some(NewWriter {
            peer: &peer,
            old: "10.77.0.11",
        });
        let Action::Run { exec, .. } = arm(On::host("pgdb1"), &b, &Layout::default(), true, 6, new)
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
