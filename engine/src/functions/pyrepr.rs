//! Values written as Python writes them, for the comments that Salt builds
//! with `str()` and `repr()` (`groups: ['a', 'b']`, `These values could
//! not be changed: {'shell': '/bin/sh'}`), so that converge's comments read
//! exactly as Salt's.

use serde_json::Value;

/// Python's `repr()` of the value (a JSON string is a `str`, an array a
/// `list`, an object a `dict`, null `None`).
pub(super) fn repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => repr_str(s),
        Value::Array(items) => format!("[{}]", join(items.iter().map(repr))),
        Value::Object(m) => format!(
            "{{{}}}",
            join(
                m.iter()
                    .map(|(k, v)| format!("{}: {}", repr_str(k), repr(v)))
            )
        ),
    }
}

/// Python's `str()`: a string as it is, anything else as `repr()`.
pub(super) fn str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => repr(other),
    }
}

/// A Python `set` of strings (`{'a', 'b'}`), in sorted order (Python's
/// own order is arbitrary).
pub(super) fn set(items: &[String]) -> String {
    let mut sorted: Vec<&String> = items.iter().collect();
    sorted.sort();
    if sorted.is_empty() {
        return "set()".into();
    }
    format!("{{{}}}", join(sorted.into_iter().map(|s| repr_str(s))))
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// A `str`'s repr: single quotes unless the text holds one and no double
/// quote, backslash escapes for the rest.
pub(super) fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_values_as_python_does() {
        assert_eq!(repr(&json!(["ssl-cert", "users"])), "['ssl-cert', 'users']");
        assert_eq!(
            repr(&json!({"shell": "/bin/sh", "uid": 5, "x": null, "y": true})),
            "{'shell': '/bin/sh', 'uid': 5, 'x': None, 'y': True}"
        );
        assert_eq!(repr_str("it's"), "\"it's\"");
        assert_eq!(repr_str("a'\"b\n"), "'a\\'\"b\\n'");
        assert_eq!(str(&json!("/bin/sh")), "/bin/sh");
        assert_eq!(str(&json!(1500)), "1500");
        assert_eq!(set(&["b".into(), "a".into()]), "{'a', 'b'}");
    }
}
