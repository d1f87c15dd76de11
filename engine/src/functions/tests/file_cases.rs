//! The file.* functions against Salt's own answers: each case of
//! `file_cases/cases.yaml` (a scratch directory's files, an sls, a
//! sequence of test and real runs) was run by Salt 3008.4
//! (`file_cases/record.py`, answers in `file_cases/salt.json`); here the
//! same runs go through converge's executor and the local transport on a
//! scratch directory of our own, and must give the same result, changes
//! and comment for every state of every run, and leave the same files
//! behind. Where converge knowingly answers otherwise, the case says so
//! (`differs:`, with the value converge gives and why).

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::host::Host;
use crate::render::HostContext;
use crate::run::{run, Options};
use crate::source::Source;
use crate::testing::TestTree;
use crate::transport::local::Local;

const CASES: &str = include_str!("file_cases/cases.yaml");
const SALT: &str = include_str!("file_cases/salt.json");

fn cases() -> Value {
    let source = Source::new("file_cases/cases.yaml", CASES);
    crate::yaml::load(&source)
        .expect("cases.yaml is YAML")
        .expect("a mapping")
        .to_json()
}

fn setup(work: &Path, entries: &Value) {
    for e in entries.as_array().into_iter().flatten() {
        let path = work.join(e["path"].as_str().unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if let Some(target) = e["link"].as_str() {
            let target = target.replace("@DIR@", &work.display().to_string());
            std::os::unix::fs::symlink(target, &path).unwrap();
            continue;
        }
        let dir = e["dir"].as_bool().unwrap_or(false);
        if dir {
            std::fs::create_dir_all(&path).unwrap();
        } else {
            std::fs::write(&path, e["content"].as_str().unwrap_or_default()).unwrap();
        }
        let mode = match &e["mode"] {
            Value::String(m) => u32::from_str_radix(m, 8).unwrap(),
            Value::Number(n) => u32::from_str_radix(&n.to_string(), 8).unwrap(),
            _ if dir => 0o755,
            _ => 0o644,
        };
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// What `work` holds, as record.py lists it.
fn listing(work: &Path) -> Value {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![work.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(work).unwrap().display().to_string();
            let mut e = serde_json::Map::new();
            e.insert("path".into(), json!(rel));
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap().display().to_string();
                e.insert(
                    "link".into(),
                    json!(target.replace(&work.display().to_string(), "@DIR@")),
                );
            } else if meta.is_dir() {
                e.insert("dir".into(), json!(true));
                stack.push(path.clone());
            } else {
                let content = std::fs::read(&path).unwrap();
                e.insert("content".into(), json!(String::from_utf8_lossy(&content)));
            }
            if !meta.file_type().is_symlink() {
                e.insert(
                    "mode".into(),
                    json!(format!("{:04o}", meta.mode() & 0o7777)),
                );
            }
            out.push(Value::Object(e));
        }
    }
    out.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    Value::Array(out)
}

/// Salt's answer with its arbitrary order taken out: where Salt iterates
/// a Python set (file.recurse's directories and files, what `clean`
/// removed), the order changes from one run of Salt to the next. The
/// `#### path ####` sections of a comment, the lines of its `removed`
/// section and the lists under `removed` are compared sorted.
fn unordered(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("#### ") => {
            let mut sections: Vec<String> = s
                .split("\n\n#### ")
                .map(|sec| {
                    let sec = sec.trim_start_matches("#### ");
                    match sec.strip_prefix("removed ####\n") {
                        Some(list) => {
                            let mut lines: Vec<&str> = list.lines().collect();
                            lines.sort();
                            format!("removed ####\n{}", lines.join("\n"))
                        }
                        None => sec.to_string(),
                    }
                })
                .collect();
            sections.sort();
            json!(sections)
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("removed", Value::Array(items)) => {
                            let mut items = items.clone();
                            items.sort_by_key(|i| i.to_string());
                            Value::Array(items)
                        }
                        _ => unordered(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Salt's answer with the case's known differences put in.
fn expected(case: &Value, salt: &Value, run: usize, n: usize) -> Value {
    let mut want = salt.clone();
    for d in case["differs"].as_array().into_iter().flatten() {
        if d["run"].as_u64() == Some(run as u64) && d["state"].as_str() == want["id"].as_str() {
            let key = d["key"].as_str().unwrap();
            assert!(
                d["why"].is_string(),
                "run {run} state {n}: a difference needs its reason"
            );
            want[key] = d["converge"].clone();
        }
    }
    want
}

async fn check(name: &str, case: &Value, salt: &Value) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let at = work.display().to_string();
    setup(&work, &case["setup"]);
    let sls = case["sls"].as_str().unwrap().replace("@DIR@", &at);
    let mut files: Vec<(String, String)> = vec![("case.sls".into(), sls)];
    if let Some(tree) = case["tree"].as_object() {
        for (rel, text) in tree {
            match text.as_str() {
                Some(t) => files.push((rel.clone(), t.to_string())),
                None => files.push((format!("{rel}/.converge-dir"), String::new())),
            }
        }
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut tree = TestTree::new(&refs);
    // Empty directories of the tree: made, then their marker removed.
    for (rel, _) in files.iter().filter(|(r, _)| r.ends_with("/.converge-dir")) {
        let root = tree.tree.config.roots("base").unwrap()[0].clone();
        std::fs::remove_file(root.join(rel)).unwrap();
    }
    tree.render = HostContext::new(
        "base",
        &json!({"id": "local"}),
        &case.get("pillar").cloned().unwrap_or(json!({})),
        None,
    );
    let graph = match tree.compile("case") {
        Ok(g) => g,
        Err(e) => return vec![format!("{name}: does not compile: {e}")],
    };
    let mut problems = Vec::new();
    let runs = case["runs"].as_array().unwrap();
    for (i, (run_spec, answer)) in runs
        .iter()
        .zip(salt["runs"].as_array().unwrap())
        .enumerate()
    {
        if let Some(cmd) = run_spec["shell"].as_str() {
            let ok = std::process::Command::new("sh")
                .arg("-c")
                .arg(cmd.replace("@DIR@", &at))
                .current_dir(&work)
                .status()
                .unwrap()
                .success();
            assert!(ok, "{name}: `{cmd}` failed");
            continue;
        }
        let test = run_spec.as_str() == Some("test");
        let host = Host::new(
            "local",
            Arc::new(Local::new(30)),
            Arc::clone(&tree.tree),
            "base",
            tree.render.clone(),
        );
        let results = run(
            &graph,
            &host,
            &crate::functions::Registry::states(),
            Options::test(test),
        )
        .await;
        let got: Vec<Value> = results
            .iter()
            .map(|r| {
                let v = json!({
                    "id": r.state.id,
                    "result": r.result,
                    "changes": Value::Object(r.changes.clone()),
                    "comment": r.comment,
                });
                serde_json::from_str(&v.to_string().replace(&at, "@DIR@")).unwrap()
            })
            .collect();
        let want = answer.as_array().unwrap();
        if got.len() != want.len() {
            problems.push(format!(
                "{name} run {i}: {} states, Salt {}",
                got.len(),
                want.len()
            ));
            continue;
        }
        for (n, (g, w)) in got.iter().zip(want).enumerate() {
            let w = expected(case, w, i, n);
            for key in ["id", "result", "changes", "comment"] {
                if unordered(&g[key]) != unordered(&w[key]) {
                    problems.push(format!(
                        "{name} run {i} ({}) state {} {key}:\n  converge: {}\n  salt:     {}",
                        if test { "test" } else { "real" },
                        w["id"],
                        g[key],
                        w[key]
                    ));
                }
            }
        }
    }
    let after = listing(&work);
    if after != salt["after"] {
        problems.push(format!(
            "{name}: files left differ:\n  converge: {after}\n  salt:     {}",
            salt["after"]
        ));
    }
    problems
}

/// Every case; all differences are reported at once.
#[tokio::test(flavor = "multi_thread")]
async fn file_functions_answer_as_salt_does() {
    let cases = cases();
    let salt: Value = serde_json::from_str(SALT).unwrap();
    let only = std::env::var("FILE_CASE").ok();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, case) in cases.as_object().unwrap() {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let answer = salt["cases"]
            .get(name)
            .unwrap_or_else(|| panic!("{name}: not recorded, run file_cases/record.py"));
        problems.extend(check(name, case, answer).await);
        checked += 1;
    }
    assert!(checked > 0, "no case ran");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
