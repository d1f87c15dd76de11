//! A steady write load through PgBouncer, one writer per target, that keeps
//! the key of every row the server acknowledged and the time of each
//! acknowledgement. After a failover it tells: the longest pause a client
//! saw, how many transactions failed, and (checking the new writer) how
//! many acknowledged rows are missing.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls};

pub mod lab;

/// Where and how to write.
#[derive(Clone, Debug)]
pub struct Options {
    /// `host:port` of each PgBouncer (one writer each).
    pub targets: Vec<String>,
    pub user: String,
    pub password: String,
    pub dbname: String,
    /// Pause between two transactions of one writer.
    pub interval: Duration,
    /// A transaction (or connect) taking longer than this counts as failed.
    pub timeout: Duration,
}

impl Options {
    /// The PgBouncers on pgdb1 and pgdb2 of the lab `LAB_ID` names (lab 0
    /// when unset; an invalid `LAB_ID` panics rather than reach another
    /// lab), database `app`.
    pub fn lab() -> Options {
        let lab = lab::LabEnv::from_env().unwrap_or_else(|e| panic!("{e}"));
        Options::lab_at(&lab)
    }

    /// The PgBouncers on pgdb1 and pgdb2 of `lab`, database `app`.
    pub fn lab_at(lab: &lab::LabEnv) -> Options {
        let target = |h: &str| format!("{}:6432", lab.address(h).expect("a lab host"));
        Options {
            targets: vec![target("pgdb1"), target("pgdb2")],
            user: "app".into(),
            password: "app-lab".into(),
            dbname: "app".into(),
            interval: Duration::from_millis(5),
            timeout: Duration::from_secs(30),
        }
    }

    fn conninfo(&self, target: &str) -> String {
        let (host, port) = target.rsplit_once(':').unwrap_or((target, "6432"));
        format!(
            "host={host} port={port} user={} password={} dbname={} connect_timeout=10",
            self.user, self.password, self.dbname
        )
    }
}

/// One writer's record.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Writer {
    pub target: String,
    /// Acknowledged rows' sequence numbers.
    #[serde(skip)]
    pub acked: Vec<i64>,
    /// When each was acknowledged, since the load started.
    #[serde(skip)]
    pub ack_times: Vec<Duration>,
    /// When each failure happened.
    #[serde(skip)]
    pub fail_times: Vec<Duration>,
    /// What each failure said (beside `fail_times`, the first 10,000).
    #[serde(skip)]
    pub fail_messages: Vec<String>,
    pub acknowledged: usize,
    pub failed: usize,
    pub errors: Vec<String>,
}

impl Writer {
    /// Failures within `[from, to)`.
    pub fn failed_between(&self, from: Duration, to: Duration) -> usize {
        self.fail_times
            .iter()
            .filter(|t| **t >= from && **t < to)
            .count()
    }

    /// The longest time between two acknowledgements within `[from, to)`
    /// (since the load started), with when it began.
    pub fn longest_gap(&self, from: Duration, to: Duration) -> (Duration, Duration) {
        let times: Vec<Duration> = self
            .ack_times
            .iter()
            .copied()
            .filter(|t| *t >= from && *t < to)
            .collect();
        times
            .windows(2)
            .map(|w| (w[1] - w[0], w[0]))
            .max()
            .unwrap_or_default()
    }
}

/// A running load.
pub struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<Writer>>,
    /// Each writer's record so far, for a look while it runs.
    live: Vec<Arc<Mutex<Writer>>>,
    pub started: Instant,
}

pub const TABLE: &str = "converge_load";

/// Create the table the load writes (through the first target).
pub async fn prepare(opts: &Options) -> Result<(), String> {
    let client = connect(opts, &opts.targets[0]).await?;
    client
        .batch_execute(&format!(
            "create table if not exists {TABLE} (src text not null, seq bigint not null, at timestamptz not null default now(), primary key (src, seq))"
        ))
        .await
        .map_err(|e| e.to_string())
}

async fn connect(opts: &Options, target: &str) -> Result<Client, String> {
    let conninfo = opts.conninfo(target);
    let fut = tokio_postgres::connect(&conninfo, NoTls);
    let (client, conn) = tokio::time::timeout(opts.timeout, fut)
        .await
        .map_err(|_| format!("connect to {target}: timed out"))?
        .map_err(|e| format!("connect to {target}: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

impl Load {
    /// Start one writer per target; `src` (letters, digits, `-`) tells runs
    /// apart in the table.
    pub fn start(opts: &Options, src: &str) -> Load {
        Load::start_at(opts, src, Instant::now())
    }

    /// The same, with the time every record counts from given (so that
    /// other probes can share it).
    pub fn start_at(opts: &Options, src: &str, started: Instant) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let live: Vec<Arc<Mutex<Writer>>> = opts
            .targets
            .iter()
            .map(|t| {
                Arc::new(Mutex::new(Writer {
                    target: t.clone(),
                    ..Writer::default()
                }))
            })
            .collect();
        let tasks = opts
            .targets
            .iter()
            .enumerate()
            .map(|(i, target)| {
                let (opts, stop, target) = (opts.clone(), Arc::clone(&stop), target.clone());
                let src = format!("{src}-{i}");
                let rec = Arc::clone(&live[i]);
                tokio::spawn(async move { write(opts, target, src, stop, started, rec).await })
            })
            .collect();
        Load {
            stop,
            tasks,
            live,
            started,
        }
    }

    /// Each writer's record so far (the load goes on).
    pub fn snapshot(&self) -> Vec<Writer> {
        self.live
            .iter()
            .map(|w| {
                let mut w = w.lock().expect("a writer panicked").clone();
                w.acknowledged = w.acked.len();
                w
            })
            .collect()
    }

    /// Stop writing; each writer's record.
    pub async fn stop(self) -> Vec<Writer> {
        self.stop.store(true, Ordering::SeqCst);
        let mut out = Vec::new();
        for t in self.tasks {
            out.push(t.await.expect("a writer panicked"));
        }
        out
    }
}

async fn write(
    opts: Options,
    target: String,
    src: String,
    stop: Arc<AtomicBool>,
    started: Instant,
    rec: Arc<Mutex<Writer>>,
) -> Writer {
    let mut client: Option<Client> = None;
    let mut seq: i64 = 0;
    while !stop.load(Ordering::SeqCst) {
        if client
            .as_ref()
            .is_none_or(tokio_postgres::Client::is_closed)
        {
            match connect(&opts, &target).await {
                Ok(c) => client = Some(c),
                Err(e) => {
                    note(&mut rec.lock().expect("one writer"), started.elapsed(), e);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let c = client.as_ref().expect("connected");
        seq += 1;
        // The simple query protocol: PgBouncer 1.18 in transaction pooling
        // cannot keep a prepared statement between two transactions, and
        // an application behind it must not rely on one either.
        let sql = format!("insert into {TABLE} (src, seq) values ('{src}', {seq})");
        match tokio::time::timeout(opts.timeout, c.simple_query(&sql)).await {
            Ok(Ok(_)) => {
                let mut w = rec.lock().expect("one writer");
                w.acked.push(seq);
                w.ack_times.push(started.elapsed());
            }
            Ok(Err(e)) => {
                let text = match e.as_db_error() {
                    Some(db) => format!("{}: {}", db.code().code(), db.message()),
                    None => e.to_string(),
                };
                let at = started.elapsed();
                note(
                    &mut rec.lock().expect("one writer"),
                    at,
                    format!("{:.3}s {text}", at.as_secs_f64()),
                );
                client = None;
            }
            Err(_) => {
                note(
                    &mut rec.lock().expect("one writer"),
                    started.elapsed(),
                    format!("no answer within {:?}", opts.timeout),
                );
                client = None;
            }
        }
        tokio::time::sleep(opts.interval).await;
    }
    let mut w = rec.lock().expect("one writer").clone();
    w.acknowledged = w.acked.len();
    w.errors.dedup();
    w
}

/// A failure at `at` (since the load started), and its message.
fn note(w: &mut Writer, at: Duration, e: String) {
    w.failed += 1;
    w.fail_times.push(at);
    if w.fail_messages.len() < 10_000 {
        w.fail_messages.push(e.clone());
    }
    if w.errors.len() < 20 {
        w.errors.push(e);
    }
}

/// How many acknowledged rows of `writers` the server behind `target`
/// lacks (`src` as given to `Load::start`).
pub async fn lost_rows(
    opts: &Options,
    target: &str,
    src: &str,
    writers: &[Writer],
) -> Result<usize, String> {
    let client = connect(opts, target).await?;
    let mut lost = 0;
    for (i, w) in writers.iter().enumerate() {
        let rows = client
            .query(
                &format!("select seq from {TABLE} where src = $1"),
                &[&format!("{src}-{i}")],
            )
            .await
            .map_err(|e| e.to_string())?;
        let present: HashSet<i64> = rows.iter().map(|r| r.get(0)).collect();
        lost += w.acked.iter().filter(|s| !present.contains(s)).count();
    }
    Ok(lost)
}

/// The acknowledged rows of each of `writers` that the server behind
/// `target` lacks: their sequence numbers, per writer.
pub async fn missing_rows(
    opts: &Options,
    target: &str,
    src: &str,
    writers: &[Writer],
) -> Result<Vec<Vec<i64>>, String> {
    let client = connect(opts, target).await?;
    let mut out = Vec::new();
    for (i, w) in writers.iter().enumerate() {
        let rows = client
            .query(
                &format!("select seq from {TABLE} where src = $1"),
                &[&format!("{src}-{i}")],
            )
            .await
            .map_err(|e| e.to_string())?;
        let present: HashSet<i64> = rows.iter().map(|r| r.get(0)).collect();
        out.push(
            w.acked
                .iter()
                .copied()
                .filter(|s| !present.contains(s))
                .collect(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn gaps_and_failures_are_counted_within_a_window() {
        let w = Writer {
            ack_times: vec![ms(0), ms(5), ms(10), ms(400), ms(405), ms(900)],
            fail_times: vec![ms(10), ms(950)],
            ..Writer::default()
        };
        assert_eq!(w.longest_gap(ms(0), ms(500)), (ms(390), ms(10)));
        assert_eq!(w.longest_gap(ms(0), ms(1000)), (ms(495), ms(405)));
        assert_eq!(w.longest_gap(ms(401), ms(500)), (ms(0), ms(0)));
        assert_eq!(w.failed_between(ms(0), ms(500)), 1);
        assert_eq!(w.failed_between(ms(500), ms(1000)), 1);
    }
}
