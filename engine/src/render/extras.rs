//! Salt's data filters, tests and globals (`salt/utils/jinja.py`, and the
//! `@jinja_filter`s of `salt/utils`), and Jinja2's where minijinja's differ
//! (`dictsort(true)`, `indent`, `list` returning a list that can change).

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use super::data::{self, dict, is_map, items, list, pairs};
use super::exec::text;
use super::lookup::traverse;

fn python_bool(v: &Value) -> bool {
    v.is_true()
}

/// Jinja2's `dictsort(value, case_sensitive=False, by='key', reverse=False)`,
/// its arguments positional or by name.
fn dictsort(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    if !is_map(&v) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "cannot convert value into pair list",
        ));
    }
    let arg = |i: usize, name: &str| -> Result<Option<Value>, Error> {
        match args.get(i) {
            Some(v) => Ok(Some(v.clone())),
            None => kwargs.get::<Option<Value>>(name),
        }
    };
    let case_sensitive = arg(0, "case_sensitive")?.is_some_and(|v| python_bool(&v));
    let by = arg(1, "by")?.map_or("key".to_string(), |v| text(&v));
    let reverse = arg(2, "reverse")?.is_some_and(|v| python_bool(&v));
    kwargs.assert_all_used()?;
    let by_value = match by.as_str() {
        "key" => false,
        "value" => true,
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "You can only sort by either \"key\" or \"value\"",
            ))
        }
    };
    let mut entries = pairs(&v);
    let key = |v: &Value| -> Value {
        match v.as_str() {
            Some(s) if !case_sensitive => Value::from(s.to_lowercase()),
            _ => v.clone(),
        }
    };
    entries.sort_by(|a, b| {
        let (x, y) = if by_value { (&a.1, &b.1) } else { (&a.0, &b.0) };
        key(x).cmp(&key(y))
    });
    if reverse {
        entries.reverse();
    }
    Ok(Value::from(
        entries
            .into_iter()
            .map(|(k, v)| data::tuple([k, v]))
            .collect::<Vec<_>>(),
    ))
}

/// Jinja2's `indent(s, width=4, first=False, blank=False)`.
fn indent(s: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let arg = |i: usize, name: &str| -> Result<Option<Value>, Error> {
        match args.get(i) {
            Some(v) => Ok(Some(v.clone())),
            None => kwargs.get::<Option<Value>>(name),
        }
    };
    let width = arg(0, "width")?;
    let first = arg(1, "first")?
        .or(kwargs.get::<Option<Value>>("indentfirst")?)
        .is_some_and(|v| python_bool(&v));
    let blank = arg(2, "blank")?.is_some_and(|v| python_bool(&v));
    kwargs.assert_all_used()?;
    let pad = match width {
        Some(w) if w.kind() == ValueKind::String => text(&w),
        Some(w) => " ".repeat(usize::try_from(w)?),
        None => "    ".into(),
    };
    let safe = s.is_safe();
    let s = format!("{}\n", text(&s));
    let lines: Vec<&str> = s.lines().collect();
    let mut rv = if blank {
        lines.join(&format!("\n{pad}"))
    } else {
        let mut rv = lines.first().copied().unwrap_or_default().to_string();
        for line in lines.iter().skip(1) {
            rv.push('\n');
            if !line.is_empty() {
                rv.push_str(&pad);
            }
            rv.push_str(line);
        }
        rv
    };
    if first {
        rv = format!("{pad}{rv}");
    }
    Ok(if safe {
        Value::from_safe_string(rv)
    } else {
        Value::from(rv)
    })
}

/// Salt's `to_bool`.
fn to_bool(v: Value) -> bool {
    match v.kind() {
        ValueKind::None | ValueKind::Undefined => false,
        ValueKind::Bool => v.is_true(),
        ValueKind::String => matches!(text(&v).to_lowercase().as_str(), "yes" | "1" | "true"),
        ValueKind::Number => match i64::try_from(v.clone()) {
            Ok(i) if v.as_i64().is_some() => i > 0,
            _ => false,
        },
        ValueKind::Seq | ValueKind::Map => v.len().unwrap_or(0) > 0,
        _ => false,
    }
}

fn unique_of(values: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Python's `shlex.quote`.
fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(input: &[u8]) -> String {
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(input: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in input
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = B64.iter().position(|&b| b == c).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "base64_decode: invalid base64 input",
            )
        })? as u32;
        buf = buf << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

fn flatten_into(v: &Value, levels: Option<i64>, preserve_nulls: bool, out: &mut Vec<Value>) {
    for item in items(v) {
        if item.kind() == ValueKind::Seq && levels != Some(0) {
            flatten_into(&item, levels.map(|l| l - 1), preserve_nulls, out);
        } else if preserve_nulls || !item.is_none() {
            out.push(item);
        }
    }
}

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("dictsort", dictsort);
    env.add_filter("indent", indent);
    env.add_filter("to_bool", to_bool);
    // Python's list(): a new list, which the template may change
    env.add_filter("list", |v: Value| -> Result<Value, Error> {
        if v.kind() == ValueKind::String {
            return Ok(list(text(&v).chars().map(|c| Value::from(c.to_string()))));
        }
        Ok(list(v.try_iter()?))
    });
    env.add_filter("unique", |v: Value| -> Result<Value, Error> {
        Ok(list(unique_of(v.try_iter()?.collect())))
    });
    env.add_filter("sequence", |v: Value| -> Value {
        match v.kind() {
            ValueKind::Seq | ValueKind::Map => v,
            _ => list([v]),
        }
    });
    env.add_filter(
        "traverse",
        |v: Value, key: String, default: Option<Value>, kwargs: Kwargs| -> Result<Value, Error> {
            let delimiter: Option<String> = kwargs.get("delimiter")?;
            let default = match default {
                Some(d) => Some(d),
                None => kwargs.get("default")?,
            };
            kwargs.assert_all_used()?;
            Ok(traverse(&v, &key, delimiter.as_deref().unwrap_or(":"))
                .unwrap_or_else(|| default.unwrap_or(Value::from(()))))
        },
    );
    env.add_filter("skip", |_: Value| "");
    env.add_filter("quote", |s: Value| shell_quote(&text(&s)));
    env.add_filter("union", |a: Value, b: Value| -> Result<Value, Error> {
        let mut all = items(&a);
        all.extend(items(&b));
        Ok(list(unique_of(all)))
    });
    env.add_filter("intersect", |a: Value, b: Value| -> Result<Value, Error> {
        let b = items(&b);
        Ok(list(unique_of(
            items(&a).into_iter().filter(|x| b.contains(x)).collect(),
        )))
    });
    env.add_filter("difference", |a: Value, b: Value| -> Result<Value, Error> {
        let b = items(&b);
        Ok(list(unique_of(
            items(&a).into_iter().filter(|x| !b.contains(x)).collect(),
        )))
    });
    env.add_filter(
        "symmetric_difference",
        |a: Value, b: Value| -> Result<Value, Error> {
            let (a, b) = (items(&a), items(&b));
            let mut all = a.clone();
            all.extend(b.iter().cloned());
            let both: Vec<Value> = a.iter().filter(|x| b.contains(x)).cloned().collect();
            Ok(list(unique_of(
                all.into_iter().filter(|x| !both.contains(x)).collect(),
            )))
        },
    );
    env.add_filter("avg", |v: Value| -> Result<f64, Error> {
        let xs = items(&v);
        if xs.is_empty() {
            return f64::try_from(v);
        }
        let mut sum = 0.0;
        for x in &xs {
            sum += f64::try_from(x.clone())?;
        }
        Ok(sum / xs.len() as f64)
    });
    env.add_filter(
        "method_call",
        |state: &State, obj: Value, name: String, args: Rest<Value>| -> Result<Value, Error> {
            match obj.call_method(state, &name, &args) {
                Err(e) if e.kind() == ErrorKind::UnknownMethod => Ok(Value::from(())),
                other => other,
            }
        },
    );
    env.add_filter("path_join", |parts: Rest<Value>| -> String {
        let parts: Vec<String> = parts.iter().map(text).collect();
        super::exec::file_os_join(&parts)
    });
    env.add_filter(
        "flatten",
        |v: Value, levels: Option<i64>, preserve_nulls: Option<bool>| -> Value {
            let mut out = Vec::new();
            flatten_into(&v, levels, preserve_nulls.unwrap_or(false), &mut out);
            list(out)
        },
    );
    let to_num = |v: Value| -> Value {
        let s = text(&v);
        if let Ok(i) = s.trim().parse::<i64>() {
            return Value::from(i);
        }
        match s.trim().parse::<f64>() {
            Ok(f) => Value::from(f),
            Err(_) => v,
        }
    };
    env.add_filter("to_num", to_num);
    env.add_filter("str_to_num", to_num);
    env.add_filter("is_list", |v: Value| v.kind() == ValueKind::Seq);
    env.add_filter("is_iter", |v: Value| {
        matches!(
            v.kind(),
            ValueKind::Seq | ValueKind::Map | ValueKind::Iterable
        )
    });
    env.add_filter("sorted_ignorecase", |v: Value| -> Value {
        let mut xs = items(&v);
        xs.sort_by_key(|x| text(x).to_lowercase());
        list(xs)
    });
    env.add_filter("to_entries", |v: Value| -> Value {
        list(
            pairs(&v)
                .into_iter()
                .map(|(k, v)| dict([(Value::from("key"), k), (Value::from("value"), v)])),
        )
    });
    env.add_filter("from_entries", |v: Value| -> Value {
        dict(items(&v).into_iter().filter_map(|e| {
            let k = ["key", "k", "name", "Name", "Key", "K"]
                .iter()
                .find_map(|n| {
                    e.get_item(&Value::from(*n))
                        .ok()
                        .filter(|x| !x.is_undefined())
                })?;
            let v = ["value", "v", "Value", "V"]
                .iter()
                .find_map(|n| {
                    e.get_item(&Value::from(*n))
                        .ok()
                        .filter(|x| !x.is_undefined())
                })
                .unwrap_or_default();
            Some((k, v))
        }))
    });
    env.add_filter("exactly_n_true", |v: Value, n: Option<usize>| -> bool {
        items(&v).iter().filter(|x| x.is_true()).count() == n.unwrap_or(1)
    });
    env.add_filter("exactly_one_true", |v: Value| -> bool {
        items(&v).iter().filter(|x| x.is_true()).count() == 1
    });
    env.add_filter("substring_in_list", |s: String, l: Value| -> bool {
        items(&l).iter().any(|x| text(x).contains(&s))
    });
    env.add_filter("contains_whitespace", |s: String| {
        s.chars().any(char::is_whitespace)
    });
    env.add_filter("is_hex", |s: String| {
        let s = s.strip_prefix("0x").unwrap_or(&s);
        !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit())
    });
    env.add_filter("base64_encode", |s: String| base64_encode(s.as_bytes()));
    env.add_filter("base64_decode", |s: String| -> Result<String, Error> {
        let bytes = base64_decode(&s)?;
        Ok(String::from_utf8(bytes.clone())
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned()))
    });
    env.add_filter(
        "dict_to_sls_yaml_params",
        |v: Value| -> Result<Value, Error> {
            let params: Vec<serde_json::Value> = pairs(&v)
                .into_iter()
                .map(|(k, v)| -> Result<serde_json::Value, Error> {
                    let mut m = serde_json::Map::new();
                    m.insert(text(&k), super::filters::to_json(&v)?);
                    Ok(serde_json::Value::Object(m))
                })
                .collect::<Result<_, _>>()?;
            Ok(Value::from_safe_string(super::pyyaml::dump(
                &serde_json::Value::Array(params),
                super::pyyaml::Style::Block,
                true,
            )))
        },
    );

    env.add_test("callable", |v: Value| {
        v.kind() == ValueKind::Plain && v.as_object().is_some()
    });
    env.add_test("list", |v: Value| v.kind() == ValueKind::Seq);
    env.add_test("equalto", |a: Value, b: Value| a == b);

    env.add_function("dict", data::dict_function);
    env.add_function("odict", data::dict_function);
    env.add_function(super::syntax::MUT, data::mutable_literal);
    env.add_function(super::syntax::TUPLE, data::tuple_literal);
    env.add_function("show_full_context", |state: &State| -> Value {
        dict(state.known_variables().into_iter().filter_map(|name| {
            let v = state.lookup(&name)?;
            matches!(
                v.kind(),
                ValueKind::None
                    | ValueKind::Bool
                    | ValueKind::Number
                    | ValueKind::String
                    | ValueKind::Seq
                    | ValueKind::Map
            )
            .then(|| (Value::from(name.to_string()), v))
        }))
    });
    env.add_function("raise", |msg: Value| -> Result<Value, Error> {
        Err(Error::new(ErrorKind::InvalidOperation, text(&msg)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_encode(b"salt"), "c2FsdA==");
        assert_eq!(base64_decode("c2FsdA==").unwrap(), b"salt");
        assert_eq!(base64_encode(b"ab"), "YWI=");
    }

    #[test]
    fn shell_quote_as_shlex() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote("/x/y"), "/x/y");
    }
}
