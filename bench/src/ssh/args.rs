//! `converge-bench ssh`'s flags, each with its doc.

use std::path::PathBuf;

use clap::Parser;

/// converge over ssh on the lab: the shipped tree on pgdb1, a small tree on
/// 1, 8 and 32 bare hosts, cold (a new ssh connection) and warm (the
/// connection kept by ControlPersist), with ssh logins counted; and
/// salt-ssh on the small tree when it is installed.
#[derive(Parser, Debug, Clone)]
#[command(name = "converge-bench ssh")]
pub(super) struct SshArgs {
    /// Repetitions of each converge measurement.
    #[arg(short, long, default_value_t = 5)]
    pub reps: usize,
    /// Numbers of bare lab hosts (node01..) the small tree is applied to.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    pub hosts: Vec<usize>,
    /// `-j` values for the small tree (16 is converge's default). A value at
    /// or above the number of hosts runs them all at once, so it is measured
    /// once, under the smallest such value.
    #[arg(short, long, value_delimiter = ',', default_value = "16,32")]
    pub jobs: Vec<usize>,
    /// Repetitions of each salt-ssh measurement (~5 s each).
    #[arg(long, default_value_t = 3)]
    pub salt_reps: usize,
    /// The converge binary (default: build `converge-cli` in release mode
    /// when run by cargo, and use the `converge` beside this program).
    #[arg(long, value_name = "FILE")]
    pub converge: Option<PathBuf>,
    /// salt-ssh to compare with.
    #[arg(
        long,
        value_name = "FILE",
        env = "CONVERGE_BENCH_SALT_SSH",
        default_value = "/opt/salt-venv/bin/salt-ssh"
    )]
    pub salt_ssh: PathBuf,
    /// Do not run salt-ssh.
    #[arg(long)]
    pub no_salt: bool,
    /// Do not measure the shipped tree on pgdb1.
    #[arg(long)]
    pub no_pgdb: bool,
    /// An ssh option for the small tree's roster entries (`ssh_options`),
    /// e.g. `KexAlgorithms=curve25519-sha256`; repeatable.
    #[arg(long = "ssh-option", value_name = "OPTION")]
    pub ssh_options: Vec<String>,
    /// Leave the bare hosts up at the end (by default the number of bare
    /// hosts is set back to what it was).
    #[arg(long)]
    pub keep_hosts: bool,
    /// The lab's state directory.
    #[arg(
        long,
        value_name = "DIR",
        env = "LAB_DIR",
        default_value = "/tmp/converge-lab"
    )]
    pub lab_dir: PathBuf,
    /// Write the results as JSON to FILE, for later comparison.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl SshArgs {
    /// The `-j` values worth measuring for `hosts` hosts: those below it,
    /// and the smallest at or above it (which all behave alike).
    pub(super) fn jobs_for(&self, hosts: usize) -> Vec<usize> {
        let mut jobs: Vec<usize> = self.jobs.iter().copied().filter(|&j| j > 0).collect();
        jobs.sort_unstable();
        jobs.dedup();
        let mut out: Vec<usize> = jobs.iter().copied().filter(|&j| j < hosts).collect();
        if let Some(&all) = jobs.iter().find(|&&j| j >= hosts) {
            out.push(all);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_at_or_above_the_host_count_are_measured_once() {
        let a = SshArgs::try_parse_from(["x"]).unwrap();
        assert_eq!(a.jobs_for(1), [16]);
        assert_eq!(a.jobs_for(8), [16]);
        assert_eq!(a.jobs_for(32), [16, 32]);
        assert_eq!(a.jobs_for(64), [16, 32]);
    }
}
