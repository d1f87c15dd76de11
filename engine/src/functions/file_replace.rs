//! `file.replace`: a regular expression's matches in a file replaced, or
//! the text appended or prepended when it is not there.
//!
//! Python's `re` on the whole file (`file_regex`), with Salt's flags
//! (MULTILINE by default) and its replacement syntax. The file is edited
//! through a symlink; the original is kept beside it as `<path><backup>`
//! (`.bak` unless `backup: false`).

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

use super::file_common::{named, py_str, read_followed};
use super::file_regex::{self, escape, PyRegex};
use super::{Ctx, Function};
use crate::diff;
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind, WriteFile};

pub(super) struct Replace;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    pub pattern: String,
    pub repl: Value,
    #[serde(default)]
    pub count: usize,
    #[serde(default = "multiline")]
    pub flags: Value,
    #[serde(default)]
    pub append_if_not_found: bool,
    #[serde(default)]
    pub prepend_if_not_found: bool,
    #[serde(default)]
    pub not_found_content: Option<Value>,
    #[serde(default = "bak")]
    pub backup: Value,
    #[serde(default = "crate::functions::yes")]
    pub show_changes: bool,
    #[serde(default)]
    pub ignore_if_missing: bool,
    #[serde(default)]
    pub backslash_literal: bool,
    /// The file's encoding; converge edits UTF-8 (and ASCII) text.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Accepted as Salt accepts it: the whole file is always read.
    #[serde(default)]
    #[allow(dead_code)]
    pub bufsize: Option<IgnoredAny>,
}

fn multiline() -> Value {
    json!(file_regex::MULTILINE)
}

fn bak() -> Value {
    json!(".bak")
}

/// The backup suffix Salt's `backup` argument names, if any (`false`,
/// `''` and `null` keep none).
pub(super) fn backup_suffix(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Number(n) if n.as_f64() != Some(0.0) => Some(n.to_string()),
        _ => None,
    }
}

/// The text of a file, and how to put it back into bytes: UTF-8, or
/// byte for byte (Latin-1) when it is not UTF-8, as Salt edits bytes.
pub(super) struct Text {
    pub text: String,
    utf8: bool,
}

impl Text {
    pub(super) fn new(bytes: &[u8]) -> Text {
        match std::str::from_utf8(bytes) {
            Ok(s) => Text {
                text: s.to_string(),
                utf8: true,
            },
            Err(_) => Text {
                text: bytes.iter().map(|&b| b as char).collect(),
                utf8: false,
            },
        }
    }

    pub(super) fn bytes(&self, text: &str) -> Vec<u8> {
        if self.utf8 {
            text.as_bytes().to_vec()
        } else {
            text.chars().map(|c| c as u32 as u8).collect()
        }
    }
}

/// The steps that keep `path`'s current content as `path<suffix>` (mode
/// and times kept, as Python's `copy2` does) and, when `link` was the
/// path asked for, a symlink `link<suffix>` to the backup, as Salt makes.
pub(super) fn backup_steps(path: &str, suffix: &str, link: Option<(&str, &str)>) -> Vec<Action> {
    let backup = format!("{path}{suffix}");
    let mut cmd = format!(
        "cp --preserve=mode,timestamps -- {} {}",
        quote(path),
        quote(&backup)
    );
    if let Some((given, target)) = link {
        cmd.push_str(&format!(
            " && ln -sfn -- {} {}",
            quote(&format!("{target}{suffix}")),
            quote(&format!("{given}{suffix}"))
        ));
    }
    vec![Action::run(
        Exec::new(cmd),
        format!("Unable to back up {path} to {backup}"),
    )]
}

#[async_trait]
impl Function for Replace {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        named(name, "file.replace")?;
        let followed = read_followed(ctx, name).await?;
        let (path, current) = (followed.path.clone(), followed.fact.clone());
        if !current.exists() {
            if args.ignore_if_missing {
                return Ok(Plan::noop("No changes needed to be made"));
            }
            return Err(Failure::new(format!("{name}: file not found")));
        }
        if let Some(enc) = &args.encoding {
            let e = enc.to_lowercase().replace(['-', '_'], "");
            if !matches!(e.as_str(), "utf8" | "ascii" | "usascii") {
                return Err(Failure::new(format!(
                    "encoding {enc}: converge edits UTF-8 text only"
                )));
            }
        }
        let bytes = current.content.clone().unwrap_or_default();
        if current.kind == FileKind::File && !diff::is_text(&bytes) && args.encoding.is_none() {
            return Err(Failure::new(format!(
                "Cannot perform string replacements on a binary file: {path}"
            )));
        }
        if args.append_if_not_found && args.prepend_if_not_found {
            return Err(Failure::new(
                "Only one of append and prepend_if_not_found is permitted",
            ));
        }
        let flags = file_regex::flags(&args.flags).map_err(Failure::new)?;
        let re = PyRegex::new(&args.pattern, flags).map_err(Failure::new)?;
        let repl = py_str(&args.repl);
        let nfc = args.not_found_content.as_ref().map(py_str);
        let adding = args.append_if_not_found || args.prepend_if_not_found;
        let content = match &nfc {
            Some(c) if !c.is_empty() && adding => c.clone(),
            _ => repl.clone(),
        };
        let text = Text::new(&bytes);
        let template = if args.backslash_literal {
            repl.replace('\\', "\\\\")
        } else {
            repl.clone()
        };
        let (result, n) = re
            .subn(&text.text, &template, args.count)
            .map_err(Failure::new)?;
        let mut found = n > 0;
        if adding {
            let present = PyRegex::new(&format!("^{}($|(?=\r\n))", escape(&content)), flags)
                .and_then(|r| r.search(&text.text))
                .map_err(Failure::new)?;
            found |= present;
        }
        let lines = |s: &str| -> Vec<String> {
            diff::splitlines_bytes(&text.bytes(s))
                .into_iter()
                .map(diff::decode)
                .collect()
        };
        let orig = lines(&text.text);
        let mut new_lines = lines(&result);
        let mut new_text = result;
        if !found && adding {
            let add = format!("{}\n", nfc.clone().unwrap_or(repl.clone()));
            if args.prepend_if_not_found {
                new_lines.insert(0, add);
            } else {
                if let Some(last) = new_lines.last_mut() {
                    if !last.ends_with('\n') {
                        last.push('\n');
                    }
                }
                new_lines.push(add);
            }
            new_text = new_lines.concat();
        }
        if orig == new_lines {
            return Ok(Plan::noop("No changes needed to be made"));
        }
        let shown = if args.show_changes {
            json!(diff::lines(&orig, &new_lines))
        } else {
            json!(true)
        };
        let mut actions = Vec::new();
        if let Some(suffix) = backup_suffix(&args.backup) {
            actions.extend(backup_steps(
                &path,
                &suffix,
                followed.link.as_deref().map(|t| (name.as_str(), t)),
            ));
        }
        actions.push(Action::write(WriteFile {
            path,
            content: text.bytes(&new_text),
            user: None,
            group: None,
            mode: None,
            makedirs: false,
        }));
        Ok(Plan::change(
            Changes::from_iter([("diff".to_string(), shown)]),
            "Changes would have been made",
            "Changes were made",
            actions,
        ))
    }
}
