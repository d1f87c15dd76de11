//! Block-style YAML for data (`converge pillar`), readable and readable back.

use serde_json::Value;

/// `value` as a block-style YAML document (no `---`), ending in a newline.
pub fn to_block(value: &Value) -> String {
    let mut out = String::new();
    block(value, 0, &mut out);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn scalar(v: &Value) -> String {
    flow_yaml(v)
}

fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = scalar(&Value::String(k.clone()));
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        block(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        block(v, indent + 2, out);
                    }
                    Value::String(s) if s.contains('\n') => {
                        out.push_str(&format!(
                            "{pad}{key}: |{}\n",
                            if s.ends_with('\n') { "" } else { "-" }
                        ));
                        for line in s.lines() {
                            out.push_str(&format!("{pad}  {line}\n"));
                        }
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        block(item, indent + 2, &mut inner);
                        let inner = inner.trim_start_matches(' ');
                        out.push_str(&format!("{pad}- {inner}"));
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        block(item, indent + 2, out);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// PyYAML's `safe_dump(v, default_flow_style=True)`, stripped, as Salt's
/// `yaml` filter returns it.
pub(super) fn flow_yaml(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => flow_scalar(s),
        J::Array(items) => format!(
            "[{}]",
            items.iter().map(flow_yaml).collect::<Vec<_>>().join(", ")
        ),
        J::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", flow_scalar(k), flow_yaml(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string as PyYAML writes it in flow context: plain when it would read
/// back as the same string, else quoted.
fn flow_scalar(s: &str) -> String {
    if s.contains(['\n', '\t', '\r']) || s.chars().any(|c| c.is_control()) {
        return double_quoted(s);
    }
    let plain_ok = !s.is_empty()
        && matches!(super::resolve_plain(s), super::Value::Str(_))
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains([',', '[', ']', '{', '}']);
    if plain_ok {
        s.to_string()
    } else {
        single_quoted(s)
    }
}

pub(crate) fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn yaml_is_pyyaml_flow_style() {
        assert_eq!(
            flow_yaml(&serde_json::json!({"a": 1, "b": ["x", "yes", "0644"]})),
            "{a: 1, b: [x, 'yes', '0644']}"
        );
        assert_eq!(
            flow_yaml(&serde_json::json!("host=pgdb1 port=5432")),
            "host=pgdb1 port=5432"
        );
        assert_eq!(flow_yaml(&serde_json::json!("a: b")), "'a: b'");
        assert_eq!(flow_yaml(&serde_json::json!("it's")), "it's");
        assert_eq!(flow_yaml(&serde_json::json!("'q'")), "'''q'''");
        assert_eq!(
            flow_yaml(&serde_json::json!("two\nlines")),
            "\"two\\nlines\""
        );
        assert_eq!(flow_yaml(&serde_json::json!(null)), "null");
    }

    use super::*;
    use crate::source::Source;
    use serde_json::json;

    #[test]
    fn round_trips() {
        let v = json!({"postgres": {"writer": "pgdb1", "port": 5432, "on": true, "mode": "0644"},
                       "dbs": ["app", {"name": "x", "users": ["a"]}], "empty": {}, "text": "a\nb\n"});
        let text = to_block(&v);
        let back = crate::yaml::load(&Source::new("t", text.clone()))
            .unwrap()
            .unwrap()
            .to_json();
        assert_eq!(back, v, "{text}");
    }
}
