//! The measurements: each run is a whole process, timed from start to exit,
//! so the numbers are what a user waits for: start-up, rendering,
//! compiling, reading the host, running checks, writing files and printing.
//!
//! Every run is also checked: a first run changes every file and the
//! commands whose `onlyif` holds; a second run and a test run change
//! nothing and fail nothing. A run that does otherwise fails the benchmark,
//! since its time would mean nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::args::EngineArgs;
use super::compare;
use super::counts::Counts;
use super::floor;
use super::report::{Measured, Report};
use super::stats::Samples;
use super::tool::{Phase, Run, Tool};
use super::tree::Tree;

/// Run the benchmark; the report, or why it could not be made. The trees
/// are removed at the end, unless asked to be kept or something failed.
pub(crate) fn run(args: &EngineArgs) -> Result<Report, String> {
    let converge = Tool::Converge(converge_binary(args.converge.as_deref())?);
    let mut b = tempfile::Builder::new();
    b.prefix("converge-bench-");
    let tmp = match &args.dir {
        Some(d) => b.tempdir_in(d),
        None => b.tempdir(),
    }
    .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    match run_in(args, &converge, tmp.path()) {
        Err(e) => Err(format!(
            "{e}\n(the trees are kept in {})",
            tmp.keep().display()
        )),
        Ok(mut report) => {
            if args.keep {
                report.kept = Some(tmp.keep());
            }
            Ok(report)
        }
    }
}

fn run_in(args: &EngineArgs, converge: &Tool, tmp: &Path) -> Result<Report, String> {
    let mut report = Report::new(args, converge.binary());
    report.load.push(loadavg());
    eprintln!(
        "converge: {} (N={}, {} states, {} reps)",
        converge.binary().display(),
        args.n,
        args.n + args.n / 10,
        args.reps
    );
    report.converge = Some(measure(converge, tmp, args, args.reps.max(1))?);
    report.floor = Some(
        floor::measure(&tmp.join("floor"), args.n, args.n / 10)
            .map_err(|e| format!("measuring the floor: {e}"))?,
    );
    match salt_tool(args) {
        Err(why) => {
            report.salt_skipped = Some(why);
        }
        Ok(salt) => {
            eprintln!(
                "salt: {} ({} reps)",
                salt.binary().display(),
                args.salt_reps
            );
            report.salt = Some(measure(&salt, tmp, args, args.salt_reps.max(1))?);
            let diffs = compare::differences(
                &tmp.join("converge-0/target"),
                &tmp.join("salt-0/target"),
                ("converge", "salt"),
            )
            .map_err(|e| format!("comparing the targets: {e}"))?;
            report.differences = Some(diffs);
        }
    }
    report.load.push(loadavg());
    Ok(report)
}

/// `reps` fresh trees, each run first, again, and in test mode.
fn measure(tool: &Tool, tmp: &Path, args: &EngineArgs, reps: usize) -> Result<Measured, String> {
    let mut samples: [Samples; 3] = Default::default();
    for rep in 0..reps {
        let root = tmp.join(format!("{}-{rep}", tool.name()));
        let tree = Tree::generate(&root, args.n)
            .map_err(|e| format!("writing the tree in {}: {e}", root.display()))?;
        let mut line = format!("  {} rep {}/{reps}:", tool.name(), rep + 1);
        for (k, phase) in Phase::ALL.into_iter().enumerate() {
            settle();
            let run = tool
                .run(&tree, phase, args.out)
                .map_err(|e| format!("cannot start {}: {e}", tool.binary().display()))?;
            check(tool, phase, &tree, &run)?;
            samples[k].push(run.seconds);
            line.push_str(&format!("  {} {:.0} ms", phase.key(), run.seconds * 1e3));
        }
        eprintln!("{line}");
    }
    Ok(Measured { samples })
}

/// Did the run do what this phase should? Its exit code, and the changes
/// and failures its output reports.
fn check(tool: &Tool, phase: Phase, tree: &Tree, run: &Run) -> Result<Counts, String> {
    let expected = Counts {
        states: tree.states(),
        changed: if phase == Phase::First {
            tree.first_run_changes()
        } else {
            0
        },
        failed: 0,
    };
    let fail = |why: String| {
        Err(format!(
            "{} {} on {}: {why}\n--- stdout (start) ---\n{}\n--- stderr (end) ---\n{}",
            tool.name(),
            phase.label(),
            tree.root.display(),
            head(&run.stdout, 3000),
            tail(&run.stderr, 3000),
        ))
    };
    if run.code != Some(0) {
        return fail(format!("exit status {:?}, expected 0", run.code));
    }
    match &run.counts {
        Err(e) => fail(e.clone()),
        Ok(c) if *c != expected => fail(format!("reported {c:?}, expected {expected:?}")),
        Ok(c) => Ok(*c),
    }
}

/// At most the first `n` bytes of `s`, cut at a character boundary.
pub(crate) fn head(s: &str, n: usize) -> &str {
    let end = (0..=n.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    &s[..end]
}

/// At most the last `n` bytes of `s`, cut at a character boundary.
pub(crate) fn tail(s: &str, n: usize) -> &str {
    let start = (s.len().saturating_sub(n)..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    &s[start..]
}

/// The converge to measure: `--converge`, else the release build in this
/// program's target directory, built first when cargo runs this program
/// (so that the numbers are never those of a stale binary).
pub(crate) fn converge_binary(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(format!("{}: no such file", p.display()))
        };
    }
    let me = std::env::current_exe().map_err(|e| format!("where am I? {e}"))?;
    // <target>/<profile>/converge-bench
    let target = me
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot tell the target directory")?;
    let release = target.join("release/converge");
    if let Ok(cargo) = std::env::var("CARGO") {
        eprintln!("building converge-cli (release)...");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(cargo)
            .args(["build", "--release", "--quiet", "-p", "converge-cli"])
            .current_dir(workspace)
            .env("CARGO_TARGET_DIR", target)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err("building converge-cli failed".into());
        }
    }
    if release.is_file() {
        Ok(release)
    } else {
        Err(format!(
            "{} not found: run `cargo build --release -p converge-cli` or give --converge",
            release.display()
        ))
    }
}

fn salt_tool(args: &EngineArgs) -> Result<Tool, String> {
    if args.no_salt {
        return Err("--no-salt".into());
    }
    if !args.salt_call.is_file() {
        return Err(format!("{} not found", args.salt_call.display()));
    }
    Ok(Tool::Salt(args.salt_call.clone()))
}

/// Flush what earlier runs wrote, so that the kernel's writeback of one
/// run (a thousand new files on a slow disk) is not timed in the next.
fn settle() {
    let _ = Command::new("sync").status();
}

/// The 1-minute load average: other work on the machine skews the numbers,
/// so the report says how busy it was before and after.
pub(crate) fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}
