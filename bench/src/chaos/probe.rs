//! The writer probe: one task per PostgreSQL host asks its server
//! `pg_is_in_recovery()` every `interval`, over the host's own Unix socket
//! (reached from outside through `/proc/<host's pid 1>/root`), so that it
//! answers even while the host's link is cut and costs no process per
//! probe. Samples are kept on the load's time axis.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls};

use super::writers::{Role, Sample};

pub(super) struct Probe {
    pub hosts: Vec<String>,
    samples: Vec<Arc<Mutex<Vec<Sample>>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Probe {
    /// Start probing `hosts` of the lab in `lab_dir` (call inside the
    /// runtime).
    pub(super) fn start(
        lab_dir: PathBuf,
        hosts: &[&str],
        started: Instant,
        interval: Duration,
    ) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let samples: Vec<_> = hosts.iter().map(|_| Arc::default()).collect();
        let tasks = hosts
            .iter()
            .zip(&samples)
            .map(|(h, rec)| {
                let (dir, host, stop, rec) = (
                    lab_dir.clone(),
                    h.to_string(),
                    Arc::clone(&stop),
                    Arc::clone(rec),
                );
                tokio::spawn(async move { probe(dir, host, started, interval, stop, rec).await })
            })
            .collect();
        Probe {
            hosts: hosts.iter().map(std::string::ToString::to_string).collect(),
            samples,
            stop,
            tasks,
        }
    }

    /// Each host's samples so far.
    pub(super) fn snapshot(&self) -> Vec<Vec<Sample>> {
        self.samples
            .iter()
            .map(|s| s.lock().expect("a probe panicked").clone())
            .collect()
    }

    pub(super) async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn connect(dir: &std::path::Path, host: &str) -> Result<Client, String> {
    let pid1 = std::fs::read_to_string(dir.join("h").join(host).join("pid1"))
        .map_err(|e| e.to_string())?;
    let socket = format!("/proc/{}/root/run/postgresql", pid1.trim());
    let mut cfg = tokio_postgres::Config::new();
    cfg.host_path(&socket)
        .port(5432)
        .user("app")
        .password("app-lab")
        .dbname("app")
        .connect_timeout(Duration::from_secs(1));
    let (client, conn) = tokio::time::timeout(Duration::from_secs(1), cfg.connect(NoTls))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

async fn probe(
    dir: PathBuf,
    host: String,
    started: Instant,
    interval: Duration,
    stop: Arc<AtomicBool>,
    rec: Arc<Mutex<Vec<Sample>>>,
) {
    let mut client: Option<Client> = None;
    while !stop.load(Ordering::SeqCst) {
        let t0 = Instant::now();
        let sent = started.elapsed().as_secs_f64();
        if client
            .as_ref()
            .is_none_or(tokio_postgres::Client::is_closed)
        {
            client = connect(&dir, &host).await.ok();
        }
        let role = match &client {
            None => Role::Down,
            Some(c) => {
                let q = c.simple_query("select pg_is_in_recovery()");
                match tokio::time::timeout(Duration::from_secs(1), q).await {
                    Ok(Ok(rows)) => match rows.iter().find_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(String::from),
                        _ => None,
                    }) {
                        Some(v) if v == "f" => Role::Primary,
                        Some(_) => Role::Standby,
                        None => Role::Down,
                    },
                    _ => {
                        client = None;
                        Role::Down
                    }
                }
            }
        };
        let recv = started.elapsed().as_secs_f64();
        rec.lock()
            .expect("one probe")
            .push(Sample { sent, recv, role });
        tokio::time::sleep(interval.saturating_sub(t0.elapsed())).await;
    }
}
