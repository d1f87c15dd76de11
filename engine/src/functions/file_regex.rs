//! Python's `re`, as `file.replace`, `file.comment` and friends use it:
//! patterns written for Python, flags given as Python names or numbers,
//! replacements in Python's template syntax (`\1`, `\g<name>`, `\n`).
//!
//! Matching is fancy_regex's (backreferences and lookaround, as Python
//! has). What differs in the syntax is rewritten first: `$` outside
//! MULTILINE also matches before a final newline, `\Z` is the end of the
//! text, `{,n}` means `{0,n}` and a `{` that starts no repetition is a
//! brace. Replacements are expanded here, not by the regex engine, whose
//! `$name` syntax Python does not have.

use fancy_regex::Regex;
use serde_json::Value;

pub(super) const IGNORECASE: u32 = 2;
pub(super) const MULTILINE: u32 = 8;
pub(super) const DOTALL: u32 = 16;
pub(super) const VERBOSE: u32 = 64;

/// Python's `re.RegexFlag` from Salt's `flags` argument: a number, a
/// name, or a list of names.
pub(super) fn flags(v: &Value) -> Result<u32, String> {
    let name = |s: &str| -> Result<u32, String> {
        Ok(match s.to_uppercase().as_str() {
            "T" | "TEMPLATE" => 1,
            "I" | "IGNORECASE" => IGNORECASE,
            "L" | "LOCALE" => 4,
            "M" | "MULTILINE" => MULTILINE,
            "S" | "DOTALL" => DOTALL,
            "U" | "UNICODE" => 32,
            "X" | "VERBOSE" => VERBOSE,
            "DEBUG" => 128,
            "A" | "ASCII" => 256,
            _ => return Err(format!("Invalid re flag given: {s}")),
        })
    };
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(|n| n as u32)
            .ok_or_else(|| format!("Invalid re flags: \"{n}\"")),
        Value::String(s) => name(s),
        Value::Array(items) => items.iter().try_fold(0, |acc, i| match i {
            Value::String(s) => Ok(acc | name(s)?),
            other => Err(format!("Invalid re flag given: {other}")),
        }),
        other => Err(format!(
            "Invalid re flags: \"{other}\", must be given either as a single flag string, a list of strings, as an integer, or as an re flag"
        )),
    }
}

/// A compiled Python pattern.
#[derive(Debug)]
pub(super) struct PyRegex {
    re: Regex,
}

impl PyRegex {
    pub(super) fn new(pattern: &str, flags: u32) -> Result<PyRegex, String> {
        let mut inline = String::new();
        for (bit, c) in [
            (IGNORECASE, 'i'),
            (MULTILINE, 'm'),
            (DOTALL, 's'),
            (VERBOSE, 'x'),
        ] {
            if flags & bit != 0 {
                inline.push(c);
            }
        }
        let body = translate(pattern, flags & MULTILINE != 0);
        let full = if inline.is_empty() {
            body
        } else {
            format!("(?{inline}){body}")
        };
        Regex::new(&full)
            .map(|re| PyRegex { re })
            .map_err(|e| format!("{e}: '{pattern}'"))
    }

    /// `re.search`: a match anywhere.
    pub(super) fn search(&self, text: &str) -> Result<bool, String> {
        self.re.is_match(text).map_err(|e| e.to_string())
    }

    /// `re.match`: a match at the start.
    pub(super) fn matches_start(&self, text: &str) -> Result<bool, String> {
        Ok(self
            .re
            .find(text)
            .map_err(|e| e.to_string())?
            .is_some_and(|m| m.start() == 0))
    }

    /// `re.subn(pattern, repl, text, count)`: the new text and how many
    /// replacements were made (all when `count` is 0).
    pub(super) fn subn(
        &self,
        text: &str,
        repl: &str,
        count: usize,
    ) -> Result<(String, usize), String> {
        let template = Template::parse(repl)?;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut n = 0;
        for caps in self.re.captures_iter(text) {
            let caps = caps.map_err(|e| e.to_string())?;
            let m = caps.get(0).expect("group 0");
            out.push_str(&text[last..m.start()]);
            template.expand(&caps, &self.re, &mut out)?;
            last = m.end();
            n += 1;
            if count > 0 && n == count {
                break;
            }
        }
        out.push_str(&text[last..]);
        Ok((out, n))
    }
}

/// Python's `re.escape` (3.7+): special characters get a backslash.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Python pattern syntax → fancy_regex syntax.
fn translate(pattern: &str, multiline: bool) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                i += 2;
                match n {
                    'Z' if !in_class => out.push_str(r"\z"),
                    c if c.is_ascii_alphanumeric() => {
                        out.push('\\');
                        out.push(c);
                    }
                    // An escaped punctuation character is itself.
                    c => out.push_str(&fancy_regex::escape(&c.to_string())),
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                // `[]...]` and `[^]...]`: a leading `]` is a member.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
                continue;
            }
            '[' if in_class => out.push_str(r"\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '$' if !in_class && !multiline => out.push_str(r"(?=\n?\z)"),
            '{' if !in_class => match repetition(&chars[i..]) {
                Some((text, len)) => {
                    out.push_str(&text);
                    i += len;
                    continue;
                }
                None => out.push_str(r"\{"),
            },
            '}' if !in_class => out.push_str(r"\}"),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// `{m}`, `{m,}`, `{,n}`, `{m,n}` at the start of `chars` (with a lazy or
/// possessive mark left to the caller): its Rust form and length.
fn repetition(chars: &[char]) -> Option<(String, usize)> {
    let end = chars.iter().position(|c| *c == '}')?;
    let inner: String = chars[1..end].iter().collect();
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner.as_str(), None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none_or(str::is_empty)) {
        return None;
    }
    let lo = if lo.is_empty() { "0" } else { lo };
    let text = match hi {
        None => format!("{{{lo}}}"),
        Some(hi) => format!("{{{lo},{hi}}}"),
    };
    Some((text, end + 1))
}

/// A replacement in Python's syntax, parsed once.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Group(usize),
    Named(String),
}

struct Template(Vec<Piece>);

impl Template {
    fn parse(repl: &str) -> Result<Template, String> {
        let chars: Vec<char> = repl.chars().collect();
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        let flush = |text: &mut String, pieces: &mut Vec<Piece>| {
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(text)));
            }
        };
        while i < chars.len() {
            let c = chars[i];
            if c != '\\' || i + 1 == chars.len() {
                text.push(c);
                i += 1;
                continue;
            }
            let n = chars[i + 1];
            i += 2;
            match n {
                'g' => {
                    let close = chars[i..]
                        .iter()
                        .position(|c| *c == '>')
                        .filter(|_| chars.get(i) == Some(&'<'))
                        .ok_or("missing group name")?;
                    let name: String = chars[i + 1..i + close].iter().collect();
                    i += close + 1;
                    flush(&mut text, &mut pieces);
                    match name.parse::<usize>() {
                        Ok(g) => pieces.push(Piece::Group(g)),
                        Err(_) => pieces.push(Piece::Named(name)),
                    }
                }
                '0' => {
                    // Octal: \0, \0N, \0NN.
                    let mut v = 0u32;
                    let mut k = 0;
                    while k < 2 && chars.get(i).is_some_and(|c| ('0'..='7').contains(c)) {
                        v = v * 8 + chars[i].to_digit(8).unwrap();
                        i += 1;
                        k += 1;
                    }
                    text.push(char::from_u32(v).unwrap_or('\0'));
                }
                d if d.is_ascii_digit() => {
                    let octal = |c: Option<&char>| c.is_some_and(|c| ('0'..='7').contains(c));
                    if octal(Some(&d)) && octal(chars.get(i)) && octal(chars.get(i + 1)) {
                        let s: String = [d, chars[i], chars[i + 1]].iter().collect();
                        let v = u32::from_str_radix(&s, 8).unwrap();
                        if v > 0o377 {
                            return Err(format!(
                                "octal escape value \\{s} outside of range 0-0o377"
                            ));
                        }
                        text.push(char::from_u32(v).unwrap());
                        i += 2;
                    } else {
                        let mut g = d.to_digit(10).unwrap() as usize;
                        if let Some(e) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                            g = g * 10 + e.to_digit(10).unwrap() as usize;
                            i += 1;
                        }
                        flush(&mut text, &mut pieces);
                        pieces.push(Piece::Group(g));
                    }
                }
                'n' => text.push('\n'),
                't' => text.push('\t'),
                'r' => text.push('\r'),
                'f' => text.push('\x0c'),
                'v' => text.push('\x0b'),
                'a' => text.push('\x07'),
                'b' => text.push('\x08'),
                '\\' => text.push('\\'),
                c if c.is_ascii_alphabetic() => return Err(format!("bad escape \\{c}")),
                c => {
                    text.push('\\');
                    text.push(c);
                }
            }
        }
        flush(&mut text, &mut pieces);
        Ok(Template(pieces))
    }

    fn expand(
        &self,
        caps: &fancy_regex::Captures,
        re: &Regex,
        out: &mut String,
    ) -> Result<(), String> {
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(g) => {
                    if *g >= re.captures_len() {
                        return Err(format!("invalid group reference {g}"));
                    }
                    out.push_str(caps.get(*g).map(|m| m.as_str()).unwrap_or_default());
                }
                Piece::Named(name) => {
                    if !re.capture_names().any(|n| n == Some(name.as_str())) {
                        return Err(format!("unknown group name '{name}'"));
                    }
                    out.push_str(caps.name(name).map(|m| m.as_str()).unwrap_or_default());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sub(p: &str, flags: u32, repl: &str, text: &str) -> (String, usize) {
        PyRegex::new(p, flags).unwrap().subn(text, repl, 0).unwrap()
    }

    /// Each expectation is Python 3.11's `re.subn` on the same arguments.
    #[test]
    fn substitutes_as_python() {
        assert_eq!(
            sub(r"^(port)\s*=.*$", MULTILINE, r"#\1 = 1", "a\nport = 5\nb\n"),
            ("a\n#port = 1\nb\n".into(), 1)
        );
        assert_eq!(
            sub(r"(?P<k>\w+)=(\d+)", 0, r"\g<k>:\2\n", "a=1 b=2"),
            ("a:1\n b:2\n".into(), 2)
        );
        // Without MULTILINE, `$` also matches before a final newline.
        assert_eq!(sub("b$", 0, "X", "ab\n"), ("aX\n".into(), 1));
        assert_eq!(sub("b$", 0, "X", "ab\nb\n"), ("ab\nX\n".into(), 1));
        assert_eq!(sub(r"a\Z", 0, "X", "a\n"), ("a\n".into(), 0));
        // Braces that repeat nothing are braces.
        assert_eq!(sub("${HOME}", 0, "~", "${HOME}"), ("${HOME}".into(), 0));
        assert_eq!(sub(r"\$\{HOME}", 0, "~", "x${HOME}"), ("x~".into(), 1));
        assert_eq!(sub("a{,2}b", 0, "X", "aaab"), ("aX".into(), 1));
        // Backreferences and lookarounds.
        assert_eq!(sub(r"(\w)\1", 0, "<>", "aabcc"), ("<>b<>".into(), 2));
        assert_eq!(
            sub(r"^(?!#)x", MULTILINE, "y", "#x\nx\n"),
            ("#x\ny\n".into(), 1)
        );
        // Unknown punctuation escapes keep their backslash in a template.
        assert_eq!(sub("a", 0, r"\.\\", "a"), (r"\.\".into(), 1));
        assert_eq!(sub("a", IGNORECASE, "b", "A"), ("b".into(), 1));
        let (s, n) = PyRegex::new("x", 0).unwrap().subn("xxx", "y", 2).unwrap();
        assert_eq!((s.as_str(), n), ("yyx", 2));
    }

    #[test]
    fn bad_templates_are_errors() {
        let re = PyRegex::new("(a)", 0).unwrap();
        assert_eq!(re.subn("a", r"\q", 0).unwrap_err(), r"bad escape \q");
        assert_eq!(
            re.subn("a", r"\2", 0).unwrap_err(),
            "invalid group reference 2"
        );
    }

    #[test]
    fn flags_as_salt_takes_them() {
        assert_eq!(flags(&json!(8)), Ok(8));
        assert_eq!(flags(&json!("multiline")), Ok(8));
        assert_eq!(flags(&json!(["IGNORECASE", "M"])), Ok(10));
        assert_eq!(
            flags(&json!(["NOPE"])),
            Err("Invalid re flag given: NOPE".into())
        );
    }

    #[test]
    fn escapes_as_python() {
        assert_eq!(escape("a.b*c d/e"), r"a\.b\*c\ d/e");
        let re = PyRegex::new(&format!("^{}$", escape("x = [1]")), MULTILINE).unwrap();
        assert!(re.search("y\nx = [1]\n").unwrap());
    }

    #[test]
    fn match_is_anchored_at_the_start() {
        let re = PyRegex::new("b", 0).unwrap();
        assert!(!re.matches_start("ab").unwrap());
        assert!(re.matches_start("ba").unwrap());
    }
}
