//! Salt's `nested` outputter: how changes are printed under a state.

use serde_json::Value;

use super::palette::Palette;

/// `value` as Salt's nested outputter prints it at `indent`.
pub(super) fn display(
    value: &Value,
    indent: usize,
    prefix: &str,
    p: &Palette,
    out: &mut Vec<String>,
) {
    let pad = " ".repeat(indent);
    match value {
        Value::Null => out.push(format!("{pad}{}{prefix}None{}", p.light_yellow, p.endc)),
        Value::Bool(b) => out.push(format!(
            "{pad}{}{prefix}{}{}",
            p.light_yellow,
            if *b { "True" } else { "False" },
            p.endc
        )),
        Value::Number(n) => out.push(format!(
            "{pad}{}{prefix}{}{}",
            p.light_yellow,
            python_number(n),
            p.endc
        )),
        Value::String(s) => {
            for (i, line) in s.lines().enumerate() {
                let pre = if i == 0 {
                    prefix.to_string()
                } else {
                    " ".repeat(prefix.len())
                };
                out.push(format!("{pad}{}{pre}{line}{}", p.green, p.endc));
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Array(_) | Value::Object(_) => {
                        out.push(format!("{pad}{}|_{}", p.green, p.endc));
                        let pre = if item.is_object() { "" } else { "- " };
                        display(item, indent + 2, pre, p, out);
                    }
                    _ => display(item, indent, "- ", p, out),
                }
            }
        }
        Value::Object(map) => {
            if indent > 0 {
                out.push(format!("{pad}{}----------{}", p.cyan, p.endc));
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                out.push(format!("{pad}{}{prefix}{key}{}:", p.cyan, p.endc));
                display(&map[key], indent + 4, "", p, out);
            }
        }
    }
}

/// Numbers as Python's `repr` writes them (`5.0`, not `5`, for a float).
fn python_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
        _ => n.to_string(),
    }
}
