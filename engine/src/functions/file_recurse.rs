//! `file.recurse`: a directory of the state tree (`salt://dir`, read on
//! the controller) copied to the host, file by file.
//!
//! As Salt does it: each directory is a `file.directory`, each file a
//! `file.managed` (rendered with `template`, with `file_mode`, `keep`
//! taking the source's), each symlink (with `keep_symlinks`) a
//! `file.symlink`; their results are nested under their paths, their
//! comments gathered under `#### path ####` headings. `clean` then removes
//! what none of them made (nor what a `require` names by path).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::file_common::{absolute, join, makedirs, missing_owner, OneOrMany};
use super::file_directory::Directory;
use super::file_managed::Managed;
use super::file_symlink::Symlink;
use super::mode::{name_or_id, Mode};
use super::{Ctx, Function};
use crate::compile::{ReqKind, Target};
use crate::facts::paths::dirname;
use crate::facts::{Paths, Walk};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind};

pub(super) struct Recurse;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    pub source: OneOrMany,
    #[serde(default)]
    pub clean: bool,
    #[serde(default, deserialize_with = "name_or_id")]
    pub user: Option<String>,
    /// Salt takes `owner` for `user`.
    #[serde(default, deserialize_with = "name_or_id")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")]
    pub group: Option<String>,
    #[serde(default)]
    pub dir_mode: Option<Mode>,
    /// The files' mode, or `keep` (each source's).
    #[serde(default)]
    pub file_mode: Option<Value>,
    #[serde(default)]
    pub sym_mode: Option<Mode>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(default)]
    pub defaults: Option<Map<String, Value>>,
    #[serde(default = "crate::functions::yes")]
    pub replace: bool,
    #[serde(default)]
    pub include_empty: bool,
    #[serde(default)]
    pub backup: Option<Value>,
    #[serde(default)]
    pub include_pat: Option<OneOrMany>,
    #[serde(default)]
    pub exclude_pat: Option<OneOrMany>,
    #[serde(default)]
    pub maxdepth: Option<usize>,
    #[serde(default)]
    pub keep_symlinks: bool,
    #[serde(default)]
    pub force_symlinks: bool,
    /// Merge all `source`s (the first one wins a path), not the first only.
    #[serde(default)]
    pub merge: bool,
    /// Salt refuses it here; so does converge, with Salt's words.
    #[serde(default)]
    pub mode: Option<IgnoredAny>,
    /// Accepted as Salt accepts them; they change nothing here.
    #[serde(default)]
    #[allow(dead_code)]
    pub keep_source: Option<IgnoredAny>,
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

/// What a source directory holds, as Salt's file server lists it:
/// relative paths (symlinks followed), and the symlinks themselves.
#[derive(Default)]
struct Listing {
    /// Relative path → (file on the controller, `salt://` URL).
    files: BTreeMap<String, (PathBuf, String)>,
    dirs: BTreeSet<String>,
    /// Relative path → where the link points, as written.
    links: BTreeMap<String, String>,
}

fn list(root: &Path, base: &Path, rel: &str, out: &mut Listing, url: &dyn Fn(&str) -> String) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let path = entry.path();
        if let Ok(target) = std::fs::read_link(&path) {
            out.links
                .entry(child.clone())
                .or_insert(target.display().to_string());
        }
        if path.is_dir() {
            out.dirs.insert(child.clone());
            list(root, &path, &child, out, url);
        } else if path.is_file() {
            let in_tree = path
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            out.files
                .entry(child)
                .or_insert_with(|| (path.clone(), url(&in_tree)));
        }
    }
}

/// Salt's `check_include_exclude`: whether `rel` passes the patterns.
fn passes(
    rel: &str,
    include: Option<&OneOrMany>,
    exclude: Option<&OneOrMany>,
) -> Result<bool, Failure> {
    let hit = |pat: &str| -> Result<bool, Failure> {
        match pat.strip_prefix("E@") {
            Some(re) => super::file_regex::PyRegex::new(re, 0)
                .and_then(|r| r.search(rel))
                .map_err(Failure::new),
            None => Ok(crate::glob::matches(pat, rel)),
        }
    };
    let mut ok = true;
    if let Some(inc) = include {
        let mut any = false;
        for p in inc.list() {
            any |= hit(&p)?;
        }
        ok &= any;
    }
    if let Some(exc) = exclude {
        for p in exc.list() {
            ok &= !hit(&p)?;
        }
    }
    Ok(ok)
}

/// A sub-state's plan as a test run reports it (the executor's rule).
fn test_result(p: &Plan) -> Option<bool> {
    if !p.changes.is_empty() {
        None
    } else if p.actions.iter().any(|a| matches!(a, Action::Fail(_))) {
        Some(false)
    } else {
        Some(true)
    }
}

/// Salt's `merge_ret`: the most negative result wins (False over None
/// over True), comments only of what is not True.
struct Merged {
    result: Option<bool>,
    comments: Vec<(String, Vec<String>)>,
    changes: Changes,
    applied: Changes,
    steps: Vec<Action>,
    failures: Vec<String>,
}

impl Merged {
    fn result(&mut self, r: Option<bool>) {
        if r == Some(false) || self.result == Some(true) {
            self.result = r;
        }
    }

    fn comment(&mut self, path: &str, text: String) {
        match self.comments.iter_mut().find(|(p, _)| p == path) {
            Some((_, list)) => list.push(text),
            None => self.comments.push((path.to_string(), vec![text])),
        }
    }

    fn add(&mut self, path: &str, plan: Result<Plan, Failure>) {
        match plan {
            Err(f) => {
                self.result(Some(false));
                self.comment(path, f.comment.clone());
                self.failures
                    .push(format!("\n#### {path} ####\n{}", f.comment));
            }
            Ok(p) => {
                let r = test_result(&p);
                self.result(r);
                if r != Some(true) && !p.comment.is_empty() {
                    self.comment(path, p.comment.clone());
                }
                if !p.changes.is_empty() {
                    self.changes
                        .insert(path.into(), Value::Object(p.changes.clone()));
                }
                if !p.actions.is_empty() || !p.changes.is_empty() {
                    let applied = p.applied.clone().unwrap_or(p.changes.clone());
                    if !applied.is_empty() {
                        self.applied.insert(path.into(), Value::Object(applied));
                    }
                }
                self.steps.extend(p.actions);
            }
        }
    }

    /// Salt's flattened comment: `#### path ####` and its comments.
    fn flat(comments: &[(String, Vec<String>)]) -> String {
        comments
            .iter()
            .map(|(k, v)| format!("\n#### {k} ####\n{}", v.join("\n")))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
}

#[async_trait]
impl Function for Recurse {
    type Args = Args;

    fn paths(args: &Args) -> Vec<String> {
        vec![args.name.clone()]
    }

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = args.name.clone();
        if args.mode.is_some() {
            return Err(Failure::new(
                "'mode' is not allowed in 'file.recurse'. Please use 'file_mode' and 'dir_mode'.",
            ));
        }
        let keep_mode = args
            .file_mode
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|m| m.eq_ignore_ascii_case("keep"));
        let file_mode: Option<Mode> = match &args.file_mode {
            Some(v) if !keep_mode && !v.is_null() => Some(
                serde_json::from_value(v.clone())
                    .map_err(|e| Failure::new(format!("file_mode: {e}")))?,
            ),
            _ => None,
        };
        let user = args.user.clone().or(args.owner.clone());
        let group = args.group.clone();
        absolute(&name)?;
        // Salt's `_filter_recurse_sources`: salt:// directories that exist.
        let mut sources = Vec::new();
        for s in args.source.list() {
            let s = s.trim_end_matches('/').to_string();
            if !s.starts_with("salt://") {
                return Err(Failure::new(format!(
                    "Recurse failed: Invalid source '{s}' (must be a salt:// URI)"
                )));
            }
            let (rel, env) = split(&s, &ctx.chunk.env);
            let roots = ctx
                .host
                .tree
                .config
                .roots(&env)
                .map_err(|e| Failure::new(e.headline()))?;
            if roots.iter().any(|r| r.join(&rel).is_dir()) {
                sources.push((rel, env, roots.to_vec()));
            }
        }
        if sources.is_empty() {
            return Err(Failure::new(
                "Recurse failed: none of the specified sources were found",
            ));
        }
        if !args.merge {
            sources.truncate(1);
        }

        let here = ctx.host.file(&name).await?;
        let exists = here.kind == FileKind::Directory
            || (here.kind == FileKind::Symlink && self.leads_to_dir(ctx, &name).await?);
        if !exists && here.exists() {
            return Err(Failure::new(format!(
                "The path {name} exists and is not a directory"
            )));
        }

        // What the sources hold, the first source (and root) winning a path.
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        let mut dirs: BTreeSet<String> = BTreeSet::new();
        let mut links: BTreeMap<String, String> = BTreeMap::new();
        let mut keep: BTreeSet<String> = BTreeSet::new();
        for (rel, env, roots) in &sources {
            let mut listing = Listing::default();
            for root in roots {
                let url = |in_tree: &str| {
                    if *env == ctx.chunk.env {
                        format!("salt://{in_tree}")
                    } else {
                        format!("salt://{in_tree}?saltenv={env}")
                    }
                };
                list(root, &root.join(rel), "", &mut listing, &url);
            }
            let fine = |r: &str| -> Result<bool, Failure> {
                let depth_ok = args
                    .maxdepth
                    .is_none_or(|d| r.trim_matches('/').matches('/').count() <= d);
                Ok(!r.split('/').any(|c| c == "..")
                    && depth_ok
                    && passes(r, args.include_pat.as_ref(), args.exclude_pat.as_ref())?)
            };
            if args.keep_symlinks {
                for (l, target) in &listing.links {
                    let under: Vec<String> = listing
                        .files
                        .keys()
                        .filter(|f| *f == l || f.starts_with(&format!("{l}/")))
                        .cloned()
                        .collect();
                    for f in under {
                        listing.files.remove(&f);
                    }
                    if fine(l)? {
                        let dest = join(&name, l);
                        if !files.contains_key(&dest) && !links.contains_key(&dest) {
                            links.insert(dest.clone(), target.clone());
                            keep.insert(dest);
                        }
                    }
                }
            }
            for (r, (_, url)) in &listing.files {
                if !fine(r)? {
                    continue;
                }
                let dest = join(&name, r);
                if files.contains_key(&dest) || links.contains_key(&dest) {
                    continue;
                }
                keep.insert(dest.clone());
                dirs.insert(dirname(&dest));
                files.insert(dest, url.clone());
            }
            if args.include_empty {
                for d in std::iter::once(".".to_string()).chain(listing.dirs.iter().cloned()) {
                    if !fine(&d)? {
                        continue;
                    }
                    let dest = join(&name, &d);
                    if links.contains_key(&dest) {
                        continue;
                    }
                    keep.insert(dest.clone());
                    dirs.insert(dest);
                }
            }
        }

        let users: Vec<String> = user.iter().cloned().collect();
        let groups: Vec<String> = group.iter().cloned().collect();
        let mut merged = Merged {
            result: Some(true),
            comments: Vec::new(),
            changes: Changes::new(),
            applied: Changes::new(),
            steps: Vec::new(),
            failures: Vec::new(),
        };
        if user.is_some() || group.is_some() {
            let facts = Paths::read(ctx.host.transport.as_ref(), &[], &users, &groups)
                .await
                .map_err(Failure::new)?;
            if let Some(err) = missing_owner(&facts, user.as_deref(), group.as_deref()) {
                merged.steps.push(Action::Fail(err));
            }
        }
        if !exists {
            merged.steps.push(Action::run(
                Exec::new(makedirs(
                    &name,
                    user.as_deref(),
                    group.as_deref(),
                    args.dir_mode,
                )),
                format!("Failed to create directory {name}"),
            ));
        }
        let owner = |m: &mut Map<String, Value>| {
            if let Some(u) = &user {
                m.insert("user".into(), json!(u));
            }
            if let Some(g) = &group {
                m.insert("group".into(), json!(g));
            }
        };

        for dir in &dirs {
            if dir.ends_with("/..") {
                continue;
            }
            if args.clean {
                let cur = ctx.host.file(dir).await?;
                if cur.exists() && cur.kind != FileKind::Directory {
                    merged.result(None);
                    merged.comment(dir, format!("Replacing {dir} with a directory"));
                    merged.steps.push(Action::run(
                        Exec::new(format!("rm -f -- {}", quote(dir))),
                        format!("Failed to remove {dir}"),
                    ));
                    merged.applied.insert(
                        dir.clone(),
                        json!({"diff": "Replaced file with a directory"}),
                    );
                    continue;
                }
            }
            let mut a = Map::from_iter([
                ("name".to_string(), json!(dir)),
                ("makedirs".to_string(), json!(true)),
            ]);
            owner(&mut a);
            if let Some(m) = args.dir_mode {
                a.insert("dir_mode".into(), json!(m.to_string()));
            }
            let plan = match serde_json::from_value(Value::Object(a)) {
                Ok(a) => Directory.plan(&a, ctx).await,
                Err(e) => Err(Failure::new(e.to_string())),
            };
            // Once the directory itself is made, `name/.` is there.
            let made_first = !exists && (*dir == name || *dir == format!("{name}/."));
            if made_first {
                if let Ok(p) = &plan {
                    let r = test_result(p);
                    merged.result(r);
                    if r != Some(true) {
                        merged.comment(dir, p.comment.clone());
                    }
                    if !p.changes.is_empty() {
                        merged
                            .changes
                            .insert(dir.clone(), Value::Object(p.changes.clone()));
                    }
                    continue;
                }
            }
            merged.add(dir, plan);
        }
        for (dest, url) in &files {
            if args.clean && args.replace {
                let cur = ctx.host.file(dest).await?;
                if cur.kind == FileKind::Directory {
                    merged.result(None);
                    merged.comment(dest, format!("Replacing directory {dest} with a file"));
                    merged.steps.push(Action::run(
                        Exec::new(format!("rm -rf -- {}", quote(dest))),
                        format!("Failed to remove {dest}"),
                    ));
                    continue;
                }
            }
            let mut a = Map::from_iter([
                ("name".to_string(), json!(dest)),
                ("source".to_string(), json!(url)),
                ("makedirs".to_string(), json!(true)),
                ("replace".to_string(), json!(args.replace)),
            ]);
            owner(&mut a);
            if keep_mode {
                a.insert("mode".into(), json!("keep"));
            } else if let Some(m) = file_mode {
                a.insert("mode".into(), json!(m.to_string()));
            }
            if let Some(t) = &args.template {
                a.insert("template".into(), json!(t));
            }
            if let Some(c) = &args.context {
                a.insert("context".into(), Value::Object(c.clone()));
            }
            if let Some(d) = &args.defaults {
                a.insert("defaults".into(), Value::Object(d.clone()));
            }
            if let Some(b) = &args.backup {
                a.insert("backup".into(), b.clone());
            }
            let plan = match serde_json::from_value(Value::Object(a)) {
                Ok(a) => Managed.plan(&a, ctx).await,
                Err(e) => Err(Failure::new(e.to_string())),
            };
            merged.add(dest, plan);
        }
        for (dest, target) in &links {
            let mut a = Map::from_iter([
                ("name".to_string(), json!(dest)),
                ("target".to_string(), json!(target)),
                ("makedirs".to_string(), json!(true)),
                ("force".to_string(), json!(args.force_symlinks)),
            ]);
            owner(&mut a);
            if let Some(m) = args.sym_mode {
                a.insert("mode".into(), json!(m.to_string()));
            }
            let plan = match serde_json::from_value(Value::Object(a)) {
                Ok(a) => Symlink.plan(&a, ctx).await,
                Err(e) => Err(Failure::new(e.to_string())),
            };
            merged.add(dest, plan);
        }

        if args.clean && exists {
            let (seen, removed) = self.removed(ctx, args, &name, &keep).await?;
            if !removed.is_empty() {
                if merged.result == Some(true) {
                    merged.result = None;
                }
                merged.comment("removed", seen.join("\n"));
                let list: Vec<String> = removed.iter().map(|p| quote(p)).collect();
                merged.steps.push(Action::run(
                    Exec::new(format!("rm -rf -- {}", list.join(" "))),
                    format!("Failed to clean {name}"),
                ));
                merged.applied.insert("removed".into(), json!(removed));
            }
        }
        if !merged.failures.is_empty() {
            merged
                .steps
                .push(Action::Fail(merged.failures.concat().trim().to_string()));
        }

        let mut comment = Merged::flat(&merged.comments);
        if comment.is_empty() {
            comment = format!("Recursively updated {name}");
        }
        if merged.changes.is_empty() && merged.result == Some(true) {
            comment = format!("The directory {name} is in the correct state");
        }
        let done = if merged.applied.is_empty() {
            format!("The directory {name} is in the correct state")
        } else {
            format!("Recursively updated {name}")
        };
        if merged.steps.is_empty() && merged.changes.is_empty() {
            let mut p = Plan::noop(comment);
            p.done = done;
            return Ok(p);
        }
        Ok(Plan::change(merged.changes, comment, done, merged.steps).applied(merged.applied))
    }
}

impl Recurse {
    async fn leads_to_dir(&self, ctx: &Ctx<'_>, path: &str) -> Result<bool, Failure> {
        let facts = Paths::read(ctx.host.transport.as_ref(), &[path.to_string()], &[], &[])
            .await
            .map_err(Failure::new)?;
        Ok(facts.get(path).is_dir())
    }

    /// What `clean` removes (Salt's `_clean_dir`): what is under `name`
    /// and neither made by this state, nor named by a `require`, nor a
    /// parent of either, nor matched by `exclude_pat`: all of it as a test
    /// run lists it, and as a real run does, where a directory goes whole
    /// and what was under it is not seen again.
    async fn removed(
        &self,
        ctx: &Ctx<'_>,
        args: &Args,
        name: &str,
        keep: &BTreeSet<String>,
    ) -> Result<(Vec<String>, Vec<String>), Failure> {
        let walk = Walk::read(ctx.host.transport.as_ref(), name, None)
            .await
            .map_err(Failure::new)?;
        let mut kept: BTreeSet<String> = BTreeSet::from([name.to_string()]);
        let mut required: Vec<String> = Vec::new();
        for r in &ctx.chunk.requisites {
            if r.kind != ReqKind::Require || r.reverse {
                continue;
            }
            if let Target::State { module, pattern } = &r.target {
                if module.as_deref().is_none_or(|m| m == "file") && pattern.starts_with('/') {
                    required.push(pattern.clone());
                }
            }
        }
        for k in keep.iter().chain(required.iter()) {
            let mut p = super::file_common::normpath(k);
            loop {
                kept.insert(p.clone());
                let up = dirname(&p);
                if up == p || up.is_empty() {
                    break;
                }
                p = up;
            }
        }
        let (mut seen, mut out): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for level in walk.levels() {
            for n in level.dirs.iter().chain(level.files.iter()) {
                let path = join(&level.dir, n);
                let rel = path.strip_prefix(&format!("{name}/")).unwrap_or(&path);
                if kept.contains(&path) || !passes(rel, None, args.exclude_pat.as_ref())? {
                    continue;
                }
                seen.push(path.clone());
                if !out.iter().any(|d| path.starts_with(&format!("{d}/"))) {
                    out.push(path);
                }
            }
        }
        seen.sort();
        out.sort();
        Ok((seen, out))
    }
}

/// `salt://a/b?saltenv=dev` → (`a/b`, `dev`).
fn split(url: &str, env: &str) -> (String, String) {
    let path = url.strip_prefix("salt://").unwrap_or(url);
    let (path, env) = match path.split_once('?') {
        Some((p, q)) => (p, q.strip_prefix("saltenv=").unwrap_or(env)),
        None => (path, env),
    };
    (path.trim_start_matches('/').to_string(), env.to_string())
}
