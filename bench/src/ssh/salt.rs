//! salt-ssh on the small tree, one host: what converge is compared with.
//!
//! salt-ssh copies a "thin" Salt to the host once (/var/tmp/.root_*_salt),
//! then on each run ships the compiled states and runs them with the
//! host's Python, over plain `ssh` commands (no kept connection). The
//! first call here (`test.ping`) deploys the thin copy and is timed apart;
//! the runs measured find it in place. A thin copy this benchmark made is
//! wiped at the end (`salt-ssh --wipe`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::args::SshArgs;
use super::cell::Cell;
use super::lab::{Entry, Lab};
use super::report::Salt;
use super::timed::{failed, Run, Watch};
use super::tree::{self, Tree};
use crate::engine::counts::Counts;

pub(super) fn binary(args: &SshArgs) -> Result<PathBuf, String> {
    if args.no_salt {
        return Err("--no-salt".into());
    }
    if !args.salt_ssh.is_file() {
        return Err(format!("{} not found", args.salt_ssh.display()));
    }
    Ok(args.salt_ssh.clone())
}

pub(super) fn measure(
    bin: &Path,
    tree: &Tree,
    lab: &Lab,
    node: &Entry,
    watch: &Watch,
    reps: usize,
) -> Result<Salt, String> {
    let config = tree
        .salt_config(node, &lab.dir)
        .map_err(|e| format!("writing the salt-ssh config: {e}"))?;
    let command = |function: &[&str]| {
        let mut cmd = Command::new(bin);
        cmd.current_dir(&tree.root)
            .arg("-c")
            .arg(&config)
            .arg("--roster-file")
            .arg(config.join("roster"))
            .args(["--out", "json", "-l", "error", &node.id])
            .args(function);
        cmd
    };
    let ids = [node.id.clone()];
    let thin_before = thin_dirs(lab, &node.id);
    let version = Command::new(bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    eprintln!("{version}: deploying its thin copy on {}", node.id);
    let started = Instant::now();
    let ping = watch.run(&mut command(&["test.ping"]), &ids)?;
    let deploy_seconds = started.elapsed().as_secs_f64();
    let deployed = thin_dirs(lab, &node.id) != thin_before;
    if ping.code != Some(0) || !ping.stdout.contains("true") {
        return Err(failed("salt-ssh test.ping", &ping, "no answer"));
    }
    let mut out = Salt {
        version,
        host: node.id.clone(),
        deploy_seconds,
        deployed,
        deploy_logins: ping.logins[0],
        first: Cell::default(),
        no_change: Cell::default(),
    };
    let result = (|| -> Result<(), String> {
        for rep in 0..reps {
            lab.remove(&node.id, tree::TARGET)?;
            let first = watch.run(&mut command(&["state.highstate"]), &ids)?;
            check(&first, tree::STATES, "first run")?;
            out.first.push(&first);
            let again = watch.run(&mut command(&["state.highstate"]), &ids)?;
            check(&again, 0, "no-change run")?;
            out.no_change.push(&again);
            eprintln!(
                "  salt-ssh rep {}/{reps}: first {:.0} ms ({} logins), no-change {:.0} ms ({} logins)",
                rep + 1,
                first.seconds * 1e3,
                first.logins[0],
                again.seconds * 1e3,
                again.logins[0]
            );
        }
        Ok(())
    })();
    if deployed || thin_dirs(lab, &node.id) != thin_before {
        let _ = command(&["--wipe", "test.ping"]).output();
    }
    result.map(|()| out)
}

fn check(run: &Run, changed: usize, what: &str) -> Result<(), String> {
    let what = format!("salt-ssh state.highstate, {what}");
    if run.code != Some(0) {
        return Err(failed(&what, run, "exit status not 0"));
    }
    let c = Counts::from_json(&run.stdout).map_err(|e| failed(&what, run, &e))?;
    let expected = Counts {
        states: tree::STATES,
        changed,
        failed: 0,
    };
    if c != expected {
        return Err(failed(
            &what,
            run,
            &format!("reported {c:?}, expected {expected:?}"),
        ));
    }
    Ok(())
}

/// salt-ssh's thin copies in the host's /var/tmp (seen through its root).
fn thin_dirs(lab: &Lab, host: &str) -> Vec<String> {
    let Some(pid1) = lab.pid1(host) else {
        return Vec::new();
    };
    let mut v: Vec<String> = std::fs::read_dir(format!("/proc/{pid1}/root/var/tmp"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.starts_with(".root_") && n.contains("_salt"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
