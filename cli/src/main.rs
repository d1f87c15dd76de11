//! `converge`: parse the command line, call the engine, print, exit.

mod args;
mod commands;
mod output;
mod show;

use clap::Parser;

fn main() {
    let args = args::Cli::parse();
    args.init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = runtime.block_on(commands::run(args));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    std::process::exit(code);
}
