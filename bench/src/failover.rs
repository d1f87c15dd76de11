//! Switchovers on the lab under write load: the demo (a failover and a
//! failback) and the benchmark (N switchovers, with statistics, and with
//! `--plot DIR` an SVG timeline of each).
//!
//! Each switchover is what an operator does: edit pillar (here a copy of
//! the repo's pillar, so the repo is left alone), run `converge orchestrate
//! failover`. Meanwhile one client per PgBouncer writes a row every few
//! milliseconds; each switchover is judged by the longest gap between two
//! acknowledged writes of any client, the transactions that failed, and
//! (at the end, on the final writer) the acknowledged rows that are missing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use load::{lost_rows, prepare, Load, Options};

use crate::lab::{Clock, ConvergeRun, Lab};
use crate::plot;

/// One switchover's measures.
struct Measure {
    to: String,
    wall: Duration,
    longest_gap: Duration,
    failed: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

pub(crate) fn main(args: &[String], demo: bool) -> i32 {
    let runs = flag(args, "--runs")
        .and_then(|n| n.parse().ok())
        .unwrap_or(if demo { 2 } else { 10 });
    let json = flag(args, "--json");
    let plot_dir = flag(args, "--plot").map(PathBuf::from);
    if let Some(d) = &plot_dir {
        if let Err(e) = std::fs::create_dir_all(d) {
            eprintln!("converge-bench: {}: {e}", d.display());
            return 1;
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match rt.block_on(switchovers(runs, demo, plot_dir)) {
        Ok((measures, lost, failed)) => {
            report(&measures, lost, failed, json.as_deref());
            let ok = lost == 0 && failed == 0;
            if ok {
                0
            } else {
                1
            }
        }
        Err(e) => {
            eprintln!("converge-bench: {e}");
            1
        }
    }
}

async fn switchovers(
    runs: usize,
    demo: bool,
    plot_dir: Option<PathBuf>,
) -> Result<(Vec<Measure>, usize, usize), String> {
    let lab = tokio::task::block_in_place(Lab::up)?;
    let opts = Options::lab();
    prepare(&opts).await?;
    let src = format!("bench-{}", std::process::id());
    let clock = Clock(Instant::now());
    let load = Load::start_at(&opts, &src, clock.0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut windows: Vec<(String, f64, f64, ConvergeRun)> = Vec::new();
    let mut writer = "pgdb1";
    for i in 0..runs {
        let (new, old) = if writer == "pgdb1" {
            ("pgdb2", "pgdb1")
        } else {
            ("pgdb1", "pgdb2")
        };
        lab.set_writer(new, old)?;
        let from = clock.now();
        let run = tokio::task::block_in_place(|| {
            lab.converge_watched(
                &["orchestrate", "failover"],
                clock,
                &mut Vec::new(),
                |_, _| None,
            )
        })?;
        if run.code != Some(0) {
            let err: Vec<&str> = run.stderr.iter().map(|(_, l)| l.as_str()).collect();
            return Err(format!(
                "switchover {} ({old} → {new}) failed (exit {:?}):\n{}\n{}",
                i + 1,
                run.code,
                run.stdout,
                err.join("\n")
            ));
        }
        if demo {
            println!("{}", run.stdout);
            eprintln!(
                "switchover {} ({old} → {new}): {:.0} ms",
                i + 1,
                run.wall() * 1000.0
            );
        }
        // Clients settle within a few of their intervals after RESUME.
        tokio::time::sleep(Duration::from_millis(500)).await;
        windows.push((new.to_string(), from, clock.now(), run));
        writer = new;
    }
    let writers = load.stop().await;
    let lost = lost_rows(&opts, &opts.targets[0], &src, &writers).await?;
    let d = Duration::from_secs_f64;
    let mut measures = Vec::new();
    for (i, (to, from, until, run)) in windows.iter().enumerate() {
        let longest_gap = writers
            .iter()
            .map(|w| w.longest_gap(d(*from), d(*until)).0)
            .max()
            .unwrap_or_default();
        let failed = writers
            .iter()
            .map(|w| w.failed_between(d(*from), d(*until)))
            .sum();
        if let Some(dir) = &plot_dir {
            let path = dir.join(format!("switchover-{:02}.svg", i + 1));
            let t = timeline(i + 1, to, run, &writers, *until);
            if let Err(e) = plot::render(&t, &path) {
                eprintln!("converge-bench: {}: {e}", path.display());
            }
        }
        measures.push(Measure {
            to: to.clone(),
            wall: d(run.wall()),
            longest_gap,
            failed,
        });
    }
    for w in &writers {
        if !w.errors.is_empty() {
            eprintln!(
                "{}: {} failed; first errors: {:?}",
                w.target,
                w.failed,
                &w.errors[..w.errors.len().min(3)]
            );
        }
    }
    let failed: usize = writers.iter().map(|w| w.failed).sum();
    Ok((measures, lost, failed))
}

/// A switchover's timeline: from just before converge started to the end
/// of the clients' settling.
fn timeline(
    n: usize,
    to: &str,
    run: &ConvergeRun,
    writers: &[load::Writer],
    until: f64,
) -> plot::Timeline {
    let secs = |v: &[Duration]| v.iter().map(Duration::as_secs_f64).collect::<Vec<f64>>();
    plot::Timeline {
        title: format!(
            "switchover {n} to {to}: converge {:.0} ms",
            run.wall() * 1000.0
        ),
        from: run.start - 0.3,
        to: until,
        clients: writers
            .iter()
            .map(|w| plot::Client {
                name: format!("client via {}", w.target),
                acks: secs(&w.ack_times),
                fails: secs(&w.fail_times),
                lost: vec![],
            })
            .collect(),
        runs: vec![plot::Run {
            label: "orchestrate failover".into(),
            start: run.start,
            end: run.end,
            spans: run.spans.clone(),
        }],
        hosts: vec![],
        events: vec![],
        zoom: None,
    }
}

fn report(measures: &[Measure], lost: usize, failed: usize, json: Option<&str>) {
    println!("\n switchover                 total time   longest client pause   failed");
    for (i, m) in measures.iter().enumerate() {
        // Odd ones move the writer away from pgdb1 (a failover), even ones back.
        let what = if i % 2 == 0 { "failover" } else { "failback" };
        println!(
            " {:>2}. {what} to {:<6}   {:>8.0} ms   {:>8.0} ms            {}",
            i + 1,
            m.to,
            m.wall.as_secs_f64() * 1000.0,
            m.longest_gap.as_secs_f64() * 1000.0,
            m.failed
        );
    }
    let walls: Vec<f64> = measures
        .iter()
        .map(|m| m.wall.as_secs_f64() * 1000.0)
        .collect();
    let gaps: Vec<f64> = measures
        .iter()
        .map(|m| m.longest_gap.as_secs_f64() * 1000.0)
        .collect();
    println!(
        "\n {} switchovers: wall median {:.0} ms (max {:.0}), longest pause median {:.0} ms (max {:.0}), failed transactions {failed}, lost rows {lost}",
        measures.len(),
        median(walls.clone()),
        walls.iter().copied().fold(0.0, f64::max),
        median(gaps.clone()),
        gaps.iter().copied().fold(0.0, f64::max),
    );
    if let Some(path) = json {
        let v = serde_json::json!({
            "switchovers": measures.iter().map(|m| serde_json::json!({"to": m.to, "wall_ms": m.wall.as_secs_f64() * 1000.0, "longest_pause_ms": m.longest_gap.as_secs_f64() * 1000.0})).collect::<Vec<_>>(),
            "failed_transactions": failed,
            "lost_rows": lost,
        });
        let _ = std::fs::write(path, serde_json::to_string_pretty(&v).expect("JSON"));
    }
}
