//! Salt's serializer filters (its `SerializerExtension`): `yaml`, `json`,
//! `python`, `yaml_encode`, `yaml_dquote`, `yaml_squote`, `load_yaml`,
//! `load_json`, `load_text`, and the loader behind the `import_*` and
//! `load_*` tags.
//!
//! Their output matches Salt's: `yaml` is PyYAML's `safe_dump` (flow style
//! unless `yaml(False)`), `json` is Python's `json.dumps` (`", "` and
//! `": "` separators, keys sorted unless `sort_keys=False`).

use std::sync::Arc;

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

use super::pyyaml::{self, Style};
use crate::source::Source;
use crate::yaml;

pub(super) fn register(env: &mut Environment<'static>) {
    // Salt's tojson: Python's json.dumps (keys in order), HTML-safe.
    env.add_filter("tojson", |v: Value| -> Result<Value, Error> {
        let text = python_json(&to_json(&v)?)
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\'', "\\u0027");
        Ok(Value::from_safe_string(text))
    });
    // Jinja2's round: `common` is Python's (halves to even), `ceil` and
    // `floor` are math's; a float back.
    env.add_filter(
        "round",
        |v: f64, precision: Option<i32>, method: Option<String>| -> Result<f64, Error> {
            let factor = 10f64.powi(precision.unwrap_or(0));
            let x = v * factor;
            let r = match method.as_deref().unwrap_or("common") {
                "common" => {
                    let r = x.round();
                    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
                        r - x.signum()
                    } else {
                        r
                    }
                }
                "ceil" => x.ceil(),
                "floor" => x.floor(),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "method must be common, ceil or floor",
                    ))
                }
            };
            Ok(r / factor)
        },
    );
    // Jinja2's int and float: the default (0) when the value is no number.
    env.add_filter(
        "int",
        |v: Value, default: Option<Value>, base: Option<u32>| -> Value {
            let fallback = default.unwrap_or(Value::from(0));
            match v.kind() {
                ValueKind::Bool => Value::from(v.is_true() as i64),
                ValueKind::Number => match f64::try_from(v.clone()) {
                    Ok(f) if f.is_finite() => Value::from(f.trunc() as i64),
                    _ => v,
                },
                ValueKind::String => {
                    let t = v.as_str().unwrap_or_default().trim().replace('_', "");
                    let base = base.unwrap_or(10);
                    let digits = match base {
                        16 => t.trim_start_matches("0x").trim_start_matches("0X"),
                        8 => t.trim_start_matches("0o").trim_start_matches("0O"),
                        2 => t.trim_start_matches("0b").trim_start_matches("0B"),
                        _ => t.as_str(),
                    };
                    i64::from_str_radix(digits, base)
                        .ok()
                        .or_else(|| {
                            t.parse::<f64>()
                                .ok()
                                .filter(|f| f.is_finite())
                                .map(|f| f as i64)
                        })
                        .map(Value::from)
                        .unwrap_or(fallback)
                }
                _ => fallback,
            }
        },
    );
    env.add_filter("float", |v: Value, default: Option<Value>| -> Value {
        let fallback = default.unwrap_or(Value::from(0.0));
        match v.kind() {
            ValueKind::Bool => Value::from(if v.is_true() { 1.0 } else { 0.0 }),
            ValueKind::Number => f64::try_from(v).map(Value::from).unwrap_or(fallback),
            ValueKind::String => v
                .as_str()
                .unwrap_or_default()
                .trim()
                .parse::<f64>()
                .map(Value::from)
                .unwrap_or(fallback),
            _ => fallback,
        }
    });
    // Jinja2's center: Python's str.center, 80 wide by default.
    env.add_filter(
        "center",
        |v: Value, width: Option<usize>| -> Result<Value, Error> {
            let s = Value::from(super::exec::text(&v));
            super::pystr::method(&s, "center", &[Value::from(width.unwrap_or(80))])
                .unwrap_or_else(|| Ok(s.clone()))
        },
    );
    // Jinja2's sum, with its `attribute` (dotted) and `start`.
    env.add_filter(
        "sum",
        |state: &minijinja::State, v: Value, kwargs: Kwargs| -> Result<Value, Error> {
            let attribute: Option<String> = kwargs.get("attribute")?;
            let start: Option<Value> = kwargs.get("start")?;
            kwargs.assert_all_used()?;
            let mut items: Vec<Value> = start.into_iter().collect();
            for item in v.try_iter()? {
                let mut x = item;
                if let Some(a) = &attribute {
                    for part in a.split('.') {
                        x = x.get_attr(part)?;
                    }
                }
                items.push(x);
            }
            minijinja::filters::sum(state, Value::from(items))
        },
    );
    // Jinja2's items: a mapping's (key, value) tuples.
    env.add_filter("items", |v: Value| -> Result<Value, Error> {
        if v.is_undefined() {
            return Ok(Value::from(Vec::<Value>::new()));
        }
        if v.kind() != ValueKind::Map {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "items filter needs a mapping",
            ));
        }
        let mut out = Vec::new();
        for k in v.try_iter()? {
            let val = v.get_item(&k)?;
            out.push(super::data::tuple([k, val]));
        }
        Ok(Value::from(out))
    });
    // Jinja2's wordcount: the words its regex `\w+` finds.
    env.add_filter("wordcount", |s: String| -> usize {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .count()
    });
    env.add_filter(
        "yaml",
        |v: Value, flow_style: Option<Value>| -> Result<Value, Error> {
            let style = match flow_style {
                Some(f) if f.is_none() => Style::Auto,
                Some(f) if !f.is_true() => Style::Block,
                _ => Style::Flow,
            };
            Ok(Value::from_safe_string(pyyaml::dump(
                &to_json(&v)?,
                style,
                true,
            )))
        },
    );
    env.add_filter("yaml_encode", |v: Value| -> Result<Value, Error> {
        let data = to_json(&v)?;
        let text = match &data {
            serde_json::Value::String(s) => yaml_dquote(s),
            serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    "yaml_encode() only works with YAML scalar data",
                ))
            }
            other => pyyaml::scalar(other, false, false),
        };
        Ok(Value::from_safe_string(text))
    });
    env.add_filter("yaml_dquote", |v: Value| {
        Value::from_safe_string(yaml_dquote(&super::exec::text(&v)))
    });
    env.add_filter("yaml_squote", |v: Value| {
        Value::from_safe_string(crate::yaml::single_quoted(&super::exec::text(&v)))
    });
    env.add_filter("json", |v: Value, kwargs: Kwargs| -> Result<Value, Error> {
        let sort: Option<bool> = kwargs.get("sort_keys")?;
        let indent: Option<usize> = kwargs.get("indent")?;
        kwargs.assert_all_used()?;
        let mut data = to_json(&v)?;
        if sort.unwrap_or(true) {
            data = sorted(data);
        }
        Ok(Value::from_safe_string(match indent {
            Some(n) => python_json_indent(&data, n),
            None => python_json(&data),
        }))
    });
    env.add_filter("python", |v: Value| Value::from_safe_string(pformat(&v, 0)));
    env.add_filter("load_yaml", |v: Value| -> Result<Value, Error> {
        load_yaml_text(&super::exec::text(&v))
    });
    env.add_filter("load_json", |v: Value| -> Result<Value, Error> {
        load_json(&super::exec::text(&v))
    });
    env.add_filter("load_text", |v: Value| Value::from(super::exec::text(&v)));
}

/// How Jinja2 prints a value: lists and dicts as Python's repr
/// (`['a', 1]`, `{'k': None}`), `None`, `True`; the rest as minijinja does.
pub(super) fn python_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &Value,
) -> Result<(), Error> {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::Seq | ValueKind::Map | ValueKind::None | ValueKind::Bool => out
            .write_str(&python_repr(value))
            .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string())),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Python's `pprint.pformat` (width 80, dicts sorted): the `repr` when it
/// fits, else one item a line.
pub(super) fn pformat(value: &Value, indent: usize) -> String {
    let sorted_pairs = |v: &Value| {
        let mut p = super::data::pairs(v);
        p.sort_by(|a, b| a.0.cmp(&b.0));
        p
    };
    let flat = |v: &Value| -> String {
        match v.kind() {
            ValueKind::Map => format!(
                "{{{}}}",
                sorted_pairs(v)
                    .iter()
                    .map(|(k, x)| format!("{}: {}", python_repr(k), pformat(x, usize::MAX / 2)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => python_repr(v),
        }
    };
    let one_line = flat(value);
    if indent >= usize::MAX / 4 || one_line.chars().count() + indent <= 80 {
        return one_line;
    }
    match value.kind() {
        ValueKind::Map => {
            let parts: Vec<String> = sorted_pairs(value)
                .iter()
                .map(|(k, x)| {
                    let key = python_repr(k);
                    let at = indent + 1 + key.chars().count() + 2;
                    format!("{key}: {}", pformat(x, at))
                })
                .collect();
            format!(
                "{{{}}}",
                parts.join(&format!(",\n{}", " ".repeat(indent + 1)))
            )
        }
        ValueKind::Seq => {
            let tuple = value.downcast_object_ref::<super::data::Tuple>().is_some();
            let parts: Vec<String> = super::data::items(value)
                .iter()
                .map(|x| pformat(x, indent + 1))
                .collect();
            let body = parts.join(&format!(",\n{}", " ".repeat(indent + 1)));
            if tuple {
                format!("({body})")
            } else {
                format!("[{body}]")
            }
        }
        _ => one_line,
    }
}

/// Python's `str` of a value: a string as it is, the rest as `repr`.
pub(super) fn python_str(value: &Value) -> String {
    match value.as_str() {
        Some(s) => s.to_string(),
        None => python_repr(value),
    }
}

/// Python's `repr` of a value.
pub(super) fn python_repr(value: &Value) -> String {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => "None".into(),
        ValueKind::Bool => if value.is_true() { "True" } else { "False" }.into(),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            let quote = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            let mut out = String::from(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        ValueKind::Number => match serde_json::to_value(value) {
            Ok(serde_json::Value::Number(n))
                if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0) =>
            {
                format!("{:.1}", n.as_f64().unwrap_or_default())
            }
            _ => value.to_string(),
        },
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<String> = value
                .try_iter()
                .map(|i| i.map(|v| python_repr(&v)).collect())
                .unwrap_or_default();
            if value.downcast_object_ref::<super::data::Tuple>().is_some() {
                return match items.len() {
                    1 => format!("({},)", items[0]),
                    _ => format!("({})", items.join(", ")),
                };
            }
            format!("[{}]", items.join(", "))
        }
        ValueKind::Map => {
            let items: Vec<String> = value
                .try_iter()
                .map(|keys| {
                    keys.map(|k| {
                        let v = value.get_item(&k).unwrap_or_default();
                        format!("{}: {}", python_repr(&k), python_repr(&v))
                    })
                    .collect()
                })
                .unwrap_or_default();
            format!("{{{}}}", items.join(", "))
        }
        _ => value.to_string(),
    }
}

pub(super) fn to_json(v: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))
}

pub(super) fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

/// `text` read as YAML (Salt's loader: YAML 1.1), as template data.
pub(super) fn load_yaml_text(text: &str) -> Result<Value, Error> {
    let source: Arc<Source> = Source::new("<load_yaml>", text.to_string());
    let node = yaml::load(&source)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.headline()).with_source(e))?;
    Ok(node.map_or(Value::from(()), |n| super::data::from_node(&n)))
}

/// `text` read as JSON, as template data.
pub(super) fn load_json(text: &str) -> Result<Value, Error> {
    let data: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("invalid JSON: {e}")))?;
    Ok(super::data::adopt(Value::from_serialize(data)))
}

/// Python's `json.dumps(v, indent=n)`.
pub(super) fn python_json_indent(v: &serde_json::Value, n: usize) -> String {
    fn go(v: &serde_json::Value, n: usize, level: usize, out: &mut String) {
        use serde_json::Value as J;
        let pad = |l: usize| " ".repeat(n * l);
        match v {
            J::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    out.push_str(&pad(level + 1));
                    go(item, n, level + 1, out);
                }
                out.push('\n');
                out.push_str(&pad(level));
                out.push(']');
            }
            J::Object(map) if !map.is_empty() => {
                out.push('{');
                for (i, (k, item)) in map.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    out.push_str(&pad(level + 1));
                    out.push_str(&J::String(k.clone()).to_string());
                    out.push_str(": ");
                    go(item, n, level + 1, out);
                }
                out.push('\n');
                out.push_str(&pad(level));
                out.push('}');
            }
            other => out.push_str(&python_json(other)),
        }
    }
    let mut out = String::new();
    go(v, n, 0, &mut out);
    out
}

/// PyYAML's `write_double_quoted` with Salt's infinite width, as Salt's
/// `yaml_dquote` writes it: non-ASCII characters escaped too.
pub(super) fn yaml_dquote(s: &str) -> String {
    let quoted = pyyaml::double_quoted(s);
    let mut out = String::with_capacity(quoted.len());
    for c in quoted.chars() {
        match c as u32 {
            0..=0x7F => out.push(c),
            n @ 0x80..=0xFF => out.push_str(&format!("\\x{n:02X}")),
            n @ 0x100..=0xFFFF => out.push_str(&format!("\\u{n:04X}")),
            n => out.push_str(&format!("\\U{n:08X}")),
        }
    }
    out
}

/// Python's `json.dumps` with its default separators.
pub(super) fn python_json(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Array(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        J::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", J::String(k.clone()), python_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_python_json_dumps() {
        assert_eq!(
            python_json(&json!({"a": [1, 2], "b": "x"})),
            "{\"a\": [1, 2], \"b\": \"x\"}"
        );
    }
}
