//! PyYAML's `safe_dump` for plain data, as Salt's `yaml` filter and yaml
//! serializer print it: keys sorted, sequences in a mapping not indented
//! (`key:\n- a`), a string plain when it reads back as the same string,
//! else single-quoted, or double-quoted when it holds what only escapes
//! can carry.
//!
//! Not reproduced: PyYAML folds lines longer than 80 columns. The folded
//! text reads back the same in PyYAML, but a flow collection folded inside
//! an sls (`acls: {{ acls|yaml }}`) continues less indented than its key,
//! which converge's YAML parser, stricter, refuses: one line reads the same
//! in both.

use serde_json::Value;

/// PyYAML's `default_flow_style`: `True`, `False` or `None` (collections
/// of scalars only in flow style).
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Style {
    Flow,
    Block,
    Auto,
}

/// `v` dumped; with `strip`, without the final newline and the `...` end
/// that PyYAML adds after a lone scalar (as Salt's filter strips them).
pub(super) fn dump(v: &Value, style: Style, strip: bool) -> String {
    let mut out = String::new();
    if is_flow(v, style) {
        let text = flow_at(v, 0, false);
        // a plain scalar alone leaves the document open: PyYAML ends it
        let open_ended =
            !matches!(v, Value::Object(_) | Value::Array(_)) && !text.starts_with(['\'', '"']);
        out.push_str(&text);
        out.push('\n');
        if open_ended {
            out.push_str("...\n");
        }
    } else {
        block(v, 0, style, &mut out);
    }
    if strip {
        let t = out.trim_end();
        t.strip_suffix("\n...").unwrap_or(t).to_string()
    } else {
        out
    }
}

fn is_collection(v: &Value) -> bool {
    matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty())
}

fn is_flow(v: &Value, style: Style) -> bool {
    match style {
        Style::Flow => true,
        Style::Block => !is_collection(v),
        Style::Auto => match v {
            Value::Object(m) => m
                .values()
                .all(|x| !matches!(x, Value::Object(_) | Value::Array(_))),
            Value::Array(a) => a
                .iter()
                .all(|x| !matches!(x, Value::Object(_) | Value::Array(_))),
            _ => true,
        },
    }
}

fn sorted(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut e: Vec<_> = m.iter().collect();
    e.sort_by(|a, b| a.0.cmp(b.0));
    e
}

fn block(v: &Value, indent: usize, style: Style, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, val) in sorted(m) {
                out.push_str(&pad);
                out.push_str(&scalar(&Value::String(k.clone()), true, false));
                out.push(':');
                match val {
                    Value::Object(_) if !is_flow(val, style) => {
                        out.push('\n');
                        block(val, indent + 2, style, out);
                    }
                    Value::Array(_) if !is_flow(val, style) => {
                        out.push('\n');
                        block(val, indent, style, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&flow_at(val, indent, false));
                        out.push('\n');
                    }
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for item in a {
                out.push_str(&pad);
                out.push_str("- ");
                if is_flow(item, style) {
                    out.push_str(&flow_at(item, indent, false));
                    out.push('\n');
                } else {
                    let mut inner = String::new();
                    block(item, indent + 2, style, &mut inner);
                    out.push_str(inner.trim_start_matches(' '));
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&flow_at(other, indent, false));
            out.push('\n');
        }
    }
}

/// `v` in flow style, on one line. `parent` is the indentation of what
/// holds it (PyYAML indents each level by 2), past which the line breaks
/// of a multi-line quoted string are indented; `in_flow` whether it sits
/// inside a flow collection (where `,` and `[` must be quoted).
fn flow_at(v: &Value, parent: usize, in_flow: bool) -> String {
    let own = parent + 2;
    match v {
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| flow_at(x, own, true))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            sorted(m)
                .into_iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    scalar(&Value::String(k.clone()), true, true),
                    flow_at(v, own, true)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::String(s) => indent_breaks(&string(s, false, in_flow), own),
        other => scalar(other, false, in_flow),
    }
}

/// Indent the continuation lines of a multi-line quoted scalar.
fn indent_breaks(text: &str, indent: usize) -> String {
    if !text.contains('\n') {
        return text.to_string();
    }
    let pad = " ".repeat(indent);
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or_default().to_string();
    for l in lines {
        out.push('\n');
        if !l.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(l);
    }
    out
}

/// Flow style, on one line.
pub(super) fn flow(v: &Value) -> String {
    flow_at(v, 0, true)
}

/// A scalar as PyYAML writes it (`key`: in a simple key's place; `in_flow`:
/// inside a flow collection).
pub(super) fn scalar(v: &Value, key: bool, in_flow: bool) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => float(f),
            _ => n.to_string(),
        },
        Value::String(s) => string(s, key, in_flow),
        other => flow(other),
    }
}

/// Python's `repr` of a float, as PyYAML writes it.
fn float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let r = format!("{f:?}");
    if r.contains('e') {
        // 1e+20 → 1.0e+20 as PyYAML's represent_float
        let (m, e) = r.split_once('e').unwrap_or((&r, ""));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        let e = if e.starts_with('-') {
            e.to_string()
        } else {
            format!("+{e}")
        };
        return format!("{m}e{e}");
    }
    r
}

fn string(s: &str, key: bool, in_flow: bool) -> String {
    let a = analyze(s);
    let resolves_as_str = matches!(crate::yaml::resolve_plain(s), crate::yaml::Value::Str(_))
        && !looks_like_timestamp(s);
    if resolves_as_str
        && !(key && (a.empty || a.multiline))
        && ((in_flow && a.flow_plain) || (!in_flow && a.block_plain))
    {
        return s.to_string();
    }
    if a.single_quoted && !(key && a.multiline) {
        return single_quoted(s);
    }
    double_quoted(s)
}

/// PyYAML resolves these as timestamps, so it quotes them.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5].is_ascii_digit()
        && s[5..]
            .split(['-', 'T', 't', ' ', ':', '.'])
            .next()
            .is_some_and(|m| m.len() <= 2)
        && s.len() >= 8
        && s[5..].contains('-')
}

struct Analysis {
    empty: bool,
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single_quoted: bool,
}

/// PyYAML's `Emitter.analyze_scalar`.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            flow_plain: false,
            block_plain: true,
            single_quoted: true,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let (mut block_ind, mut flow_ind, mut line_breaks, mut special) = (false, false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_by_ws = true;
    let is_break = |c: char| matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let is_ws =
        |c: Option<char>| c.is_none_or(|c| c == ' ' || c == '\t' || is_break(c) || c == '\0');
    let mut followed_by_ws = chars.len() == 1 || is_ws(chars.get(1).copied());
    let (mut previous_space, mut previous_break) = (false, false);
    for (i, &ch) in chars.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_ind = true;
                block_ind = true;
            }
            if ch == '?' || ch == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '-' && followed_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_ind = true;
            }
            if ch == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if ch == '#' && preceded_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        let printable = ch == '\n'
            || (' '..='~').contains(&ch)
            || ch == '\u{85}'
            || (('\u{A0}'..='\u{D7FF}').contains(&ch)
                || ('\u{E000}'..='\u{FFFD}').contains(&ch)
                || ('\u{10000}'..'\u{10FFFF}').contains(&ch))
                && ch != '\u{FEFF}';
        if !printable {
            special = true;
        }
        if ch == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == chars.len() - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if i == 0 {
                leading_break = true;
            }
            if i == chars.len() - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = "\0 \t\r\n\u{85}\u{2028}\u{2029}".contains(ch);
        followed_by_ws = i + 2 >= chars.len() || is_ws(chars.get(i + 2).copied());
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        flow_plain: true,
        block_plain: true,
        single_quoted: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single_quoted = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single_quoted = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

/// PyYAML's single-quoted style: `'` doubled, a line break written as an
/// empty line (the indentation is added by the caller).
fn single_quoted(s: &str) -> String {
    let mut out = String::from("'");
    let mut chars = s.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.push_str("''"),
            '\n' => {
                // a run of n breaks: n+1 newlines when it follows text
                let mut n = 1;
                while chars.peek() == Some(&'\n') {
                    chars.next();
                    n += 1;
                }
                if !at_start {
                    out.push('\n');
                }
                for _ in 0..n {
                    out.push('\n');
                }
            }
            c => out.push(c),
        }
        at_start = false;
    }
    out.push('\'');
    out
}

/// PyYAML's double-quoted style.
pub(super) fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0B' => out.push_str("\\v"),
            '\x0C' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1B' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{A0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x20 || c == '\x7F' => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if ('\u{80}'..'\u{A0}').contains(&c) => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected outputs printed by PyYAML 6 (Salt 3008.4's) for the same data.
    #[test]
    fn block_style_as_pyyaml() {
        let v = json!({"b": [1, "two", {"x": null, "y": [true]}], "a": {"k": "yes", "e": {}, "l": []}, "s": "a: b"});
        assert_eq!(
            dump(&v, Style::Block, true),
            "a:\n  e: {}\n  k: 'yes'\n  l: []\nb:\n- 1\n- two\n- x: null\n  y:\n  - true\ns: 'a: b'"
        );
        assert_eq!(dump(&json!(["a"]), Style::Block, true), "- a");
        assert_eq!(dump(&json!("x"), Style::Block, true), "x");
    }

    #[test]
    fn multi_line_strings_as_pyyaml_folds_them() {
        assert_eq!(dump(&json!("a\nb"), Style::Block, false), "'a\n\n  b'\n");
        assert_eq!(
            dump(&json!(["a\nb"]), Style::Flow, false),
            "['a\n\n    b']\n"
        );
        assert_eq!(
            dump(&json!({"k": "a\nb"}), Style::Block, false),
            "k: 'a\n\n  b'\n"
        );
        assert_eq!(dump(&json!("x"), Style::Block, false), "x\n...\n");
    }

    #[test]
    fn flow_and_auto_styles() {
        let v = json!({"b": [1, 2], "a": "#x"});
        assert_eq!(dump(&v, Style::Flow, true), "{a: '#x', b: [1, 2]}");
        assert_eq!(dump(&v, Style::Auto, false), "a: '#x'\nb: [1, 2]\n");
        assert_eq!(dump(&json!({"a": 1}), Style::Auto, false), "{a: 1}\n");
    }

    #[test]
    fn scalars_are_quoted_as_pyyaml_quotes_them() {
        assert_eq!(scalar(&json!("0644"), false, false), "'0644'");
        assert_eq!(scalar(&json!(""), false, false), "''");
        assert_eq!(scalar(&json!("it's"), false, false), "it's");
        assert_eq!(scalar(&json!("- x"), false, false), "'- x'");
        assert_eq!(scalar(&json!("a,b"), false, false), "a,b");
        assert_eq!(scalar(&json!("a,b"), false, true), "'a,b'");
        assert_eq!(scalar(&json!("tab\there"), false, false), "\"tab\\there\"");
        assert_eq!(scalar(&json!(1.0), false, false), "1.0");
        assert_eq!(scalar(&json!("2024-01-02"), false, false), "'2024-01-02'");
    }
}
