//! `converge-bench chaos --cycles N`: failovers under write load, each
//! after a fault drawn at random (none, a crashed writer, a writer cut
//! off the network, converge killed mid-switchover, ssh to the old writer
//! lost mid-switchover), and after each the checks an operator would make:
//! roles as pillar says, the standby streaming on the writer's timeline,
//! no PgBouncer left paused, clients writing through both; all along, a
//! probe of every host for two writers at once. A cycle whose checks fail
//! gets one rerun of the failover; if that does not mend it, the lab is
//! reset and the cycle counted as one that needed a human.
//!
//! Why: the switchover benchmark shows the happy path; what converge
//! promises (a pause, never an error, no acknowledged row lost, a rerun
//! finishes the job) matters most when things break in the middle.

mod cycle;
mod fault;
mod health;
mod probe;
mod report;
mod rng;
mod writers;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use load::{prepare, Load, Options};

use self::cycle::Cycle;
use self::fault::{Fault, KINDS};
use self::probe::Probe;
use self::rng::Rng;
use crate::driver::{drive, JsonOut};
use crate::lab::{Clock, Lab};

/// converge-bench chaos: random faults and failovers under write load, on
/// the lab LAB_ID names.
#[derive(Parser, Debug)]
pub(crate) struct Args {
    /// How many cycles (a fault and its failover each).
    #[arg(long, default_value_t = 20)]
    cycles: usize,
    /// Seed of the draw (default: from the clock; the report prints it).
    #[arg(long)]
    seed: Option<u64>,
    /// The faults to draw from, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = KINDS.map(String::from))]
    faults: Vec<String>,
    /// Write an SVG timeline of each cycle into this directory.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Write every cycle's record as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// How often the writer probe asks each host (ms).
    #[arg(long, default_value_t = 50)]
    probe_ms: u64,
}

impl JsonOut for Args {
    fn json_path(&self) -> Option<&PathBuf> {
        self.json.as_ref()
    }
}

pub(crate) fn main(argv: &[String]) -> i32 {
    drive::<Args, report::Chaos>("chaos", argv, run)
}

/// Everything a cycle works with.
pub(crate) struct Ctx {
    lab: Lab,
    clock: Clock,
    rt: tokio::runtime::Runtime,
    opts: Options,
    src: String,
    load: Load,
    probe: Probe,
    writer: String,
    query: String,
    pause_timeout: u64,
    /// Rows acknowledged before this (a reset) are not looked for.
    epoch: f64,
    /// Rows already found missing: `(client, seq)`.
    lost: HashSet<(usize, i64)>,
    plot: Option<PathBuf>,
}

fn run(args: &Args) -> Result<report::Chaos, String> {
    for f in &args.faults {
        if !KINDS.contains(&f.as_str()) {
            return Err(format!("unknown fault {f:?} (known: {})", KINDS.join(", ")));
        }
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1)
    });
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    eprintln!("chaos: seed {seed}; bringing the lab up");
    let lab = Lab::up()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let opts = Options::lab();
    rt.block_on(prepare(&opts))?;
    let clock = Clock(Instant::now());
    let src = format!("chaos-{}", std::process::id());
    let (load, probe) = {
        let _in = rt.enter();
        (
            Load::start_at(&opts, &src, clock.0),
            Probe::start(
                lab.env.dir.clone(),
                &["pgdb1", "pgdb2"],
                clock.0,
                Duration::from_millis(args.probe_ms),
            ),
        )
    };
    let pause_timeout = lab.pause_timeout();
    let mut ctx = Ctx {
        lab,
        clock,
        rt,
        opts,
        src,
        load,
        probe,
        writer: "pgdb1".into(),
        query: "pgdb2".into(),
        pause_timeout,
        epoch: 0.0,
        lost: HashSet::new(),
        plot: args.plot.clone(),
    };
    ctx.clients_write_since(0.0, Duration::from_secs(10))
        .map_err(|e| format!("the load does not write: {e}"))?;
    let kinds: Vec<&str> = args.faults.iter().map(String::as_str).collect();
    let mut rng = Rng::new(seed);
    let mut cycles: Vec<Cycle> = Vec::new();
    for n in 1..=args.cycles {
        let fault = Fault::draw(&mut rng, &kinds);
        eprintln!(
            "chaos: cycle {n}/{}: {} (writer {})",
            args.cycles,
            fault.describe(&ctx.writer),
            ctx.writer
        );
        let c = ctx.cycle(n, fault);
        eprintln!("chaos: cycle {n}: {}", c.summary());
        cycles.push(c);
    }
    let Ctx {
        rt, load, probe, ..
    } = ctx;
    rt.block_on(async {
        load.stop().await;
        probe.stop().await;
    });
    Ok(report::Chaos {
        seed,
        kinds: args.faults.clone(),
        pause_timeout,
        cycles,
    })
}

impl Ctx {
    /// Every client has committed after `since`, within `timeout`.
    fn clients_write_since(&self, since: f64, timeout: Duration) -> Result<(), String> {
        let t = Instant::now();
        loop {
            let behind: Vec<String> = self
                .load
                .snapshot()
                .iter()
                .filter(|w| w.ack_times.last().is_none_or(|a| a.as_secs_f64() <= since))
                .map(|w| w.target.clone())
                .collect();
            if behind.is_empty() {
                return Ok(());
            }
            if t.elapsed() >= timeout {
                let last_error = self
                    .load
                    .snapshot()
                    .iter()
                    .filter(|w| behind.contains(&w.target))
                    .filter_map(|w| w.fail_messages.last().cloned())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(format!(
                    "no commit through {} since {since:.1} s (last error: {})",
                    behind.join(", "),
                    if last_error.is_empty() {
                        "none"
                    } else {
                        &last_error
                    }
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
