//! The corpus of bad trees in `tests/diagnostics/`: one directory a case,
//! the command in `cmd` (default `highstate local`), the exact message in
//! `expected`. Every case must exit 1 and change nothing.
//! `UPDATE_EXPECT=1 cargo test --test diagnostics` rewrites the messages.

mod support;

use std::path::{Path, PathBuf};

use support::{listing, run_in};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/diagnostics")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn words(cmd: &str) -> Vec<String> {
    cmd.split_whitespace()
        .map(|w| w.trim_matches('\'').to_string())
        .collect()
}

#[test]
fn every_bad_tree_is_refused_with_its_place_and_changes_nothing() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "the corpus is missing");
    let mut failures = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&case, dir.path());
        let _ = std::fs::remove_file(dir.path().join("expected"));
        let cmd =
            std::fs::read_to_string(case.join("cmd")).unwrap_or_else(|_| "highstate local".into());
        let before = listing(dir.path());
        let out = run_in(dir.path(), &words(&cmd), &[]);
        let stderr = out
            .stderr
            .replace(&dir.path().display().to_string(), "{root}");
        if listing(dir.path()) != before || std::path::Path::new("/tmp/converge-never").exists() {
            failures.push(format!("{name}: the run changed files"));
        }
        if out.code != 1 {
            failures.push(format!(
                "{name}: exit code {} (want 1)\n{stderr}{}",
                out.code, out.stdout
            ));
        }
        if !out.stdout.is_empty() {
            failures.push(format!("{name}: printed on stdout:\n{}", out.stdout));
        }
        let expected_path = case.join("expected");
        if update {
            std::fs::write(&expected_path, &stderr).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if stderr != expected {
            failures.push(format!(
                "{name}: message differs\n--- expected\n{expected}--- got\n{stderr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
