//! How a plain scalar is read: YAML 1.1 as PyYAML resolves it, with Salt's
//! one change.
//!
//! Salt reads sls files with PyYAML's safe loader, so `yes`/`no`/`on`/`off`
//! are booleans and `1:30` is a sexagesimal integer (90). Salt's loader then
//! strips the leading zeros of an integer before converting it, so `0644`
//! is the integer 644, not octal 420; `mode:` later reads 644 as mode 0644.
//! Timestamps stay strings (Salt constructs them as plain scalars).

use super::node::Value;

/// The value of a plain (unquoted) scalar.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    if let Some(i) = int(text) {
        return Value::Int(i);
    }
    if let Some(f) = float(text) {
        return Value::Float(f);
    }
    Value::Str(text.to_string())
}

/// The value of a scalar with an explicit core tag (`!!str 0644`).
pub(super) fn resolve_tagged(suffix: &str, text: &str) -> Option<Value> {
    match suffix {
        "str" => Some(Value::Str(text.to_string())),
        "int" => int(text).map(Value::Int),
        "float" => float(text)
            .or_else(|| int(text).map(|i| i as f64))
            .map(Value::Float),
        "bool" => match resolve_plain(text) {
            v @ Value::Bool(_) => Some(v),
            _ => None,
        },
        "null" => Some(Value::Null),
        _ => None,
    }
}

fn split_sign(text: &str) -> (i64, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    }
}

fn digits(text: &str, radix: u32) -> Option<i64> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || !text.starts_with(|c: char| c.is_digit(radix)) {
        return None;
    }
    i64::from_str_radix(&clean, radix).ok()
}

fn int(text: &str) -> Option<i64> {
    let (sign, body) = split_sign(text);
    if body.is_empty() {
        return None;
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return digits(bin, 2).map(|v| sign * v);
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return digits(hex, 16).map(|v| sign * v);
    }
    if body.len() > 1 && body.starts_with('0') {
        // YAML 1.1 octal syntax (0[0-7_]+), read as decimal by Salt.
        if body.chars().all(|c| matches!(c, '0'..='7' | '_')) {
            let stripped = body.trim_start_matches('0');
            return Some(if stripped.is_empty() {
                0
            } else {
                sign * digits(stripped, 10)?
            });
        }
        return None;
    }
    if body.contains(':') {
        return sexagesimal(body).and_then(|v| (v.fract() == 0.0).then_some(sign * v as i64));
    }
    if body.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return digits(body, 10).map(|v| sign * v);
    }
    None
}

/// `190:20:30` = 190*3600 + 20*60 + 30, as YAML 1.1 defines it: the first
/// part any number, each later part 0..59.
fn sexagesimal(body: &str) -> Option<f64> {
    let mut parts = body.split(':');
    let first = parts.next()?;
    if first.is_empty()
        || first.starts_with('0')
        || !first.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let mut value = digits(first, 10)? as f64;
    let mut rest: Vec<&str> = parts.collect();
    let last_is_float = rest.last().is_some_and(|l| l.contains('.'));
    let last = if last_is_float { rest.pop() } else { None };
    for part in rest {
        if part.is_empty() || part.len() > 2 || !part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: f64 = part.parse().ok()?;
        if v >= 60.0 {
            return None;
        }
        value = value * 60.0 + v;
    }
    if let Some(last) = last {
        let v: f64 = last.replace('_', "").parse().ok()?;
        value = value * 60.0 + v;
    }
    Some(value)
}

fn float(text: &str) -> Option<f64> {
    let (sign, body) = split_sign(text);
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign as f64 * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if sign == 1 && !text.starts_with('+') => return Some(f64::NAN),
        _ => {}
    }
    if body.contains(':') {
        return body
            .contains('.')
            .then(|| sexagesimal(body))
            .flatten()
            .map(|v| sign as f64 * v);
    }
    // [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? or \.[0-9_]+([eE][-+][0-9]+)?
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, frac) = mantissa.split_once('.')?;
    let ok_whole = whole.is_empty()
        || (whole.starts_with(|c: char| c.is_ascii_digit())
            && whole.chars().all(|c| c.is_ascii_digit() || c == '_'));
    let ok_frac = frac.chars().all(|c| c.is_ascii_digit() || c == '_')
        && !(whole.is_empty() && frac.is_empty());
    if !ok_whole
        || !ok_frac
        || (whole.is_empty() && !frac.starts_with(|c: char| c.is_ascii_digit()))
    {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-'])?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    clean.parse::<f64>().ok().map(|v| sign as f64 * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Value {
        resolve_plain(s)
    }

    #[test]
    fn yaml_1_1_booleans() {
        for t in ["yes", "Yes", "on", "ON", "true", "True"] {
            assert_eq!(r(t), Value::Bool(true), "{t}");
        }
        for f in ["no", "NO", "off", "Off", "false", "FALSE"] {
            assert_eq!(r(f), Value::Bool(false), "{f}");
        }
        // PyYAML's 1.1 resolver leaves y/n alone.
        assert_eq!(r("y"), Value::Str("y".into()));
        assert_eq!(r("n"), Value::Str("n".into()));
    }

    #[test]
    fn leading_zeros_are_decimal_as_salt_reads_them() {
        assert_eq!(r("0644"), Value::Int(644));
        assert_eq!(r("0755"), Value::Int(755));
        assert_eq!(r("00"), Value::Int(0));
        assert_eq!(r("0"), Value::Int(0));
        // Not YAML 1.1 octal, so not an integer at all.
        assert_eq!(r("0644x"), Value::Str("0644x".into()));
        assert_eq!(r("08"), Value::Str("08".into()));
    }

    #[test]
    fn other_integers() {
        assert_eq!(r("6432"), Value::Int(6432));
        assert_eq!(r("-12"), Value::Int(-12));
        assert_eq!(r("1_000"), Value::Int(1000));
        assert_eq!(r("0x1F"), Value::Int(31));
        assert_eq!(r("0b101"), Value::Int(5));
        assert_eq!(r("1:30"), Value::Int(90));
        assert_eq!(r("190:20:30"), Value::Int(685230));
        assert_eq!(r("1:75"), Value::Str("1:75".into()));
    }

    #[test]
    fn floats_need_a_dot() {
        assert_eq!(r("9.5"), Value::Float(9.5));
        assert_eq!(r("15.0"), Value::Float(15.0));
        assert_eq!(r("1.5e+3"), Value::Float(1500.0));
        assert_eq!(r(".5"), Value::Float(0.5));
        assert_eq!(r("1e3"), Value::Str("1e3".into()));
        assert_eq!(r("-.inf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(r(".nan"), Value::Float(f) if f.is_nan()));
    }

    #[test]
    fn nulls_and_strings() {
        assert_eq!(r(""), Value::Null);
        assert_eq!(r("~"), Value::Null);
        assert_eq!(r("null"), Value::Null);
        assert_eq!(r("2016-12-01"), Value::Str("2016-12-01".into()));
        assert_eq!(r("pgdb1"), Value::Str("pgdb1".into()));
        assert_eq!(r("10.77.0.11"), Value::Str("10.77.0.11".into()));
    }

    #[test]
    fn tags_override() {
        assert_eq!(
            resolve_tagged("str", "0644"),
            Some(Value::Str("0644".into()))
        );
        assert_eq!(resolve_tagged("int", "12"), Some(Value::Int(12)));
        assert_eq!(resolve_tagged("bool", "maybe"), None);
    }
}
