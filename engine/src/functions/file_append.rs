//! `file.append`: lines at the end of a file, unless the file has them.
//!
//! Each chunk of `text` (or of the rendered `source`s) is looked for in
//! the whole file, by default ignoring whitespace (Salt's
//! `build_whitespace_split_regex`); the lines of the chunks not found are
//! appended. A missing file is created first. Salt's diff here is its own:
//! lines without their endings, joined by newlines.

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::file_common::{first_source, named, read_followed, render_source, str_list, OneOrMany};
use super::file_regex::{escape, PyRegex, MULTILINE};
use super::{Ctx, Function};
use crate::diff;
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::WriteFile;

pub(super) struct Append;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    #[serde(default)]
    pub text: Option<Value>,
    #[serde(default)]
    pub makedirs: bool,
    #[serde(default)]
    pub source: Option<OneOrMany>,
    #[serde(default)]
    pub sources: Option<Vec<String>>,
    #[serde(default = "jinja")]
    pub template: Option<String>,
    #[serde(default)]
    pub defaults: Option<Map<String, Value>>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(default = "crate::functions::yes")]
    pub ignore_whitespace: bool,
    #[serde(default = "crate::functions::yes")]
    pub show_changes: bool,
    /// Accepted for Salt compatibility; a `salt://` source needs no hash.
    #[serde(default)]
    #[allow(dead_code)]
    pub source_hash: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub source_hashes: Option<IgnoredAny>,
}

fn jinja() -> Option<String> {
    Some("jinja".into())
}

/// The chunks to append: the rendered sources, else `text`.
pub(super) async fn chunks(
    ctx: &Ctx<'_>,
    source: Option<&OneOrMany>,
    sources: Option<&Vec<String>>,
    text: Option<&Value>,
    template: Option<&str>,
    defaults: Option<&Map<String, Value>>,
    context: Option<&Map<String, Value>>,
) -> Result<Vec<String>, Failure> {
    let mut urls: Vec<String> = source.map(OneOrMany::list).unwrap_or_default();
    urls.extend(sources.cloned().unwrap_or_default());
    if urls.is_empty() {
        return Ok(str_list(text.unwrap_or(&Value::Null)));
    }
    let mut extra = defaults.cloned().unwrap_or_default();
    extra.extend(context.cloned().unwrap_or_default());
    let mut out = Vec::new();
    for url in urls {
        let found = first_source(ctx, std::slice::from_ref(&url))?
            .ok_or_else(|| Failure::new(format!("Failed to load template file {url}")))?;
        let bytes = render_source(ctx, found, template, extra.clone()).await?;
        out.push(diff::decode(&bytes));
    }
    Ok(out)
}

/// Salt's `build_whitespace_split_regex`: the chunk's words (as a
/// non-POSIX `shlex` splits each line), with any whitespace around them.
pub(super) fn whitespace_regex(text: &str) -> Result<String, Failure> {
    let mut regex = String::new();
    for line in text.lines() {
        let parts: Vec<String> = shlex_words(line)?.iter().map(|w| escape(w)).collect();
        regex.push_str(&format!(
            r"(?:[\s]+)?{}(?:[\s]+)?",
            parts.join(r"(?:[\s]+)?")
        ));
    }
    Ok(format!("(?m)^{regex}$"))
}

/// Python's `shlex.shlex(line)` with `whitespace_split` and no comments,
/// not POSIX: a quoted word keeps its quotes and its spaces. Which quote
/// characters count depends on the line, as Salt chooses.
fn shlex_words(line: &str) -> Result<Vec<String>, Failure> {
    let quotes: &[char] = if line.contains("'\\\"") {
        &[]
    } else if line.contains('\'') {
        &['"']
    } else if line.contains('"') {
        &['\'']
    } else {
        &['\'', '"']
    };
    let space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut words = Vec::new();
    let mut chars = line.chars();
    let mut token = String::new();
    let mut quote: Option<char> = None;
    loop {
        let c = chars.next();
        match (quote, c) {
            (Some(_), None) => return Err(Failure::new("No closing quotation")),
            (Some(q), Some(c)) => {
                token.push(c);
                if c == q {
                    quote = None;
                    words.push(std::mem::take(&mut token));
                }
            }
            (None, None) => break,
            (None, Some(c)) if space(c) => {
                if !token.is_empty() {
                    words.push(std::mem::take(&mut token));
                }
            }
            (None, Some(c)) if token.is_empty() && quotes.contains(&c) => {
                token.push(c);
                quote = Some(c);
            }
            (None, Some(c)) => token.push(c),
        }
    }
    if !token.is_empty() {
        words.push(token);
    }
    Ok(words)
}

/// Whether `pattern` matches the text (Salt's `file.search`, multiline).
pub(super) fn search(text: &str, pattern: &str) -> Result<bool, Failure> {
    PyRegex::new(pattern, MULTILINE)
        .and_then(|re| re.search(text))
        .map_err(Failure::new)
}

/// Python's `str.splitlines()`: lines without their endings.
pub(super) fn splitlines(text: &str) -> Vec<String> {
    diff::splitlines(text)
        .into_iter()
        .map(|l| {
            l.trim_end_matches([
                '\n', '\r', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\u{85}', '\u{2028}',
                '\u{2029}',
            ])
            .to_string()
        })
        .collect()
}

/// Salt's diff of lines without endings, joined by newlines (its test of
/// `file.append` and `file.prepend` prints it so).
pub(super) fn joined_diff(old: &[String], new: &[String]) -> String {
    diff::items(old, new).join("\n")
}

#[async_trait]
impl Function for Append {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        named(name, "file.append")?;
        let followed = read_followed(ctx, name).await?;
        let (path, current) = (followed.path, followed.fact);
        let text = chunks(
            ctx,
            args.source.as_ref(),
            args.sources.as_ref(),
            args.text.as_ref(),
            args.template.as_deref(),
            args.defaults.as_ref(),
            args.context.as_ref(),
        )
        .await?;
        let exists = current.exists();
        let content = current.content.clone().unwrap_or_default();
        let old = diff::decode(&content);
        let mut appended: Vec<String> = Vec::new();
        for chunk in &text {
            let pattern = if args.ignore_whitespace {
                whitespace_regex(chunk)?
            } else {
                chunk.clone()
            };
            if search(&old, &pattern)? {
                continue;
            }
            appended.extend(splitlines(chunk));
        }
        let slines = splitlines(&old);
        let mut nlines = slines.clone();
        nlines.extend(appended.iter().cloned());
        let diff_text = if !diff::is_text(&content) {
            "Replace binary file".to_string()
        } else if !args.show_changes {
            "<show_changes=False>".to_string()
        } else {
            joined_diff(&slines, &nlines)
        };
        let mut new = content.clone();
        if !appended.is_empty() && !new.is_empty() && !new.ends_with(b"\n") {
            new.push(b'\n');
        }
        for line in &appended {
            new.extend_from_slice(line.as_bytes());
            new.push(b'\n');
        }
        let write = Action::write(WriteFile {
            path: path.clone(),
            content: new,
            user: None,
            group: None,
            mode: None,
            makedirs: args.makedirs,
        });
        let done = if appended.is_empty() {
            format!("File {name} is in correct state")
        } else {
            format!("Appended {} lines", appended.len())
        };
        let diff_changes = if slines == nlines {
            Changes::new()
        } else {
            Changes::from_iter([("diff".to_string(), json!(diff_text))])
        };
        if !exists {
            let parent = crate::facts::paths::dirname(&path);
            let mut actions = Vec::new();
            if !args.makedirs && !ctx.host.file(&parent).await?.exists() {
                actions.push(Action::Fail(format!("{name}: file not found")));
            }
            actions.push(write);
            return Ok(Plan::change(
                Changes::from_iter([("new".to_string(), json!(name))]),
                format!("File {name} is set to be created"),
                done,
                actions,
            )
            .applied(diff_changes));
        }
        if appended.is_empty() {
            return Ok(Plan::noop(format!("File {name} is in correct state")));
        }
        Ok(Plan::change(
            diff_changes,
            format!("File {name} is set to be updated"),
            done,
            vec![write],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Salt's regexes for the same text (`build_whitespace_split_regex`).
    #[test]
    fn whitespace_regex_as_salt_builds_it() {
        assert_eq!(
            whitespace_regex("Defaults   secure_path=\"/usr/bin:/bin\"").unwrap(),
            r#"(?m)^(?:[\s]+)?Defaults(?:[\s]+)?secure_path="/usr/bin:/bin"(?:[\s]+)?$"#
        );
        assert_eq!(
            whitespace_regex("a 'b c' d\ne").unwrap(),
            r"(?m)^(?:[\s]+)?a(?:[\s]+)?'b(?:[\s]+)?c'(?:[\s]+)?d(?:[\s]+)?(?:[\s]+)?e(?:[\s]+)?$"
        );
        assert_eq!(shlex_words("x \"it's\"").unwrap(), ["x", "\"it's\""]);
    }
}
