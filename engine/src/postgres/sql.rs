//! SQL on a host through `psql` (over the host's transport), and the
//! PgBouncer admin console.

use super::{Bouncer, Layout};
use crate::transport::shell::quote;
use crate::transport::{Exec, Transport};

/// Rows of unaligned, tuples-only psql output (fields split on `|`).
pub type Rows = Vec<Vec<String>>;

/// The psql command line for `sql` against the local cluster, as its OS user.
pub fn psql(layout: &Layout, sql: &str) -> Exec {
    let cmd = format!(
        "psql -XAtq -F '|' -h {} -p {} -d postgres -c {}",
        quote(&layout.socket_dir),
        layout.port,
        quote(sql)
    );
    Exec::new(cmd).runas(Some(&layout.user)).timeout(Some(30))
}

/// Run `sql` and split its rows; an error carries psql's message.
pub async fn query(host: &dyn Transport, layout: &Layout, sql: &str) -> Result<Rows, String> {
    let out = host
        .exec(&psql(layout, sql))
        .await
        .map_err(|e| e.to_string())?;
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

/// Send `commands` to PgBouncer's admin console in one session, within
/// `timeout` seconds (psql is killed past it, which closes the session).
pub async fn admin(
    host: &dyn Transport,
    b: &Bouncer,
    commands: &[&str],
    timeout: u64,
) -> Result<String, String> {
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
    let out = host.exec(&exec).await.map_err(|e| e.to_string())?;
    match out.code {
        0 => Ok(out.stdout),
        137 => Err(format!("no answer within {timeout} s")),
        _ => Err(out.stderr.trim().to_string()),
    }
}
