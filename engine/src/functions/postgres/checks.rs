//! What PostgreSQL steps wait for, as checks (`plan::Check`): a probe from
//! `facts` and a pure judgement of it. A step is judged by querying the
//! server, never by an exit code: `pg_ctl start` returns 0 for a standby
//! that will never stream, and only `pg_controldata` says whether a stop
//! wrote its shutdown checkpoint.

use serde_json::json;

use crate::facts::{ControlData, Postmaster, Server};
use crate::plan::{Changes, Check, Verdict};
use crate::postgres::{Layout, Lsn};
use crate::transport::{Exec, Output};

/// The server runs.
#[derive(Debug)]
pub(crate) struct Up {
    pub cluster: Layout,
}

impl Check for Up {
    fn describe(&self) -> String {
        format!("PostgreSQL ({}) runs", self.cluster.datadir)
    }

    fn probe(&self) -> Exec {
        Postmaster::command(&self.cluster)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match Postmaster::parse(out, &self.cluster) {
            Ok(Postmaster::Running) => Verdict::Met(Changes::new()),
            Ok(Postmaster::Stopped) => Verdict::Pending("it is not running".into()),
            Err(e) => Verdict::Pending(e),
        }
    }
}

/// The cluster is cleanly shut down (as a primary, or as a standby when
/// `in_recovery`): its control data, recorded under `id` in the changes.
#[derive(Debug)]
pub(crate) struct ShutDown {
    pub id: String,
    pub cluster: Layout,
}

impl Check for ShutDown {
    fn describe(&self) -> String {
        format!("{} is cleanly shut down", self.id)
    }

    fn probe(&self) -> Exec {
        ControlData::command(&self.cluster)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match ControlData::parse(out) {
            Ok(cd) if cd.state.starts_with("shut down") => Verdict::Met(Changes::from_iter([(
                self.id.clone(),
                json!({"stopped": cd.state, "checkpoint": cd.checkpoint.to_string(), "timeline": cd.timeline}),
            )])),
            Ok(cd) => Verdict::Pending(format!("its cluster state is `{}`", cd.state)),
            Err(e) => Verdict::Pending(e),
        }
    }
}

/// The control file says the cluster runs as a primary (`in production`):
/// a promotion is complete. Its timeline is recorded under `id`.
#[derive(Debug)]
pub(crate) struct InProduction {
    pub id: String,
    pub cluster: Layout,
}

impl Check for InProduction {
    fn describe(&self) -> String {
        format!("{} runs as a primary", self.id)
    }

    fn probe(&self) -> Exec {
        ControlData::command(&self.cluster)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match ControlData::parse(out) {
            Ok(cd) if cd.state == "in production" => Verdict::Met(Changes::from_iter([(
                self.id.clone(),
                json!({"promoted": cd.state, "timeline": cd.timeline}),
            )])),
            Ok(cd) => Verdict::Pending(format!("its cluster state is `{}`", cd.state)),
            Err(e) => Verdict::Pending(e),
        }
    }
}

/// A standby has received WAL past `lsn` (the old writer's shutdown
/// checkpoint: then it holds all of that writer's WAL).
#[derive(Debug)]
pub(crate) struct ReceivedPast {
    pub id: String,
    pub cluster: Layout,
    pub lsn: Lsn,
}

impl Check for ReceivedPast {
    fn describe(&self) -> String {
        format!("{} has received WAL past {}", self.id, self.lsn)
    }

    fn probe(&self) -> Exec {
        Server::command(&self.cluster)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match Server::parse(out) {
            Ok(st) => match st.lsn.filter(|r| *r > self.lsn) {
                Some(r) => Verdict::Met(Changes::from_iter([(
                    self.id.clone(),
                    json!({"received": r.to_string(), "checkpoint": self.lsn.to_string()}),
                )])),
                None => Verdict::Pending(format!(
                    "it received WAL only up to {}",
                    st.lsn.map_or("nothing".to_string(), |l| l.to_string())
                )),
            },
            Err(e) => Verdict::Pending(format!("PostgreSQL does not answer: {e}")),
        }
    }
}

/// A standby streams from its upstream (by any of `upstream`'s names: roster
/// id, address) on `timeline`, by `pg_stat_wal_receiver`.
#[derive(Debug)]
pub(crate) struct Streams {
    pub id: String,
    pub cluster: Layout,
    pub upstream: Vec<String>,
    pub timeline: u32,
}

impl Streams {
    pub(crate) fn holds(&self, st: &Server) -> bool {
        let names: Vec<&str> = self.upstream.iter().map(String::as_str).collect();
        st.streams_from(&names)
            && st
                .receiver
                .as_ref()
                .is_some_and(|r| r.timeline == self.timeline)
    }
}

impl Check for Streams {
    fn describe(&self) -> String {
        format!(
            "{} streams from {} on timeline {}",
            self.id,
            self.upstream.first().map_or("", String::as_str),
            self.timeline
        )
    }

    fn probe(&self) -> Exec {
        Server::command(&self.cluster)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match Server::parse(out) {
            Ok(st) if self.holds(&st) => Verdict::Met(Changes::new()),
            Ok(st) => Verdict::Pending(st.describe()),
            Err(e) => Verdict::Pending(format!("not answering ({e})")),
        }
    }

    fn interval_ms(&self) -> u64 {
        50
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    fn controldata(state: &str) -> Output {
        recorded(&format!(
            "Database cluster state:               {state}\nLatest checkpoint location:           0/3000028\nLatest checkpoint's TimeLineID:       2\n"
        ))
    }

    #[test]
    fn a_clean_stop_is_judged_by_the_control_file() {
        let c = ShutDown {
            id: "pgdb1".into(),
            cluster: Layout::default(),
        };
        assert_eq!(
            c.judge(&controldata("shut down")),
            Verdict::Met(Changes::from_iter([(
                "pgdb1".to_string(),
                json!({"stopped": "shut down", "checkpoint": "0/3000028", "timeline": 2})
            )]))
        );
        assert_eq!(
            c.judge(&controldata("in production")),
            Verdict::Pending("its cluster state is `in production`".into())
        );
    }

    #[test]
    fn received_past_wants_more_than_the_checkpoint() {
        let c = ReceivedPast {
            id: "pgdb2".into(),
            cluster: Layout::default(),
            lsn: Lsn::parse("0/3000028").unwrap(),
        };
        let at = |lsn: &str| recorded(&format!("t|{lsn}|{lsn}||streaming,1,pgdb1|f|1\n"));
        assert_eq!(
            c.judge(&at("0/3000028")),
            Verdict::Pending("it received WAL only up to 0/3000028".into())
        );
        assert!(matches!(c.judge(&at("0/30000A0")), Verdict::Met(_)));
    }

    #[test]
    fn streaming_means_this_upstream_and_this_timeline() {
        let c = Streams {
            id: "pgdb1".into(),
            cluster: Layout::default(),
            upstream: vec!["pgdb2".into(), "10.77.0.12".into()],
            timeline: 2,
        };
        let row = |r: &str| recorded(&format!("t|0/3000148|0/3000100||{r}|f|1\n"));
        assert_eq!(
            c.judge(&row("streaming,2,10.77.0.12")),
            Verdict::Met(Changes::new())
        );
        assert!(matches!(
            c.judge(&row("streaming,1,10.77.0.12")),
            Verdict::Pending(_)
        ));
        assert!(matches!(
            c.judge(&row("streaming,2,pgdb3")),
            Verdict::Pending(_)
        ));
        assert!(matches!(c.judge(&row("")), Verdict::Pending(_)));
    }
}
