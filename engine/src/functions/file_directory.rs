//! `file.directory`: a directory, its owner, group and mode.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::mode::{name_or_id, Mode};
use super::{Ctx, Function};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind};

pub struct Directory;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    #[serde(default, deserialize_with = "name_or_id")]
    pub user: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")]
    pub group: Option<String>,
    #[serde(default, alias = "dir_mode")]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub makedirs: bool,
}

/// The command that sets owner, group and mode on `path` (those asked).
pub fn attrs_command(
    path: &str,
    user: Option<&str>,
    group: Option<&str>,
    mode: Option<Mode>,
) -> String {
    let mut cmds = Vec::new();
    match (user, group) {
        (Some(u), Some(g)) => cmds.push(format!(
            "chown -- {} {}",
            quote(&format!("{u}:{g}")),
            quote(path)
        )),
        (Some(u), None) => cmds.push(format!("chown -- {} {}", quote(u), quote(path))),
        (None, Some(g)) => cmds.push(format!("chgrp -- {} {}", quote(g), quote(path))),
        (None, None) => {}
    }
    if let Some(m) = mode {
        cmds.push(format!("chmod -- {m} {}", quote(path)));
    }
    cmds.join(" && ")
}

/// A step that fixes the attributes listed in `changes`.
pub fn attrs_step(
    path: &str,
    changes: &Changes,
    user: Option<&str>,
    group: Option<&str>,
    mode: Option<Mode>,
) -> Action {
    let user = user.filter(|_| changes.contains_key("user"));
    let group = group.filter(|_| changes.contains_key("group"));
    let mode = mode.filter(|_| changes.contains_key("mode"));
    Action::run(
        Exec::new(attrs_command(path, user, group, mode)),
        format!("Failed to set owner or mode of {path}"),
    )
}

#[async_trait]
impl Function for Directory {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let path = &args.name;
        let current = ctx.host.file(path).await?;
        let mut attrs = Changes::new();
        match current.kind {
            FileKind::Directory => {
                if let Some(u) = args.user.as_ref().filter(|u| **u != current.user) {
                    attrs.insert("user".into(), json!(u));
                }
                if let Some(g) = args.group.as_ref().filter(|g| **g != current.group) {
                    attrs.insert("group".into(), json!(g));
                }
                if let Some(m) = args.mode.filter(|m| m.0 != current.mode) {
                    attrs.insert("mode".into(), json!(m.to_string()));
                }
                if attrs.is_empty() {
                    return Ok(Plan::noop(format!(
                        "The directory {path} is in the correct state"
                    )));
                }
            }
            FileKind::Missing => {
                attrs.insert("directory".into(), json!("new"));
            }
            _ => {
                return Err(Failure::new(format!(
                    "Specified location {path} exists and is a file"
                )))
            }
        }
        let listing: Vec<String> = attrs
            .iter()
            .map(|(k, v)| format!("{path}: {k} - {}", v.as_str().unwrap_or_default()))
            .collect();
        let comment = format!(
            "The following files will be changed:\n{}\n",
            listing.join("\n")
        );
        let mut cmd = String::new();
        if current.kind == FileKind::Missing {
            // Without makedirs, a missing parent fails here, as in Salt.
            cmd = format!(
                "mkdir {}-- {}",
                if args.makedirs { "-p " } else { "" },
                quote(path)
            );
        }
        let fix = attrs_command(path, args.user.as_deref(), args.group.as_deref(), args.mode);
        if !fix.is_empty() {
            cmd = if cmd.is_empty() {
                fix
            } else {
                format!("{cmd} && {fix}")
            };
        }
        let step = Action::run(
            Exec::new(cmd),
            format!("Failed to create or update directory {path}"),
        );
        let changes = Changes::from_iter([(path.clone(), Value::Object(attrs))]);
        Ok(Plan::change(
            changes,
            comment,
            format!("Directory {path} updated"),
            vec![step],
        ))
    }
}
