//! Printing: Salt's text layout or its JSON shape, colour only on a terminal.

use std::io::IsTerminal;

use converge::report::{self, Palette};
use converge::Report;
use serde_json::Value;

use crate::args::Out;

pub(crate) fn palette() -> Palette {
    let wanted = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if wanted {
        Palette::COLOR
    } else {
        Palette::PLAIN
    }
}

/// A run's report, in Salt's text layout or JSON shape, on stdout.
pub(crate) fn print_report(report: &Report, out: Out) {
    match out {
        Out::Json => println!("{}", pretty(&Value::Object(report::salt_json(report)))),
        Out::Text => println!("{}", report::format_report(report, &palette())),
    }
}

/// JSON indented by 4, as Salt's json outputter prints it.
pub(crate) fn pretty(v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).expect("JSON values serialize");
    String::from_utf8(buf).expect("JSON is UTF-8")
}

/// An orchestration's progress on stderr, a line as each step starts and
/// one as it ends with its duration (stdout keeps Salt's output).
pub(crate) struct Progress {
    palette: Palette,
}

impl Progress {
    pub(crate) fn new() -> Progress {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Progress {
            palette: if color {
                Palette::COLOR
            } else {
                Palette::PLAIN
            },
        }
    }
}

impl converge::Observer for Progress {
    fn started(&self, state: &converge::StateId) {
        eprintln!(
            "{} ... {} ({})",
            converge::clock_now(),
            state.id,
            state.function()
        );
    }

    fn finished(&self, r: &converge::StateResult) {
        let p = &self.palette;
        let (color, word) = match r.result {
            Some(true) if r.changed() => (p.cyan, "changed"),
            Some(true) => (p.green, "ok"),
            Some(false) => (p.red, "FAILED"),
            None => (p.light_yellow, "would change"),
        };
        let first = r.comment.lines().next().unwrap_or_default();
        eprintln!(
            "{} {color}{word:>7}{} {} in {:.0} ms: {first}",
            converge::clock_now(),
            p.endc,
            r.state.id,
            r.duration_ms
        );
    }
}
