//! Results as Salt prints them: its highstate text layout (with its
//! summary) and its JSON shape, so that Salt users and tooling feel at
//! home. This is the only place that writes either, from the typed
//! `result::Report`; nothing reads them back.

mod json;
mod nested;
mod palette;
mod text;

pub use json::salt_json;
pub use palette::Palette;
pub use text::{format_host, format_report};

use serde_json::Value;

/// Any value as Salt's nested outputter prints it, at `indent`.
pub fn nested_text(value: &Value, indent: usize, p: &Palette) -> String {
    let mut out = Vec::new();
    nested::display(value, indent, "", p, &mut out);
    out.join("\n")
}

#[cfg(test)]
mod tests;
