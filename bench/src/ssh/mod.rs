//! `converge-bench ssh`: converge over ssh on the lab, as a user runs it.
//! The shipped tree on pgdb1, and a small tree on 1, 8 and 32 bare hosts,
//! each cold (a new connection: a login per host) and warm (the connection
//! ControlPersist kept: no login); ssh logins counted from each host's sshd
//! log; salt-ssh on the small tree for comparison. See bench/README.md.
//!
//! Exit codes: 0 done, 1 the benchmark could not run or a run did not do
//! what it should, 3 a run logged in other than once per host cold and
//! never warm.

mod args;
mod cell;
mod cpu;
mod lab;
mod masters;
mod report;
mod run;
mod salt;
mod timed;
mod tree;

use crate::driver::{drive, JsonOut};

impl JsonOut for args::SshArgs {
    fn json_path(&self) -> Option<&std::path::PathBuf> {
        self.json.as_ref()
    }
}

pub(crate) fn main(argv: &[String]) -> i32 {
    drive("ssh", argv, run::run)
}

impl crate::driver::Report for report::Report {
    fn text(&self) -> String {
        report::Report::text(self)
    }
    fn json(&self) -> serde_json::Value {
        report::Report::json(self)
    }
    fn ok(&self) -> bool {
        report::Report::ok(self)
    }
}
