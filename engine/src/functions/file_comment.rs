//! `file.comment` and `file.uncomment`: lines that match a regular
//! expression commented out (a `char`, `#` by default, put in front), or
//! back in.
//!
//! Salt decides in two steps that do not quite agree, and so do we: the
//! state looks for the pattern anywhere in the file (ignoring leading
//! space), then Salt's `comment_line` edits the lines the pattern matches
//! at their very start, and the result is checked again. The original is
//! kept as `<path><backup>` (`.bak` unless `backup: false`).

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::file_append::search;
use super::file_common::{absolute, read_followed};
use super::file_regex::PyRegex;
use super::file_replace::{backup_suffix, Text};
use super::{Ctx, Function};
use crate::diff;
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, WriteFile};

pub(super) struct Comment;
pub(super) struct Uncomment;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CommentArgs {
    pub name: String,
    pub regex: String,
    #[serde(default = "hash")]
    pub char: String,
    #[serde(default = "bak")]
    pub backup: Value,
    #[serde(default)]
    pub ignore_missing: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UncommentArgs {
    pub name: String,
    pub regex: String,
    #[serde(default = "hash")]
    pub char: String,
    #[serde(default = "bak")]
    pub backup: Value,
}

fn hash() -> String {
    "#".into()
}

fn bak() -> Value {
    json!(".bak")
}

/// Salt's `file.comment_line`: each line the pattern matches at its
/// start, commented (`char` put in front) or uncommented (every leading
/// character of `char` taken off). `None` when no line matches.
fn comment_lines(
    lines: &[String],
    regex: &str,
    char: &str,
    comment: bool,
) -> Result<Option<Vec<String>>, Failure> {
    let inner = regex.trim_start_matches('^').trim_end_matches('$');
    let tail = if regex.ends_with('$') { "$" } else { "" };
    let pattern = if comment {
        let head = if regex.starts_with('^') { "^" } else { "" };
        format!("{head}({inner}){tail}")
    } else {
        format!(r"^{char}\s*({inner}){tail}")
    };
    let re = PyRegex::new(&pattern, 0).map_err(Failure::new)?;
    let mut found = false;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if re.matches_start(line).map_err(Failure::new)? {
            found = true;
            if comment {
                out.push(format!("{char}{line}"));
            } else {
                out.push(line.trim_start_matches(|c| char.contains(c)).to_string());
            }
        } else {
            out.push(line.clone());
        }
    }
    Ok(found.then_some(out))
}

/// The file to edit, or Salt's reason why not.
async fn text_file(ctx: &Ctx<'_>, name: &str) -> Result<(String, Text, Vec<u8>), Failure> {
    absolute(name)?;
    let followed = read_followed(ctx, name).await?;
    if !followed.fact.exists() {
        return Err(Failure::new(format!("{name}: file not found")));
    }
    let bytes = followed.fact.content.clone().unwrap_or_default();
    Ok((followed.path, Text::new(&bytes), bytes))
}

/// The plan of an edit already decided: the diff Salt shows once
/// applied, the backup, the new content, and the check Salt makes after.
#[allow(clippy::too_many_arguments)]
fn edit_plan(
    name: &str,
    path: &str,
    text: &Text,
    bytes: &[u8],
    old_lines: &[String],
    new_lines: Option<Vec<String>>,
    backup: &Value,
    holds: bool,
    done: (&str, &str),
) -> Plan {
    let mut actions = Vec::new();
    let mut applied = Changes::new();
    if let Some(new_lines) = &new_lines {
        if let Some(suffix) = backup_suffix(backup) {
            let backup = format!("{path}{suffix}");
            actions.push(Action::run(
                Exec::new(format!("cp -p -- {} {}", quote(path), quote(&backup))),
                format!("Unable to back up {path} to {backup}"),
            ));
        }
        let new_text = new_lines.concat();
        actions.push(Action::write(WriteFile {
            path: path.to_string(),
            content: text.bytes(&new_text),
            user: None,
            group: None,
            mode: None,
            makedirs: false,
        }));
        if new_lines.as_slice() != old_lines {
            let shown = if diff::is_text(bytes) {
                diff::lines(old_lines, new_lines)
            } else {
                "Replace binary file".into()
            };
            applied.insert("diff".into(), json!(shown));
        }
    }
    if !holds {
        actions.push(Action::Fail(done.1.to_string()));
    }
    Plan::change(
        Changes::from_iter([(name.to_string(), json!("updated"))]),
        format!("File {name} is set to be updated"),
        done.0,
        actions,
    )
    .applied(applied)
}

#[async_trait]
impl Function for Comment {
    type Args = CommentArgs;

    fn paths(args: &CommentArgs) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &CommentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        if name.is_empty() {
            return Err(Failure::new("Must provide name to file.comment"));
        }
        let (path, text, bytes) = text_file(ctx, name).await?;
        let char = &args.char;
        // Salt: `re.sub(r"^(\(\?[iLmsux]\))?\^?(.*?)\$?$", r"\2", regex)`.
        let (unanchored, _) = PyRegex::new(r"^(\(\?[iLmsux]\))?\^?(.*?)\$?$", 0)
            .and_then(|re| re.subn(&args.regex, r"\2", 0))
            .map_err(Failure::new)?;
        let uncommented = format!(r"^(?!\s*{char})\s*{unanchored}");
        let commented = format!("{char}{unanchored}");
        if !search(&text.text, &uncommented)? {
            if search(&text.text, &commented)? {
                return Ok(Plan::noop("Pattern already commented"));
            }
            if args.ignore_missing {
                return Ok(Plan::noop(
                    "Pattern not found and ignore_missing set to True",
                ));
            }
            return Err(Failure::new(format!("{unanchored}: Pattern not found")));
        }
        let old: Vec<String> = diff::splitlines(&text.text)
            .into_iter()
            .map(String::from)
            .collect();
        let lines: Vec<String> = diff::readlines(&text.bytes(&text.text));
        let new = comment_lines(&lines, &args.regex, char, true)?;
        let after = new
            .as_ref()
            .map(|n| n.concat())
            .unwrap_or(text.text.clone());
        let holds = search(&after, &commented)?;
        let new_lines = new.map(|n| {
            diff::splitlines(&n.concat())
                .into_iter()
                .map(String::from)
                .collect()
        });
        Ok(edit_plan(
            name,
            &path,
            &text,
            &bytes,
            &old,
            new_lines,
            &args.backup,
            holds,
            (
                "Commented lines successfully",
                "Expected commented lines not found",
            ),
        ))
    }
}

#[async_trait]
impl Function for Uncomment {
    type Args = UncommentArgs;

    fn paths(args: &UncommentArgs) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &UncommentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        if name.is_empty() {
            return Err(Failure::new("Must provide name to file.uncomment"));
        }
        let (path, text, bytes) = text_file(ctx, name).await?;
        let char = &args.char;
        let bare = args.regex.trim_start_matches('^');
        let uncommented = format!("^[ \t]*{bare}");
        if !search(&text.text, &format!("{char}[ \t]*{bare}"))? {
            if search(&text.text, &uncommented)? {
                return Ok(Plan::noop("Pattern already uncommented"));
            }
            return Err(Failure::new(format!("{}: Pattern not found", args.regex)));
        }
        let old = diff::readlines(&text.bytes(&text.text));
        let new = comment_lines(&old, &args.regex, char, false)?;
        let after = new
            .as_ref()
            .map(|n| n.concat())
            .unwrap_or(text.text.clone());
        let holds = search(&after, &uncommented)?;
        let new_lines = new.map(|n| diff::readlines(&text.bytes(&n.concat())));
        Ok(edit_plan(
            name,
            &path,
            &text,
            &bytes,
            &old,
            new_lines,
            &args.backup,
            holds,
            (
                "Uncommented lines successfully",
                "Expected uncommented lines not found",
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        diff::readlines(s.as_bytes())
    }

    #[test]
    fn comments_lines_matching_at_their_start() {
        let old = lines("port = 1\n  port = 2\nportal\n");
        let new = comment_lines(&old, "^port\\s*=.+", "#", true)
            .unwrap()
            .unwrap();
        assert_eq!(new.concat(), "#port = 1\n  port = 2\nportal\n");
        let back = comment_lines(&new, "^port\\s*=.+", "#", false)
            .unwrap()
            .unwrap();
        assert_eq!(back.concat(), "port = 1\n  port = 2\nportal\n");
        assert!(comment_lines(&old, "^nope", "#", true).unwrap().is_none());
        // `$` matches before the line's newline, as Python's re.match does.
        let new = comment_lines(&old, "^portal$", "#", true).unwrap().unwrap();
        assert_eq!(new.concat(), "port = 1\n  port = 2\n#portal\n");
    }
}
