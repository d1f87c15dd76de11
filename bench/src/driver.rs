//! What every measuring subcommand does around its own work: parse its
//! arguments, run, print the table, write the JSON if asked, and turn the
//! verdict into an exit code (3: a goal or a check failed).

use std::path::PathBuf;

use clap::Parser;

/// A finished measurement.
pub(crate) trait Report {
    fn text(&self) -> String;
    fn json(&self) -> serde_json::Value;
    fn ok(&self) -> bool;
}

/// Arguments that may ask for JSON results.
pub(crate) trait JsonOut {
    fn json_path(&self) -> Option<&PathBuf>;
}

pub(crate) fn drive<A, R>(
    name: &str,
    argv: &[String],
    run: impl FnOnce(&A) -> Result<R, String>,
) -> i32
where
    A: Parser + JsonOut,
    R: Report,
{
    let args = match A::try_parse_from(
        std::iter::once(format!("converge-bench {name}")).chain(argv.iter().cloned()),
    ) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let report = match run(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("converge-bench: {e}");
            return 1;
        }
    };
    print!("{}", report.text());
    if let Some(path) = args.json_path() {
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
