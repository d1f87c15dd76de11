//! What a benchmark found: the table printed for people, and the same
//! numbers as JSON for later comparison.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::args::{EngineArgs, Out};
use super::floor::Floor;
use super::stats::Samples;
use super::tool::Phase;

/// The goal for converge's no-change run at N=1000 on a 2-core machine.
pub(crate) const NO_CHANGE_GOAL_MS: f64 = 200.0;

/// One tool's samples, per phase (in `Phase::ALL` order).
pub(crate) struct Measured {
    pub samples: [Samples; 3],
}

pub(crate) struct Report {
    pub n: usize,
    pub states: usize,
    pub out: Out,
    pub converge_binary: PathBuf,
    pub converge: Option<Measured>,
    pub salt: Option<Measured>,
    pub salt_skipped: Option<String>,
    /// Converge's target against Salt's: `None` when Salt did not run.
    pub differences: Option<Vec<String>>,
    pub kept: Option<PathBuf>,
    pub floor: Option<Floor>,
    /// The load average before and after.
    pub load: Vec<f64>,
}

impl Report {
    pub(crate) fn new(args: &EngineArgs, converge: &Path) -> Report {
        Report {
            n: args.n,
            states: args.n + args.n / 10,
            out: args.out,
            converge_binary: converge.to_path_buf(),
            converge: None,
            salt: None,
            salt_skipped: None,
            differences: None,
            kept: None,
            floor: None,
            load: Vec::new(),
        }
    }

    /// Salt's median over converge's, per phase.
    fn ratio(&self, k: usize) -> Option<f64> {
        let ours = self.converge.as_ref()?.samples[k].median()?;
        let theirs = self.salt.as_ref()?.samples[k].median()?;
        Some(theirs / ours)
    }

    fn no_change_ms(&self) -> Option<f64> {
        Some(self.converge.as_ref()?.samples[1].median()? * 1e3)
    }

    /// The table, and what else a reader must know.
    pub(crate) fn text(&self) -> String {
        let mut s = String::new();
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.0}", v * 1e3));
        writeln!(
            s,
            "engine: N={} file.managed (jinja) + {} cmd.run (onlyif), {} states, output {:?}, {} cpus, load {}",
            self.n,
            self.n / 10,
            self.states,
            self.out,
            cpus(),
            self.load.iter().map(|l| format!("{l:.2}")).collect::<Vec<_>>().join(" → ")
        )
        .unwrap();
        writeln!(
            s,
            "{:<20} {:>14} {:>16} {:>14} {:>16} {:>10}",
            "wall time (ms)",
            "converge min",
            "converge median",
            "salt min",
            "salt median",
            "salt/conv"
        )
        .unwrap();
        for (k, phase) in Phase::ALL.into_iter().enumerate() {
            let c = self.converge.as_ref().map(|m| &m.samples[k]);
            let t = self.salt.as_ref().map(|m| &m.samples[k]);
            writeln!(
                s,
                "{:<20} {:>14} {:>16} {:>14} {:>16} {:>10}",
                phase.label(),
                ms(c.and_then(Samples::min)),
                ms(c.and_then(Samples::median)),
                ms(t.and_then(Samples::min)),
                ms(t.and_then(Samples::median)),
                self.ratio(k).map_or("-".into(), |r| format!("{r:.1}x")),
            )
            .unwrap();
        }
        if let Some(f) = &self.floor {
            writeln!(
                s,
                "machine floor: {} files written atomically (fsync, rename) {:.0} ms; `bash -c true` started {} times {:.0} ms",
                f.files,
                f.files_seconds * 1e3,
                f.shells,
                f.shells_seconds * 1e3
            )
            .unwrap();
        }
        if let Some(why) = &self.salt_skipped {
            writeln!(s, "salt: skipped ({why})").unwrap();
        }
        if let (Some(v), 1000) = (self.no_change_ms(), self.n) {
            let verdict = if v < NO_CHANGE_GOAL_MS {
                "met"
            } else {
                "NOT met"
            };
            writeln!(s, "goal: no-change run under {NO_CHANGE_GOAL_MS:.0} ms at N=1000: {verdict} ({v:.0} ms median)").unwrap();
        }
        match &self.differences {
            None => {}
            Some(d) if d.is_empty() => writeln!(
                s,
                "targets: converge's and salt's are identical (contents and modes)"
            )
            .unwrap(),
            Some(d) => {
                writeln!(
                    s,
                    "targets: {} DIFFERENCES between converge's and salt's:",
                    d.len()
                )
                .unwrap();
                for line in d.iter().take(20) {
                    writeln!(s, "  {line}").unwrap();
                }
                if d.len() > 20 {
                    writeln!(s, "  ... and {} more", d.len() - 20).unwrap();
                }
            }
        }
        if let Some(dir) = &self.kept {
            writeln!(s, "trees kept in {}", dir.display()).unwrap();
        }
        s
    }

    pub(crate) fn json(&self) -> Value {
        let tool = |m: &Option<Measured>| {
            m.as_ref().map(|m| {
                let mut o = serde_json::Map::new();
                for (k, phase) in Phase::ALL.into_iter().enumerate() {
                    let s = &m.samples[k];
                    let ms = |v: Option<f64>| v.map(|v| (v * 1e6).round() / 1e3);
                    o.insert(
                        phase.key().into(),
                        json!({
                            "min_ms": ms(s.min()),
                            "median_ms": ms(s.median()),
                            "samples_ms": s.0.iter().map(|v| (v * 1e6).round() / 1e3).collect::<Vec<_>>(),
                        }),
                    );
                }
                Value::Object(o)
            })
        };
        let ratios: serde_json::Map<String, Value> = Phase::ALL
            .into_iter()
            .enumerate()
            .map(|(k, p)| (p.key().to_string(), json!(self.ratio(k))))
            .collect();
        json!({
            "benchmark": "engine",
            "n": self.n,
            "states": self.states,
            "out": format!("{:?}", self.out).to_lowercase(),
            "cpus": cpus(),
            "loadavg_before_after": self.load,
            "unix_time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            "converge_binary": self.converge_binary.display().to_string(),
            "converge_revision": revision(),
            "converge": tool(&self.converge),
            "salt": tool(&self.salt),
            "salt_skipped": self.salt_skipped,
            "floor": self.floor.as_ref().map(|f| json!({
                "files": f.files,
                "files_ms": (f.files_seconds * 1e6).round() / 1e3,
                "bash_starts": f.shells,
                "bash_starts_ms": (f.shells_seconds * 1e6).round() / 1e3,
            })),
            "ratio_salt_over_converge_median": ratios,
            "targets_identical": self.differences.as_ref().map(Vec::is_empty),
            "target_differences": self.differences,
        })
    }

    /// Whether everything checked out (the targets, when compared).
    pub(crate) fn ok(&self) -> bool {
        self.differences.as_ref().is_none_or(Vec::is_empty)
    }
}

pub(crate) fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The workspace's git commit, when it can be told.
pub(crate) fn revision() -> Option<String> {
    let out = std::process::Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "describe",
            "--always",
            "--dirty",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
