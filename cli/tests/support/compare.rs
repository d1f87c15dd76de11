//! Comparing converge with Salt on one state tree: the compiled states
//! (`converge show --out json` against Salt's `state.show_low_sls`) and a
//! test run (`converge sls --test --out json` against Salt's
//! `state.apply test=True`). Pure data in, figures and differences out, so
//! that it is tested on fixtures and reused until the formulas match.
//!
//! States are matched by Salt's identity (`__id__`, `state`, `fun`, `name`;
//! in a test run, the tag that joins them). Every key of a compiled state is
//! compared; of a test run, `result` and `changes` (the `comment` is
//! reported, not required equal; `start_time`, `duration` and `__run_num__`
//! depend on the run). Values that carry the time of a run are masked on
//! both sides first (see `Rules::masks`).

use serde_json::{Map, Value};

/// What the checked-in `differences.yaml` says about one tree.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rules {
    /// Text that follows `after` for `length` characters depends on the
    /// run (a time stamp) and is replaced by `<masked>` on both sides.
    pub masks: Vec<Mask>,
    /// Differences that are understood, each with its reason.
    pub known: Vec<Known>,
}

#[derive(Clone, Debug)]
pub(crate) struct Mask {
    pub after: String,
    pub length: usize,
    pub reason: String,
}

/// A known difference: on the state with this ID (`*`: any state; for
/// `render`, the tree itself), under this key, and when `converge` is
/// given, only while converge's value contains that text (so that a
/// render error explained here is not taken for the next one).
#[derive(Clone, Debug, Default)]
pub(crate) struct Known {
    pub id: String,
    pub key: String,
    pub converge: Option<String>,
    pub reason: String,
}

/// What converge printed, or why it printed nothing.
pub(crate) type Outcome<T> = Result<T, String>;

/// The figures and differences for one tree.
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    pub name: String,
    /// Both `show` and the test run compiled.
    pub renders: bool,
    /// The first error converge gave, when it did not render.
    pub error: Option<String>,
    /// Salt's compiled states (each identity once).
    pub salt_states: usize,
    /// Of those, the ones converge compiled too.
    pub present: usize,
    /// Of those, the ones whose every key is Salt's.
    pub same_args: usize,
    /// States in Salt's test run.
    pub salt_results: usize,
    /// Of those, the ones where converge gave the same result and changes.
    pub same_results: usize,
    pub differences: Vec<Difference>,
}

/// One difference: a key of a state (or of the tree, `state` empty).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Difference {
    /// Salt's tag for the state (`file_|-id_|-name_|-managed`), or empty.
    pub state: String,
    pub id: String,
    /// An argument's key, or `render`, `missing`, `extra`, `result`,
    /// `changes`, `comment`, `test.missing`, `test.extra`.
    pub key: String,
    pub salt: Option<Value>,
    pub converge: Option<Value>,
    /// The reason given in `differences.yaml`, when the difference is known.
    pub known: Option<String>,
    /// Whether it lowers a figure (a different comment does not).
    pub counts: bool,
}

impl Report {
    /// Percent of `part` in `whole` (100 when there is nothing to match).
    pub(crate) fn percent(part: usize, whole: usize) -> f64 {
        if whole == 0 {
            100.0
        } else {
            100.0 * part as f64 / whole as f64
        }
    }

    /// Differences not in `differences.yaml`.
    pub(crate) fn unexplained(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|d| d.known.is_none())
    }
}

/// Salt's identity of a compiled state.
fn identity(low: &Value) -> Option<(String, String)> {
    let s = |k: &str| low.get(k).and_then(Value::as_str).map(str::to_string);
    let (id, state, fun) = (s("__id__")?, s("state")?, s("fun")?);
    let name = match low.get("name")? {
        Value::String(n) => n.clone(),
        other => other.to_string(),
    };
    Some((format!("{state}_|-{id}_|-{name}_|-{fun}"), id))
}

/// Compare one tree. `salt_show` is Salt's list of low chunks, `salt_test`
/// its test run (tag → record); the converge side is what it printed for
/// the same host, or its error.
pub(crate) fn compare(
    name: &str,
    rules: &Rules,
    salt_show: &[Value],
    salt_test: &Map<String, Value>,
    converge_show: Outcome<&[Value]>,
    converge_test: Outcome<&Map<String, Value>>,
) -> Report {
    let mut r = Report {
        name: name.to_string(),
        ..Report::default()
    };
    let salt_show = unique(salt_show, rules);
    r.salt_states = salt_show.len();
    r.salt_results = salt_test.len();
    let error = converge_show
        .as_ref()
        .err()
        .or(converge_test.as_ref().err());
    r.renders = error.is_none();
    r.error = error.cloned();
    if let Some(e) = error {
        r.push(
            rules,
            "",
            "",
            "render",
            None,
            Some(Value::String(e.clone())),
            true,
        );
    }

    if let Ok(conv) = converge_show {
        let conv = unique(conv, rules);
        for (tag, id, salt) in &salt_show {
            let Some((_, _, mine)) = conv.iter().find(|(t, _, _)| t == tag) else {
                r.push(rules, tag, id, "missing", Some(salt.clone()), None, true);
                continue;
            };
            r.present += 1;
            let before = r.differences.len();
            let (s, m) = (salt.as_object(), mine.as_object());
            let (s, m) = (
                s.cloned().unwrap_or_default(),
                m.cloned().unwrap_or_default(),
            );
            let mut keys: Vec<&String> = s.keys().collect();
            keys.extend(m.keys().filter(|k| !s.contains_key(*k)));
            for key in keys {
                let (a, b) = (s.get(key), m.get(key));
                if !same(a, b) {
                    r.push(rules, tag, id, key, a.cloned(), b.cloned(), true);
                }
            }
            if r.differences.len() == before {
                r.same_args += 1;
            }
        }
        for (tag, id, mine) in &conv {
            if !salt_show.iter().any(|(t, _, _)| t == tag) {
                r.push(rules, tag, id, "extra", None, Some(mine.clone()), true);
            }
        }
    }

    if let Ok(conv) = converge_test {
        for (tag, salt) in salt_test {
            let id = salt
                .get("__id__")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let salt = masked(salt, rules);
            let Some(mine) = conv.get(tag).map(|m| masked(m, rules)) else {
                r.push(rules, tag, id, "test.missing", Some(salt), None, true);
                continue;
            };
            let mut equal = true;
            for key in ["result", "changes", "comment"] {
                let (a, b) = (salt.get(key), mine.get(key));
                if !same(a, b) {
                    let counts = key != "comment";
                    equal &= !counts;
                    r.push(rules, tag, id, key, a.cloned(), b.cloned(), counts);
                }
            }
            if equal {
                r.same_results += 1;
            }
        }
        for (tag, mine) in conv {
            if !salt_test.contains_key(tag) {
                let id = mine
                    .get("__id__")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                r.push(rules, tag, id, "test.extra", None, Some(mine.clone()), true);
            }
        }
    }
    r
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rules: &Rules,
        state: &str,
        id: &str,
        key: &str,
        salt: Option<Value>,
        converge: Option<Value>,
        counts: bool,
    ) {
        let text = match &converge {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let known = rules
            .known
            .iter()
            .find(|k| {
                k.key == key
                    && (k.id == "*" || k.id == id)
                    && k.converge
                        .as_ref()
                        .is_none_or(|t| text.contains(t.as_str()))
            })
            .map(|k| k.reason.clone());
        self.differences.push(Difference {
            state: state.to_string(),
            id: id.to_string(),
            key: key.to_string(),
            salt,
            converge,
            known,
            counts,
        });
    }
}

/// Each state once, masked. Salt lists a state twice when another
/// `prereq`s it (the second entry is its test-mode check, the same chunk).
fn unique(chunks: &[Value], rules: &Rules) -> Vec<(String, String, Value)> {
    let mut out: Vec<(String, String, Value)> = Vec::new();
    for c in chunks {
        let Some((tag, id)) = identity(c) else {
            continue;
        };
        if !out.iter().any(|(t, _, _)| *t == tag) {
            out.push((tag, id, masked(c, rules)));
        }
    }
    out
}

/// `v` with the masked spans of every string replaced.
pub(crate) fn masked(v: &Value, rules: &Rules) -> Value {
    match v {
        Value::String(s) => Value::String(mask_str(s, &rules.masks)),
        Value::Array(items) => Value::Array(items.iter().map(|i| masked(i, rules)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (mask_str(k, &rules.masks), masked(v, rules)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn mask_str(s: &str, masks: &[Mask]) -> String {
    let mut s = s.to_string();
    for m in masks {
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(at) = rest.find(&m.after) {
            let end = at + m.after.len();
            out.push_str(&rest[..end]);
            out.push_str("<masked>");
            let skip: usize = rest[end..].chars().take(m.length).map(char::len_utf8).sum();
            rest = &rest[end + skip..];
        }
        out.push_str(rest);
        s = out;
    }
    s
}

/// JSON equality, numbers by value (Salt's `1` and `1.0` are the same).
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_value(a, b),
        _ => false,
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| same_value(a, b)))
        }
        _ => a == b,
    }
}

/// One line of figures per tree, with a header: what the ratchet checks.
pub(crate) fn summary(reports: &[Report]) -> String {
    let mut out = format!(
        "{:<14} {:<8} {:>6} {:>15} {:>15} {:>15} {:>11}\n",
        "tree", "renders", "states", "present", "same args", "test result", "unexplained"
    );
    for r in reports {
        let fig = |part: usize, whole: usize| {
            format!("{part}/{whole} {:5.1}%", Report::percent(part, whole))
        };
        out.push_str(&format!(
            "{:<14} {:<8} {:>6} {:>15} {:>15} {:>15} {:>11}\n",
            r.name,
            if r.renders { "yes" } else { "no" },
            r.salt_states,
            fig(r.present, r.salt_states),
            fig(r.same_args, r.salt_states),
            fig(r.same_results, r.salt_results),
            r.unexplained().count(),
        ));
    }
    for r in reports {
        if let Some(e) = &r.error {
            out.push_str(&format!("{}: does not render: {e}\n", r.name));
        }
    }
    out
}

/// Every difference of one tree, grouped by state, each with its key,
/// both values, and its reason when it is known.
pub(crate) fn details(r: &Report) -> String {
    let mut out = format!("== {}\n", r.name);
    let mut last = None;
    for d in &r.differences {
        if last != Some(&d.state) {
            let state = if d.state.is_empty() {
                "(tree)"
            } else {
                &d.state
            };
            out.push_str(&format!("  {state}\n"));
            last = Some(&d.state);
        }
        let show = |v: &Option<Value>| match v {
            None => "-".to_string(),
            Some(v) => short(v),
        };
        let why = match &d.known {
            Some(reason) => format!("known: {reason}"),
            None if d.counts => "UNEXPLAINED".to_string(),
            None => "reported".to_string(),
        };
        out.push_str(&format!(
            "    {}: salt {} | converge {}  [{why}]\n",
            d.key,
            show(&d.salt),
            show(&d.converge)
        ));
    }
    if r.differences.is_empty() {
        out.push_str("  no differences\n");
    }
    out
}

/// A value on one line, cut at 160 characters.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        let cut: String = s.chars().take(157).collect();
        format!("{cut}...")
    } else {
        s
    }
}
