//! Source texts and spans into them.
//!
//! Every diagnostic points into the text it came from, so a span carries its
//! source. An sls is YAML *after* Jinja: the text a YAML span points into is
//! the rendered one, and `Source::rendered` records that it differs from the
//! file on disk, so the frame can say so.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// One text that spans point into: a file as read, or a rendered template.
#[derive(Debug)]
pub struct Source {
    /// The name shown to users: the file's path as the user can open it
    /// (`states/postgres/init.sls`).
    pub name: String,
    /// The path relative to its root (`postgres/init.sls`): the template's
    /// name for Jinja, and what `tpldir` and relative includes derive from.
    pub rel: String,
    pub text: String,
    /// True when `text` is the output of Jinja and differs from the file.
    pub rendered: bool,
    /// For rendered text: the file as written, and for each rendered line
    /// the line of the file it came from, where that can be told.
    pub origin: Option<Origin>,
}

#[derive(Debug)]
pub struct Origin {
    pub text: String,
    /// For each rendered line, the line of `text` it came from. Worked out
    /// on first use: only diagnostics need it, and on a large tree it cost
    /// more than rendering and parsing together.
    lines: OnceLock<Vec<Option<usize>>>,
}

impl Origin {
    /// The line of the file as written (1-based) that produced line `line`
    /// of `rendered`, where that can be told.
    pub fn line_of(&self, rendered: &str, line: usize) -> Option<usize> {
        let lines = self.lines.get_or_init(|| align(&self.text, rendered));
        *lines.get(line.checked_sub(1)?)?
    }
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Source> {
        let name = name.into();
        Arc::new(Source {
            rel: name.clone(),
            name,
            text: text.into(),
            rendered: false,
            origin: None,
        })
    }

    /// The file `rel` under `root`, named for users by `display_path`.
    pub fn file(root: &std::path::Path, rel: &str, text: impl Into<String>) -> Arc<Source> {
        Arc::new(Source {
            name: display_path(root, rel),
            rel: rel.to_string(),
            text: text.into(),
            rendered: false,
            origin: None,
        })
    }

    /// `original` after Jinja rendered it into `text`.
    pub fn rendered(original: &Source, text: impl Into<String>) -> Arc<Source> {
        let text = text.into();
        let rendered = text != original.text;
        let origin = rendered.then(|| Origin {
            lines: OnceLock::new(),
            text: original.text.clone(),
        });
        Arc::new(Source {
            name: original.name.clone(),
            rel: original.rel.clone(),
            text,
            rendered,
            origin,
        })
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
}

/// `root/rel` as a user would type it: relative to the working directory
/// when it lies below it, else as it is.
pub(crate) fn display_path(root: &std::path::Path, rel: &str) -> String {
    let path = root.join(rel);
    let cwd = std::env::current_dir().ok();
    let shown = match &cwd {
        Some(cwd) if path.is_absolute() => path
            .strip_prefix(cwd)
            .map(|p| p.to_path_buf())
            .unwrap_or(path),
        _ => path,
    };
    shown
        .display()
        .to_string()
        .trim_start_matches("./")
        .to_string()
}

/// A place in a source: 1-based line and column (in characters), and the
/// length in characters of the construct it marks (at least 1 for a caret).
#[derive(Clone)]
pub struct Span {
    pub source: Arc<Source>,
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

impl Span {
    pub fn new(source: &Arc<Source>, line: usize, col: usize, len: usize) -> Span {
        Span {
            source: Arc::clone(source),
            line,
            col,
            len,
        }
    }

    /// The whole of line `line` of `source`.
    pub fn line_of(source: &Arc<Source>, line: usize) -> Span {
        let len = source.line(line).map_or(1, |l| l.chars().count().max(1));
        Span::new(source, line, 1, len)
    }

    /// A span for a whole file, used when nothing more precise is known.
    pub fn file(source: &Arc<Source>) -> Span {
        Span::new(source, 1, 1, 1)
    }

    /// Where this span is in the file as written: (line, column, length,
    /// that line's text). For rendered text, only when the rendered line is
    /// traced to a line of the file that holds the same construct.
    fn written(&self) -> Option<(usize, usize, usize, String)> {
        let text = self.source.line(self.line)?;
        let Some(origin) = &self.source.origin else {
            return Some((self.line, self.col, self.len, text.to_string()));
        };
        let orig_line = origin.line_of(&self.source.text, self.line)?;
        let orig_text = origin.text.lines().nth(orig_line - 1)?;
        let token: String = text
            .chars()
            .skip(self.col - 1)
            .take(self.len.max(1))
            .collect();
        if token.trim().is_empty() {
            return None;
        }
        if let Some(byte) = orig_text.find(token.as_str()) {
            let col = orig_text[..byte].chars().count() + 1;
            return Some((orig_line, col, self.len, orig_text.to_string()));
        }
        // Part of it written literally (`postgresql-{{ v }}`): point there.
        let literal: String = token.chars().take_while(|&c| c != ' ').collect();
        for n in (3..literal.chars().count()).rev() {
            let prefix: String = literal.chars().take(n).collect();
            if let Some(byte) = orig_text.find(prefix.as_str()) {
                if orig_text[byte + prefix.len()..].starts_with("{{") {
                    let col = orig_text[..byte].chars().count() + 1;
                    return Some((orig_line, col, self.len, orig_text.to_string()));
                }
            }
        }
        // The construct came out of an expression: point at the expression.
        let start = orig_text.find("{{")?;
        let end = orig_text[start..]
            .find("}}")
            .map_or(orig_text.len(), |e| start + e + 2);
        let col = orig_text[..start].chars().count() + 1;
        Some((
            orig_line,
            col,
            orig_text[start..end].chars().count(),
            orig_text.to_string(),
        ))
    }

    /// The framed excerpt: location, the offending line and a caret under the
    /// construct. Written as rustc and just draw theirs.
    pub fn frame(&self) -> String {
        let mut out = format!("  --> {self}\n");
        let (line, col, len, text, note) = match self.written() {
            Some((l, c, n, t)) => (l, c, n, t, false),
            None => match self.source.line(self.line) {
                Some(t) => (self.line, self.col, self.len, t.to_string(), true),
                None => return out,
            },
        };
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let prefix: String = text
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let avail = text.chars().count().saturating_sub(col.saturating_sub(1));
        let carets = "^".repeat(len.min(avail.max(1)).max(1));
        out.push_str(&format!(
            "{pad} |\n{line} | {text}\n{pad} | {prefix}{carets}\n"
        ));
        if note {
            out.push_str(&format!(
                "{pad} = note: line {} of {} after Jinja rendering\n",
                self.line, self.source.name
            ));
        }
        out
    }
}

/// For each line of `rendered`, the line of `original` (1-based) that
/// produced it: a forward-only alignment where a template line matches a
/// rendered line when its literal parts appear in it, in order. Lines a
/// loop repeats, or that match nothing, stay unknown.
fn align(original: &str, rendered: &str) -> Vec<Option<usize>> {
    let patterns: Vec<Vec<&str>> = original.lines().map(literal_parts).collect();
    let mut next = 0;
    rendered
        .lines()
        .map(|line| {
            if line.trim().is_empty() {
                return None;
            }
            let found = (next..patterns.len().min(next + 500)).find(|&j| {
                let parts = &patterns[j];
                !parts.iter().all(|p| p.trim().is_empty()) && matches_parts(parts, line)
            })?;
            next = found + 1;
            Some(found + 1)
        })
        .collect()
}

/// The literal text of a template line, between its `{{ }}`, `{% %}`, `{# #}`.
fn literal_parts(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = line;
    while let Some(start) = rest
        .find(['{'])
        .filter(|&i| matches!(rest.as_bytes().get(i + 1), Some(b'{' | b'%' | b'#')))
    {
        parts.push(&rest[..start]);
        let close = match rest.as_bytes()[start + 1] {
            b'{' => "}}",
            b'%' => "%}",
            _ => "#}",
        };
        match rest[start + 2..].find(close) {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => {
                rest = "";
                break;
            }
        }
    }
    parts.push(rest);
    parts
}

fn matches_parts(parts: &[&str], line: &str) -> bool {
    if parts.len() == 1 {
        return parts[0] == line;
    }
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if !line.starts_with(first) || !line.ends_with(last) || line.len() < first.len() + last.len() {
        return false;
    }
    let mut pos = first.len();
    let end = line.len() - last.len();
    for p in &parts[1..parts.len() - 1] {
        match line[pos..end].find(p) {
            Some(i) => pos += i + p.len(),
            None => return false,
        }
    }
    true
}

impl fmt::Display for Span {
    /// `file:line:column`, in the file as written when that is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.written() {
            Some((line, col, _, _)) => write!(f, "{}:{line}:{col}", self.source.name),
            None => write!(
                f,
                "{}:{}:{} (rendered)",
                self.source.name, self.line, self.col
            ),
        }
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for Span {
    fn eq(&self, other: &Span) -> bool {
        Arc::ptr_eq(&self.source, &other.source)
            && (self.line, self.col, self.len) == (other.line, other.col, other.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_marks_the_construct() {
        let src = Source::new("web/init.sls", "a:\n  file.manged:\n    - name: x\n");
        let span = Span::new(&src, 2, 3, 11);
        assert_eq!(
            span.frame(),
            "  --> web/init.sls:2:3\n  |\n2 |   file.manged:\n  |   ^^^^^^^^^^^\n"
        );
    }

    #[test]
    fn rendered_lines_point_back_into_the_template() {
        let original = "{% set v = '15' %}\n{% if false %}\na:\n  cmd.run: []\n{% else %}\nb-{{ v }}:\n  file.manged:\n    - x: {{ v }}\n{% endif %}\n";
        let rendered = "\n\n\nb-15:\n  file.manged:\n    - x: 15\n\n";
        let src = Source::rendered(&Source::new("init.sls", original), rendered);
        let span = Span::new(&src, 5, 3, 11);
        assert_eq!(span.to_string(), "init.sls:7:3");
        assert_eq!(
            span.frame(),
            "  --> init.sls:7:3\n  |\n7 |   file.manged:\n  |   ^^^^^^^^^^^\n"
        );
        // A value made by an expression: the expression is what is shown.
        let value = Span::new(&src, 6, 10, 2);
        assert_eq!(value.to_string(), "init.sls:8:10");
        assert!(
            value
                .frame()
                .ends_with("8 |     - x: {{ v }}\n  |          ^^^^^^^\n"),
            "{}",
            value.frame()
        );
    }

    #[test]
    fn untraceable_lines_say_they_are_rendered() {
        let src = Source::rendered(
            &Source::new("a.sls", "{% for i in [1, 2] %}x: {{ i }}\n{% endfor %}"),
            "x: 1\nx: 2\n",
        );
        let span = Span::line_of(&src, 2);
        assert!(
            span.frame().contains("after Jinja rendering"),
            "{}",
            span.frame()
        );
        assert!(span.to_string().ends_with("(rendered)"));
    }
}
