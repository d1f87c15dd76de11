//! Salt's regular-expression filters and test (`regex_replace`,
//! `regex_search`, `regex_match`, `regex_escape`, `is match`), with
//! Python's `re` syntax: `fancy-regex` reads lookarounds and back
//! references as `re` does; `(?P=name)` and the replacement's `\1` and
//! `\g<name>` are translated.

use fancy_regex::{Captures, Regex};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};

/// `pattern` with Python's flags.
pub(super) fn compile(pattern: &str, ignorecase: bool, multiline: bool) -> Result<Regex, Error> {
    let mut flags = String::new();
    if ignorecase {
        flags.push('i');
    }
    if multiline {
        flags.push('m');
    }
    let translated = translate(pattern);
    let full = if flags.is_empty() {
        translated
    } else {
        format!("(?{flags}){translated}")
    };
    Regex::new(&full).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("invalid regular expression `{pattern}`: {e}"),
        )
    })
}

/// Python-only syntax into the regex crate's: `(?P=name)` → `\k<name>`,
/// `\Z` → `\z`.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(i) = rest.find(['(', '\\']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("(?P=") {
            if let Some(end) = after.find(')') {
                out.push_str(&format!("\\k<{}>", &after[..end]));
                rest = &after[end + 1..];
                continue;
            }
        }
        if rest.starts_with("\\Z") {
            out.push_str("\\z");
            rest = &rest[2..];
            continue;
        }
        // copy one escape (two bytes) or the parenthesis
        let take = if rest.starts_with('\\') {
            rest.char_indices().nth(2).map_or(rest.len(), |(j, _)| j)
        } else {
            1
        };
        out.push_str(&rest[..take]);
        rest = &rest[take..];
    }
    out.push_str(rest);
    out
}

/// Python's `re.sub` replacement template expanded for one match.
fn expand(template: &str, caps: &Captures) -> String {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(d) if d.is_ascii_digit() => {
                let mut n = d.to_string();
                if let Some(&e) = chars.peek() {
                    if e.is_ascii_digit() {
                        n.push(e);
                        chars.next();
                    }
                }
                let i: usize = n.parse().unwrap_or(0);
                out.push_str(caps.get(i).map_or("", |m| m.as_str()));
            }
            Some('g') if chars.peek() == Some(&'<') => {
                chars.next();
                let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                let m = match name.parse::<usize>() {
                    Ok(i) => caps.get(i),
                    Err(_) => caps.name(&name),
                };
                out.push_str(m.map_or("", |m| m.as_str()));
            }
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn flags(kwargs: &Kwargs) -> Result<(bool, bool), Error> {
    let i: Option<bool> = kwargs.get("ignorecase")?;
    let m: Option<bool> = kwargs.get("multiline")?;
    kwargs.assert_all_used()?;
    Ok((i.unwrap_or(false), m.unwrap_or(false)))
}

fn failed(e: fancy_regex::Error) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("regular expression: {e}"),
    )
}

/// `re.sub(rgx, val, txt)`.
pub(super) fn replace(
    txt: &str,
    rgx: &str,
    val: &str,
    ignorecase: bool,
    multiline: bool,
) -> Result<String, Error> {
    let re = compile(rgx, ignorecase, multiline)?;
    let mut out = String::new();
    let mut last = 0;
    for caps in re.captures_iter(txt) {
        let caps = caps.map_err(failed)?;
        let m = caps.get(0).expect("group 0");
        out.push_str(&txt[last..m.start()]);
        out.push_str(&expand(val, &caps));
        last = m.end();
    }
    out.push_str(&txt[last..]);
    Ok(out)
}

/// The groups of a match as Salt's filters return them: the groups, or
/// the whole match alone when the pattern has none; None without a match.
fn groups(caps: Option<Captures>) -> Value {
    let Some(caps) = caps else {
        return Value::from(());
    };
    if caps.len() == 1 {
        return super::data::tuple([Value::from(caps.get(0).map_or("", |m| m.as_str()))]);
    }
    super::data::tuple((1..caps.len()).map(|i| {
        caps.get(i)
            .map_or(Value::from(()), |m| Value::from(m.as_str()))
    }))
}

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter(
        "regex_replace",
        |txt: String, rgx: String, val: String, kwargs: Kwargs| -> Result<String, Error> {
            let (i, m) = flags(&kwargs)?;
            replace(&txt, &rgx, &val, i, m)
        },
    );
    env.add_filter(
        "regex_search",
        |txt: String, rgx: String, kwargs: Kwargs| -> Result<Value, Error> {
            let (i, m) = flags(&kwargs)?;
            let re = compile(&rgx, i, m)?;
            Ok(groups(re.captures(&txt).map_err(failed)?))
        },
    );
    env.add_filter(
        "regex_match",
        |txt: String, rgx: String, kwargs: Kwargs| -> Result<Value, Error> {
            let (i, m) = flags(&kwargs)?;
            let re = compile(&format!("\\A(?:{rgx})"), i, m)?;
            Ok(groups(re.captures(&txt).map_err(failed)?))
        },
    );
    env.add_filter("regex_escape", |txt: String| -> String {
        // Python's re.escape: every character but [A-Za-z0-9_] and
        // non-ASCII is escaped
        let mut out = String::new();
        for c in txt.chars() {
            if !(c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    });
    env.add_test(
        "match",
        |txt: String, rgx: String, kwargs: Kwargs| -> Result<bool, Error> {
            let (i, m) = flags(&kwargs)?;
            let re = compile(&format!("\\A(?:{rgx})"), i, m)?;
            re.is_match(&txt).map_err(failed)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_syntax() {
        assert_eq!(
            replace("openssh:lookup", ":lookup$", "", false, false).unwrap(),
            "openssh"
        );
        assert_eq!(
            replace("a-b c", r"(\w)-(\w)", r"\2\g<1>", false, false).unwrap(),
            "ba c"
        );
        assert_eq!(
            replace("aXa", r"(?P<c>a)X(?P=c)", r"\g<c>!", false, false).unwrap(),
            "a!"
        );
        assert_eq!(replace("AbA", "a", "z", true, false).unwrap(), "zbz");
    }
}
