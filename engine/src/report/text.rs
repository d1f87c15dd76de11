//! Salt's highstate text layout: each state's record, then the summary.

use serde_json::{Map, Value};

use super::nested;
use super::palette::Palette;
use crate::clock;
use crate::compile::StateId;
use crate::result::{HostOutcome, HostReport, Report, StateResult};

fn python_float(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn result_text(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "True",
        Some(false) => "False",
        None => "None",
    }
}

/// Every host of a report, one after the other.
pub fn format_report(report: &Report, p: &Palette) -> String {
    report
        .hosts
        .iter()
        .map(|h| format_host(h, p).0)
        .collect::<Vec<_>>()
        .join("\n")
}

/// An unreachable host as Salt shows one: a single failed state.
fn unreachable(host: &str, address: &str, why: &str) -> StateResult {
    StateResult {
        state: StateId {
            module: "ssh".into(),
            id: host.into(),
            name: address.into(),
            fun: "connect".into(),
        },
        sls: String::new(),
        result: Some(false),
        changes: Map::new(),
        comment: why.into(),
        start_time: clock::now(),
        duration_ms: 0.0,
        run_num: 0,
        nested: None,
    }
}

/// One host's states as Salt's highstate outputter prints them; also says
/// whether anything changed.
pub fn format_host(host: &HostReport, p: &Palette) -> (String, bool) {
    let states = match &host.outcome {
        HostOutcome::Reached(states) => states.clone(),
        HostOutcome::Unreachable { address, why } => vec![unreachable(&host.id, address, why)],
    };
    let mut entries: Vec<&StateResult> = states.iter().collect();
    entries.sort_by_key(|r| r.run_num);
    let mut lines: Vec<String> = Vec::new();
    let (mut ok, mut failed, mut none, mut nchanges) = (0usize, 0usize, 0usize, 0usize);
    let mut total_ms = 0.0;
    let mut hcolor = p.green;
    for r in entries {
        let StateId {
            module,
            id,
            name,
            fun,
        } = &r.state;
        match r.result {
            Some(true) => ok += 1,
            Some(false) => failed += 1,
            None => none += 1,
        }
        let duration = r.duration_ms;
        total_ms += duration;
        let (changed, ctext) = format_changes(r, p);
        if changed {
            nchanges += 1;
        }
        let mut tcolor = if changed { p.cyan } else { p.green };
        match r.result {
            Some(false) => {
                hcolor = p.red;
                tcolor = p.red;
            }
            Some(true) => {}
            None => {
                if hcolor != p.red {
                    hcolor = p.light_yellow;
                }
                tcolor = p.light_yellow;
            }
        }
        let comment = r
            .comment
            .trim()
            .replace('\n', &format!("\n{}", " ".repeat(14)));
        let e = p.endc;
        lines.push(format!("{tcolor}----------{e}"));
        lines.push(format!("    {tcolor}      ID: {id}{e}"));
        lines.push(format!("    {tcolor}Function: {module}.{fun}{e}"));
        if id != name {
            lines.push(format!("    {tcolor}    Name: {name}{e}"));
        }
        lines.push(format!(
            "    {tcolor}  Result: {}{e}",
            result_text(r.result)
        ));
        lines.push(format!("    {tcolor} Comment: {comment}{e}"));
        lines.push(format!("    {tcolor} Started: {}{e}", r.start_time));
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
    lines.push(format!("{}\nSummary for {}\n{rule}{e}", p.cyan, host.id));
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
    lines.insert(0, format!("{hcolor}{}:{e}", host.id));
    (lines.join("\n"), nchanges > 0)
}

/// A state's changes: nested output, or — for an orchestration step that
/// ran states — each host's own highstate output, indented.
fn format_changes(r: &StateResult, p: &Palette) -> (bool, String) {
    if let Some(report) = &r.nested {
        let mut text = String::new();
        let mut changed = false;
        for host in &report.hosts {
            let (s, c) = format_host(host, p);
            for l in s.lines() {
                text.push('\n');
                text.push_str(&" ".repeat(14));
                text.push_str(l);
            }
            changed |= c;
        }
        return (changed, text);
    }
    if r.changes.is_empty() {
        return (false, String::new());
    }
    let mut out = Vec::new();
    nested::display(&Value::Object(r.changes.clone()), 14, "", p, &mut out);
    (true, format!("\n{}", out.join("\n")))
}
