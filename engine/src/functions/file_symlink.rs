//! `file.symlink`: a symbolic link to `target`, owned by `user:group`.
//!
//! Salt's checks, in its order: the owner exists, the path is absolute,
//! then what is at the path (nothing, a link, something else) and whether
//! its directory exists. A test run reports what the check found; a real
//! run replaces a wrong link, moves what is in the way to `backupname` or
//! removes it with `force`, and fails as Salt fails otherwise.

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::json;

use super::file_common::{join, makedirs, normpath};
use super::mode::{name_or_id, Mode};
use super::{Ctx, Function};
use crate::facts::paths::{dirname, Kind};
use crate::facts::{PathFact, Paths};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::Exec;

pub(super) struct Symlink;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    pub target: String,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub backupname: Option<String>,
    #[serde(default)]
    pub makedirs: bool,
    #[serde(default, deserialize_with = "name_or_id")]
    pub user: Option<String>,
    /// Salt takes `owner` for `user` (undocumented, for other tools' users).
    #[serde(default, deserialize_with = "name_or_id")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")]
    pub group: Option<String>,
    /// The mode of directories `makedirs` creates (a link has none).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Replace the path in one rename, whatever is there.
    #[serde(default)]
    pub atomic: bool,
    /// Take the user and group that are not given from the existing link.
    #[serde(default)]
    pub inherit_user_and_group: bool,
    #[serde(default = "crate::functions::yes")]
    pub follow_symlinks: bool,
    /// Accepted as Salt accepts them; they change nothing on Linux.
    #[serde(default)]
    #[allow(dead_code)]
    pub disallow_copy_and_unlink: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_owner: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_perms: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_deny_perms: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_inheritance: Option<IgnoredAny>,
}

/// `backupname` as Salt resolves it: absolute, or a bare name beside the link.
fn backup_path(name: &str, backupname: &str) -> Result<String, String> {
    if backupname.starts_with('/') {
        Ok(backupname.to_string())
    } else if !backupname.contains('/') {
        Ok(join(&dirname(&normpath(name)), backupname))
    } else {
        Err(format!(
            "Backupname must be an absolute path or a file name: {backupname}"
        ))
    }
}

#[async_trait]
impl Function for Symlink {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        if name.is_empty() {
            return Err(Failure::new("Must provide name to file.symlink"));
        }
        let parent = dirname(name);
        let mut paths = vec![name.clone(), parent.clone()];
        let backup = args.backupname.as_deref().map(|b| backup_path(name, b));
        if let Some(Ok(b)) = &backup {
            paths.push(b.clone());
        }
        let asked_user = args.user.clone().or(args.owner.clone());
        let users: Vec<String> = asked_user.iter().cloned().collect();
        let groups: Vec<String> = args.group.iter().cloned().collect();
        let facts = Paths::read(ctx.host.transport.as_ref(), &paths, &users, &groups)
            .await
            .map_err(Failure::new)?;
        let here = facts.get(name);

        let (mut user, mut group) = (asked_user, args.group.clone());
        if args.inherit_user_and_group && (user.is_none() || group.is_none()) && here.is_link() {
            user = user.or(Some(here.user.clone()));
            group = group.or(Some(here.group.clone()));
        }
        let user = user.unwrap_or(facts.user.clone());
        let group = match group {
            Some(g) => g,
            None if user == facts.user => facts.group.clone(),
            None => facts.primary_group(&user).unwrap_or("root").to_string(),
        };

        let mut errors = Vec::new();
        if user != facts.user && facts.primary_group(&user).is_none() {
            errors.push(format!("User {user} does not exist"));
        }
        // A group taken from the user (its primary group) or from the
        // existing link exists.
        let group_given = args.group.is_some();
        if group_given && !facts.group_exists(&group) {
            errors.push(format!("Group {group} does not exist"));
        }
        if !name.starts_with('/') {
            errors.push(format!("Specified file {name} is not an absolute path"));
        }
        if !errors.is_empty() {
            let mut msg = errors.join(". ");
            if errors.len() > 1 {
                msg.push('.');
            }
            return Err(Failure::new(msg));
        }

        let target = &args.target;
        let owned = facts.owned_by(&here.user, &user) && facts.grouped_in(&here.group, &group);
        let exists = if args.follow_symlinks {
            here.exists()
        } else {
            here.lexists()
        };
        // What a test run reports (Salt's `_symlink_check`).
        let (mut comment, changes) = if !exists && !here.is_link() {
            (
                format!("Symlink {name} to {target} is set for creation"),
                Changes::from_iter([("new".to_string(), json!(name))]),
            )
        } else if here.is_link() {
            if here.target.as_deref() != Some(target.as_str()) {
                (
                    format!("Link {name} target is set to be changed to {target}"),
                    Changes::from_iter([("change".to_string(), json!(name))]),
                )
            } else if owned {
                (format!("The symlink {name} is present"), Changes::new())
            } else {
                (
                    format!(
                        "The symlink {name} is present, but the ownership of the symlink would be changed from {}:{} to {user}:{group}",
                        here.user, here.group
                    ),
                    Changes::from_iter([(
                        "ownership".to_string(),
                        json!(format!("{}:{}", here.user, here.group)),
                    )]),
                )
            }
        } else if args.force {
            (
                format!("The file or directory {name} is set for removal to make way for a new symlink targeting {target}"),
                Changes::new(),
            )
        } else {
            (
                format!("File or directory exists where the symlink {name} should be. Did you mean to use force?"),
                Changes::new(),
            )
        };

        let mut actions = Vec::new();
        if !facts.get(&parent).is_dir() {
            if args.makedirs {
                comment.push_str(&format!("\n{parent} will be created"));
                actions.push(Action::run(
                    Exec::new(makedirs(&parent, Some(&user), Some(&group), args.mode)),
                    format!("Unable to create directory {parent}"),
                ));
            } else {
                comment.push_str(&format!("\nDirectory {parent} for symlink is not present"));
                actions.push(Action::Fail(format!(
                    "Directory {parent} for symlink is not present"
                )));
            }
        }

        let plan = match self.real_run(args, &here, &facts, backup, &user, &group)? {
            Real::Present(done) if changes.is_empty() && actions.is_empty() => {
                // Nothing to do; a real run words it otherwise (see `done`).
                let mut p = Plan::noop(comment);
                p.done = done;
                p
            }
            Real::Present(done) => {
                Plan::change(changes, comment, done, actions).applied(Changes::new())
            }
            Real::Act {
                steps,
                done,
                applied,
            } => {
                actions.extend(steps);
                Plan::change(changes, comment, done, actions).applied(applied)
            }
        };
        // What Salt's test run shows no changes for (a file forced out of
        // the way) it still answers `None`, unless it is bound to fail.
        let fails = plan.actions.iter().any(|a| matches!(a, Action::Fail(_)));
        Ok(if plan.changes.is_empty() && !plan.is_noop() && !fails {
            plan.pending()
        } else {
            plan
        })
    }
}

/// What a real run does (Salt's code after the test returns).
enum Real {
    /// The link is right; the comment a real run gives.
    Present(String),
    Act {
        steps: Vec<Action>,
        done: String,
        applied: Changes,
    },
}

impl Symlink {
    fn real_run(
        &self,
        args: &Args,
        here: &PathFact,
        facts: &Paths,
        backup: Option<Result<String, String>>,
        user: &str,
        group: &str,
    ) -> Result<Real, Failure> {
        let (name, target) = (&args.name, &args.target);
        let owner = format!("{user}:{group}");
        let chown = || Exec::new(format!("chown -h -- {} {}", quote(&owner), quote(name)));
        let mut steps = Vec::new();
        if here.is_link() {
            let same = here
                .target
                .as_deref()
                .is_some_and(|t| normpath(t) == normpath(target));
            if same {
                if facts.owned_by(&here.user, user) && facts.grouped_in(&here.group, group) {
                    return Ok(Real::Present(format!(
                        "Symlink {name} is present and owned by {owner}"
                    )));
                }
                return Ok(Real::Act {
                    steps: vec![Action::run(
                        chown(),
                        format!("Failed to set ownership of symlink {name} to {owner}"),
                    )],
                    done: format!("Set ownership of symlink {name} to {owner}"),
                    applied: Changes::from_iter([("ownership".to_string(), json!(owner))]),
                });
            }
            steps.push(Action::run(
                Exec::new(format!("rm -f -- {}", quote(name))),
                format!("Unable to remove {name}"),
            ));
        } else if here.exists() || (!args.follow_symlinks && here.lexists()) {
            if let Some(backup) = backup {
                let backup = backup.map_err(Failure::new)?;
                let mut cmd = String::new();
                if facts.get(&backup).lexists() {
                    if !args.force {
                        return Ok(fail(format!(
                            "Symlink & backup dest exists and Force not set. {name} -> {target} - backup: {backup}"
                        )));
                    }
                    cmd.push_str(&format!("rm -rf -- {} && ", quote(&backup)));
                }
                cmd.push_str(&format!("mv -T -- {} {}", quote(name), quote(&backup)));
                steps.push(Action::run(
                    Exec::new(cmd),
                    format!("Unable to rename {name} to backup {backup} -> "),
                ));
            } else if !args.force && !args.atomic {
                let what = match here.follows {
                    Kind::File => "File",
                    Kind::Dir => "Directory",
                    _ => "File system entry",
                };
                return Ok(fail(format!(
                    "{what} exists where the symlink {name} should be"
                )));
            } else if args.force && !args.atomic && here.is_dir() {
                // Salt unlinks what is in the way, which a directory refuses.
                return Ok(fail(format!(
                    "Unable to create new symlink {name} -> {target}: [Errno 21] Is a directory: '{name}'"
                )));
            } else if !args.atomic {
                steps.push(Action::run(
                    Exec::new(format!("rm -f -- {}", quote(name))),
                    format!("Unable to remove {name}"),
                ));
            }
        }
        let create = if args.atomic {
            let tmp = format!("{}/.{}.converge-link", dirname(name), basename(name));
            format!(
                "ln -sfT -- {} {t} && mv -fT -- {t} {}",
                quote(target),
                quote(name),
                t = quote(&tmp)
            )
        } else {
            format!("ln -sT -- {} {}", quote(target), quote(name))
        };
        steps.push(Action::run(
            Exec::new(create),
            format!("Unable to create new symlink {name} -> {target}: Could not create '{name}'"),
        ));
        let done = format!("Created new symlink {name} -> {target}");
        if user != facts.user || group != facts.group {
            steps.push(Action::run(
                chown(),
                format!("{done}, but was unable to set ownership to {owner}"),
            ));
        }
        Ok(Real::Act {
            steps,
            done,
            applied: Changes::from_iter([("new".to_string(), json!(name))]),
        })
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A real run that fails with Salt's words.
fn fail(comment: String) -> Real {
    Real::Act {
        steps: vec![Action::Fail(comment.clone())],
        done: comment,
        applied: Changes::new(),
    }
}
