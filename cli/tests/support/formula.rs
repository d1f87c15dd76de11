//! The trees the formula harness runs (tests/formulas/formulas.yaml), what
//! Salt answered for them (tests/formulas/recorded/), the checked-in
//! differences and thresholds, and converge run on each tree as Salt was:
//! one local host, the tree as file_roots, a scratch pillar tree whose top
//! applies the pillar files Salt had, a top file listing the sls.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::compare::{Known, Mask, Outcome, Rules};
use super::Test;

/// The harness's directory in the repo.
pub(crate) fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/formulas")
}

/// Where the public formulas are: `$CONVERGE_FORMULAS`, else
/// `<repo>/../shared/formulas`. A missing directory fails the run: the
/// figures would otherwise pass for zero.
pub(crate) fn formulas_root() -> PathBuf {
    locate_formulas(std::env::var_os("CONVERGE_FORMULAS")).unwrap_or_else(|e| panic!("{e}"))
}

/// The formulas' directory given `$CONVERGE_FORMULAS`, or why there is none.
pub(crate) fn locate_formulas(var: Option<std::ffi::OsString>) -> Result<PathBuf, String> {
    let (path, from) = match var {
        Some(p) => (PathBuf::from(p), "$CONVERGE_FORMULAS"),
        None => {
            let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let repo = repo.canonicalize().unwrap_or(repo);
            let beside = repo.parent().unwrap_or(&repo).join("shared/formulas");
            (beside, "the default <repo>/../shared/formulas")
        }
    };
    if !path.is_dir() {
        return Err(format!(
            "the public Salt formulas are not at {} ({from}); set CONVERGE_FORMULAS \
             to the directory holding postgres-formula, users-formula, ...",
            path.display()
        ));
    }
    path.canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A tree of the manifest: a public formula or one of the harness's fixtures.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// `postgres`, or `fixture-basic`.
    pub name: String,
    /// The file_roots directory.
    pub tree: PathBuf,
    pub sls: Vec<String>,
    /// Pillar files, relative to `tree`, merged in order.
    pub pillar: Vec<String>,
}

/// YAML read as converge (and Salt) read it, as JSON.
pub(crate) fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let source = converge::Source::new(path.display().to_string(), text);
    match converge::load_yaml(&source) {
        Ok(Some(node)) => node.to_json(),
        Ok(None) => Value::Null,
        Err(e) => panic!("{e}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The manifest's formulas (under `formulas_root()`), then its fixtures.
pub(crate) fn cases() -> Vec<Case> {
    let m = yaml(&dir().join("formulas.yaml"));
    let mut out = Vec::new();
    for (section, prefix) in [("formulas", ""), ("fixtures", "fixture-")] {
        let Some(entries) = m.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, f) in entries {
            let d = f["dir"].as_str().expect("a dir");
            let tree = if prefix.is_empty() {
                formulas_root().join(d)
            } else {
                dir().join("fixtures").join(d)
            };
            out.push(Case {
                name: format!("{prefix}{name}"),
                tree,
                sls: strings(&f["sls"]),
                pillar: strings(&f["pillar"]),
            });
        }
    }
    out
}

/// Salt's answers for `case`, recorded by tests/formulas/record.
pub(crate) struct Recorded {
    pub show: Vec<Value>,
    pub test: Map<String, Value>,
}

fn recorded_json(name: &str, file: &str) -> Value {
    let path = dir().join("recorded").join(name).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no recording at {} ({e}); run tests/formulas/record",
            path.display()
        )
    });
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    // salt-call keys its answer by `local`, whatever the minion's id.
    v.get("local").cloned().unwrap_or(v)
}

pub(crate) fn recorded(name: &str) -> Recorded {
    Recorded {
        show: recorded_json(name, "show_low_sls.json")
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("{name}: show_low_sls.json is not a list of states")),
        test: recorded_json(name, "test.json")
            .as_object()
            .cloned()
            .unwrap_or_else(|| panic!("{name}: test.json is not a mapping of states")),
    }
}

/// The rules of differences.yaml that apply to `name`.
pub(crate) fn rules(name: &str) -> Rules {
    let d = yaml(&dir().join("differences.yaml"));
    let of = |section: &str| -> Vec<Value> {
        d.get(section)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter(|e| matches!(e["tree"].as_str(), Some(t) if t == name || t == "*"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let text = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
    Rules {
        masks: of("masks")
            .iter()
            .map(|e| Mask {
                after: text(e, "after"),
                length: e["length"].as_u64().expect("a mask's length") as usize,
                reason: text(e, "reason"),
            })
            .collect(),
        known: of("known")
            .iter()
            .map(|e| Known {
                id: e["id"].as_str().unwrap_or("*").to_string(),
                key: text(e, "key"),
                converge: e["converge"].as_str().map(String::from),
                reason: text(e, "reason"),
            })
            .collect(),
    }
}

/// The figures a tree must reach at least (thresholds.yaml).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Floor {
    pub renders: bool,
    pub present: usize,
    pub same_args: usize,
    pub same_results: usize,
}

pub(crate) fn floor(name: &str) -> Floor {
    let t = yaml(&dir().join("thresholds.yaml"));
    let e = t
        .get("trees")
        .and_then(|t| t.get(name))
        .unwrap_or_else(|| panic!("thresholds.yaml has no entry for `{name}`"));
    let n = |k: &str| {
        e[k].as_u64()
            .unwrap_or_else(|| panic!("thresholds.yaml: `{name}.{k}` is not a count"))
            as usize
    };
    Floor {
        renders: e["renders"].as_bool().expect("renders: true or false"),
        present: n("present"),
        same_args: n("same_args"),
        same_results: n("test_result"),
    }
}

/// The goals beside the thresholds, in percent of Salt's states.
pub(crate) fn goals() -> (f64, f64) {
    let t = yaml(&dir().join("thresholds.yaml"));
    let g = &t["goals"];
    (
        g["same_args"].as_f64().expect("goals.same_args"),
        g["test_result"].as_f64().expect("goals.test_result"),
    )
}

/// `case` run through converge as Salt ran it: `show local --out json` and
/// `sls local SLS --test --out json`, each parsed, or its first error.
pub(crate) fn run_converge(case: &Case) -> (Outcome<Vec<Value>>, Outcome<Map<String, Value>>) {
    assert!(
        case.tree.is_dir(),
        "{}: no tree at {}",
        case.name,
        case.tree.display()
    );
    let mut top = String::from("base:\n  '*':\n");
    let mut ptop = top.clone();
    let mut t = Test::new();
    for s in &case.sls {
        top.push_str(&format!("    - {s}\n"));
    }
    for (i, p) in case.pillar.iter().enumerate() {
        ptop.push_str(&format!("    - p{}\n", i + 1));
        t = t.copy(&format!("pillar/p{}.sls", i + 1), &case.tree.join(p));
    }
    let root = t.root().display().to_string();
    let config = format!(
        "file_roots:\n  base:\n    - {}\n    - {root}/top\npillar_roots:\n  base:\n    - {root}/pillar\n",
        case.tree.display()
    );
    let t = t
        .file("converge.yaml", &config)
        .file("top/top.sls", &top)
        .file("pillar/top.sls", &ptop);

    let show = t.run_with(&["--out", "json", "show", "local"]);
    let show = if show.code == 0 {
        host_json(&show.stdout, "show").and_then(|v| {
            v.as_array()
                .cloned()
                .ok_or_else(|| "show printed no list of states".to_string())
        })
    } else {
        Err(first_error(&show.stderr, show.code, &case.tree))
    };
    let sls = case.sls.join(",");
    let run = t.run_with(&["--out", "json", "sls", "local", &sls, "--test"]);
    let run = if run.code == 0 || run.code == 2 {
        host_json(&run.stdout, "the test run").and_then(|v| {
            v.as_object()
                .cloned()
                .ok_or_else(|| "the test run printed no mapping of states".to_string())
        })
    } else {
        Err(first_error(&run.stderr, run.code, &case.tree))
    };
    (show, run)
}

fn host_json(stdout: &str, what: &str) -> Result<Value, String> {
    let v: Value =
        serde_json::from_str(stdout).map_err(|e| format!("{what} printed no JSON: {e}"))?;
    v.get("local")
        .cloned()
        .ok_or_else(|| format!("{what} printed nothing for host `local`"))
}

/// The first line of converge's message, with where it points
/// (`... (at users/map.jinja:4:4)`), paths relative to the tree.
pub(crate) fn first_error(stderr: &str, code: i32, tree: &Path) -> String {
    let stderr = stderr.replace(&format!("{}/", tree.display()), "");
    let mut lines = stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return format!("exit {code}, nothing on stderr");
    };
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match lines.find_map(|l| l.strip_prefix("--> ")) {
        Some(place) => format!("{first} (at {place})"),
        None => first.to_string(),
    }
}
