//! Results as Salt prints them: its highstate text layout (with its
//! summary) and its JSON shape, so that Salt users and tooling feel at
//! home. Both work from the JSON shape, as Salt's outputters do, so a
//! host's return nested in an orchestration step prints the same way.

pub mod clock;
mod json;
mod nested;
mod text;

pub use json::{host_return, unreachable_return};
pub use text::{format_host, Palette};

use serde_json::{Map, Value};

/// Any value as Salt's nested outputter prints it, at `indent`.
pub fn nested_text(value: &Value, indent: usize, p: &Palette) -> String {
    let mut out = Vec::new();
    nested::display(value, indent, "", p, &mut out);
    out.join("\n")
}

/// The exit code a set of host returns gives: 2 when any state failed.
pub fn exit_code(returns: &Map<String, Value>) -> i32 {
    let failed = returns.values().any(|host| {
        host.as_object().is_some_and(|states| {
            states
                .values()
                .any(|s| s.get("result") == Some(&Value::Bool(false)))
        })
    });
    if failed {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests;
