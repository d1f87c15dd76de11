//! How many writers clients could reach, probed all along a test: every
//! 50 ms each host's PostgreSQL is asked over the network (as a client
//! would reach it) whether it is in recovery. A host that does not answer
//! (down, cut off) is no writer anyone can reach.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// When each probe was made, and who answered as a writer then.
type Samples = Vec<(Instant, Vec<String>)>;

pub(crate) struct Writers {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Samples>>,
}

impl Writers {
    /// Start probing `hosts` ((id, address)).
    pub(crate) fn watch(hosts: Vec<(String, String)>) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let mut samples = Vec::new();
                while !flag.load(Ordering::Relaxed) {
                    let asks: Vec<_> = hosts
                        .iter()
                        .cloned()
                        .map(|(id, addr)| {
                            tokio::spawn(async move { primary(&addr).await.then_some(id) })
                        })
                        .collect();
                    let mut writers = Vec::new();
                    for ask in asks {
                        if let Ok(Some(id)) = ask.await {
                            writers.push(id);
                        }
                    }
                    samples.push((Instant::now(), writers));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                samples
            })
        });
        Writers {
            stop,
            thread: Some(thread),
        }
    }

    /// Stop; the most writers seen at once, and when.
    pub(crate) fn stop(mut self) -> (usize, Vec<String>, usize) {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self.thread.take().unwrap().join().unwrap();
        let most = samples
            .iter()
            .max_by_key(|(_, w)| w.len())
            .map(|(_, w)| w.clone())
            .unwrap_or_default();
        (most.len(), most, samples.len())
    }
}

/// Whether the server at `addr` answers as a primary (within 1 s).
async fn primary(addr: &str) -> bool {
    let conninfo =
        format!("host={addr} port=5432 user=app password=app-lab dbname=app connect_timeout=1");
    let ask = async {
        let (client, conn) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .ok()?;
        tokio::spawn(conn);
        let row = client
            .query_one("select pg_is_in_recovery()", &[])
            .await
            .ok()?;
        Some(!row.get::<_, bool>(0))
    };
    tokio::time::timeout(Duration::from_secs(1), ask)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
