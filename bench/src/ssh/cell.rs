//! The runs of one measurement (a tree, a number of hosts, a phase, cold or
//! warm): their wall times, the logins each made on each host, the CPU
//! time each used.

use serde_json::{json, Value};

use super::cpu::Used;
use super::timed::Run;
use crate::engine::stats::Samples;

#[derive(Clone, Debug, Default)]
pub(super) struct Cell {
    pub samples: Samples,
    /// Per run, per host.
    pub logins: Vec<Vec<usize>>,
    pub cpu: Vec<Used>,
}

impl Cell {
    pub(super) fn push(&mut self, run: &Run) {
        self.samples.push(run.seconds);
        self.logins.push(run.logins.clone());
        self.cpu.push(run.cpu);
    }

    pub(super) fn median_ms(&self) -> Option<f64> {
        self.samples.median().map(|s| s * 1e3)
    }

    /// The fewest and the most logins any host saw in any run.
    pub(super) fn logins_range(&self) -> Option<(usize, usize)> {
        let all = self.logins.iter().flatten().copied();
        Some((all.clone().min()?, all.max()?))
    }

    /// Whether every host saw exactly `n` logins in every run.
    pub(super) fn logins_are(&self, n: usize) -> bool {
        self.logins.iter().flatten().all(|&l| l == n)
    }

    /// The mean CPU time of a run (ticks are coarse: a mean over the runs
    /// says more than any one).
    pub(super) fn cpu_mean(&self) -> Used {
        let n = self.cpu.len().max(1) as f64;
        let sum = |f: fn(&Used) -> f64| self.cpu.iter().map(f).sum::<f64>() / n;
        Used {
            hosts: sum(|u| u.hosts),
            controller: sum(|u| u.controller),
            machine: sum(|u| u.machine),
        }
    }

    pub(super) fn json(&self) -> Value {
        let ms = |v: Option<f64>| v.map(|v| (v * 1e6).round() / 1e3);
        let cpu = self.cpu_mean();
        json!({
            "min_ms": ms(self.samples.min()),
            "median_ms": ms(self.samples.median()),
            "samples_ms": self.samples.0.iter().map(|v| (v * 1e6).round() / 1e3).collect::<Vec<_>>(),
            "logins_per_run_per_host": self.logins,
            "cpu_mean_ms": {
                "hosts": (cpu.hosts * 1e4).round() / 10.0,
                "controller": (cpu.controller * 1e4).round() / 10.0,
                "machine": (cpu.machine * 1e4).round() / 10.0,
            },
        })
    }
}
