//! `file.blockreplace`: the lines between two marker lines of a file
//! replaced by `content` (or the rendered `source`s), the block appended,
//! prepended or inserted beside a matching line when the markers are not
//! there.
//!
//! A port of Salt's line walk, quirks included: a marker is found
//! anywhere in a line, the end marker's line keeps only what follows the
//! marker's start, and content without a final newline gets one.

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::file_append::chunks;
use super::file_common::{named, read_followed, OneOrMany};
use super::file_regex::PyRegex;
use super::file_replace::{backup_suffix, Text};
use super::{Ctx, Function};
use crate::diff;
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind, WriteFile};

pub(super) struct BlockReplace;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    #[serde(default = "start")]
    pub marker_start: String,
    #[serde(default = "end")]
    pub marker_end: String,
    #[serde(default)]
    pub content: Option<Value>,
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
    #[serde(default)]
    pub append_if_not_found: bool,
    #[serde(default)]
    pub prepend_if_not_found: bool,
    #[serde(default)]
    pub insert_before_match: Option<String>,
    #[serde(default)]
    pub insert_after_match: Option<String>,
    #[serde(default = "bak")]
    pub backup: Value,
    #[serde(default = "crate::functions::yes")]
    pub show_changes: bool,
    #[serde(default)]
    pub append_newline: Option<bool>,
    /// Accepted for Salt compatibility; a `salt://` source needs no hash.
    #[serde(default)]
    #[allow(dead_code)]
    pub source_hash: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub source_hashes: Option<IgnoredAny>,
}

fn start() -> String {
    "#-- start managed zone --".into()
}

fn end() -> String {
    "#-- end managed zone --".into()
}

fn jinja() -> Option<String> {
    Some("jinja".into())
}

fn bak() -> Value {
    json!(".bak")
}

/// Where the block goes when the markers are not in the file.
enum Missing<'a> {
    Append,
    Prepend,
    Before(&'a str),
    After(&'a str),
    Fail,
}

/// Salt's `file.blockreplace` on the lines of a file (each with its
/// ending): the new lines, or why the block cannot be edited.
fn edit(
    lines: &[String],
    start: &str,
    end: &str,
    content: &str,
    append_newline: Option<bool>,
    missing: Missing<'_>,
) -> Result<Vec<String>, String> {
    let append_newline = append_newline.unwrap_or(!content.ends_with('\n'));
    let split: Vec<&str> = content.split("\r\n").flat_map(|l| l.split('\n')).collect();
    let linesep = match lines.first() {
        Some(l) if l.ends_with("\r\n") => "\r\n",
        _ => "\n",
    };
    let block = |with_start: bool, end_line: &str| -> Vec<String> {
        let end_line = format!("{}{linesep}", end_line.trim_end_matches(['\r', '\n']));
        let mut out = Vec::new();
        if with_start {
            out.push(format!("{start}{linesep}"));
        }
        for (i, line) in split.iter().enumerate() {
            if i + 1 < split.len() {
                out.push(format!("{line}{linesep}"));
            } else if append_newline {
                out.push(format!("{line}{linesep}"));
                out.push(end_line.clone());
            } else {
                out.push(format!("{line}{end_line}"));
            }
        }
        out
    };
    let mut new = Vec::new();
    let (mut in_block, mut found) = (false, false);
    for line in lines {
        let mut keep = true;
        if line.contains(start) {
            in_block = true;
        } else if in_block {
            keep = false;
            if let Some(at) = line.find(end) {
                in_block = false;
                found = true;
                new.extend(block(false, &line[at..]));
            }
        }
        if keep {
            new.push(line.clone());
        }
    }
    if in_block {
        return Err("Unterminated marked block. End of file reached before marker_end.".into());
    }
    if !found {
        match missing {
            Missing::Prepend => {
                let mut b = block(true, end);
                b.extend(new);
                new = b;
            }
            Missing::Append => {
                if let Some(last) = new.last_mut() {
                    if !last.ends_with(linesep) {
                        last.push_str(linesep);
                    }
                }
                new.extend(block(true, end));
            }
            Missing::Before(re) | Missing::After(re) => {
                let after = matches!(missing, Missing::After(_));
                let re = PyRegex::new(re, 0)?;
                let mut at = None;
                for (i, l) in lines.iter().enumerate() {
                    if re.search(l)? {
                        at = Some(i);
                        break;
                    }
                }
                let Some(mut at) = at else {
                    return Err("Cannot edit marked block. Markers were not found in file.".into());
                };
                for line in block(true, end) {
                    if after {
                        at += 1;
                    }
                    new.insert(at.min(new.len()), line);
                    if !after {
                        at += 1;
                    }
                }
            }
            Missing::Fail => {
                return Err("Cannot edit marked block. Markers were not found in file.".into())
            }
        }
    }
    Ok(new)
}

#[async_trait]
impl Function for BlockReplace {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        named(name, "file.blockreplace")?;
        let followed = read_followed(ctx, name).await?;
        if !followed.fact.exists() {
            return Err(Failure::new(format!("{name}: file not found")));
        }
        let mut content = match &args.content {
            None | Some(Value::Null) => String::new(),
            Some(v) => super::file_common::py_str(v),
        };
        if args.source.is_some() || args.sources.is_some() {
            for text in chunks(
                ctx,
                args.source.as_ref(),
                args.sources.as_ref(),
                None,
                args.template.as_deref(),
                args.defaults.as_ref(),
                args.context.as_ref(),
            )
            .await?
            {
                content.push_str(&text);
            }
        }
        let failed = |e: String| {
            Failure::new(format!(
                "Encountered error managing block: {e}. See the log for details."
            ))
        };
        let exclusive = [
            args.append_if_not_found,
            args.prepend_if_not_found,
            args.insert_before_match
                .as_deref()
                .is_some_and(|s| !s.is_empty()),
            args.insert_after_match
                .as_deref()
                .is_some_and(|s| !s.is_empty()),
        ];
        if exclusive.iter().filter(|b| **b).count() > 1 {
            return Err(failed(
                "Only one of append_if_not_found, prepend_if_not_found, insert_before_match, and insert_after_match is permitted".into(),
            ));
        }
        let bytes = followed.fact.content.clone().unwrap_or_default();
        if followed.fact.kind == FileKind::File && diff::is_binary(&bytes[..bytes.len().min(2048)])
        {
            return Err(failed(format!(
                "Cannot perform string replacements on a binary file: {name}"
            )));
        }
        let text = Text::new(&bytes);
        let lines: Vec<String> = diff::splitlines_bytes(&text.bytes(&text.text))
            .into_iter()
            .map(diff::decode)
            .collect();
        let missing = if args.prepend_if_not_found {
            Missing::Prepend
        } else if args.append_if_not_found {
            Missing::Append
        } else if let Some(re) = args
            .insert_before_match
            .as_deref()
            .filter(|s| !s.is_empty())
        {
            Missing::Before(re)
        } else if let Some(re) = args.insert_after_match.as_deref().filter(|s| !s.is_empty()) {
            Missing::After(re)
        } else {
            Missing::Fail
        };
        let new = edit(
            &lines,
            &args.marker_start,
            &args.marker_end,
            &content,
            args.append_newline,
            missing,
        )
        .map_err(failed)?;
        let d = diff::lines(&lines, &new);
        if d.is_empty() {
            return Ok(Plan::noop("No changes needed to be made"));
        }
        let mut actions = Vec::new();
        if let Some(suffix) = backup_suffix(&args.backup) {
            let backup = format!("{}{suffix}", followed.path);
            actions.push(Action::run(
                Exec::new(format!(
                    "cp -p -- {} {}",
                    quote(&followed.path),
                    quote(&backup)
                )),
                format!("Unable to back up {} to {backup}", followed.path),
            ));
        }
        actions.push(Action::write(WriteFile {
            path: followed.path.clone(),
            content: text.bytes(&new.concat()),
            user: None,
            group: None,
            mode: None,
            makedirs: false,
        }));
        let shown = if args.show_changes {
            json!(d)
        } else {
            json!(true)
        };
        Ok(Plan::change(
            Changes::from_iter([("diff".to_string(), shown)]),
            "Changes would be made",
            "Changes were made",
            actions,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        diff::splitlines(s).into_iter().map(String::from).collect()
    }

    #[test]
    fn replaces_between_the_markers_as_salt_does() {
        let old = lines("a\n#S\nold\n  #E tail\nb\n");
        let new = edit(&old, "#S", "#E", "x\ny", None, Missing::Fail).unwrap();
        // The end marker's line keeps what follows the marker only.
        assert_eq!(new.concat(), "a\n#S\nx\ny\n#E tail\nb\n");
        let err = edit(&lines("a\n"), "#S", "#E", "x", None, Missing::Fail).unwrap_err();
        assert_eq!(
            err,
            "Cannot edit marked block. Markers were not found in file."
        );
        let err = edit(&lines("#S\nx\n"), "#S", "#E", "x", None, Missing::Fail).unwrap_err();
        assert!(err.starts_with("Unterminated marked block"));
    }

    #[test]
    fn places_a_missing_block() {
        let old = lines("a\nb");
        let appended = edit(&old, "#S", "#E", "x\n", None, Missing::Append).unwrap();
        assert_eq!(appended.concat(), "a\nb\n#S\nx\n#E\n");
        let after = edit(&old, "#S", "#E", "x", None, Missing::After("^a")).unwrap();
        assert_eq!(after.concat(), "a\n#S\nx\n#E\nb");
        let before = edit(&old, "#S", "#E", "", None, Missing::Before("b")).unwrap();
        assert_eq!(before.concat(), "a\n#S\n\n#E\nb");
    }
}
