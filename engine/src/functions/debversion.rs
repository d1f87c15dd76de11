//! Debian package versions: dpkg's ordering (`epoch:upstream-revision`,
//! `~` before anything), and Salt's test of an installed version against
//! a `version:` argument (`1.2-1`, `>=1.2`, `>=1.2,<2`, a glob), with the
//! epoch ignored when the wanted version names none.

use std::cmp::Ordering;

fn split(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
            (e.parse().unwrap_or(0), r)
        }
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((up, rev)) => (epoch, up, rev),
        None => (epoch, rest, ""),
    }
}

/// dpkg's order of one character in a non-digit run.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let bc = order(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first == Ordering::Equal {
                first = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first != Ordering::Equal {
            return first;
        }
    }
    Ordering::Equal
}

/// dpkg's comparison of two versions.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

fn strip_epoch(v: &str) -> &str {
    match v.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()) => r,
        _ => v,
    }
}

/// Salt's `split_comparison`: the operator (`""` for none) and version.
fn comparison(cond: &str) -> (&str, &str) {
    let cond = cond.trim();
    for op in ["<=>", "!=", ">=", "<=", ">>", "<<", "<>", ">", "<", "="] {
        if let Some(rest) = cond.strip_prefix(op) {
            let rest = rest.strip_prefix(char::is_whitespace).unwrap_or(rest);
            if !rest.is_empty() && !rest.contains(['<', '>', '=']) {
                return (op, rest);
            }
        }
    }
    ("", cond)
}

/// Python's `fnmatch` on a version: `*`, `?`, `[...]`, `[!...]`.
pub(super) fn fnmatch(text: &str, pattern: &str) -> bool {
    fn go(t: &[char], p: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| go(&t[i..], &p[1..])),
            Some('?') => !t.is_empty() && go(&t[1..], &p[1..]),
            Some('[') => {
                let Some(end) = p.iter().skip(2).position(|c| *c == ']').map(|e| e + 2) else {
                    return t.first() == Some(&'[') && go(&t[1..], &p[1..]);
                };
                let Some(c) = t.first() else { return false };
                let (neg, set) = match p[1] {
                    '!' => (true, &p[2..end]),
                    _ => (false, &p[1..end]),
                };
                let mut hit = false;
                let mut k = 0;
                while k < set.len() {
                    if k + 2 < set.len() && set[k + 1] == '-' {
                        hit |= set[k] <= *c && *c <= set[k + 2];
                        k += 3;
                    } else {
                        hit |= set[k] == *c;
                        k += 1;
                    }
                }
                hit != neg && go(&t[1..], &p[end + 1..])
            }
            Some(x) => t.first() == Some(x) && go(&t[1..], &p[1..]),
        }
    }
    let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    go(&t, &p)
}

/// Salt's `_fulfills_version_string` for one installed version: every
/// comma-separated condition holds.
pub(super) fn fulfills(installed: &str, wanted: &str) -> bool {
    wanted
        .split(',')
        .filter(|c| !c.trim().is_empty())
        .all(|cond| {
            let (op, v) = comparison(cond);
            let op = if op.is_empty() || op == "=" { "==" } else { op };
            if op == "==" && fnmatch(installed, v) {
                return true;
            }
            let ignore_epoch = !op.contains(['<', '>']) && !v.contains(':');
            let (a, b) = if ignore_epoch {
                (strip_epoch(installed), strip_epoch(v))
            } else {
                (installed, v)
            };
            let o = compare(a, b);
            match op {
                "==" => o == Ordering::Equal,
                "!=" => o != Ordering::Equal,
                "<" => o == Ordering::Less,
                "<=" => o != Ordering::Greater,
                ">" => o == Ordering::Greater,
                ">=" => o != Ordering::Less,
                _ => false,
            }
        })
}

/// A version with a comparison or glob in it, not one to install as is.
pub(super) fn is_spec(v: &str) -> bool {
    v.contains(['<', '>', '=', ',', '*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkgs_order() {
        let lt = |a, b| assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
        lt("5.2.15-2+b8", "5.2.15-2+b13");
        lt("1.0~rc1", "1.0");
        lt("1.0", "1:0.1");
        lt("3.0.19-1~deb12u2", "3.0.22-1~deb12u2");
        lt("1.2", "1.2-1");
        lt("1.2a", "1.2b");
        lt("1.2", "1.2.0");
        assert_eq!(compare("1.02", "1.2"), Ordering::Equal);
    }

    #[test]
    fn version_arguments_as_salt_reads_them() {
        assert!(fulfills("1:9.2p1-2+deb12u10", "9.2p1-2+deb12u10"));
        assert!(!fulfills("1:9.2p1-2+deb12u10", "2:9.2p1-2+deb12u10"));
        assert!(fulfills("15.18-0+deb12u1", "15.*"));
        assert!(fulfills("15.18-0+deb12u1", ">=15.0, <16"));
        assert!(!fulfills("15.18-0+deb12u1", ">15.18-0+deb12u1"));
        assert!(fulfills("1.2", "=1.2"));
        assert!(fnmatch("1.2.3", "1.[0-9].?"));
        assert!(!fnmatch("1.2.3", "1.[!2].3"));
        assert!(is_spec(">=1.2") && !is_spec("1.2-1"));
    }
}
