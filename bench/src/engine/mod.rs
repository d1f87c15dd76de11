//! `converge-bench engine`: the engine core, converge against Salt, on a
//! generated tree of N templated files and N/10 guarded commands applied to
//! this machine. See bench/README.md for what it measures and why.
//!
//! Exit codes: 0 done, 1 the benchmark could not run or a run did not do
//! what it should, 3 converge and Salt wrote different files.

mod args;
mod compare;
pub(crate) mod counts;
mod floor;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod stats;
mod tool;
mod tree;

use crate::driver::{drive, JsonOut};

impl JsonOut for args::EngineArgs {
    fn json_path(&self) -> Option<&std::path::PathBuf> {
        self.json.as_ref()
    }
}

pub(crate) fn main(argv: &[String]) -> i32 {
    drive("engine", argv, run::run)
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
