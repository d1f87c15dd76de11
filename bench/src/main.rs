//! converge's benchmarks and its demo.
//!
//!     converge-bench demo                 # the lab: a failover and a failback under write load
//!     converge-bench failover [--runs N]  # N switchovers under write load, with statistics
//!     converge-bench chaos [--cycles N]   # random faults and failovers under write load
//!     converge-bench engine [--n N]       # the engine core on this machine, against Salt
//!     converge-bench ssh [--reps N]       # over ssh on the lab: 1 to 32 hosts, cold and warm, against salt-ssh

mod chaos;
mod driver;
mod engine;
mod failover;
mod lab;
mod outcome;
mod plot;
mod progress;
mod ssh;
mod stats;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("demo") => failover::main(&args[1..], true),
        Some("failover") => failover::main(&args[1..], false),
        Some("chaos") => chaos::main(&args[1..]),
        Some("engine") => engine::main(&args[1..]),
        Some("ssh") => ssh::main(&args[1..]),
        _ => {
            eprintln!(
                "usage: converge-bench demo | failover [--runs N] [--json FILE] [--plot DIR] | chaos [--help] | engine [--help] | ssh [--help]"
            );
            2
        }
    };
    std::process::exit(code);
}
