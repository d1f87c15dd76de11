//! One measured run: a whole process timed from start to exit, with the
//! logins each targeted host's sshd logged meanwhile and the CPU time each
//! side used.

use std::process::Command;
use std::time::Instant;

use super::cpu::{Cpu, Used};
use super::lab::Lab;
use super::masters::Masters;
use crate::engine::run::{head, tail};

pub(super) struct Run {
    pub seconds: f64,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Per targeted host, in order: logins during the run.
    pub logins: Vec<usize>,
    pub cpu: Used,
}

/// What a measurement needs to watch a run.
pub(super) struct Watch<'a> {
    pub lab: &'a Lab,
    pub masters: &'a Masters,
    pub cpu: Cpu,
}

impl Watch<'_> {
    /// Run `cmd` against `hosts` (ids) and time it.
    pub(super) fn run(&self, cmd: &mut Command, hosts: &[String]) -> Result<Run, String> {
        let logins = |h: &String| self.lab.logins(h);
        let logins_before: Vec<usize> = hosts.iter().map(logins).collect();
        let before = self.cpu.sample(&self.masters.processes());
        let started = Instant::now();
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
        let seconds = started.elapsed().as_secs_f64();
        let after = self.cpu.sample(&self.masters.processes());
        Ok(Run {
            seconds,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            logins: hosts
                .iter()
                .zip(logins_before)
                .map(|(h, b)| logins(h).saturating_sub(b))
                .collect(),
            cpu: before.used(&after, hosts),
        })
    }
}

/// Why a measured run does not count: `what` it was, `why` not, and the
/// start of its output and the end of its errors.
pub(super) fn failed(what: &str, run: &Run, why: &str) -> String {
    format!(
        "{what}: {why}\n--- stdout (start) ---\n{}\n--- stderr (end) ---\n{}",
        head(&run.stdout, 3000),
        tail(&run.stderr, 3000)
    )
}
