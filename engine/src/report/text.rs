//! Salt's highstate text layout: each state's record, then the summary.

use serde_json::{Map, Value};

use super::nested;

/// Terminal colours, or none (when stdout is not a terminal).
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub green: &'static str,
    pub cyan: &'static str,
    pub red: &'static str,
    pub light_yellow: &'static str,
    pub endc: &'static str,
}

impl Palette {
    pub const PLAIN: Palette = Palette {
        green: "",
        cyan: "",
        red: "",
        light_yellow: "",
        endc: "",
    };
    pub const COLOR: Palette = Palette {
        green: "\x1b[0;32m",
        cyan: "\x1b[0;36m",
        red: "\x1b[0;31m",
        light_yellow: "\x1b[1;33m",
        endc: "\x1b[0;0m",
    };
}

fn python_float(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn result_text(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::Bool(true)) => "True",
        Some(Value::Bool(false)) => "False",
        _ => "None",
    }
}

/// One host's return (tag → record) as Salt's highstate outputter prints
/// it; also says whether anything changed.
pub fn format_host(host: &str, states: &Map<String, Value>, p: &Palette) -> (String, bool) {
    let mut entries: Vec<(&String, &Value)> = states.iter().collect();
    entries.sort_by_key(|(_, r)| r.get("__run_num__").and_then(Value::as_u64).unwrap_or(0));
    let mut lines: Vec<String> = Vec::new();
    let (mut ok, mut failed, mut none, mut nchanges) = (0usize, 0usize, 0usize, 0usize);
    let mut total_ms = 0.0;
    let mut hcolor = p.green;
    for (tag, r) in entries {
        let comps: Vec<&str> = tag.split("_|-").collect();
        let (module, id, name, fun) = match comps.as_slice() {
            [m, i, n, f] => (*m, *i, *n, *f),
            _ => ("", tag.as_str(), tag.as_str(), ""),
        };
        let result = r.get("result");
        match result {
            Some(Value::Bool(true)) => ok += 1,
            Some(Value::Bool(false)) => failed += 1,
            _ => none += 1,
        }
        let duration = r.get("duration").and_then(Value::as_f64).unwrap_or(0.0);
        total_ms += duration;
        let changes = r
            .get("changes")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let (changed, ctext) = format_changes(&changes, p);
        if changed {
            nchanges += 1;
        }
        let mut tcolor = if changed { p.cyan } else { p.green };
        match result {
            Some(Value::Bool(false)) => {
                hcolor = p.red;
                tcolor = p.red;
            }
            Some(Value::Bool(true)) => {}
            _ => {
                if hcolor != p.red {
                    hcolor = p.light_yellow;
                }
                tcolor = p.light_yellow;
            }
        }
        let comment = r.get("comment").and_then(Value::as_str).unwrap_or_default();
        let comment = comment
            .trim()
            .replace('\n', &format!("\n{}", " ".repeat(14)));
        let e = p.endc;
        lines.push(format!("{tcolor}----------{e}"));
        lines.push(format!("    {tcolor}      ID: {id}{e}"));
        lines.push(format!("    {tcolor}Function: {module}.{fun}{e}"));
        if id != name {
            lines.push(format!("    {tcolor}    Name: {name}{e}"));
        }
        lines.push(format!("    {tcolor}  Result: {}{e}", result_text(result)));
        lines.push(format!("    {tcolor} Comment: {comment}{e}"));
        let started = r
            .get("start_time")
            .and_then(Value::as_str)
            .unwrap_or_default();
        lines.push(format!("    {tcolor} Started: {started}{e}"));
        lines.push(format!(
            "    {tcolor}Duration: {} ms{e}",
            python_float(duration)
        ));
        lines.push(format!("{tcolor}     Changes:   {ctext}{e}"));
    }

    let counts = [ok, failed, none];
    let count_max = counts
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1);
    let width = "Succeeded".len() + count_max + 2;
    let rule = "-".repeat(width);
    let e = p.endc;
    lines.push(format!("{}\nSummary for {host}\n{rule}{e}", p.cyan));
    let count = |label: &str, n: usize| format!("{label}: {n:>w$}", w = width - (label.len() + 2));
    let mut stats = Vec::new();
    if none > 0 {
        stats.push(format!("{}unchanged={none}{e}", p.light_yellow));
    }
    if nchanges > 0 {
        stats.push(format!("{}changed={nchanges}{e}", p.green));
    }
    let stats = if stats.is_empty() {
        String::new()
    } else {
        format!(" ({})", stats.join(", "))
    };
    lines.push(format!(
        "{}{}{e}{stats}",
        p.green,
        count("Succeeded", ok + none)
    ));
    lines.push(format!(
        "{}{}{e}",
        if failed > 0 { p.red } else { p.cyan },
        count("Failed", failed)
    ));
    lines.push(format!(
        "{}{rule}\nTotal states run: {:>w$}{e}",
        p.cyan,
        ok + failed + none,
        w = width - 7
    ));
    let (total, unit) = if total_ms > 999.0 {
        (total_ms / 1000.0, "s")
    } else {
        (total_ms, "ms")
    };
    lines.push(format!(
        "{}Total run time: {:>w$} {unit}{e}",
        p.cyan,
        format!("{total:.3}"),
        w = width - 5
    ));
    lines.insert(0, format!("{hcolor}{host}:{e}"));
    (lines.join("\n"), nchanges > 0)
}

/// A state's changes: nested output, or — for an orchestration step that
/// ran states — each host's own highstate output, indented.
fn format_changes(changes: &Value, p: &Palette) -> (bool, String) {
    let Some(map) = changes.as_object() else {
        return (true, format!("Invalid Changes data: {changes}"));
    };
    if map.is_empty() {
        return (false, String::new());
    }
    if let (Some(Value::Object(ret)), Some("highstate")) =
        (map.get("ret"), map.get("out").and_then(Value::as_str))
    {
        let mut text = String::new();
        let mut changed = false;
        for (host, data) in ret {
            let states = data.as_object().cloned().unwrap_or_default();
            let (s, c) = format_host(host, &states, p);
            for l in s.lines() {
                text.push('\n');
                text.push_str(&" ".repeat(14));
                text.push_str(l);
            }
            changed |= c;
        }
        return (changed, text);
    }
    let mut out = Vec::new();
    nested::display(changes, 14, "", p, &mut out);
    (true, format!("\n{}", out.join("\n")))
}
