//! Where a cluster lives and how to reach it, as the state tree's
//! `postgres/map.jinja` computes it from pillar (passed to the functions as
//! `cluster: {{ pg | json }}` and `pgbouncer: {{ pgbouncer | json }}`).

use serde::Deserialize;

use crate::transport::shell::quote;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default)]
pub struct Layout {
    pub version: String,
    pub major: u32,
    pub cluster: String,
    pub bindir: String,
    pub datadir: String,
    pub confdir: String,
    pub logfile: String,
    pub port: u16,
    pub socket_dir: String,
    pub user: String,
}

impl Default for Layout {
    /// Debian's layout for PostgreSQL 15, cluster `main`.
    fn default() -> Layout {
        Layout {
            version: "15".into(),
            major: 15,
            cluster: "main".into(),
            bindir: "/usr/lib/postgresql/15/bin".into(),
            datadir: "/var/lib/postgresql/15/main".into(),
            confdir: "/etc/postgresql/15/main".into(),
            logfile: "/var/log/postgresql/postgresql-15-main.log".into(),
            port: 5432,
            socket_dir: "/var/run/postgresql".into(),
            user: "postgres".into(),
        }
    }
}

impl Layout {
    /// `pg_ctl` (or another server binary) of this version.
    pub fn bin(&self, name: &str) -> String {
        quote(&format!("{}/{name}", self.bindir))
    }

    /// The standby marker: `standby.signal` since 12, `recovery.conf` before.
    pub fn marker(&self) -> String {
        let name = if self.major >= 12 {
            "standby.signal"
        } else {
            "recovery.conf"
        };
        format!("{}/{name}", self.datadir)
    }

    /// `pg_ctl ... start` as Debian's tools start it: the configuration
    /// directory (which holds postgresql.conf) as -D, waiting until it
    /// accepts connections (or, for a standby, until it is consistent).
    pub fn start_command(&self) -> String {
        format!(
            "{} start -w -t 60 -D {} -l {} -s",
            self.bin("pg_ctl"),
            quote(&self.confdir),
            quote(&self.logfile)
        )
    }

    /// A clean shutdown (`fast`: the shutdown checkpoint is written and sent
    /// to the standbys before the server exits). pg_ctl's own wait polls
    /// every 100 ms; this polls every 10 ms for the pid file to go, which is
    /// what pg_ctl waits for, and takes a tenth of a failover's pause less.
    pub fn stop_command(&self, mode: &str) -> String {
        let pid = quote(&format!("{}/postmaster.pid", self.datadir));
        format!(
            "{} stop -W -m {} -D {} -s && {}",
            self.bin("pg_ctl"),
            quote(mode),
            quote(&self.datadir),
            poll(&format!("[ ! -e {pid} ]"))
        )
    }

    /// Promote a standby and wait, polling every 10 ms, for the control
    /// file to say `in production` (as `pg_ctl promote -w` does, at 100 ms).
    pub fn promote_command(&self) -> String {
        let state = format!(
            "LC_ALL=C {} -D {} | sed -n 's/^Database cluster state: *//p'",
            self.bin("pg_controldata"),
            quote(&self.datadir)
        );
        format!(
            "{} promote -W -D {} -s && {}",
            self.bin("pg_ctl"),
            quote(&self.datadir),
            poll(&format!("[ \"$({state})\" = 'in production' ]"))
        )
    }

    pub fn status_command(&self) -> String {
        format!(
            "{} status -D {} >/dev/null",
            self.bin("pg_ctl"),
            quote(&self.datadir)
        )
    }
}

/// A shell loop: until `test` holds, every 10 ms, for at most 60 s.
fn poll(test: &str) -> String {
    format!("for _ in $(seq 6000); do if {test}; then exit 0; fi; sleep 0.01; done; echo 'timed out after 60 s' >&2; exit 1")
}

/// A PgBouncer and its admin console. Its password never shows in a
/// debug print.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct Bouncer {
    pub port: u16,
    pub socket_dir: String,
    pub admin_user: String,
    pub admin_password: String,
    pub pause_timeout: u64,
    /// Its log: the only place PgBouncer 1.18 says whether it is paused.
    pub logfile: String,
    /// The databases it serves (for `KILL db`).
    pub databases: Vec<String>,
    /// Its configuration and user list, which a failover prepares ahead.
    pub config: String,
    pub userlist: String,
}

impl Default for Bouncer {
    fn default() -> Bouncer {
        Bouncer {
            port: 6432,
            socket_dir: "/var/run/postgresql".into(),
            admin_user: "pgbouncer".into(),
            admin_password: String::new(),
            pause_timeout: 5,
            logfile: "/var/log/postgresql/pgbouncer.log".into(),
            databases: Vec::new(),
            config: "/etc/pgbouncer/pgbouncer.ini".into(),
            userlist: "/etc/pgbouncer/userlist.txt".into(),
        }
    }
}

impl Bouncer {
    /// The files a failover prepares for it ahead of the switch.
    pub fn files(&self) -> [&str; 2] {
        [&self.config, &self.userlist]
    }
}

/// Where a failover puts a PgBouncer file prepared ahead: beside it, moved
/// over it at the switch (by the failover, or by the pause guard).
pub(crate) fn prepared(path: &str) -> String {
    format!("{path}.converge-next")
}

impl std::fmt::Debug for Bouncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bouncer")
            .field("port", &self.port)
            .field("socket_dir", &self.socket_dir)
            .field("admin_user", &self.admin_user)
            .field("admin_password", &"<hidden>")
            .field("pause_timeout", &self.pause_timeout)
            .field("logfile", &self.logfile)
            .field("databases", &self.databases)
            .field("config", &self.config)
            .field("userlist", &self.userlist)
            .finish()
    }
}
