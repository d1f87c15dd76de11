//! Python's `str` where minijinja-contrib's pycompat stops: the methods it
//! lacks (`rpartition`, `zfill`, `ljust`...) and `%` formatting (the
//! rewrite turns `"..." % x` into `__pyfmt("...", x)`).

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::data::{items, pairs};
use super::exec::text;
use super::filters::python_repr;

fn arg_str(args: &[Value], i: usize) -> Option<String> {
    args.get(i).filter(|v| !v.is_none()).map(text)
}

fn arg_usize(args: &[Value], i: usize) -> Result<usize, Error> {
    let v = args
        .get(i)
        .ok_or_else(|| Error::new(ErrorKind::MissingArgument, "a width is needed"))?;
    Ok(i64::try_from(v.clone())?.max(0) as usize)
}

/// A str method pycompat does not have, or `None` to let the caller report
/// the unknown method.
pub(super) fn method(value: &Value, name: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let s = value.as_str()?;
    let r = match name {
        "partition" | "rpartition" => (|| {
            let sep = arg_str(args, 0)
                .ok_or_else(|| Error::new(ErrorKind::MissingArgument, "a separator is needed"))?;
            let found = if name == "partition" {
                s.find(&sep)
            } else {
                s.rfind(&sep)
            };
            let parts: [&str; 3] = match found {
                Some(i) => [&s[..i], &sep, &s[i + sep.len()..]],
                None if name == "partition" => [s, "", ""],
                None => ["", "", s],
            };
            Ok(super::data::tuple(parts.map(Value::from)))
        })(),
        "rsplit" => {
            let sep = arg_str(args, 0);
            let max = args
                .get(1)
                .and_then(|v| i64::try_from(v.clone()).ok())
                .unwrap_or(-1);
            let mut parts: Vec<String> = match &sep {
                Some(sep) if max >= 0 => s
                    .rsplitn(max as usize + 1, sep.as_str())
                    .map(str::to_string)
                    .collect(),
                Some(sep) => s.rsplit(sep.as_str()).map(str::to_string).collect(),
                None => {
                    // Python's rsplit(None, n): words from the right, the
                    // rest kept as written (less its trailing space)
                    let mut out = Vec::new();
                    let mut rest = s.trim_end();
                    while !rest.is_empty() && (max < 0 || (out.len() as i64) < max) {
                        match rest.rfind(char::is_whitespace) {
                            Some(i) => {
                                out.push(rest[i + 1..].to_string());
                                rest = rest[..i].trim_end();
                            }
                            None => {
                                out.push(rest.to_string());
                                rest = "";
                            }
                        }
                    }
                    if !rest.is_empty() {
                        out.push(rest.to_string());
                    }
                    out
                }
            };
            parts.reverse();
            Ok(Value::from(parts))
        }
        "index" | "rindex" => {
            let sub = arg_str(args, 0).unwrap_or_default();
            let found = if name == "index" {
                s.find(&sub)
            } else {
                s.rfind(&sub)
            };
            found
                .map(|i| Value::from(s[..i].chars().count()))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        "ValueError: substring not found",
                    )
                })
        }
        "zfill" => arg_usize(args, 0).map(|w| {
            let n = s.chars().count();
            if n >= w {
                return Value::from(s);
            }
            let (sign, digits) = match s.chars().next() {
                Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
                _ => (String::new(), s),
            };
            Value::from(format!("{sign}{}{digits}", "0".repeat(w - n)))
        }),
        "ljust" | "rjust" | "center" => arg_usize(args, 0).map(|w| {
            let fill = arg_str(args, 1)
                .and_then(|f| f.chars().next())
                .unwrap_or(' ');
            let n = s.chars().count();
            if n >= w {
                return Value::from(s);
            }
            let pad = w - n;
            let (left, right) = match name {
                "ljust" => (0, pad),
                "rjust" => (pad, 0),
                // Python's center puts the odd space on the left when the
                // string's length is odd... and on the right otherwise
                _ => {
                    let left = pad / 2 + (pad & w & 1);
                    (left, pad - left)
                }
            };
            let f = |k: usize| fill.to_string().repeat(k);
            Value::from(format!("{}{s}{}", f(left), f(right)))
        }),
        "casefold" => Ok(Value::from(s.to_lowercase())),
        "swapcase" => Ok(Value::from(
            s.chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<String>()
                    } else {
                        c.to_uppercase().collect()
                    }
                })
                .collect::<String>(),
        )),
        "removeprefix" => Ok(Value::from(
            s.strip_prefix(arg_str(args, 0).unwrap_or_default().as_str())
                .unwrap_or(s),
        )),
        "removesuffix" => Ok(Value::from(
            s.strip_suffix(arg_str(args, 0).unwrap_or_default().as_str())
                .unwrap_or(s),
        )),
        "isnumeric" | "isdecimal" => Ok(Value::from(
            !s.is_empty() && s.chars().all(|c| c.is_numeric()),
        )),
        "istitle" => Ok(Value::from({
            let mut prev_cased = false;
            let mut any = false;
            let mut ok = true;
            for c in s.chars() {
                if c.is_uppercase() {
                    ok &= !prev_cased;
                    prev_cased = true;
                    any = true;
                } else if c.is_lowercase() {
                    ok &= prev_cased;
                    prev_cased = true;
                    any = true;
                } else {
                    prev_cased = false;
                }
            }
            ok && any
        })),
        "expandtabs" => {
            let size = args
                .first()
                .and_then(|v| i64::try_from(v.clone()).ok())
                .unwrap_or(8)
                .max(0) as usize;
            let mut out = String::new();
            let mut col = 0;
            for c in s.chars() {
                match c {
                    '\t' if size > 0 => {
                        let n = size - col % size;
                        out.push_str(&" ".repeat(n));
                        col += n;
                    }
                    '\t' => {}
                    '\n' | '\r' => {
                        out.push(c);
                        col = 0;
                    }
                    c => {
                        out.push(c);
                        col += 1;
                    }
                }
            }
            Ok(Value::from(out))
        }
        _ => return None,
    };
    Some(r)
}

/// Python's `a % b`: printf-style formatting when `a` is a string, else the
/// modulo (with the divisor's sign, as Python's).
pub(super) fn percent(_state: &State, a: Value, b: Value) -> Result<Value, Error> {
    if let Some(fmt) = a.as_str() {
        return format(fmt, &b).map(Value::from);
    }
    match (i64::try_from(a.clone()), i64::try_from(b.clone())) {
        (Ok(x), Ok(y)) if a.as_i64().is_some() && b.as_i64().is_some() => {
            if y == 0 {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    "ZeroDivisionError: integer modulo by zero",
                ));
            }
            Ok(Value::from(
                x.rem_euclid(y) + if y < 0 && x.rem_euclid(y) != 0 { y } else { 0 },
            ))
        }
        _ => {
            let (x, y) = (f64::try_from(a)?, f64::try_from(b)?);
            let r = x % y;
            Ok(Value::from(if r != 0.0 && (r < 0.0) != (y < 0.0) {
                r + y
            } else {
                r
            }))
        }
    }
}

/// `fmt % args` for strings: `%s`, `%r`, `%d`/`%i`, `%f`, `%x`, `%o`, `%%`,
/// with `(name)`, flags, width and precision.
fn format(fmt: &str, args: &Value) -> Result<String, Error> {
    let positional: Vec<Value> = match args.kind() {
        ValueKind::Seq => items(args),
        _ => vec![args.clone()],
    };
    let mapping = args.kind() == ValueKind::Map;
    let mut next = 0;
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let bad = |m: &str| Error::new(ErrorKind::InvalidOperation, format!("TypeError: {m}"));
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut key = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            key = Some(chars.by_ref().take_while(|&c| c != ')').collect::<String>());
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "-+ 0#".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse().unwrap_or(0));
        }
        let conv = chars.next().ok_or_else(|| bad("incomplete format"))?;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let value = match &key {
            Some(k) if mapping => pairs(args)
                .into_iter()
                .find(|(kk, _)| text(kk) == *k)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    Error::new(ErrorKind::InvalidOperation, format!("KeyError: '{k}'"))
                })?,
            Some(_) => return Err(bad("format requires a mapping")),
            None if mapping && positional.len() == 1 => args.clone(),
            None => {
                let v = positional
                    .get(next)
                    .cloned()
                    .ok_or_else(|| bad("not enough arguments for format string"))?;
                next += 1;
                v
            }
        };
        let body = match conv {
            's' => {
                let t = super::filters::python_str(&value);
                match precision {
                    Some(p) => t.chars().take(p).collect(),
                    None => t,
                }
            }
            'r' | 'a' => python_repr(&value),
            'd' | 'i' | 'u' => {
                let n = f64::try_from(value.clone())
                    .map_err(|_| bad("%d format: a number is required"))?;
                let i = n.trunc() as i64;
                if flags.contains('+') && i >= 0 {
                    format!("+{i}")
                } else {
                    i.to_string()
                }
            }
            'f' | 'F' => format!(
                "{:.*}",
                precision.unwrap_or(6),
                f64::try_from(value.clone())?
            ),
            'e' | 'E' => {
                let t = format!(
                    "{:.*e}",
                    precision.unwrap_or(6),
                    f64::try_from(value.clone())?
                );
                // Rust writes 1.5e2, Python 1.5e+02
                let (m, e) = t.split_once('e').unwrap_or((&t, "0"));
                let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                let t = format!("{m}e{sign}{digits:0>2}");
                if conv == 'E' {
                    t.to_uppercase()
                } else {
                    t
                }
            }
            'x' => format!("{:x}", i64::try_from(value.clone())?),
            'X' => format!("{:X}", i64::try_from(value.clone())?),
            'o' => format!("{:o}", i64::try_from(value.clone())?),
            'c' => text(&value),
            other => return Err(bad(&format!("unsupported format character '{other}'"))),
        };
        let w: usize = width.parse().unwrap_or(0);
        let n = body.chars().count();
        if n < w {
            let pad = w - n;
            if flags.contains('-') {
                out.push_str(&body);
                out.push_str(&" ".repeat(pad));
            } else if flags.contains('0') && "dfiFeExXo".contains(conv) {
                let (sign, digits) = match body.chars().next() {
                    Some(c @ ('-' | '+')) => (c.to_string(), body[1..].to_string()),
                    _ => (String::new(), body.clone()),
                };
                out.push_str(&sign);
                out.push_str(&"0".repeat(pad));
                out.push_str(&digits);
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    if !mapping && next < positional.len() && args.kind() == ValueKind::Seq {
        return Err(bad("not all arguments converted during string formatting"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_style_as_python() {
        let f = |fmt: &str, v: Value| format(fmt, &v).unwrap();
        assert_eq!(f("/home/%s", Value::from("bob")), "/home/bob");
        assert_eq!(
            f(
                "%s-%d",
                Value::from(vec![Value::from("a"), Value::from(3.7)])
            ),
            "a-3"
        );
        assert_eq!(
            f(
                "%05.1f|%-4s|%%",
                Value::from(vec![Value::from(2.25), Value::from("x")])
            ),
            "002.2|x   |%"
        );
        assert_eq!(f("%r", Value::from("q")), "'q'");
    }

    #[test]
    fn str_methods() {
        let m = |s: &str, name: &str, args: &[Value]| {
            method(&Value::from(s), name, args).unwrap().unwrap()
        };
        assert_eq!(
            m("a.b.yaml", "rpartition", &[Value::from(".")]),
            Value::from(vec!["a.b", ".", "yaml"])
        );
        assert_eq!(
            m("abc", "rpartition", &[Value::from(".")]),
            Value::from(vec!["", "", "abc"])
        );
        assert_eq!(m("42", "zfill", &[Value::from(5)]), Value::from("00042"));
        assert_eq!(
            m("ab", "center", &[Value::from(5), Value::from("*")]),
            Value::from("**ab*")
        );
        assert_eq!(
            m("a b c", "rsplit", &[Value::from(" "), Value::from(1)]),
            Value::from(vec!["a b", "c"])
        );
    }
}
