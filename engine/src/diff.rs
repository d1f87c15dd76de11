//! Unified diffs of file contents, exactly as Salt prints them.
//!
//! Salt diffs with Python's `difflib.unified_diff` (empty file names, three
//! lines of context). difflib does not find a minimal diff: its
//! `SequenceMatcher` anchors on the longest common block and recurses on
//! both sides, and ignores "popular" lines of long files. A Myers diff
//! often picks other hunks, so this is a port of difflib itself: the same
//! matching blocks, the same grouping, the same quirks (a last line without
//! its newline runs into the next line of the diff, there is no "No newline
//! at end of file" marker).

use std::collections::HashMap;

/// Salt's diff of two files' contents (`file.get_diff`): Salt's words when
/// either is binary, else the lines (as `readlines` splits them) diffed.
pub(crate) fn unified(old: &[u8], new: &[u8]) -> String {
    match (is_text(old), is_text(new)) {
        (false, false) => "Replace binary file".into(),
        (false, true) => "Replace binary file with text file".into(),
        (true, false) => "Replace text file with binary file".into(),
        (true, true) => lines(&readlines(old), &readlines(new)),
    }
}

/// `"".join(difflib.unified_diff(a, b))`: lines keep their own endings.
pub(crate) fn lines<S: AsRef<str>>(a: &[S], b: &[S]) -> String {
    items(a, b).concat()
}

/// What `difflib.unified_diff(a, b)` yields, one item each: the two file
/// headers and each hunk header end with a newline, lines are as given.
pub(crate) fn items<S: AsRef<str>>(a: &[S], b: &[S]) -> Vec<String> {
    let a: Vec<&str> = a.iter().map(AsRef::as_ref).collect();
    let b: Vec<&str> = b.iter().map(AsRef::as_ref).collect();
    let mut out = Vec::new();
    for group in Matcher::new(&a, &b).grouped_opcodes(3) {
        if out.is_empty() {
            out.push("--- \n".to_string());
            out.push("+++ \n".to_string());
        }
        let (first, last) = (group[0], group[group.len() - 1]);
        out.push(format!(
            "@@ -{} +{} @@\n",
            range(first.1, last.2),
            range(first.3, last.4)
        ));
        for (tag, i1, i2, j1, j2) in group {
            if tag == Tag::Equal {
                out.extend(a[i1..i2].iter().map(|l| format!(" {l}")));
                continue;
            }
            if matches!(tag, Tag::Replace | Tag::Delete) {
                out.extend(a[i1..i2].iter().map(|l| format!("-{l}")));
            }
            if matches!(tag, Tag::Replace | Tag::Insert) {
                out.extend(b[j1..j2].iter().map(|l| format!("+{l}")));
            }
        }
    }
    out
}

/// A range in the "ed" form of hunk headers.
fn range(start: usize, stop: usize) -> String {
    let length = stop - start;
    match length {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{length}", start + 1),
    }
}

/// Lines as a binary file's `readlines()` gives them (split after each
/// `\n`), each decoded as Salt decodes them: UTF-8, else Latin-1.
pub(crate) fn readlines(data: &[u8]) -> Vec<String> {
    data.split_inclusive(|b| *b == b'\n').map(decode).collect()
}

/// Bytes as text: UTF-8, else Latin-1 (which never fails).
pub(crate) fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Python's `str.splitlines(True)`: every line with its own ending, split
/// at any of Python's line boundaries.
pub(crate) fn splitlines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '\r' => match chars.peek() {
                Some((_, '\n')) => {
                    chars.next();
                    i + 2
                }
                _ => i + 1,
            },
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        out.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Python's `bytes.splitlines(True)`: split at `\n`, `\r` and `\r\n` only.
pub(crate) fn splitlines_bytes(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        let end = match data[i] {
            b'\r' if data.get(i + 1) == Some(&b'\n') => i + 2,
            b'\r' | b'\n' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push(&data[start..end]);
        start = end;
        i = end;
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out
}

/// Salt's guess that a file is text (`salt.utils.files.is_text`): its
/// first 512 bytes are not binary.
pub(crate) fn is_text(data: &[u8]) -> bool {
    !is_binary(&data[..data.len().min(512)])
}

/// Salt's `stringutils.is_binary`: a NUL byte, or more than 30% of bytes
/// that are not text (bytes from 128 to 254 count as text when the data
/// decodes as UTF-8, or only its last character is cut off).
pub(crate) fn is_binary(data: &[u8]) -> bool {
    if data.is_empty() {
        return false;
    }
    if data.contains(&0) {
        return true;
    }
    let utf8 = match std::str::from_utf8(data) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    let text = |b: u8| {
        (32..127).contains(&b)
            || matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x08)
            || (utf8 && (128..255).contains(&b))
    };
    let nontext = data.iter().filter(|b| !text(**b)).count();
    nontext as f64 / data.len() as f64 > 0.30
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Equal,
    Replace,
    Delete,
    Insert,
}

type Opcode = (Tag, usize, usize, usize, usize);

/// difflib's `SequenceMatcher` without a junk function (autojunk on).
struct Matcher<'a> {
    a: &'a [&'a str],
    b: &'a [&'a str],
    /// Where each line of `b` occurs, popular lines left out.
    b2j: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Matcher<'a> {
    fn new(a: &'a [&'a str], b: &'a [&'a str]) -> Matcher<'a> {
        let mut b2j: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, line) in b.iter().enumerate() {
            b2j.entry(line).or_default().push(i);
        }
        if b.len() >= 200 {
            let ntest = b.len() / 100 + 1;
            b2j.retain(|_, idxs| idxs.len() <= ntest);
        }
        Matcher { a, b, b2j }
    }

    /// The longest block of equal lines in a[alo..ahi] and b[blo..bhi],
    /// the earliest in `a` (then in `b`) of those as long, extended over
    /// popular lines at both ends.
    fn longest_match(
        &self,
        alo: usize,
        ahi: usize,
        blo: usize,
        bhi: usize,
    ) -> (usize, usize, usize) {
        let (a, b) = (self.a, self.b);
        let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0);
        let mut j2len: HashMap<usize, usize> = HashMap::new();
        for (i, line) in a.iter().enumerate().take(ahi).skip(alo) {
            let mut next: HashMap<usize, usize> = HashMap::new();
            if let Some(js) = self.b2j.get(line) {
                for &j in js {
                    if j < blo {
                        continue;
                    }
                    if j >= bhi {
                        break;
                    }
                    let k = j.checked_sub(1).and_then(|p| j2len.get(&p)).unwrap_or(&0) + 1;
                    next.insert(j, k);
                    if k > bestsize {
                        (besti, bestj, bestsize) = (i + 1 - k, j + 1 - k, k);
                    }
                }
            }
            j2len = next;
        }
        // No junk function: only popular lines are "junk", and they are
        // not in b2j; extend over equal lines on both sides.
        while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
            (besti, bestj, bestsize) = (besti - 1, bestj - 1, bestsize + 1);
        }
        while besti + bestsize < ahi
            && bestj + bestsize < bhi
            && a[besti + bestsize] == b[bestj + bestsize]
        {
            bestsize += 1;
        }
        (besti, bestj, bestsize)
    }

    fn matching_blocks(&self) -> Vec<(usize, usize, usize)> {
        let (la, lb) = (self.a.len(), self.b.len());
        let mut queue = vec![(0, la, 0, lb)];
        let mut blocks = Vec::new();
        while let Some((alo, ahi, blo, bhi)) = queue.pop() {
            let (i, j, k) = self.longest_match(alo, ahi, blo, bhi);
            if k > 0 {
                blocks.push((i, j, k));
                if alo < i && blo < j {
                    queue.push((alo, i, blo, j));
                }
                if i + k < ahi && j + k < bhi {
                    queue.push((i + k, ahi, j + k, bhi));
                }
            }
        }
        blocks.sort();
        let (mut i1, mut j1, mut k1) = (0, 0, 0);
        let mut merged = Vec::new();
        for (i2, j2, k2) in blocks {
            if i1 + k1 == i2 && j1 + k1 == j2 {
                k1 += k2;
            } else {
                if k1 > 0 {
                    merged.push((i1, j1, k1));
                }
                (i1, j1, k1) = (i2, j2, k2);
            }
        }
        if k1 > 0 {
            merged.push((i1, j1, k1));
        }
        merged.push((la, lb, 0));
        merged
    }

    fn opcodes(&self) -> Vec<Opcode> {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        for (ai, bj, size) in self.matching_blocks() {
            let tag = match (i < ai, j < bj) {
                (true, true) => Some(Tag::Replace),
                (true, false) => Some(Tag::Delete),
                (false, true) => Some(Tag::Insert),
                (false, false) => None,
            };
            if let Some(tag) = tag {
                out.push((tag, i, ai, j, bj));
            }
            (i, j) = (ai + size, bj + size);
            if size > 0 {
                out.push((Tag::Equal, ai, i, bj, j));
            }
        }
        out
    }

    fn grouped_opcodes(&self, n: usize) -> Vec<Vec<Opcode>> {
        let mut codes = self.opcodes();
        if codes.is_empty() {
            codes.push((Tag::Equal, 0, 1, 0, 1));
        }
        if let Some(first) = codes.first_mut() {
            if first.0 == Tag::Equal {
                let (t, i1, i2, j1, j2) = *first;
                *first = (
                    t,
                    i1.max(i2.saturating_sub(n)),
                    i2,
                    j1.max(j2.saturating_sub(n)),
                    j2,
                );
            }
        }
        if let Some(last) = codes.last_mut() {
            if last.0 == Tag::Equal {
                let (t, i1, i2, j1, j2) = *last;
                *last = (t, i1, i2.min(i1 + n), j1, j2.min(j1 + n));
            }
        }
        let mut groups = Vec::new();
        let mut group = Vec::new();
        for (tag, mut i1, i2, mut j1, j2) in codes {
            if tag == Tag::Equal && i2 - i1 > 2 * n {
                group.push((tag, i1, i2.min(i1 + n), j1, j2.min(j1 + n)));
                groups.push(std::mem::take(&mut group));
                i1 = i1.max(i2.saturating_sub(n));
                j1 = j1.max(j2.saturating_sub(n));
            }
            group.push((tag, i1, i2, j1, j2));
        }
        if !(group.is_empty() || group.len() == 1 && group[0].0 == Tag::Equal) {
            groups.push(group);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_salts_diff() {
        assert_eq!(
            unified(b"hello\n", b"line1\nhello3\n"),
            "--- \n+++ \n@@ -1 +1,2 @@\n-hello\n+line1\n+hello3\n"
        );
    }

    #[test]
    fn context_is_three_lines() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified(old.as_bytes(), new.as_bytes()),
            "--- \n+++ \n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn binary_content_is_not_diffed() {
        assert_eq!(unified(b"\xff\xfe\0", b"\0x"), "Replace binary file");
        assert_eq!(
            unified(b"text\n", b"\0x"),
            "Replace text file with binary file"
        );
        // Latin-1 text is text, and diffed as such.
        assert_eq!(
            unified(b"caf\xe9\n", b"cafe\n"),
            "--- \n+++ \n@@ -1 +1 @@\n-caf\u{e9}\n+cafe\n"
        );
    }

    /// Outputs of Python 3.11's difflib on the same inputs (recorded with
    /// `"".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True)))`).
    #[test]
    fn same_hunks_as_difflib() {
        let cases: &[(&str, &str, &str)] = &[
            // A last line without its newline runs into the next one.
            ("a\nb", "a\nc", "--- \n+++ \n@@ -1,2 +1,2 @@\n a\n-b+c"),
            ("a\nb\n", "a\nb\nc", "--- \n+++ \n@@ -1,2 +1,3 @@\n a\n b\n+c"),
            ("", "x\n", "--- \n+++ \n@@ -0,0 +1 @@\n+x\n"),
            ("x\n", "", "--- \n+++ \n@@ -1 +0,0 @@\n-x\n"),
            ("same\n", "same\n", ""),
            // difflib anchors on the longest block (b c d), where a
            // minimal diff would keep `a` and `x`.
            (
                "a\nx\nb\nc\nd\n",
                "b\nc\nd\na\nx\n",
                "--- \n+++ \n@@ -1,5 +1,5 @@\n-a\n-x\n b\n c\n d\n+a\n+x\n",
            ),
            // Two hunks, more than six equal lines apart.
            (
                "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
                "0\n2\n3\n4\n5\n6\n7\n8\n9\n10\nx\n",
                "--- \n+++ \n@@ -1,4 +1,4 @@\n-1\n+0\n 2\n 3\n 4\n@@ -8,4 +8,4 @@\n 8\n 9\n 10\n-11\n+x\n",
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(
                &lines(&splitlines(a), &splitlines(b)),
                want,
                "{a:?} -> {b:?}"
            );
        }
    }

    /// Random edits of random texts, long ones with popular lines among
    /// them, diffed by Python's difflib (`functions/tests/file_cases/record_difflib.py`).
    #[test]
    fn same_diffs_as_difflib_on_recorded_cases() {
        let recorded: serde_json::Value =
            serde_json::from_str(include_str!("functions/tests/file_cases/difflib.json")).unwrap();
        let cases = recorded["cases"].as_array().unwrap();
        assert!(cases.len() >= 50);
        for (n, c) in cases.iter().enumerate() {
            let (a, b) = (c["a"].as_str().unwrap(), c["b"].as_str().unwrap());
            assert_eq!(
                lines(&splitlines(a), &splitlines(b)),
                c["diff"].as_str().unwrap(),
                "case {n}"
            );
        }
    }

    #[test]
    fn splits_lines_as_python_does() {
        assert_eq!(splitlines("a\r\nb\rc\nd"), ["a\r\n", "b\r", "c\n", "d"]);
        assert_eq!(splitlines("a\x0cb\u{2028}"), ["a\x0c", "b\u{2028}"]);
        assert_eq!(
            splitlines_bytes(b"a\r\nb\x0cc\n"),
            [&b"a\r\n"[..], &b"b\x0cc\n"[..]]
        );
        assert_eq!(readlines(b"a\rb\nc"), ["a\rb\n", "c"]);
    }

    #[test]
    fn text_and_binary_as_salt_guesses() {
        assert!(is_text(b""));
        assert!(is_text("päivää\n".as_bytes()));
        assert!(!is_text(b"a\0b"));
        assert!(!is_text(&[0x01u8; 10]));
        // Latin-1 bytes are not text unless the data is UTF-8.
        assert!(!is_text(b"\xe9\xe9\xe9a"));
    }
}
