//! Salt's Jinja dialect as minijinja can run it: a source transform.
//!
//! minijinja has no custom tags and its values are immutable, so before a
//! template is compiled its text is rewritten:
//! - Salt's serializer tags (`import_yaml`, `load_yaml ... endload` and
//!   their json/text forms) become about the Jinja they are defined as in
//!   Salt's `SerializerExtension`: an `import`, or a block captured (Salt's
//!   inline macro; a block `set` here, since minijinja's macros do not
//!   capture the variables an `include` in them names), then a `set`
//!   through a loader function;
//! - every `{...}` and `[...]` literal is wrapped in `__mut(...)`, which
//!   makes it a dict or list that `update`, `append` and friends change in
//!   place (see `data`).
//!
//! The rewrite never adds or removes a newline, so line numbers stay those
//! of the file; `Rewritten::original` maps an offset back to the column in
//! the file, so diagnostics point at what the author wrote.

use std::ops::Range;

/// A template's text after the rewrite, and how to map offsets back.
pub(super) struct Rewritten {
    pub text: String,
    /// (offset in `text`, offset in the original, length inserted in
    /// `text`, length removed from the original), in order.
    edits: Vec<(usize, usize, usize, usize)>,
}

impl Rewritten {
    /// The offset in the original text of offset `at` of the rewritten one.
    /// Inside inserted text, the place of the insertion.
    pub(super) fn original(&self, at: usize) -> usize {
        let mut delta: isize = 0;
        for &(new_at, old_at, new_len, old_len) in &self.edits {
            if at < new_at {
                break;
            }
            if at < new_at + new_len {
                return old_at + (at - new_at).min(old_len);
            }
            delta = (old_at + old_len) as isize - (new_at + new_len) as isize;
        }
        (at as isize + delta).max(0) as usize
    }

    pub(super) fn original_range(&self, range: Range<usize>) -> Range<usize> {
        let start = self.original(range.start);
        let end = self.original(range.end).max(start);
        start..end
    }
}

/// The function the rewrite wraps literals in.
pub(super) const MUT: &str = "__mut";
/// The function serializer tags load through: `(value, format[, name])`.
pub(super) const LOAD: &str = "__salt_load";
/// The function tuple literals are wrapped in, so they print as tuples.
pub(super) const TUPLE: &str = "__tuple";
/// Python's `%` operator, for `"..." % args`.
pub(super) const PERCENT: &str = "__pyfmt";
/// The variable a `{% do %}` assigns (as a `set`).
const DO: &str = "__do";

/// `text` rewritten (see the module header).
pub(super) fn rewrite(text: &str) -> Rewritten {
    let mut w = Writer::new(text);
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut loads: Vec<(String, String)> = Vec::new();
    let mut counter = 0usize;
    while i < bytes.len() {
        let Some(open) = find_open(bytes, i) else {
            break;
        };
        let kind = bytes[open + 1];
        let mut body = open + 2;
        if matches!(bytes.get(body), Some(b'-' | b'+')) {
            body += 1;
        }
        match kind {
            b'#' => {
                i = text[body..]
                    .find("#}")
                    .map_or(bytes.len(), |e| body + e + 2);
            }
            b'{' => {
                let tokens = lex(text, body, Close::Var);
                i = tokens.end;
                wrap_literals(&mut w, text, &tokens.tokens);
                percent_calls(&mut w, text, &tokens.tokens);
                one_line(&mut w, text, body, &tokens);
            }
            _ => {
                let tokens = lex(text, body, Close::Block);
                i = tokens.end;
                let toks = &tokens.tokens;
                let first = toks.first().map(|t| t.text(text)).unwrap_or("");
                match first {
                    "raw" => {
                        i = skip_raw(text, i);
                    }
                    "import_yaml" | "import_json" | "import_text" => {
                        serializer_import(&mut w, text, toks, tokens.close_at);
                    }
                    "load_yaml" | "load_json" | "load_text" => {
                        counter += 1;
                        let format = first["load_".len()..].to_string();
                        let name = toks
                            .iter()
                            .skip_while(|t| t.text(text) != "as")
                            .nth(1)
                            .map(|t| t.text(text).to_string())
                            .unwrap_or_default();
                        let macro_name = format!("__salt_load_{counter}");
                        let head = toks[0].span.clone();
                        let end = toks.last().map_or(head.end, |t| t.span.end);
                        w.replace(head.start..end, format!("set {macro_name}"));
                        loads.push((macro_name, format!("{name}|{format}")));
                    }
                    "endload" => {
                        if let Some((macro_name, target)) = loads.pop() {
                            let (name, format) = target.split_once('|').unwrap_or_default();
                            w.replace(toks[0].span.clone(), "endset".to_string());
                            let ws = close_ws(text, tokens.close_at);
                            w.insert(
                                tokens.close_at,
                                format!(
                                    "%}}{{% set {name} = {LOAD}({macro_name}, \"{format}\") {ws}"
                                ),
                            );
                            // the original whitespace control now belongs
                            // to the inserted tag's end
                            if !ws.is_empty() {
                                w.replace(tokens.close_at..tokens.close_at + 1, String::new());
                            }
                        }
                    }
                    "do" => {
                        // minijinja's `do` takes only a call; Salt's formulas
                        // write `{% do d.pop('k') if c %}`
                        w.replace(toks[0].span.clone(), format!("set {DO} ="));
                        wrap_literals(&mut w, text, toks);
                        percent_calls(&mut w, text, toks);
                    }
                    _ => {
                        wrap_literals(&mut w, text, toks);
                        percent_calls(&mut w, text, toks);
                    }
                }
                if first != "raw" {
                    one_line(&mut w, text, body, &tokens);
                }
            }
        }
    }
    w.finish()
}

/// A tag written over several lines, put on its first line: its line
/// breaks (outside strings) become spaces and move to just before the
/// tag's end, so that every line after it keeps its number. minijinja
/// records where an instruction is only while the expression it compiles
/// stays on one line: a call spread over lines (`filter_by(` on line 8,
/// its mapping down to line 101) was reported at the line where its last
/// argument began, without a column. On one line each part of it has its
/// exact place, which `Rewritten::original` maps back.
fn one_line(w: &mut Writer, text: &str, body: usize, lexed: &Lexed) {
    let inside = &text[body..lexed.close_at];
    if !inside.contains('\n') {
        return;
    }
    let strings: Vec<&Range<usize>> = lexed
        .tokens
        .iter()
        .filter(|t| matches!(text.as_bytes()[t.span.start], b'\'' | b'"'))
        .map(|t| &t.span)
        .collect();
    let mut breaks = 0;
    for (off, c) in inside.char_indices() {
        let at = body + off;
        if (c == '\n' || c == '\r') && !strings.iter().any(|r| r.contains(&at)) {
            w.replace(at..at + 1, " ".into());
            if c == '\n' {
                breaks += 1;
            }
        }
    }
    w.insert(lexed.close_at, "\n".repeat(breaks));
}

/// `{% import_yaml EXPR as NAME %}` → `{% import EXPR as NAME %}{% set NAME
/// = __salt_load(NAME, "yaml", EXPR) %}`: Salt's definition (an import,
/// then the filter), with the name passed so that a parse error can point
/// into the imported file.
fn serializer_import(w: &mut Writer, text: &str, toks: &[Token], close_at: usize) {
    let format = &toks[0].text(text)["import_".len()..];
    let as_at = toks.iter().position(|t| t.text(text) == "as");
    let (Some(as_at), Some(name)) = (as_at, as_at.and_then(|a| toks.get(a + 1))) else {
        // let minijinja report the malformed import
        w.replace(toks[0].span.clone(), "import".into());
        return;
    };
    let expr = if as_at > 1 {
        &text[toks[1].span.start..toks[as_at - 1].span.end]
    } else {
        "''"
    };
    let name = name.text(text).to_string();
    w.replace(toks[0].span.clone(), "import".into());
    wrap_literals(w, text, &toks[1..as_at]);
    let ws = close_ws(text, close_at);
    w.insert(
        close_at,
        format!("%}}{{% set {name} = {LOAD}({name}, \"{format}\", {expr}) {ws}"),
    );
    if !ws.is_empty() {
        w.replace(close_at..close_at + 1, String::new());
    }
}

/// The whitespace control (`-` or `+`) of the tag end at `close_at`.
fn close_ws(text: &str, close_at: usize) -> &str {
    match text.as_bytes().get(close_at) {
        Some(b'-') => "-",
        Some(b'+') => "+",
        _ => "",
    }
}

/// Wrap each `{...}` and `[...]` literal among `toks` in `__mut(...)`,
/// and each tuple literal `(a, b)` in `__tuple(...)`.
fn wrap_literals(w: &mut Writer, text: &str, toks: &[Token]) {
    let m = matching(toks);
    let mut stack: Vec<Option<&str>> = Vec::new();
    let mut prev: Option<&Token> = None;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Open(c) => {
                let after_value = prev.is_some_and(|p| p.ends_value);
                let wrapper = match c {
                    b'{' => Some(MUT),
                    b'[' if !after_value => Some(MUT),
                    b'(' if !after_value
                        && !prev.is_some_and(|p| {
                            ["for", "set", "call", "macro"].contains(&p.text(text))
                        })
                        && is_tuple(toks, &m, i) =>
                    {
                        Some(TUPLE)
                    }
                    _ => None,
                };
                if let Some(f) = wrapper {
                    w.insert(t.span.start, format!("{f}("));
                }
                stack.push(wrapper);
            }
            Kind::Close => {
                if stack.pop().flatten().is_some() {
                    w.insert(t.span.end, ")".into());
                }
            }
            Kind::Other => {}
        }
        prev = Some(t);
    }
}

/// Whether the parenthesized group opening at `open` is a tuple: empty, or
/// with a comma at its own level.
fn is_tuple(toks: &[Token], m: &[Option<usize>], open: usize) -> bool {
    let Some(close) = m[open] else { return false };
    if close == open + 1 {
        return true;
    }
    let mut depth = 0;
    for t in &toks[open + 1..close] {
        match t.kind {
            Kind::Open(_) => depth += 1,
            Kind::Close => depth -= 1,
            Kind::Other if depth == 0 && t.comma => return true,
            Kind::Other => {}
        }
    }
    false
}

/// The index of the bracket matching each bracket token.
fn matching(toks: &[Token]) -> Vec<Option<usize>> {
    let mut m = vec![None; toks.len()];
    let mut stack = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Open(_) => stack.push(i),
            Kind::Close => {
                if let Some(o) = stack.pop() {
                    m[o] = Some(i);
                    m[i] = Some(o);
                }
            }
            Kind::Other => {}
        }
    }
    m
}

/// `a % b` → `__pyfmt(a, b)`, Python's `%` (string formatting or modulo):
/// the operands are the postfix chains beside it (`x.y[0]`, `f(a)|upper`,
/// a literal, a parenthesized group). Left alone when another `*`, `/` or
/// `%` precedes it, where precedence would need a parser.
fn percent_calls(w: &mut Writer, text: &str, toks: &[Token]) {
    let m = matching(toks);
    let is = |i: usize, s: &str| toks.get(i).is_some_and(|t| t.text(text) == s);
    let operand_word = |i: usize| {
        toks.get(i)
            .is_some_and(|t| t.kind == Kind::Other && t.ends_value)
    };
    for (i, t) in toks.iter().enumerate() {
        if t.text(text) != "%" || i == 0 {
            continue;
        }
        // the left operand, walking back over its postfix chain
        let mut j = i - 1;
        let start = loop {
            let first = match toks[j].kind {
                Kind::Close => match m[j] {
                    Some(o) => o,
                    None => break None,
                },
                Kind::Other if toks[j].ends_value => j,
                _ => break None,
            };
            if first == 0 {
                break Some(0);
            }
            let before = first - 1;
            let chained = (matches!(toks[first].kind, Kind::Open(b'(' | b'['))
                && (toks[before].ends_value))
                || is(before, ".");
            if !chained {
                break Some(first);
            }
            j = if is(before, ".") {
                before - usize::from(before > 0)
            } else {
                before
            };
            if is(before, ".") && before == 0 {
                break None;
            }
        };
        let Some(mut start) = start else { continue };
        // a unary sign belongs to the operand (`-7 % 3` is `(-7) % 3`)
        if start > 0
            && (is(start - 1, "-") || is(start - 1, "+"))
            && (start == 1 || !toks[start - 2].ends_value)
        {
            start -= 1;
        }
        if start > 0 && ["*", "/", "%"].iter().any(|op| is(start - 1, op)) {
            continue;
        }
        // the right operand: a primary, then `.x`, `(...)`, `[...]`, `|f(...)`
        let mut k = i + 1;
        while is(k, "-") || is(k, "+") || is(k, "not") {
            k += 1;
        }
        let mut end = match toks.get(k).map(|t| t.kind) {
            Some(Kind::Open(_)) => match m[k] {
                Some(c) => c,
                None => continue,
            },
            Some(Kind::Other) if operand_word(k) => k,
            _ => continue,
        };
        loop {
            let next = end + 1;
            if is(next, ".") && operand_word(next + 1) {
                end = next + 1;
            } else if matches!(
                toks.get(next).map(|t| t.kind),
                Some(Kind::Open(b'(' | b'['))
            ) {
                match m[next] {
                    Some(c) => end = c,
                    None => break,
                }
            } else if is(next, "|") && operand_word(next + 1) {
                end = next + 1;
            } else {
                break;
            }
        }
        w.insert_front(toks[start].span.start, format!("{PERCENT}("));
        w.replace(t.span.clone(), ",".into());
        w.insert(toks[end].span.end, ")".into());
    }
}

/// Skip a `{% raw %}` block: from after its opening tag to after
/// `{% endraw %}`.
fn skip_raw(text: &str, from: usize) -> usize {
    let mut i = from;
    while let Some(rel) = text[i..].find("{%") {
        let at = i + rel;
        let rest = text[at + 2..].trim_start_matches(['-', '+']).trim_start();
        if rest.starts_with("endraw") {
            return text[at..].find("%}").map_or(text.len(), |e| at + e + 2);
        }
        i = at + 2;
    }
    text.len()
}

fn find_open(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%' | b'#') {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[derive(Clone, Copy, PartialEq)]
enum Close {
    Var,
    Block,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Open(u8),
    Close,
    Other,
}

struct Token {
    span: Range<usize>,
    kind: Kind,
    /// Whether the token can end an operand (so that a `[` after it
    /// subscripts rather than opens a list).
    ends_value: bool,
    comma: bool,
}

impl Token {
    fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.span.clone()]
    }
}

struct Lexed {
    tokens: Vec<Token>,
    /// Where the tag's end (`%}`, `-%}`, `}}`...) starts.
    close_at: usize,
    /// After the tag's end.
    end: usize,
}

/// Words after which a `[` opens a list: Jinja's keywords and statements.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "elif",
    "for",
    "do",
    "set",
    "with",
    "as",
    "import",
    "from",
    "include",
    "extends",
    "print",
    "macro",
    "call",
    "filter",
    "recursive",
    "return",
    "block",
    "autoescape",
    "without",
    "context",
    "ignore",
    "missing",
];

/// The tokens of one tag from `from` to its end: brackets, and everything
/// else as words, strings, numbers and operators. The end is the first
/// `}}` (or `%}`) outside brackets, as Jinja's lexer balances them.
fn lex(text: &str, from: usize, close: Close) -> Lexed {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        let c = bytes[i];
        if depth == 0 {
            let end_at = match close {
                Close::Var => ["-}}", "+}}", "}}"]
                    .iter()
                    .find(|e| text[i..].starts_with(**e)),
                Close::Block => ["-%}", "+%}", "%}"]
                    .iter()
                    .find(|e| text[i..].starts_with(**e)),
            };
            if let Some(e) = end_at {
                return Lexed {
                    tokens,
                    close_at: i,
                    end: i + e.len(),
                };
            }
        }
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\'' | b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                tokens.push(Token {
                    span: start..i,
                    kind: Kind::Other,
                    ends_value: true,
                    comma: false,
                });
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                tokens.push(Token {
                    span: i..i + 1,
                    kind: Kind::Open(c),
                    ends_value: false,
                    comma: false,
                });
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                tokens.push(Token {
                    span: i..i + 1,
                    kind: Kind::Close,
                    ends_value: true,
                    comma: false,
                });
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                // a number's fraction or exponent
                if c.is_ascii_digit() {
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.')
                    {
                        i += 1;
                    }
                }
                let word = &text[start..i];
                tokens.push(Token {
                    span: start..i,
                    kind: Kind::Other,
                    ends_value: !KEYWORDS.contains(&word),
                    comma: false,
                });
            }
            _ => {
                tokens.push(Token {
                    span: i..i + 1,
                    kind: Kind::Other,
                    ends_value: false,
                    comma: c == b',',
                });
                i += 1;
            }
        }
    }
    Lexed {
        tokens,
        close_at: bytes.len(),
        end: bytes.len(),
    }
}

/// Collects edits against the original text and applies them in order.
struct Writer<'a> {
    text: &'a str,
    /// (original range, replacement), kept sorted by position.
    edits: Vec<(Range<usize>, String)>,
}

impl<'a> Writer<'a> {
    fn new(text: &'a str) -> Writer<'a> {
        Writer {
            text,
            edits: Vec::new(),
        }
    }

    fn insert(&mut self, at: usize, s: String) {
        self.replace(at..at, s);
    }

    /// An insertion that goes before those already made at the same place
    /// (an outer opening around an inner one).
    fn insert_front(&mut self, at: usize, s: String) {
        let pos = self
            .edits
            .partition_point(|(r, _)| (r.start, r.end) < (at, at));
        self.edits.insert(pos, (at..at, s));
    }

    fn replace(&mut self, range: Range<usize>, s: String) {
        // stable: an insertion made later at the same place goes after
        let pos = self
            .edits
            .partition_point(|(r, _)| (r.start, r.end) <= (range.start, range.end));
        self.edits.insert(pos, (range, s));
    }

    fn finish(self) -> Rewritten {
        let mut out = String::with_capacity(self.text.len() + self.edits.len() * 8);
        let mut map = Vec::with_capacity(self.edits.len());
        let mut last = 0;
        for (range, s) in self.edits {
            let range = range.start.max(last)..range.end.max(last);
            out.push_str(&self.text[last..range.start]);
            map.push((out.len(), range.start, s.len(), range.len()));
            out.push_str(&s);
            last = range.end;
        }
        out.push_str(&self.text[last..]);
        Rewritten {
            text: out,
            edits: map,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(s: &str) -> String {
        rewrite(s).text
    }

    #[test]
    fn literals_are_wrapped_and_subscripts_are_not() {
        assert_eq!(
            rw("{% set x = {'a': [1, y[0]]} %}{{ x['a'][0] }}"),
            "{% set x = __mut({'a': __mut([1, y[0]])}) %}{{ x['a'][0] }}"
        );
        assert_eq!(
            rw("{% for a in [1] if a in [2] %}{% endfor %}"),
            "{% for a in __mut([1]) if a in __mut([2]) %}{% endfor %}"
        );
        assert_eq!(rw("{{ f()[0] }}{{ 'ab'[1] }}"), "{{ f()[0] }}{{ 'ab'[1] }}");
        assert_eq!(
            rw("a {# {} #} {% raw %}{{ [] }}{% endraw %}"),
            "a {# {} #} {% raw %}{{ [] }}{% endraw %}"
        );
        assert_eq!(
            rw("{{ {'a': {'b': 1}} }}"),
            "{{ __mut({'a': __mut({'b': 1})}) }}"
        );
    }

    #[test]
    fn serializer_tags_become_their_definitions() {
        assert_eq!(
            rw("{%- import_yaml 'x/y.yaml' as y -%}"),
            "{%- import 'x/y.yaml' as y %}{% set y = __salt_load(y, \"yaml\", 'x/y.yaml') -%}"
        );
        assert_eq!(
            rw("{% load_json as j %}\n{\"a\": 1}\n{%- endload %}"),
            "{% set __salt_load_1 %}\n{\"a\": 1}\n{%- endset %}{% set j = __salt_load(__salt_load_1, \"json\") %}"
        );
    }

    #[test]
    fn do_takes_any_expression_and_percent_formats() {
        assert_eq!(
            rw("{% do d.pop('k') if c %}"),
            "{% set __do = d.pop('k') if c %}"
        );
        assert_eq!(
            rw("{{ \"/home/%s\" % name }}"),
            "{{ __pyfmt(\"/home/%s\" , name) }}"
        );
        assert_eq!(
            rw("{{ '%s-%s' % (a.b, c[0]|upper) ~ 'x' }}"),
            "{{ __pyfmt('%s-%s' , __tuple((a.b, c[0]|upper))) ~ 'x' }}"
        );
        assert_eq!(rw("{{ [1] % x }}"), "{{ __pyfmt(__mut([1]) , x) }}");
        assert_eq!(rw("{{ a * b % c }}"), "{{ a * b % c }}");
        assert_eq!(rw("{{ -7 % 3 }}"), "{{ __pyfmt(-7 , 3) }}");
        assert_eq!(rw("{{ x % [2] }}"), "{{ __pyfmt(x , __mut([2])) }}");
    }

    #[test]
    fn tags_over_several_lines_are_put_on_one() {
        assert_eq!(
            rw("{% set x = f(\n  a,\n  'b\nc') %}\nnext"),
            "{% set x = f(   a,   'b\nc') \n\n%}\nnext"
        );
        assert_eq!(rw("{{ a\n-}}"), "{{ a \n-}}");
    }

    #[test]
    fn offsets_map_back_to_the_file() {
        let src = "{% set x = {'a': 1} %}{{ nope }}";
        let r = rewrite(src);
        let at = r.text.find("nope").unwrap();
        assert_eq!(r.original(at), src.find("nope").unwrap());
        // inside inserted text: the place of the insertion
        let at = r.text.find("__mut").unwrap() + 2;
        assert_eq!(r.original(at), 11);
        assert_eq!(rw("a\nb {{ [1,\n2] }}\n").lines().count(), 3);
    }
}
