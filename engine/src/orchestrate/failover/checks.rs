//! The failover's own checks: the old writer's server is down (seen over
//! ssh), and it does not accept writes (seen over the network, from the
//! controller and from the new writer: every path converge can reach).

use crate::facts::{Peer, Postmaster};
use crate::plan::{Changes, Check, Verdict};
use crate::postgres::Layout;
use crate::transport::{Exec, Output};

/// The server does not run.
#[derive(Debug)]
pub(super) struct Down {
    pub id: String,
    pub cluster: Layout,
}

impl Check for Down {
    fn describe(&self) -> String {
        format!("PostgreSQL on {} does not run", self.id)
    }

    fn probe(&self) -> Exec {
        Postmaster::command(&self.cluster)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match Postmaster::parse(out, &self.cluster) {
            Ok(Postmaster::Stopped) => Verdict::Met(Changes::new()),
            Ok(Postmaster::Running) => Verdict::Pending("it runs".into()),
            Err(e) => Verdict::Pending(e),
        }
    }
}

/// The server is not a primary: it answers as a standby, or not at all.
#[derive(Debug)]
pub(super) struct NotPrimary {
    pub id: String,
    pub cluster: Layout,
}

impl Check for NotPrimary {
    fn describe(&self) -> String {
        format!("{} is not a primary", self.id)
    }

    fn probe(&self) -> Exec {
        crate::facts::Server::command(&self.cluster)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match crate::facts::Server::parse(out) {
            Ok(st) if !st.in_recovery => Verdict::Pending(format!(
                "{} runs as a primary (timeline {}) after all",
                self.id, st.timeline
            )),
            _ => Verdict::Met(Changes::new()),
        }
    }
}

/// `target` does not accept writes, asked from where the check runs: it
/// refuses the connection or does not answer (down, fenced, cut off), or
/// answers as a standby. Only an answer `pg_is_in_recovery() = f` fails it.
#[derive(Debug)]
pub(super) struct NotAWriter {
    pub target: String,
    pub peer: Peer,
    /// Where the check runs, for the description.
    pub from: String,
}

impl Check for NotAWriter {
    fn describe(&self) -> String {
        format!(
            "{} ({}:{}) does not accept writes, seen from {}",
            self.target, self.peer.host, self.peer.port, self.from
        )
    }

    fn probe(&self) -> Exec {
        let cmd = format!(
            "psql -XAtqw {} -c 'select pg_is_in_recovery()' 2>&1; true",
            crate::transport::shell::quote(
                &self
                    .peer
                    .conninfo("postgres")
                    .replace("connect_timeout=3", "connect_timeout=2")
            )
        );
        self.peer.with_password(Exec::new(cmd).timeout(Some(10)))
    }

    fn judge(&self, out: &Output) -> Verdict {
        let answer = out.stdout.trim();
        if answer == "f" {
            Verdict::Pending(format!(
                "{} answers as a primary at {}:{}: refusing to make a second writer",
                self.target, self.peer.host, self.peer.port
            ))
        } else {
            let seen = match answer {
                "t" => "answers as a standby".to_string(),
                other => other.lines().last().unwrap_or("no answer").to_string(),
            };
            Verdict::Met(Changes::from_iter([(
                format!("{} from {}", self.target, self.from),
                serde_json::Value::String(seen),
            )]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn only_a_primary_answer_fails() {
        let c = NotAWriter {
            target: "pgdb1".into(),
            peer: Peer {
                host: "10.77.0.11".into(),
                port: 5432,
                user: "replicator".into(),
                password: "x".into(),
            },
            from: "pgdb2".into(),
        };
        assert!(matches!(c.judge(&recorded("f\n")), Verdict::Pending(_)));
        assert!(matches!(c.judge(&recorded("t\n")), Verdict::Met(_)));
        let refused = recorded("psql: error: connection to server at \"10.77.0.11\", port 5432 failed: Connection refused\n");
        assert!(matches!(c.judge(&refused), Verdict::Met(_)));
        assert!(!c.probe().cmd.contains('x') || !c.probe().cmd.contains("password"));
    }
}
