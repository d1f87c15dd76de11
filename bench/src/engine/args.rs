//! `converge-bench engine`'s flags, each with its doc.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Engine core: N templated file.managed + N/10 cmd.run with onlyif on this
/// machine (`connection: local`): first run, no-change run, --test; and Salt
/// on the same tree when it is installed.
#[derive(Parser, Debug, Clone)]
#[command(name = "converge-bench engine")]
pub(crate) struct EngineArgs {
    /// Number of file.managed states (plus N/10 cmd.run states).
    #[arg(short, long, default_value_t = 1000)]
    pub n: usize,
    /// Repetitions of each converge measurement (a fresh tree for each first run).
    #[arg(short, long, default_value_t = 5)]
    pub reps: usize,
    /// Repetitions of each Salt measurement (Salt's N=1000 runs take ~15 s each).
    #[arg(long, default_value_t = 3)]
    pub salt_reps: usize,
    /// The converge binary (default: build `converge-cli` in release mode
    /// when run by cargo, and use the `converge` beside this program).
    #[arg(long, value_name = "FILE")]
    pub converge: Option<PathBuf>,
    /// salt-call to compare with.
    #[arg(
        long,
        value_name = "FILE",
        env = "CONVERGE_BENCH_SALT_CALL",
        default_value = "/opt/salt-venv/bin/salt-call"
    )]
    pub salt_call: PathBuf,
    /// Do not run Salt (nor compare the files it writes with converge's).
    #[arg(long)]
    pub no_salt: bool,
    /// The output format both tools print (its cost is part of each run).
    #[arg(long, value_enum, default_value_t = Out::Json)]
    pub out: Out,
    /// Where to make the temporary directory (default: the system's).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the generated trees and their targets, and print where they are.
    #[arg(long)]
    pub keep: bool,
    /// Write the results as JSON to FILE, for later comparison.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Out {
    /// JSON (both tools; the changes are counted from it).
    Json,
    /// The highstate text layout (changes counted from its summary).
    Text,
}
