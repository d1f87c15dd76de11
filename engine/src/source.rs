//! Source texts and spans into them.
//!
//! Every diagnostic points into the text it came from, so a span carries its
//! source. An sls is YAML *after* Jinja: the text a YAML span points into is
//! the rendered one, and `Source::rendered` records that it differs from the
//! file on disk, so the frame can say so.

use std::fmt;
use std::sync::Arc;

/// One text that spans point into: a file as read, or a rendered template.
#[derive(Debug)]
pub struct Source {
    /// The name shown to users: a path relative to its root (`postgres/init.sls`).
    pub name: String,
    pub text: String,
    /// True when `text` is the output of Jinja and differs from the file.
    pub rendered: bool,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Source> {
        Arc::new(Source {
            name: name.into(),
            text: text.into(),
            rendered: false,
        })
    }

    pub fn rendered(name: impl Into<String>, text: impl Into<String>, original: &str) -> Arc<Source> {
        let text = text.into();
        let rendered = text != original;
        Arc::new(Source {
            name: name.into(),
            text,
            rendered,
        })
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
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

    /// The framed excerpt: location, the offending line and a caret under the
    /// construct. Written as rustc and just draw theirs.
    pub fn frame(&self) -> String {
        let mut out = format!("  --> {self}\n");
        let Some(text) = self.source.line(self.line) else {
            return out;
        };
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        let prefix: String = text
            .chars()
            .take(self.col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let avail = text.chars().count().saturating_sub(self.col.saturating_sub(1));
        let carets = "^".repeat(self.len.min(avail.max(1)).max(1));
        out.push_str(&format!("{pad} |\n{} | {text}\n{pad} | {prefix}{carets}\n", self.line));
        if self.source.rendered {
            out.push_str(&format!("{pad} = note: line {} of {} after Jinja rendering\n", self.line, self.source.name));
        }
        out
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.source.name, self.line, self.col)
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
    fn rendered_sources_say_so() {
        let src = Source::rendered("a.sls", "x: 1\n", "x: {{ 1 }}\n");
        assert!(Span::line_of(&src, 1).frame().contains("after Jinja rendering"));
    }
}
