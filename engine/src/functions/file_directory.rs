//! `file.directory`: a directory, its owner, group and mode, and with
//! `recurse` those of everything under it, with `clean` nothing else in it.
//!
//! A test run reports Salt's `_check_directory`: one entry per path that
//! would change, in the order `os.walk` finds them. A real run reports
//! the same and, as Salt's `check_perms` adds them, the owner and mode it
//! set (`user`, `group`, `mode` at the top level), and the paths `clean`
//! removed.
//!
//! `clean` keeps what the state's `require`s name by path (`- file:
//! /etc/x`), and what is under those paths; a requisite naming a state by
//! its ID keeps nothing, as the function sees its own state only.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::file_common::{absolute, join, makedirs, missing_owner};
use super::mode::{name_or_id, Mode};
use super::{Ctx, Function};
use crate::compile::{ReqKind, Target};
use crate::facts::paths::{dirname, Kind};
use crate::facts::{Paths, Walk};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::Exec;

pub(super) struct Directory;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    #[serde(default, deserialize_with = "name_or_id")]
    pub user: Option<String>,
    /// Salt takes `owner` for `user`.
    #[serde(default, deserialize_with = "name_or_id")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")]
    pub group: Option<String>,
    #[serde(default)]
    pub dir_mode: Option<Mode>,
    /// `dir_mode`, when that is not given.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The mode of files under it (with `recurse: [mode]`); `dir_mode`
    /// when not given.
    #[serde(default)]
    pub file_mode: Option<Mode>,
    #[serde(default)]
    pub makedirs: bool,
    /// What to apply under the directory too: `user`, `group`, `mode`,
    /// and `ignore_files`, `ignore_dirs`, `silent`.
    #[serde(default)]
    pub recurse: Option<Value>,
    #[serde(default)]
    pub max_depth: Option<usize>,
    #[serde(default)]
    pub clean: bool,
    /// With `clean`: what to leave (a glob, or `E@` and a regex).
    #[serde(default)]
    pub exclude_pat: Option<String>,
    #[serde(default)]
    pub follow_symlinks: bool,
    /// Replace a file or symlink that is in the way.
    #[serde(default)]
    pub force: bool,
    /// Move what is in the way there instead.
    #[serde(default)]
    pub backupname: Option<String>,
    #[serde(default = "crate::functions::yes")]
    pub allow_symlink: bool,
    /// Leave the directory's own owner and mode alone.
    #[serde(default)]
    pub children_only: bool,
    /// Accepted as Salt accepts them; they change nothing on Linux.
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
    #[serde(default)]
    #[allow(dead_code)]
    pub win_perms_reset: Option<IgnoredAny>,
}

/// The command that sets owner, group and mode on `path` (those asked).
pub(super) fn attrs_command(
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
pub(super) fn attrs_step(
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

/// Salt's `_get_recurse_set`, with its words for what is wrong.
fn recurse_set(v: Option<&Value>) -> Result<BTreeSet<String>, String> {
    const TYPES: [&str; 6] = [
        "user",
        "group",
        "mode",
        "ignore_files",
        "ignore_dirs",
        "silent",
    ];
    let items = match v {
        None | Some(Value::Null) => return Ok(BTreeSet::new()),
        Some(Value::Array(items)) if items.is_empty() => return Ok(BTreeSet::new()),
        Some(Value::Array(items)) => items,
        Some(Value::Bool(false)) => return Ok(BTreeSet::new()),
        Some(Value::String(s)) if s.is_empty() => return Ok(BTreeSet::new()),
        Some(_) => return Err("\"recurse\" must be formed as a list of strings".into()),
    };
    let set: BTreeSet<String> = items
        .iter()
        .map(|i| i.as_str().unwrap_or("\u{0}").to_string())
        .collect();
    if !set.iter().all(|s| TYPES.contains(&s.as_str())) {
        return Err(format!(
            "Types for \"recurse\" limited to {}.",
            TYPES.map(|t| format!("\"{t}\"")).join(", ")
        ));
    }
    if set.contains("ignore_files") && set.contains("ignore_dirs") {
        return Err(
            "Must not specify \"recurse\" options \"ignore_files\" and \"ignore_dirs\" at the same time.".into(),
        );
    }
    Ok(set)
}

/// Salt's `check_include_exclude` with only an exclude pattern: whether
/// `rel` may be removed.
fn not_excluded(rel: &str, exclude: Option<&str>) -> Result<bool, Failure> {
    let Some(pat) = exclude else {
        return Ok(true);
    };
    let hit = match pat.strip_prefix("E@") {
        Some(re) => super::file_regex::PyRegex::new(re, 0)
            .and_then(|r| r.search(rel))
            .map_err(Failure::new)?,
        None => crate::glob::matches(pat, rel),
    };
    Ok(!hit)
}

/// One path whose owner or mode would change, in Salt's order.
struct Fix {
    path: String,
    link: bool,
    user: Option<String>,
    group: Option<String>,
    mode: Option<Mode>,
}

impl Fix {
    fn entry(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(u) = &self.user {
            m.insert("user".into(), json!(u));
        }
        if let Some(g) = &self.group {
            m.insert("group".into(), json!(g));
        }
        if let Some(md) = self.mode {
            m.insert("mode".into(), json!(md.to_string()));
        }
        m
    }

    fn command(&self) -> String {
        let q = quote(&self.path);
        let h = if self.link { "-h " } else { "" };
        let mut cmds = Vec::new();
        match (&self.user, &self.group) {
            (Some(u), Some(g)) => {
                cmds.push(format!("chown {h}-- {} {q}", quote(&format!("{u}:{g}"))));
            }
            (Some(u), None) => cmds.push(format!("chown {h}-- {} {q}", quote(u))),
            (None, Some(g)) => cmds.push(format!("chgrp {h}-- {} {q}", quote(g))),
            (None, None) => {}
        }
        if let Some(m) = self.mode {
            cmds.push(format!("chmod -- {m} {q}"));
        }
        cmds.join(" && ")
    }
}

/// What `_check_dir_meta` and the file check find on one entry; `owners`
/// knows under which names the asked owner's files show.
#[allow(clippy::too_many_arguments)]
fn fix(
    path: String,
    kind: Kind,
    (cur_user, cur_group, cur_mode): (&str, &str, u32),
    user: Option<&str>,
    group: Option<&str>,
    mode: Option<Mode>,
    follow: bool,
    owners: &Paths,
) -> Option<Fix> {
    let link = kind == Kind::Link;
    let f = Fix {
        user: user
            .filter(|u| !owners.owned_by(cur_user, u))
            .map(String::from),
        group: group
            .filter(|g| !owners.grouped_in(cur_group, g))
            .map(String::from),
        mode: mode.filter(|m| m.0 != cur_mode && (follow || !link)),
        path,
        link,
    };
    (f.user.is_some() || f.group.is_some() || f.mode.is_some()).then_some(f)
}

#[async_trait]
impl Function for Directory {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        let name = args.name.trim_end_matches('/');
        vec![name.to_string(), dirname(name)]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        if args.name.is_empty() {
            return Err(Failure::new("Must provide name to file.directory"));
        }
        let name = if args.name.len() > 1 {
            args.name.trim_end_matches('/').to_string()
        } else {
            args.name.clone()
        };
        let name = if name.is_empty() {
            "/".to_string()
        } else {
            name
        };
        if args.max_depth.is_some() && args.clean {
            return Err(Failure::new("Cannot specify both max_depth and clean"));
        }
        let user = args.user.clone().or(args.owner.clone());
        let group = args.group.clone();
        let dir_mode = args.dir_mode.or(args.mode);
        let file_mode = args.file_mode.or(dir_mode);

        let parent = dirname(&name);
        // Plain reads (batched before the run) tell enough unless a
        // symlink is to be followed, a backup path looked at, or an owner
        // that is not the directory's checked.
        let files = vec![ctx.host.file(&name).await?, ctx.host.file(&parent).await?];
        let owned = user.as_ref().is_none_or(|u| *u == files[0].user)
            && group.as_ref().is_none_or(|g| *g == files[0].group);
        let simple = match Paths::from_files(&files) {
            Some(p) if owned && args.backupname.is_none() => Some(p),
            _ => None,
        };
        let facts = match simple {
            Some(p) => p,
            None => {
                let mut paths = vec![name.clone(), parent.clone()];
                if let Some(b) = &args.backupname {
                    paths.push(b.clone());
                }
                let users: Vec<String> = user.iter().cloned().collect();
                let groups: Vec<String> = group.iter().cloned().collect();
                Paths::read(ctx.host.transport.as_ref(), &paths, &users, &groups)
                    .await
                    .map_err(Failure::new)?
            }
        };
        // Salt only warns of a missing owner in a test run.
        let missing = if owned {
            None
        } else {
            missing_owner(&facts, user.as_deref(), group.as_deref())
        };
        absolute(&name)?;
        let here = facts.get(&name);
        let mut before = Vec::new();
        let mut changes = Changes::new();
        let mut applied = Changes::new();
        let mut gone = false;
        if here.is_file()
            || (!args.allow_symlink && here.is_link())
            || (args.force && here.is_link())
        {
            if let Some(backup) = &args.backupname {
                let mut cmd = String::new();
                if facts.get(backup).lexists() {
                    if !args.force {
                        return Err(Failure::new(format!(
                            "File exists where the backup target {backup} should go"
                        )));
                    }
                    changes.insert(
                        "forced".into(),
                        json!(format!(
                            "Existing file at backup path {backup} would be removed"
                        )),
                    );
                    cmd.push_str(&format!("rm -rf -- {} && ", quote(backup)));
                }
                changes.insert(
                    "backup".into(),
                    json!(format!("{name} would be renamed to {backup}")),
                );
                changes.insert(name.clone(), json!({"directory": "new"}));
                cmd.push_str(&format!("mv -T -- {} {}", quote(&name), quote(backup)));
                before.push(Action::run(
                    Exec::new(cmd),
                    format!("Unable to rename {name}"),
                ));
                let comment =
                    format!("{name} would be backed up and replaced with a new directory");
                let mut steps = before;
                steps.extend(self.create(
                    args,
                    &name,
                    &parent,
                    &facts,
                    user.as_deref(),
                    group.as_deref(),
                    dir_mode,
                ));
                applied.insert(name.clone(), json!({"directory": "new"}));
                return Ok(Plan::change(changes, comment, "", steps).applied(applied));
            } else if args.force {
                let (test, done) = if here.is_file() && !here.is_link() {
                    (
                        "File would be forcibly replaced",
                        "File was forcibly replaced",
                    )
                } else if here.is_link() || here.is_file() {
                    (
                        "Symlink would be forcibly replaced",
                        "Symlink was forcibly replaced",
                    )
                } else {
                    (
                        "Directory would be forcibly replaced",
                        "Directory was forcibly replaced",
                    )
                };
                changes.insert("forced".into(), json!(test));
                applied.insert("forced".into(), json!(done));
                before.push(Action::run(
                    Exec::new(format!("rm -rf -- {}", quote(&name))),
                    format!("Failed to remove {name}"),
                ));
                gone = true;
            } else if here.is_file() {
                return Err(Failure::new(format!(
                    "Specified location {name} exists and is a file"
                )));
            } else {
                return Err(Failure::new(format!(
                    "Specified location {name} exists and is a symlink"
                )));
            }
        }
        if let Some(err) = missing {
            before.insert(0, Action::Fail(err));
        }

        // Salt's `_check_directory`, on what is there now.
        let set = recurse_set(args.recurse.as_ref()).map_err(Failure::new)?;
        let exists = here.is_dir();
        let walk = if exists && (!set.is_empty() || args.clean) {
            Walk::read(ctx.host.transport.as_ref(), &name, args.max_depth)
                .await
                .map_err(Failure::new)?
        } else {
            Walk::default()
        };
        let (r_user, r_group) = (
            user.as_deref().filter(|_| set.contains("user")),
            group.as_deref().filter(|_| set.contains("group")),
        );
        let (r_dmode, r_fmode) = if set.contains("mode") {
            (dir_mode, file_mode)
        } else {
            (None, None)
        };
        // A file may show another name of the asked owner's id: asked
        // once, only when a name differs.
        let differs = |u: &str, g: &str| {
            user.as_ref().is_some_and(|w| w != u) || group.as_ref().is_some_and(|w| w != g)
        };
        let asked = !facts.shown_users.is_empty() || !facts.shown_groups.is_empty();
        let owners = if !asked
            && (differs(&here.user, &here.group)
                || walk.entries.iter().any(|e| differs(&e.user, &e.group)))
        {
            let users: Vec<String> = user.iter().cloned().collect();
            let groups: Vec<String> = group.iter().cloned().collect();
            Some(
                Paths::read(ctx.host.transport.as_ref(), &[], &users, &groups)
                    .await
                    .map_err(Failure::new)?,
            )
        } else {
            None
        };
        let owners = owners.as_ref().unwrap_or(&facts);
        let mut fixes: Vec<Fix> = Vec::new();
        if !set.is_empty() {
            for level in walk.levels() {
                let rel_of = |n: &str| {
                    let base = level
                        .dir
                        .strip_prefix(&walk.root)
                        .unwrap_or("")
                        .trim_start_matches('/');
                    if base.is_empty() {
                        n.to_string()
                    } else {
                        format!("{base}/{n}")
                    }
                };
                if !set.contains("ignore_files") {
                    for f in &level.files {
                        let e = walk.entry(&rel_of(f)).expect("listed");
                        fixes.extend(fix(
                            join(&level.dir, f),
                            e.kind,
                            (&e.user, &e.group, e.mode),
                            r_user,
                            r_group,
                            r_fmode,
                            args.follow_symlinks,
                            owners,
                        ));
                    }
                }
                if !set.contains("ignore_dirs") {
                    for d in &level.dirs {
                        let e = walk.entry(&rel_of(d)).expect("listed");
                        fixes.extend(fix(
                            join(&level.dir, d),
                            e.kind,
                            (&e.user, &e.group, e.mode),
                            r_user,
                            r_group,
                            r_dmode,
                            args.follow_symlinks,
                            owners,
                        ));
                    }
                }
            }
        }
        let mut listing: Vec<(String, Map<String, Value>)> = Vec::new();
        for f in &fixes {
            listing.push((f.path.clone(), f.entry()));
        }
        // Salt checks the directory itself with what `recurse` leaves of
        // the owner and mode in a test, and with all of them in a real run.
        let (t_user, t_group, t_mode) = if set.is_empty() {
            (user.as_deref(), group.as_deref(), dir_mode)
        } else {
            (r_user, r_group, r_dmode)
        };
        let root_test = if exists && !args.children_only {
            fix(
                name.clone(),
                here.kind,
                (&here.user, &here.group, here.mode),
                t_user,
                t_group,
                t_mode,
                args.follow_symlinks,
                owners,
            )
        } else {
            None
        };
        let root_fix = if exists && !args.children_only {
            fix(
                name.clone(),
                here.kind,
                (&here.user, &here.group, here.mode),
                user.as_deref(),
                group.as_deref(),
                dir_mode,
                args.follow_symlinks,
                owners,
            )
        } else {
            None
        };
        if let Some(f) = &root_test {
            listing.push((name.clone(), f.entry()));
        }
        let mut removed: Vec<String> = Vec::new();
        if args.clean && exists {
            let keep = self.kept(ctx, &walk);
            // A real run keeps those paths and their parents, exactly;
            // the test before it keeps any path that is part of one.
            let mut real_keep: BTreeSet<String> = BTreeSet::from([name.clone()]);
            for k in &keep {
                let mut p = k.clone();
                loop {
                    real_keep.insert(p.clone());
                    let up = dirname(&p);
                    if up == p || up.is_empty() {
                        break;
                    }
                    p = up;
                }
            }
            let mut gone_dirs: Vec<String> = Vec::new();
            for level in walk.levels() {
                for n in level.files.iter().chain(level.dirs.iter()) {
                    let path = join(&level.dir, n);
                    let rel = path
                        .strip_prefix(&format!("{name}/"))
                        .unwrap_or(&path)
                        .to_string();
                    if !not_excluded(&rel, args.exclude_pat.as_deref())? {
                        continue;
                    }
                    if !keep.iter().any(|k| k.contains(path.as_str())) {
                        listing.push((
                            path.clone(),
                            Map::from_iter([(
                                "removed".to_string(),
                                json!("Removed due to clean"),
                            )]),
                        ));
                    }
                    // A real run removes a directory whole, and what was
                    // under it is not found again.
                    if !real_keep.contains(&path)
                        && !gone_dirs.iter().any(|d| path.starts_with(&format!("{d}/")))
                    {
                        if walk.entry(&rel).is_some_and(|e| e.kind == Kind::Dir) {
                            gone_dirs.push(path.clone());
                        }
                        removed.push(path);
                    }
                }
            }
        }
        if !exists {
            listing.push((
                name.clone(),
                Map::from_iter([("directory".to_string(), json!("new"))]),
            ));
        }
        // `listing` is Salt's dict: a path seen again keeps its first place.
        let mut tchanges = Changes::new();
        for (p, m) in listing {
            tchanges.insert(p, Value::Object(m));
        }
        let comment = if tchanges.is_empty() {
            format!("The directory {name} is in the correct state")
        } else {
            let mut c = String::from("The following files will be changed:\n");
            for (p, m) in &tchanges {
                for (k, v) in m.as_object().expect("a mapping") {
                    c.push_str(&format!("{p}: {k} - {}\n", v.as_str().unwrap_or_default()));
                }
            }
            c
        };
        changes.extend(tchanges.clone());
        if changes.is_empty() && before.is_empty() {
            return Ok(Plan::noop(comment));
        }

        let mut steps = before;
        if !exists || gone {
            steps.extend(self.create(
                args,
                &name,
                &parent,
                &facts,
                user.as_deref(),
                group.as_deref(),
                dir_mode,
            ));
            applied.insert(name.clone(), json!({"directory": "new"}));
            return Ok(Plan::change(changes, comment, "", steps).applied(applied));
        }
        // The directory is there: its owner and mode, then what is under
        // it, then what `clean` removes (Salt's order, whose last mode set
        // is the one its flat `mode` keeps).
        applied = if set.contains("silent") {
            Changes::from_iter([("recursion".to_string(), json!("Changes silenced"))])
        } else {
            tchanges
        };
        let mut flat = Map::new();
        let mut order: Vec<&Fix> = root_fix.iter().collect();
        order.extend(fixes.iter());
        for f in &order {
            steps.push(Action::run(
                Exec::new(f.command()),
                format!("Failed to set owner or mode of {}", f.path),
            ));
            if let Some(u) = &f.user {
                flat.insert("user".into(), json!(u));
            }
            if let Some(g) = &f.group {
                flat.insert("group".into(), json!(g));
            }
            if let Some(m) = f.mode {
                flat.insert("mode".into(), json!(m.to_string()));
            }
        }
        for key in ["user", "group", "mode"] {
            if let Some(v) = flat.remove(key) {
                applied.insert(key.into(), v);
            }
        }
        let mut done = format!("Directory {name} updated");
        if !removed.is_empty() {
            let list: Vec<String> = removed.iter().map(|p| quote(p)).collect();
            steps.push(Action::run(
                Exec::new(format!("rm -rf -- {}", list.join(" "))),
                format!("Failed to clean {name}"),
            ));
            removed.sort();
            applied.insert("removed".into(), json!(removed));
            done = format!("Files cleaned from directory {name}");
        } else if args.children_only {
            done = format!("Directory {name}/* updated");
        }
        if set.contains("user") && user.is_none() {
            steps.push(Action::Fail(
                "user not specified, but configured as a target for recursive ownership management"
                    .into(),
            ));
        } else if set.contains("group") && group.is_none() {
            steps.push(Action::Fail(
                "group not specified, but configured as a target for recursive ownership management".into(),
            ));
        }
        Ok(Plan::change(changes, comment, done, steps).applied(applied))
    }
}

impl Directory {
    /// The steps that make a missing directory (and its parents, with
    /// `makedirs`), as Salt's `file.mkdir` does.
    #[allow(clippy::too_many_arguments)]
    fn create(
        &self,
        args: &Args,
        name: &str,
        parent: &str,
        facts: &Paths,
        user: Option<&str>,
        group: Option<&str>,
        mode: Option<Mode>,
    ) -> Vec<Action> {
        let mut steps = Vec::new();
        if !facts.get(parent).is_dir() && !args.makedirs {
            steps.push(Action::Fail(format!("No directory to create {name} in")));
            return steps;
        }
        // The missing parents too, each with the same owner and mode.
        steps.push(Action::run(
            Exec::new(makedirs(name, user, group, mode)),
            format!("Failed to create directory {name}"),
        ));
        steps
    }

    /// What `clean` leaves: the paths the state's `require`s name (as
    /// `- file: /path`), and everything under those that are directories.
    fn kept(&self, ctx: &Ctx<'_>, walk: &Walk) -> Vec<String> {
        let mut keep = Vec::new();
        for r in &ctx.chunk.requisites {
            if r.kind != ReqKind::Require || r.reverse {
                continue;
            }
            let Target::State { module, pattern } = &r.target else {
                continue;
            };
            if module.as_deref().is_some_and(|m| m != "file") || !pattern.starts_with('/') {
                continue;
            }
            keep.push(pattern.clone());
            let prefix = format!("{}/", pattern.trim_end_matches('/'));
            if let Some(rel) = prefix.strip_prefix(&format!("{}/", walk.root)) {
                for e in &walk.entries {
                    if e.rel.starts_with(rel) || format!("{}/", e.rel) == rel {
                        keep.push(walk.path(&e.rel));
                    }
                }
            }
        }
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurse_is_checked_as_salt_checks_it() {
        assert_eq!(
            recurse_set(Some(&json!(["user", "mode"]))).unwrap().len(),
            2
        );
        assert_eq!(
            recurse_set(Some(&json!("user"))).unwrap_err(),
            "\"recurse\" must be formed as a list of strings"
        );
        assert_eq!(
            recurse_set(Some(&json!(["owner"]))).unwrap_err(),
            "Types for \"recurse\" limited to \"user\", \"group\", \"mode\", \"ignore_files\", \"ignore_dirs\", \"silent\"."
        );
        assert!(recurse_set(Some(&json!(["ignore_files", "ignore_dirs"]))).is_err());
    }

    #[test]
    fn clean_spares_what_exclude_pat_matches() {
        assert!(!not_excluded("old.bak", Some("*.bak")).unwrap());
        assert!(not_excluded("junk.conf", Some("*.bak")).unwrap());
        assert!(!not_excluded("a/b.log", Some("E@\\.log$")).unwrap());
    }
}
