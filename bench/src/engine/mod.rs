//! `converge-bench engine`: the engine core, converge against Salt, on a
//! generated tree of N templated files and N/10 guarded commands applied to
//! this machine. See bench/README.md for what it measures and why.
//!
//! Exit codes: 0 done, 1 the benchmark could not run or a run did not do
//! what it should, 3 converge and Salt wrote different files.

mod args;
mod compare;
pub mod counts;
mod floor;
pub mod report;
pub mod run;
pub mod stats;
mod tool;
mod tree;

use clap::Parser;

pub fn main(argv: &[String]) -> i32 {
    let args = match args::EngineArgs::try_parse_from(
        std::iter::once("converge-bench engine".to_string()).chain(argv.iter().cloned()),
    ) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let report = match run::run(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("converge-bench: {e}");
            return 1;
        }
    };
    print!("{}", report.text());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.json()).expect("plain JSON") + "\n";
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("converge-bench: writing {}: {e}", path.display());
            return 1;
        }
    }
    if report.ok() {
        0
    } else {
        3
    }
}
