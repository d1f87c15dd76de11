//! The measurements, in order: the shipped tree on pgdb1, the small tree on
//! 1..N bare hosts, salt-ssh on one; then the lab is left as it was found
//! (the benchmark's files and ssh masters gone, as many bare hosts as
//! before).
//!
//! Cold: every master of the benchmark's own is ended first, so the run
//! logs in. Warm: the master the previous run left is reused. Every run
//! is checked (exit status, states, changes, failures); a run that does
//! not do what it should fails the benchmark, since its time would mean
//! nothing.

use std::path::Path;
use std::process::Command;

use super::args::SshArgs;
use super::cell::Cell;
use super::cpu::Cpu;
use super::lab::{Entry, Lab};
use super::masters::Masters;
use super::report::{Pgdb, Report, Small, PGDB_HOST};
use super::salt;
use super::timed::{failed, Run, Watch};
use super::tree::{self, Tree};
use crate::engine::counts::Counts;
use crate::engine::run::{converge_binary, loadavg};

pub(super) fn run(args: &SshArgs) -> Result<Report, String> {
    let converge = converge_binary(args.converge.as_deref())?;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .map_err(|e| format!("the repository: {e}"))?;
    let lab = Lab::new(&args.lab_dir, &repo);
    if lab.entries().is_empty() {
        return Err(format!(
            "the lab is not up (no {}): run `tests/lab/lab up`",
            args.lab_dir.join("roster.yaml").display()
        ));
    }
    let mut report = Report::new(args, &converge);
    report.load.push(loadavg());
    let bare_before = lab.nodes().len();
    let masters = Masters::new()?;
    let result = measure(args, &converge, &repo, &lab, &masters, &mut report);
    // Leave the lab as it was found, whatever happened.
    let _ = masters.end_all();
    for n in lab.nodes() {
        let _ = lab.remove(&n.id, tree::TARGET);
    }
    if !args.keep_hosts && lab.nodes().len() != bare_before {
        eprintln!("lab up-bare {bare_before} (as before)");
        lab.up_bare(bare_before)?;
    }
    result?;
    report.load.push(loadavg());
    Ok(report)
}

fn measure(
    args: &SshArgs,
    converge: &Path,
    repo: &Path,
    lab: &Lab,
    masters: &Masters,
    report: &mut Report,
) -> Result<(), String> {
    let reps = args.reps.max(1);
    if args.no_pgdb {
        report.pgdb_skipped = Some("--no-pgdb".into());
    } else if !lab.entries().iter().any(|e| e.id == PGDB_HOST) {
        report.pgdb_skipped = Some(format!(
            "{PGDB_HOST} is not up (`tests/lab/lab up` starts it)"
        ));
    } else {
        report.pgdb = Some(pgdb(converge, repo, lab, masters, reps)?);
    }

    let counts: Vec<usize> = {
        let mut c: Vec<usize> = args.hosts.iter().copied().filter(|&h| h > 0).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let most = counts.iter().copied().max().unwrap_or(0).max(1);
    if lab.nodes().len() < most {
        eprintln!("lab up-bare {most}");
        lab.up_bare(most)?;
    }
    let nodes = lab.nodes();
    if nodes.len() < most {
        return Err(format!(
            "{most} bare hosts wanted, {} up after `lab up-bare {most}`",
            nodes.len()
        ));
    }
    let tmp = tempfile::Builder::new()
        .prefix("converge-bench-ssh-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let tree = Tree::write(tmp.path(), &nodes, &counts, &args.ssh_options)
        .map_err(|e| format!("writing the tree in {}: {e}", tmp.path().display()))?;
    for &hosts in &counts {
        for jobs in args.jobs_for(hosts) {
            report.small.push(small(
                converge,
                &tree,
                lab,
                masters,
                &nodes[..hosts],
                jobs,
                reps,
            )?);
        }
    }

    match salt::binary(args) {
        Err(why) => report.salt_skipped = Some(why),
        Ok(bin) => {
            let watch = watch(lab, masters, &nodes[..1]);
            report.salt = Some(salt::measure(
                &bin,
                &tree,
                lab,
                &nodes[0],
                &watch,
                args.salt_reps.max(1),
            )?);
        }
    }
    Ok(())
}

fn watch<'a>(lab: &'a Lab, masters: &'a Masters, hosts: &[Entry]) -> Watch<'a> {
    let ids: Vec<(String, Option<u32>)> = hosts
        .iter()
        .map(|h| (h.id.clone(), lab.pid1(&h.id)))
        .collect();
    Watch {
        lab,
        masters,
        cpu: Cpu::new(&ids),
    }
}

/// `converge highstate pgdb1` of the shipped tree, from the repository.
fn pgdb(
    converge: &Path,
    repo: &Path,
    lab: &Lab,
    masters: &Masters,
    reps: usize,
) -> Result<Pgdb, String> {
    let host = lab
        .entries()
        .into_iter()
        .find(|e| e.id == PGDB_HOST)
        .expect("checked by the caller");
    let watch = watch(lab, masters, std::slice::from_ref(&host));
    let ids = [host.id.clone()];
    let command = || {
        let mut cmd = Command::new(converge);
        cmd.current_dir(repo)
            .env(masters.env().0, masters.env().1)
            .args(["highstate", PGDB_HOST]);
        cmd
    };
    eprintln!("{PGDB_HOST}: converging the shipped tree first");
    let first = watch.run(&mut command(), &ids)?;
    if first.code != Some(0) {
        return Err(failed(
            "highstate pgdb1 (to converge it first)",
            &first,
            "exit status not 0",
        ));
    }
    let states = Counts::from_text(&first.stdout)
        .map_err(|e| failed("highstate pgdb1", &first, &e))?
        .states;
    let mut out = Pgdb {
        states,
        cold: Cell::default(),
        warm: Cell::default(),
    };
    for rep in 0..reps {
        masters.end_all()?;
        let cold = watch.run(&mut command(), &ids)?;
        check_unchanged(&cold, states)?;
        out.cold.push(&cold);
        let warm = watch.run(&mut command(), &ids)?;
        check_unchanged(&warm, states)?;
        out.warm.push(&warm);
        eprintln!(
            "  {PGDB_HOST} rep {}/{reps}: cold {:.0} ms ({} login), warm {:.0} ms ({} logins)",
            rep + 1,
            cold.seconds * 1e3,
            cold.logins[0],
            warm.seconds * 1e3,
            warm.logins[0],
        );
    }
    Ok(out)
}

/// A no-change run of the shipped tree: exit 0, every state, no `changed=`.
fn check_unchanged(run: &Run, states: usize) -> Result<(), String> {
    let what = "highstate pgdb1 (no-change run)";
    if run.code != Some(0) {
        return Err(failed(what, run, "exit status not 0"));
    }
    if run.stdout.contains("changed=") {
        return Err(failed(
            what,
            run,
            "it changed something (`changed=` in the summary)",
        ));
    }
    let c = Counts::from_text(&run.stdout).map_err(|e| failed(what, run, &e))?;
    if c.states != states || c.failed != 0 {
        return Err(failed(
            what,
            run,
            &format!("reported {c:?}, expected {states} states, none failed"),
        ));
    }
    Ok(())
}

/// The small tree on `nodes` with `-j jobs`: per repetition a first run
/// cold and warm (the files removed before each) and a no-change run cold
/// and warm.
fn small(
    converge: &Path,
    tree: &Tree,
    lab: &Lab,
    masters: &Masters,
    nodes: &[Entry],
    jobs: usize,
    reps: usize,
) -> Result<Small, String> {
    let watch = watch(lab, masters, nodes);
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let hosts = nodes.len();
    let command = || {
        let mut cmd = Command::new(converge);
        cmd.current_dir(&tree.root)
            .env(masters.env().0, masters.env().1)
            .arg("--roster")
            .arg(tree.roster(hosts))
            .args(["-j", &jobs.to_string(), "highstate", "node*"]);
        cmd
    };
    let clean =
        || -> Result<(), String> { ids.iter().try_for_each(|h| lab.remove(h, tree::TARGET)) };
    let mut out = Small {
        hosts,
        jobs,
        cells: Default::default(),
    };
    for rep in 0..reps {
        let mut line = format!("  {hosts} hosts -j {jobs} rep {}/{reps}:", rep + 1);
        for (k, (first, cold)) in [(true, true), (true, false), (false, true), (false, false)]
            .into_iter()
            .enumerate()
        {
            if first {
                clean()?;
            }
            if cold {
                masters.end_all()?;
            }
            let run = watch.run(&mut command(), &ids)?;
            let changed = if first { tree::STATES * hosts } else { 0 };
            check_small(&run, hosts, changed, Small::LABELS[k])?;
            line.push_str(&format!(" {} {:.0}", Small::KEYS[k], run.seconds * 1e3));
            out.cells[k].push(&run);
        }
        eprintln!("{line} (ms)");
    }
    Ok(out)
}

fn check_small(run: &Run, hosts: usize, changed: usize, what: &str) -> Result<(), String> {
    let what = format!("small tree on {hosts} hosts, {what}");
    if run.code != Some(0) {
        return Err(failed(&what, run, "exit status not 0"));
    }
    let summaries = run.stdout.matches("Summary for ").count();
    let c = Counts::from_text(&run.stdout).map_err(|e| failed(&what, run, &e))?;
    let expected = Counts {
        states: tree::STATES * hosts,
        changed,
        failed: 0,
    };
    if c != expected || summaries != hosts {
        return Err(failed(
            &what,
            run,
            &format!("reported {c:?} for {summaries} hosts, expected {expected:?} for {hosts}"),
        ));
    }
    Ok(())
}
