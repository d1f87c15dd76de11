//! The chaos run's report: a line per cycle, totals per fault, and the
//! goals with the evidence of any miss.

use serde_json::json;

use super::cycle::Cycle;
use crate::driver::Report;
use crate::stats::median;

pub(super) struct Chaos {
    pub seed: u64,
    pub kinds: Vec<String>,
    pub pause_timeout: u64,
    pub cycles: Vec<Cycle>,
}

fn ms(s: f64) -> String {
    format!("{:.0}", s * 1000.0)
}

fn opt_ms(s: Option<f64>) -> String {
    s.map_or("-".into(), ms)
}

impl Report for Chaos {
    fn text(&self) -> String {
        let mut t = format!(
            "\nchaos: {} cycles, seed {} (faults {}), pause_timeout {} s\n\n",
            self.cycles.len(),
            self.seed,
            self.kinds.join(","),
            self.pause_timeout
        );
        t.push_str(" #  fault           pause ms  errors ms  failed  lost  converge says lost         write/back ms  2 writers ms (reach/isol)  checks\n");
        for c in &self.cycles {
            t.push_str(&format!(
                "{:>2}  {:<14}  {:>8}  {:>9}  {:>6}  {:>4}  {:<25}  {:>13}  {:>25}  {}\n",
                c.n,
                c.fault.kind(),
                ms(c.longest_pause),
                ms(c.error_time),
                c.failed,
                c.lost_rows,
                if c.reported_lost_wal.is_empty() {
                    "-".to_string()
                } else {
                    c.reported_lost_wal
                        .iter()
                        .map(|s| s.chars().take(40).collect::<String>())
                        .collect::<Vec<_>>()
                        .join("; ")
                },
                opt_ms(c.write_after_command.or(c.back_after_kill)),
                format!(
                    "{} / {}",
                    ms(c.two_writers_reachable),
                    ms(c.two_writers_isolated)
                ),
                if c.needed_human {
                    "HUMAN"
                } else if c.mended_by_rerun {
                    "mended by rerun"
                } else {
                    "ok"
                }
            ));
            t.push_str(&format!("    {}\n", c.description));
            for r in &c.runs {
                t.push_str(&format!(
                    "    {}: exit {}, {} ms{}{}\n",
                    r.purpose,
                    r.run.code.map_or("signal".into(), |c| c.to_string()),
                    ms(r.run.wall()),
                    r.failover
                        .as_ref()
                        .and_then(|f| f.case.as_ref())
                        .map_or(String::new(), |c| format!(", {c}")),
                    if r.failed_states.is_empty() {
                        String::new()
                    } else {
                        format!(", failed: {}", r.failed_states.join(" | "))
                    }
                ));
            }
            for p in &c.problems {
                t.push_str(&format!("    check: {p}\n"));
            }
            for g in c.goals.iter().filter(|g| !g.met) {
                t.push_str(&format!("    MISSED {}: {}\n", g.name, g.evidence));
            }
        }
        t.push_str("\nper fault (medians; max)\n");
        let mut kinds: Vec<&str> = self.cycles.iter().map(|c| c.fault.kind()).collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            let cs: Vec<&Cycle> = self.cycles.iter().filter(|c| c.fault.kind() == k).collect();
            let pauses: Vec<f64> = cs.iter().map(|c| c.longest_pause).collect();
            let errs: Vec<f64> = cs.iter().map(|c| c.error_time).collect();
            let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
            t.push_str(&format!(
                " {k:<14} {:>2} cycles: pause {} ms (max {}), errors {} ms (max {}), failed {}, lost {}, human {}, mended {}\n",
                cs.len(),
                opt_ms(median(&pauses)),
                ms(max(&pauses)),
                opt_ms(median(&errs)),
                ms(max(&errs)),
                cs.iter().map(|c| c.failed).sum::<usize>(),
                cs.iter().map(|c| c.lost_rows).sum::<usize>(),
                cs.iter().filter(|c| c.needed_human).count(),
                cs.iter().filter(|c| c.mended_by_rerun).count(),
            ));
        }
        t.push_str("\ngoals\n");
        let mut names: Vec<String> = self
            .cycles
            .iter()
            .flat_map(|c| c.goals.iter().map(|g| g.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            let judged: Vec<(usize, bool)> = self
                .cycles
                .iter()
                .flat_map(|c| {
                    c.goals
                        .iter()
                        .filter(|g| g.name == name)
                        .map(move |g| (c.n, g.met))
                })
                .collect();
            let missed: Vec<String> = judged
                .iter()
                .filter(|(_, m)| !m)
                .map(|(n, _)| n.to_string())
                .collect();
            t.push_str(&format!(
                " {name}: {}/{} met{}\n",
                judged.len() - missed.len(),
                judged.len(),
                if missed.is_empty() {
                    String::new()
                } else {
                    format!(" (missed in cycles {})", missed.join(", "))
                }
            ));
        }
        t
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "seed": self.seed,
            "faults": self.kinds,
            "pause_timeout": self.pause_timeout,
            "cycles": self.cycles.iter().map(Cycle::json).collect::<Vec<_>>(),
        })
    }

    fn ok(&self) -> bool {
        self.cycles.iter().all(|c| c.goals.iter().all(|g| g.met))
    }
}
