//! `file.copy`: a file or directory of the host copied to `name`, unless
//! something is there already (`force` replaces it).
//!
//! The source is a path on the host, not in the state tree. As in Salt,
//! the copy gets the source's mode and is given to `user:group` (by
//! default the user converge runs as), or with `preserve` keeps what `cp`
//! keeps.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::file_common::{dir_mode_for, join, makedirs, missing_owner, named};
use super::mode::{name_or_id, Mode};
use super::{Ctx, Function};
use crate::facts::paths::dirname;
use crate::facts::Paths;
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::Exec;

pub(super) struct Copy;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    pub source: String,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub makedirs: bool,
    #[serde(default)]
    pub preserve: bool,
    #[serde(default, deserialize_with = "name_or_id")]
    pub user: Option<String>,
    /// Salt takes `owner` for `user`.
    #[serde(default, deserialize_with = "name_or_id")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")]
    pub group: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub dir_mode: Option<Mode>,
    /// When `name` is a directory, copy into it.
    #[serde(default)]
    pub subdir: bool,
}

#[async_trait]
impl Function for Copy {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let mut name = args.name.clone();
        let source = &args.source;
        named(&name, "file.copy")?;
        let base = source.rsplit('/').next().unwrap_or(source);
        let into = join(&name, base);
        let paths = vec![
            source.clone(),
            name.clone(),
            into.clone(),
            dirname(&name),
            dirname(&into),
        ];
        let asked_user = args.user.clone().or(args.owner.clone());
        let users: Vec<String> = asked_user.iter().cloned().collect();
        let groups: Vec<String> = args.group.iter().cloned().collect();
        let facts = Paths::read(ctx.host.transport.as_ref(), &paths, &users, &groups)
            .await
            .map_err(Failure::new)?;
        let src = facts.get(source);
        if !src.exists() {
            return Err(Failure::new(format!(
                "Source file \"{source}\" is not present"
            )));
        }
        // The source's mode, through a link (Salt's `file.get_mode`).
        let src_mode = match src.real.as_deref() {
            Some(real) if src.is_link() => ctx.host.file(real).await?.mode,
            _ => src.mode,
        };
        let mut fail_first = None;
        let (user, group, mode) = if args.preserve {
            (None, None, None)
        } else {
            let user = asked_user.unwrap_or(facts.user.clone());
            let group = match &args.group {
                Some(g) => g.clone(),
                None if user == facts.user => facts.group.clone(),
                None => facts.primary_group(&user).unwrap_or(&user).to_string(),
            };
            // A group taken from the user is the user's primary group.
            fail_first = missing_owner(&facts, Some(&user), args.group.as_deref());
            (
                Some(user),
                Some(group),
                Some(args.mode.unwrap_or(Mode(src_mode))),
            )
        };
        if args.subdir && facts.get(&name).is_dir() {
            name = into;
        }
        let target = facts.get(&name);
        let mut comment = format!("Copied \"{source}\" to \"{}\"", args.name);
        let mut changed = true;
        let mut steps = Vec::new();
        if src.lexists() && target.lexists() {
            if args.force && target.is_file() {
                let (a, b) = (ctx.host.file(&name).await?, ctx.host.file(source).await?);
                if a.content.is_some() && a.content == b.content {
                    comment.push_str(" - files are identical but force flag is set");
                }
            }
            if !args.force {
                changed = false;
            } else {
                steps.push(Action::run(
                    Exec::new(format!("rm -rf -- {}", quote(&name))),
                    format!("Failed to delete \"{name}\" in preparation for forced move"),
                ));
            }
        }
        if !changed {
            return Ok(Plan::noop(format!(
                "The target file \"{name}\" exists and will not be overwritten"
            )));
        }
        let test_comment = format!("File \"{source}\" is set to be copied to \"{name}\"");
        if let Some(err) = fail_first {
            steps.insert(0, Action::Fail(err));
        }
        let parent = dirname(&name);
        if !facts.get(&parent).is_dir() {
            if !args.makedirs {
                steps.push(Action::Fail(format!(
                    "The target directory {parent} is not present"
                )));
            } else {
                let dir_mode = args.dir_mode.or(mode.map(dir_mode_for));
                steps.push(Action::run(
                    Exec::new(makedirs(
                        &parent,
                        user.as_deref(),
                        group.as_deref(),
                        dir_mode,
                    )),
                    format!("Failed to copy \"{source}\" to \"{name}\""),
                ));
            }
        }
        let owner = user
            .as_ref()
            .zip(group.as_ref())
            .map(|(u, g)| format!("{u}:{g}"));
        let copy = if src.is_dir() {
            let mut cmd = format!(
                "cp -RP --preserve=mode,timestamps -- {} {}",
                quote(source),
                quote(&name)
            );
            if let Some(o) = &owner {
                cmd.push_str(&format!(
                    " && find {} -mindepth 1 -exec chown -h -- {} {{}} +",
                    quote(&name),
                    quote(o)
                ));
            }
            cmd
        } else {
            format!(
                "cp -L --preserve=mode -- {} {}",
                quote(source),
                quote(&name)
            )
        };
        steps.push(Action::run(
            Exec::new(copy),
            format!("Failed to copy \"{source}\" to \"{name}\""),
        ));
        let mut applied = Changes::from_iter([(name.clone(), json!(source))]);
        if let (Some(u), Some(g), Some(m)) = (&user, &group, mode) {
            // The copy is the remote user's, with the source's mode.
            let mut fix = Vec::new();
            if *u != facts.user || *g != facts.group {
                fix.push(format!(
                    "chown -- {} {}",
                    quote(&format!("{u}:{g}")),
                    quote(&name)
                ));
                if *u != facts.user {
                    applied.insert("user".into(), json!(u));
                }
                if *g != facts.group {
                    applied.insert("group".into(), json!(g));
                }
            }
            if m.0 != src_mode {
                fix.push(format!("chmod -- {m} {}", quote(&name)));
                if m.0 != src_mode {
                    applied.insert("mode".into(), json!(m.to_string()));
                }
            }
            if !fix.is_empty() {
                steps.push(Action::run(
                    Exec::new(fix.join(" && ")),
                    format!("Failed to set owner or mode of {name}"),
                ));
            }
        }
        // Salt's test run says `None` with no changes: they show once copied.
        let pending = !steps.is_empty();
        let plan = Plan::change(Changes::new(), test_comment, comment, steps).applied(applied);
        Ok(if pending { plan.pending() } else { plan })
    }
}
