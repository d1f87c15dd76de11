//! `file.managed`: a file's content (from `source`, rendered or not, or
//! `contents`), owner, group and mode.
//!
//! Templates render on the controller with the host's grains and pillar; a
//! template error fails this state only, as in Salt. The file is replaced
//! atomically by the transport.

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::mode::{name_or_id, Mode};
use super::{Ctx, Function};
use crate::diff;
use crate::plan::{Action, Changes, Failure, Plan};
use crate::source::Source;
use crate::transport::{FileKind, WriteFile};

pub struct Managed;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    #[serde(default)]
    pub source: Option<OneOrMany>,
    #[serde(default)]
    pub contents: Option<Value>,
    #[serde(default = "yes")]
    pub contents_newline: bool,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(default)]
    pub defaults: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "name_or_id")]
    pub user: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")]
    pub group: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub makedirs: bool,
    #[serde(default = "yes")]
    pub replace: bool,
    #[serde(default = "yes")]
    pub show_changes: bool,
    #[serde(default = "yes")]
    pub create: bool,
    /// Accepted for Salt compatibility; a `salt://` source needs no hash.
    #[serde(default)]
    #[allow(dead_code)]
    pub source_hash: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub skip_verify: Option<IgnoredAny>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[async_trait]
impl Function for Managed {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    fn sources(args: &Args) -> Vec<String> {
        // With a list, Salt takes the first that exists: one must.
        args.source
            .as_ref()
            .map(OneOrMany::list)
            .unwrap_or_default()
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let path = &args.name;
        if !path.starts_with('/') {
            return Err(Failure::new(format!(
                "Specified file {path} is not an absolute path"
            )));
        }
        let current = ctx.host.file(path).await?;
        if current.kind == FileKind::Directory {
            return Err(Failure::new(format!(
                "Specified target {path} is a directory"
            )));
        }
        if !current.exists() && !args.create {
            return Ok(Plan::noop(format!(
                "File {path} is not present and is not set for creation"
            )));
        }
        let wanted = desired_content(args, ctx).await?;

        let mut changes = Changes::new();
        let mut content_changes = false;
        if current.exists() {
            let old = current.content.as_deref().unwrap_or_default();
            if let Some(new) = &wanted {
                if args.replace && old != new.as_slice() {
                    content_changes = true;
                    let d = if args.show_changes {
                        diff::unified(old, new)
                    } else {
                        "<show_changes=False>".into()
                    };
                    changes.insert("diff".into(), Value::String(d));
                }
            }
        }
        let attrs = attr_changes(args, &current);
        changes.extend(attrs.clone());

        if current.exists() && changes.is_empty() {
            return Ok(Plan::noop(format!("File {path} is in the correct state")));
        }
        let test_comment = format!(
            "The file {path} is set to be changed\nNote: No changes made, actual changes may\nbe different due to other states."
        );
        let done = format!("File {path} updated");
        let write = |content: Vec<u8>| {
            Action::write(WriteFile {
                path: path.clone(),
                content,
                user: args.user.clone(),
                group: args.group.clone(),
                mode: args.mode.map(|m| m.0),
                makedirs: args.makedirs,
            })
        };
        if !current.exists() {
            let mut done_changes = Changes::new();
            done_changes.insert("diff".into(), json!("New file"));
            if let Some(m) = args.mode {
                done_changes.insert("mode".into(), json!(m.to_string()));
            }
            let mut plan = Plan::change(
                Changes::from_iter([("newfile".to_string(), json!(path))]),
                test_comment,
                done,
                vec![write(wanted.unwrap_or_default())],
            );
            plan.applied = Some(done_changes);
            return Ok(plan);
        }
        let step = if content_changes {
            write(wanted.unwrap_or_default())
        } else {
            super::file_directory::attrs_step(
                path,
                &attrs,
                args.user.as_deref(),
                args.group.as_deref(),
                args.mode,
            )
        };
        Ok(Plan::change(changes, test_comment, done, vec![step]))
    }
}

/// The content the file should have, or `None` when only attributes are managed.
async fn desired_content(args: &Args, ctx: &Ctx<'_>) -> Result<Option<Vec<u8>>, Failure> {
    if args.source.is_some() && args.contents.is_some() {
        return Err(Failure::new(
            "'source' cannot be used in combination with 'contents'",
        ));
    }
    if let Some(contents) = &args.contents {
        let mut text = match contents {
            Value::String(s) => s.clone(),
            Value::Array(lines) => lines.iter().map(scalar_text).collect::<Vec<_>>().join("\n"),
            Value::Null => String::new(),
            other => scalar_text(other),
        };
        if args.contents_newline && !text.ends_with('\n') {
            text.push('\n');
        }
        return Ok(Some(text.into_bytes()));
    }
    let Some(source) = &args.source else {
        return Ok(None);
    };
    let tree = &ctx.host.tree;
    let env = &ctx.chunk.env;
    let mut found = None;
    for url in source.list() {
        if let Some(hit) = tree
            .resolve_url(env, &url)
            .map_err(|e| Failure::new(e.headline()))?
        {
            found = Some(hit);
            break;
        }
    }
    let (path, rel) = found.ok_or_else(|| {
        Failure::new(format!(
            "Source file {} not found in saltenv '{env}'",
            source.list().join(", ")
        ))
    })?;
    let bytes = std::fs::read(&path)
        .map_err(|e| Failure::new(format!("Unable to read {}: {e}", path.display())))?;
    match args.template.as_deref() {
        None => Ok(Some(bytes)),
        Some("jinja") => {
            let text = String::from_utf8(bytes).map_err(|_| {
                Failure::new(format!("Unable to manage file: {rel} is not UTF-8 text"))
            })?;
            let mut extra = args.defaults.clone().unwrap_or_default();
            extra.extend(args.context.clone().unwrap_or_default());
            let root = path
                .to_str()
                .and_then(|p| p.strip_suffix(&rel))
                .map(std::path::PathBuf::from)
                .unwrap_or_default();
            let source = Source::file(&root, &rel, text);
            let (tree, env, sls) = (Arc::clone(tree), env.clone(), ctx.chunk.sls.clone());
            let render = ctx.host.render.clone();
            // Rendering is synchronous and may call the host back
            // (`salt['cmd.run']`): it runs on a blocking thread.
            let out = tokio::task::spawn_blocking(move || {
                tree.renderer(&env)?
                    .render_file(&source, &sls, &render, &extra)
            })
            .await
            .map_err(|e| Failure::new(format!("Unable to manage file: {e}")))?
            .map_err(|e| {
                Failure::new(format!(
                    "Unable to manage file: {}",
                    e.to_string().trim_end()
                ))
            })?;
            Ok(Some(out.into_bytes()))
        }
        Some(other) => Err(Failure::new(format!(
            "Unsupported template engine `{other}` (converge renders jinja)"
        ))),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Owner, group and mode that differ from what is asked, as Salt reports them.
fn attr_changes(args: &Args, current: &crate::transport::FileFact) -> Changes {
    let mut changes = Changes::new();
    if !current.exists() {
        return changes;
    }
    if let Some(u) = &args.user {
        if u != &current.user {
            changes.insert("user".into(), json!(u));
        }
    }
    if let Some(g) = &args.group {
        if g != &current.group {
            changes.insert("group".into(), json!(g));
        }
    }
    if let Some(m) = args.mode {
        if m.0 != current.mode {
            changes.insert("mode".into(), json!(m.to_string()));
        }
    }
    changes
}
