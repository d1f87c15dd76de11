//! Block-style YAML for data (`converge pillar`), readable and readable back.

use serde_json::Value;

use crate::render::flow_yaml;

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

#[cfg(test)]
mod tests {
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
