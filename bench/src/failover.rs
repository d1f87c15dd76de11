//! Switchovers on the lab under write load: the demo (a failover and a
//! failback) and the benchmark (N switchovers, with statistics).
//!
//! Each switchover is what an operator does: edit pillar (here a copy of
//! the repo's pillar, so the repo is left alone), run `converge orchestrate
//! failover`. Meanwhile one client per PgBouncer writes a row every few
//! milliseconds; each switchover is judged by the longest gap between two
//! acknowledged writes of any client, the transactions that failed, and
//! (at the end, on the final writer) the acknowledged rows that are missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use load::lab::LabEnv;
use load::{lost_rows, prepare, Load, Options};

struct Lab {
    repo: PathBuf,
    converge: PathBuf,
    pillar: tempfile_dir::Dir,
    /// The roster converge runs with: the lab's own when `LAB_ID` or
    /// `LAB_DIR` chose a lab, else the repo's (which names lab 0).
    roster: PathBuf,
}

/// A temporary directory removed on drop (no extra crate needed).
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new(prefix: &str) -> std::io::Result<Dir> {
            let p = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
            std::fs::create_dir_all(&p)?;
            Ok(Dir(p))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repo")
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{cmd:?} failed ({}):\n{text}", out.status))
    }
}

impl Lab {
    /// Bring the lab up (the one `LAB_ID` names) in its initial layout and
    /// converge it.
    fn up() -> Result<Lab, String> {
        let repo = repo();
        let env = LabEnv::from_env()?;
        let roster = if env.chosen {
            env.roster()
        } else {
            repo.join("roster.yaml")
        };
        run(Command::new("cargo")
            .args(["build", "--release", "-q", "-p", "converge-cli"])
            .current_dir(&repo))?;
        let converge = repo.join("target/release/converge");
        let lab = repo.join("tests/lab/lab");
        run(Command::new(&lab).arg("up"))?;
        run(Command::new(&lab).arg("reset-pg"))?;
        let pillar = tempfile_dir::Dir::new("converge-demo-pillar").map_err(|e| e.to_string())?;
        for f in std::fs::read_dir(repo.join("pillar"))
            .map_err(|e| e.to_string())?
            .flatten()
        {
            std::fs::copy(f.path(), pillar.path().join(f.file_name()))
                .map_err(|e| e.to_string())?;
        }
        let lab = Lab {
            repo,
            converge,
            pillar,
            roster,
        };
        lab.set_writer("pgdb1", "pgdb2")?;
        lab.converge(&["highstate", "pgdb*"])?;
        Ok(lab)
    }

    fn set_writer(&self, writer: &str, query: &str) -> Result<(), String> {
        let text = format!("postgres:\n  writer: {writer}\n  query: {query}\n");
        std::fs::write(self.pillar.path().join("globals.sls"), text).map_err(|e| e.to_string())
    }

    fn converge(&self, args: &[&str]) -> Result<String, String> {
        let mut cmd = Command::new(&self.converge);
        cmd.current_dir(&self.repo)
            .arg("--pillar-root")
            .arg(self.pillar.path())
            .arg("--roster")
            .arg(&self.roster)
            .args(args);
        run(&mut cmd)
    }
}

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

pub fn main(args: &[String], demo: bool) -> i32 {
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if demo { 2 } else { 10 });
    let json = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match rt.block_on(switchovers(runs, demo)) {
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

async fn switchovers(runs: usize, demo: bool) -> Result<(Vec<Measure>, usize, usize), String> {
    let lab = tokio::task::block_in_place(Lab::up)?;
    let opts = Options::lab();
    prepare(&opts).await?;
    let src = format!("bench-{}", std::process::id());
    let load = Load::start(&opts, &src);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut windows = Vec::new();
    let mut writer = "pgdb1";
    for i in 0..runs {
        let (new, old) = if writer == "pgdb1" {
            ("pgdb2", "pgdb1")
        } else {
            ("pgdb1", "pgdb2")
        };
        lab.set_writer(new, old)?;
        let from = load.started.elapsed();
        let t = Instant::now();
        let out = tokio::task::block_in_place(|| lab.converge(&["orchestrate", "failover"]));
        let wall = t.elapsed();
        let out = out.map_err(|e| format!("switchover {} ({old} → {new}) failed: {e}", i + 1))?;
        if demo {
            println!("{out}");
        }
        // Clients settle within a few of their intervals after RESUME.
        tokio::time::sleep(Duration::from_millis(500)).await;
        windows.push((new.to_string(), from, load.started.elapsed(), wall));
        writer = new;
        if demo {
            eprintln!(
                "switchover {} ({old} → {new}): {:.0} ms",
                i + 1,
                wall.as_secs_f64() * 1000.0
            );
        }
    }
    let writers = load.stop().await;
    let lost = lost_rows(&opts, &opts.targets[0], &src, &writers).await?;
    let measures = windows
        .into_iter()
        .map(|(to, from, until, wall)| {
            let longest_gap = writers
                .iter()
                .map(|w| w.longest_gap(from, until).0)
                .max()
                .unwrap_or_default();
            let failed = writers.iter().map(|w| w.failed_between(from, until)).sum();
            Measure {
                to,
                wall,
                longest_gap,
                failed,
            }
        })
        .collect::<Vec<_>>();
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
        walls.iter().cloned().fold(0.0, f64::max),
        median(gaps.clone()),
        gaps.iter().cloned().fold(0.0, f64::max),
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
