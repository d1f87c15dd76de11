//! Shell-style patterns (`pgdb*`, `web?`, `[ab]c`), as Salt's glob targeting
//! and requisite globs use Python's `fnmatch`.

/// Whether `text` matches the fnmatch pattern `pattern`.
pub fn matches(pattern: &str, text: &str) -> bool {
    // Most patterns name one thing (a requisite's ID): no need to decode them.
    if !is_glob(pattern) {
        return pattern == text;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches_at(&p, &t)
}

/// Whether `text` matches one of the comma-separated `patterns`, as a
/// glob target (`pgdb1,web*`) does in Salt.
pub fn matches_any(patterns: &str, text: &str) -> bool {
    patterns.split(',').any(|p| matches(p.trim(), text))
}

/// Whether `pattern` has any wildcard at all (else it names one thing).
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

fn matches_at(p: &[char], t: &[char]) -> bool {
    // Iterative matcher with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, next)) = class(&p[pi..], t[ti]) {
                        if ok {
                            pi += next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
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
    p[pi..].iter().all(|&c| c == '*')
}

/// Match `c` against the class at the start of `p` (`[abc]`, `[!a-z]`).
/// Returns whether it matched and the class's length, or `None` when the
/// bracket is not closed (then it is a literal `[`).
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some('!'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
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
    use super::matches;

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
}
