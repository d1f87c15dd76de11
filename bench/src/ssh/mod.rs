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

use clap::Parser;

pub fn main(argv: &[String]) -> i32 {
    let args = match args::SshArgs::try_parse_from(
        std::iter::once("converge-bench ssh".to_string()).chain(argv.iter().cloned()),
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
