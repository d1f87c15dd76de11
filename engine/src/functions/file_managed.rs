//! `file.managed`: a file's content (from `source`, rendered or not,
//! `contents`, or pillar or grains), owner, group and mode.
//!
//! Templates render on the controller with the host's grains and pillar; a
//! template error fails this state only, as in Salt. With a `source` list,
//! the first the state tree has is used (the "template override" pattern).
//! `check_cmd` checks the new content, in a temporary file on the host,
//! before it replaces the file; `backup: minion` keeps the old one under
//! Salt's minion cache (`/var/cache/salt/minion/file_backup`), where
//! Salt's `file.list_backups` finds it. The file is replaced atomically.
//!
//! Salt passes the keywords it does not know to the template. So does
//! converge, with a template only (without one they can do nothing and are
//! refused as typos), and not when a keyword is one letter away from an
//! argument (`usr`, `mod`): pass such a variable in `context:`.

use std::sync::Arc;

use async_trait::async_trait;
use serde::de::{self, Deserializer, IgnoredAny};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::file_common::{
    absolute, dir_mode_for, first_source, makedirs, missing_owner, owner_as_asked, py_str,
    read_followed, render_source, str_list, OneOrMany,
};
use super::mode::{name_or_id, Mode};
use super::{Ctx, Function};
use crate::diff;
use crate::facts::paths::dirname;
use crate::facts::Paths;
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::source::Source;
use crate::transport::shell::quote;
use crate::transport::{Exec, FileFact, FileKind, Output, WriteFile};

pub(super) struct Managed;

/// Where `backup: minion` keeps old versions: Salt's minion cache.
pub(super) const BACKUP_ROOT: &str = "/var/cache/salt/minion/file_backup";

/// `mode`: octal, or `keep` (the source's mode).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum ModeArg {
    Mode(Mode),
    Keep,
}

impl<'de> Deserialize<'de> for ModeArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ModeArg, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::String(s) if s.eq_ignore_ascii_case("keep") => Ok(ModeArg::Keep),
            _ => serde_json::from_value::<Mode>(v)
                .map(ModeArg::Mode)
                .map_err(de::Error::custom),
        }
    }
}

/// An argument Salt has that converge does not implement: refused when
/// the state is compiled, at its key.
#[derive(Debug)]
pub(super) struct Unsupported;

impl<'de> Deserialize<'de> for Unsupported {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Unsupported, D::Error> {
        IgnoredAny::deserialize(d)?;
        Err(de::Error::custom("is not supported by converge"))
    }
}

macro_rules! managed_args {
    ($( $(#[$m:meta])* $field:ident : $ty:ty ),* $(,)?) => {
        /// The arguments as written; the keys it does not know are kept.
        #[derive(Deserialize)]
        struct Raw {
            $( $(#[$m])* $field: $ty, )*
            #[serde(flatten)]
            extra: Map<String, Value>,
        }

        // Some are accepted only to be ignored, as Salt ignores them here.
        #[allow(dead_code)]
        pub(super) struct Args {
            $( pub $field: $ty, )*
            /// Keywords Salt does not know, for the template.
            pub extra: Map<String, Value>,
        }

        const KNOWN: &[&str] = &[$( stringify!($field) ),*];

        impl TryFrom<Raw> for Args {
            type Error = String;
            fn try_from(raw: Raw) -> Result<Args, String> {
                check_extra(&raw.extra, raw.template.is_some())?;
                Ok(Args { $( $field: raw.$field, )* extra: raw.extra })
            }
        }
    };
}

managed_args! {
    name: String,
    #[serde(default)] source: Option<OneOrMany>,
    #[serde(default)] contents: Option<Value>,
    #[serde(default)] contents_pillar: Option<OneOrMany>,
    #[serde(default)] contents_grains: Option<OneOrMany>,
    #[serde(default = "crate::functions::yes")] contents_newline: bool,
    #[serde(default = "colon")] contents_delimiter: String,
    #[serde(default = "crate::functions::yes")] allow_empty: bool,
    #[serde(default)] template: Option<String>,
    #[serde(default)] context: Option<Map<String, Value>>,
    #[serde(default)] defaults: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "name_or_id")] user: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")] owner: Option<String>,
    #[serde(default, deserialize_with = "name_or_id")] group: Option<String>,
    #[serde(default)] mode: Option<ModeArg>,
    #[serde(default)] makedirs: bool,
    #[serde(default)] dir_mode: Option<Mode>,
    #[serde(default = "crate::functions::yes")] replace: bool,
    #[serde(default = "crate::functions::yes")] show_changes: bool,
    #[serde(default)] show_diff: Option<bool>,
    #[serde(default = "crate::functions::yes")] create: bool,
    #[serde(default)] backup: Option<Value>,
    #[serde(default)] check_cmd: Option<String>,
    #[serde(default)] tmp_dir: Option<String>,
    #[serde(default)] tmp_ext: Option<String>,
    #[serde(default = "crate::functions::yes")] follow_symlinks: bool,
    #[serde(default)] new_file_diff: bool,
    #[serde(default)] encoding: Option<String>,
    #[serde(default)] source_hash: Option<IgnoredAny>,
    #[serde(default)] source_hash_name: Option<IgnoredAny>,
    #[serde(default)] skip_verify: Option<IgnoredAny>,
    #[serde(default)] keep_source: Option<IgnoredAny>,
    #[serde(default)] verify_ssl: Option<IgnoredAny>,
    #[serde(default)] use_etag: Option<IgnoredAny>,
    #[serde(default)] encoding_errors: Option<IgnoredAny>,
    #[serde(default)] env: Option<IgnoredAny>,
    #[serde(default)] file_mode: Option<IgnoredAny>,
    #[serde(default)] win_owner: Option<IgnoredAny>,
    #[serde(default)] win_perms: Option<IgnoredAny>,
    #[serde(default)] win_deny_perms: Option<IgnoredAny>,
    #[serde(default)] win_inheritance: Option<IgnoredAny>,
    #[serde(default)] win_perms_reset: Option<IgnoredAny>,
    #[serde(default)] attrs: Option<Unsupported>,
    #[serde(default)] selinux: Option<Unsupported>,
    #[serde(default)] signature: Option<Unsupported>,
    #[serde(default)] source_hash_sig: Option<Unsupported>,
    #[serde(default)] signed_by_any: Option<Unsupported>,
    #[serde(default)] signed_by_all: Option<Unsupported>,
    #[serde(default)] keyring: Option<Unsupported>,
    #[serde(default)] gnupghome: Option<Unsupported>,
    #[serde(default)] sig_backend: Option<Unsupported>,
    #[serde(default)] ignore_ordering: Option<Unsupported>,
    #[serde(default)] ignore_whitespace: Option<Unsupported>,
    #[serde(default)] ignore_comment_characters: Option<Unsupported>,
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Args, D::Error> {
        Args::try_from(Raw::deserialize(d)?).map_err(de::Error::custom)
    }
}

fn colon() -> String {
    ":".into()
}

/// One edit (a letter added, removed or changed) turns `a` into `b`.
fn one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            short
                .iter()
                .zip(long.iter())
                .filter(|(x, y)| x != y)
                .count()
                == 1
        }
        1 => (0..long.len()).any(|skip| {
            long.iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, c)| c)
                .eq(short.iter())
        }),
        _ => false,
    }
}

/// The keywords Salt does not know: template variables with a template;
/// typos without one, or when one letter away from an argument (but for
/// a plural: `users` may well be a variable).
fn check_extra(extra: &Map<String, Value>, template: bool) -> Result<(), String> {
    let expected = || {
        KNOWN
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for key in extra.keys() {
        let typo = KNOWN
            .iter()
            .any(|k| one_edit(key, k) && *key != format!("{k}s") && **k != format!("{key}s"));
        if !template || typo {
            return Err(format!(
                "unknown field `{key}`, expected one of {}",
                expected()
            ));
        }
    }
    Ok(())
}

/// Salt's `dictupdate.merge`: mappings merged key by key, all else replaced.
fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A value of the host's pillar or grains, by `a:b:c` path.
fn lookup(root: &minijinja::Value, path: &str, delimiter: &str) -> Option<Value> {
    let found = if delimiter == ":" {
        crate::render::traverse(root, path, delimiter)
    } else {
        let mut cur = root.clone();
        for part in path.split(delimiter) {
            cur = cur
                .get_item(&minijinja::Value::from(part))
                .ok()
                .filter(|v| !v.is_undefined())?;
        }
        Some(cur)
    };
    found.and_then(|v| serde_json::to_value(&v).ok())
}

/// Python's truth of a value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `check_cmd`: the new content, in a temporary file, passed to the
/// command, which must succeed. The file is removed either way.
#[derive(Debug)]
pub(super) struct CheckCmd {
    pub cmd: String,
    pub content: Vec<u8>,
    pub tmp_dir: Option<String>,
    pub tmp_ext: Option<String>,
}

impl Check for CheckCmd {
    fn describe(&self) -> String {
        format!("`{}` accepts the new content", self.cmd)
    }

    fn probe(&self) -> Exec {
        let mut mktemp = String::from("mktemp");
        if let Some(dir) = &self.tmp_dir {
            mktemp.push_str(&format!(" -p {}", quote(dir)));
        }
        if let Some(ext) = self.tmp_ext.as_ref().filter(|e| !e.is_empty()) {
            mktemp.push_str(&format!(" --suffix={}", quote(ext)));
        }
        Exec::new(format!(
            "t=$({mktemp}) || exit 1; cat > \"$t\"; {} \"$t\"; rc=$?; rm -f -- \"$t\"; exit $rc",
            self.cmd
        ))
        .stdin(self.content.clone())
    }

    fn judge(&self, out: &Output) -> Verdict {
        if out.code == 0 {
            return Verdict::Met(Changes::new());
        }
        let mut why = String::from("check_cmd execution failed");
        for part in [out.stdout.trim_end(), out.stderr.trim_end()] {
            if !part.is_empty() {
                why.push('\n');
                why.push_str(part);
            }
        }
        Verdict::Pending(why)
    }
}

/// Keep the current `path` under Salt's backup root, stamped as Salt
/// stamps it (`name_Sun_Nov_30_15:24:42_123456_2026`).
fn backup_step(path: &str) -> Action {
    Action::run(
        Exec::new(backup_command(BACKUP_ROOT, path)),
        format!("Unable to back up {path}"),
    )
}

/// The command that copies `path` (mode, owner and times kept) into
/// `root`, under the path's own directories.
fn backup_command(root: &str, path: &str) -> String {
    let dir = format!("{root}{}", dirname(path));
    let base = path.rsplit('/').next().unwrap_or(path);
    format!(
        "d={}; mkdir -p -- \"$d\" && n=$(date +%s%6N) && cp -p -- {} \"$d\"/{}_$(LC_ALL=C date +%a_%b_%d_%H:%M:%S_)${{n: -6}}_$(date +%Y)",
        quote(&dir),
        quote(path),
        quote(base)
    )
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
        let name = &args.name;
        if name.is_empty() {
            return Err(Failure::new("Destination file name is required"));
        }
        let keep_mode = args.mode == Some(ModeArg::Keep);
        let mut mode = match args.mode {
            Some(ModeArg::Mode(m)) => Some(m),
            _ => None,
        };
        let contents_given = [
            args.contents.as_ref().is_some_and(|c| !c.is_null()),
            args.contents_pillar.is_some(),
            args.contents_grains.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if args.source.is_some() && contents_given > 0 {
            return Err(Failure::new(
                "'source' cannot be used in combination with 'contents', 'contents_pillar', or 'contents_grains'",
            ));
        } else if keep_mode && contents_given > 0 {
            return Err(Failure::new(
                "Mode preservation cannot be used in combination with 'contents', 'contents_pillar', or 'contents_grains'",
            ));
        } else if contents_given > 1 {
            return Err(Failure::new(
                "Only one of 'contents', 'contents_pillar', and 'contents_grains' is permitted",
            ));
        }
        if let Some(enc) = &args.encoding {
            let e = enc.to_lowercase().replace(['-', '_'], "");
            if !matches!(e.as_str(), "utf8" | "ascii" | "usascii") {
                return Err(Failure::new(format!(
                    "encoding {enc}: converge writes UTF-8 text only"
                )));
            }
        }
        // Without anything to put in it, Salt manages only the attributes.
        let replace = args.replace && (args.source.is_some() || contents_given > 0);
        let contents = self.contents(args, ctx).await?;

        let user = args.user.clone().or(args.owner.clone());
        let group = args.group.clone();
        // The content is compared through a symlink; without
        // `follow_symlinks`, the link itself is replaced by the file.
        let mut followed = read_followed(ctx, name).await?;
        if !args.follow_symlinks {
            followed.path = name.clone();
        }
        let mut current: Arc<FileFact> = followed.fact.clone();
        let exists = current.exists();
        if !(args.create || exists && current.kind == FileKind::File) {
            return Ok(Plan::noop(format!(
                "File {name} is not present and is not set for creation"
            )));
        }
        absolute(name)?;
        if current.kind == FileKind::Directory {
            return Err(Failure::new(format!(
                "Specified target {name} is a directory"
            )));
        }
        // Salt only warns of a missing owner in a test run.
        let mut first = Vec::new();
        let mut remote = None;
        let owned = exists
            && user.as_ref().is_none_or(|u| *u == current.user)
            && group.as_ref().is_none_or(|g| *g == current.group);
        if !owned && (user.is_some() || group.is_some()) {
            let users: Vec<String> = user.iter().cloned().collect();
            let groups: Vec<String> = group.iter().cloned().collect();
            let facts = Paths::read(ctx.host.transport.as_ref(), &[], &users, &groups)
                .await
                .map_err(Failure::new)?;
            if let Some(err) = missing_owner(&facts, user.as_deref(), group.as_deref()) {
                first.push(Action::Fail(err));
            }
            remote = Some((facts.user.clone(), facts.group.clone()));
            current = owner_as_asked(current, &facts, user.as_deref(), group.as_deref());
        }

        if !replace && exists {
            return Ok(self.attributes_only(args, name, &current, user, group, mode, first));
        }

        let found = match &args.source {
            Some(s) => Some(first_source(ctx, &s.list())?.ok_or_else(|| {
                Failure::new(match s {
                    OneOrMany::One(url) => {
                        format!("Source file {url} not found in saltenv '{}'", ctx.chunk.env)
                    }
                    OneOrMany::Many(_) => {
                        "Unable to manage file: none of the specified sources were found".into()
                    }
                })
            })?),
            None => None,
        };
        if keep_mode {
            if let Some((path, _)) = &found {
                use std::os::unix::fs::MetadataExt;
                mode = std::fs::metadata(path)
                    .ok()
                    .map(|m| Mode(m.mode() & 0o7777));
            }
        }
        let wanted: Option<Vec<u8>> = match (&contents, found) {
            (Some(c), _) => Some(c.clone().into_bytes()),
            (None, Some(found)) => {
                let extra = self.template_vars(
                    args,
                    ctx,
                    user.as_deref(),
                    group.as_deref(),
                    mode,
                    &found.1,
                );
                Some(render_source(ctx, found, args.template.as_deref(), extra).await?)
            }
            (None, None) => None,
        };
        let show = args.show_changes && args.show_diff != Some(false);
        let test_comment = format!(
            "The file {name} is set to be changed\nNote: No changes made, actual changes may\nbe different due to other states."
        );
        let done = format!("File {name} updated");
        let check = |content: &[u8]| {
            args.check_cmd.as_ref().map(|cmd| {
                Action::verify(
                    CheckCmd {
                        cmd: cmd.clone(),
                        content: content.to_vec(),
                        tmp_dir: args.tmp_dir.clone(),
                        tmp_ext: args.tmp_ext.clone(),
                    },
                    "",
                )
            })
        };
        let write = |path: &str, content: Vec<u8>| {
            Action::write(WriteFile {
                path: path.to_string(),
                content,
                user: user.clone(),
                group: group.clone(),
                mode: mode.map(|m| m.0),
                makedirs: false,
            })
        };

        if !exists {
            let mut steps = first;
            let parent = dirname(name);
            if args.makedirs && !ctx.host.file(&parent).await?.exists() {
                let dir_mode = args.dir_mode.or(mode.map(dir_mode_for));
                steps.push(Action::run(
                    Exec::new(makedirs(
                        &parent,
                        user.as_deref(),
                        group.as_deref(),
                        dir_mode,
                    )),
                    format!("Unable to create directory {parent}"),
                ));
            }
            let content = wanted.clone().unwrap_or_default();
            if let Some(c) = check(&content) {
                steps.push(c);
            }
            steps.push(write(name, content.clone()));
            // What Salt reports once made: its owner and mode as Salt set
            // them after creating the file (a source's copy starts 0600,
            // a file made with a mode too; the umask gives 0644).
            let mut applied = Changes::new();
            match &wanted {
                Some(c) if args.new_file_diff && args.source.is_none() => {
                    applied.insert("diff".into(), json!(ctx.host.mask(&diff::unified(b"", c))));
                }
                Some(_) => {
                    applied.insert("diff".into(), json!("New file"));
                }
                None => {
                    applied.insert("new".into(), json!(format!("file {name} created")));
                }
            }
            let initial = if args.source.is_some() || mode.is_some() {
                0o600
            } else {
                0o644
            };
            let desired = mode.unwrap_or(Mode(0o644));
            if let Some((ru, rg)) = &remote {
                if let Some(u) = user.as_ref().filter(|u| *u != ru) {
                    applied.insert("user".into(), json!(u));
                }
                if let Some(g) = group.as_ref().filter(|g| *g != rg) {
                    applied.insert("group".into(), json!(g));
                }
            }
            if desired.0 != initial {
                applied.insert("mode".into(), json!(desired.to_string()));
            }
            let mut changes = Changes::from_iter([("newfile".to_string(), json!(name))]);
            if args.new_file_diff {
                if let Some(c) = &wanted {
                    changes = Changes::from_iter([(
                        "diff".to_string(),
                        json!(ctx.host.mask(&diff::unified(b"", c))),
                    )]);
                }
            }
            let done = if wanted.is_none() {
                "Empty file".to_string()
            } else {
                done
            };
            return Ok(Plan::change(changes, test_comment, done, steps).applied(applied));
        }

        let old = current.content.clone().unwrap_or_default();
        let mut changes = Changes::new();
        let new_content = wanted.filter(|new| replace && *new != old);
        if let Some(new) = &new_content {
            let d = if show {
                ctx.host.mask(&diff::unified(&old, new))
            } else {
                "<show_changes=False>".into()
            };
            changes.insert("diff".into(), Value::String(d));
        }
        let attrs = attr_changes(user.as_deref(), group.as_deref(), mode, &current);
        changes.extend(attrs.clone());
        if changes.is_empty() && first.is_empty() {
            let mut p = Plan::noop(format!("The file {name} is in the correct state"));
            p.done = format!("File {name} is in the correct state");
            return Ok(p);
        }
        let mut steps = first;
        match new_content {
            Some(new) => {
                if let Some(c) = check(&new) {
                    steps.push(c);
                }
                if args.backup.as_ref().and_then(Value::as_str) == Some("minion") {
                    steps.push(backup_step(&followed.path));
                }
                steps.push(write(&followed.path, new));
            }
            None if !attrs.is_empty() => {
                steps.push(super::file_directory::attrs_step(
                    &followed.path,
                    &attrs,
                    user.as_deref(),
                    group.as_deref(),
                    mode,
                ));
            }
            None => {}
        }
        Ok(Plan::change(changes, test_comment, done, steps))
    }
}

impl Managed {
    /// The content from `contents`, `contents_pillar` or `contents_grains`,
    /// as Salt makes it: each line ended by a newline, rendered when a
    /// template is asked. `None` when none is given.
    async fn contents(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Option<String>, Failure> {
        let delim = args.contents_delimiter.as_str();
        let (value, what) = if let Some(p) = &args.contents_pillar {
            (
                self.looked_up(&ctx.host.render.pillar, p, delim, "Pillar")?,
                format!("contents_pillar {}", p.list().join(", ")),
            )
        } else if let Some(g) = &args.contents_grains {
            (
                self.looked_up(&ctx.host.render.grains, g, delim, "Grain")?,
                format!("contents_grains {}", g.list().join(", ")),
            )
        } else {
            match &args.contents {
                None | Some(Value::Null) => return Ok(None),
                Some(c) => (c.clone(), "'contents'".to_string()),
            }
        };
        if !args.allow_empty && !truthy(&value) {
            return Err(Failure::new(format!(
                "{what} value would result in empty contents. Set allow_empty to True to allow the managed file to be empty."
            )));
        }
        let mut text = String::new();
        for part in str_list(&value) {
            for line in diff::splitlines(&part) {
                text.push_str(line.trim_end_matches('\n').trim_end_matches('\r'));
                text.push('\n');
            }
        }
        if !args.contents_newline {
            text = text
                .trim_end_matches('\n')
                .trim_end_matches('\r')
                .to_string();
        }
        if let Some(template) = &args.template {
            if template != "jinja" {
                return Err(Failure::new(format!(
                    "Unsupported template engine `{template}` (converge renders jinja)"
                )));
            }
            let mut vars = args.defaults.clone().unwrap_or_default();
            merge(&mut vars, &args.context.clone().unwrap_or_default());
            let source = Source::new(format!("<contents of {}>", args.name), text);
            let (tree, env, sls) = (
                Arc::clone(&ctx.host.tree),
                ctx.chunk.env.clone(),
                ctx.chunk.sls.clone(),
            );
            let render = ctx.host.render.clone();
            text = tokio::task::spawn_blocking(move || {
                tree.renderer(&env)?
                    .render_file(&source, &sls, &render, &vars)
            })
            .await
            .map_err(|e| Failure::new(format!("Unable to manage file: {e}")))?
            .map_err(|e| {
                Failure::new(format!(
                    "Unable to manage file: {}",
                    e.to_string().trim_end()
                ))
            })?;
        }
        Ok(Some(text))
    }

    /// `contents_pillar`/`contents_grains`: one value, or several joined
    /// by newlines.
    fn looked_up(
        &self,
        root: &minijinja::Value,
        paths: &OneOrMany,
        delim: &str,
        what: &str,
    ) -> Result<Value, Failure> {
        let get = |p: &str| {
            lookup(root, p, delim).ok_or_else(|| Failure::new(format!("{what} {p} does not exist")))
        };
        match paths {
            OneOrMany::One(p) => get(p),
            OneOrMany::Many(list) => {
                let parts: Result<Vec<String>, Failure> =
                    list.iter().map(|p| get(p).map(|v| py_str(&v))).collect();
                Ok(Value::String(parts?.join("\n")))
            }
        }
    }

    /// What a template sees beyond grains and pillar, as Salt gives it:
    /// the keywords it does not know, the state's name, source, owner and
    /// mode, then `defaults` merged with `context` over them.
    fn template_vars(
        &self,
        args: &Args,
        ctx: &Ctx<'_>,
        user: Option<&str>,
        group: Option<&str>,
        mode: Option<Mode>,
        rel: &str,
    ) -> Map<String, Value> {
        let mut vars = args.extra.clone();
        vars.insert("name".into(), json!(args.name));
        vars.insert("source".into(), json!(format!("salt://{rel}")));
        vars.insert("user".into(), json!(user));
        vars.insert("group".into(), json!(group));
        vars.insert("mode".into(), json!(mode.map(|m| m.to_string())));
        vars.insert("attrs".into(), Value::Null);
        vars.insert("saltenv".into(), json!(ctx.chunk.env));
        let mut context = args.defaults.clone().unwrap_or_default();
        merge(&mut context, &args.context.clone().unwrap_or_default());
        vars.extend(context);
        vars
    }

    /// `replace: false` on a file that exists: its owner and mode only.
    #[allow(clippy::too_many_arguments)]
    fn attributes_only(
        &self,
        args: &Args,
        name: &str,
        current: &FileFact,
        user: Option<String>,
        group: Option<String>,
        mode: Option<Mode>,
        first: Vec<Action>,
    ) -> Plan {
        let attrs = attr_changes(user.as_deref(), group.as_deref(), mode, current);
        if attrs.is_empty() && first.is_empty() {
            let mut p = Plan::noop(format!("File {name} not updated"));
            p.done = format!("File {name} exists with proper permissions. No changes made.");
            return p;
        }
        let comment = match mode {
            Some(m) if m.0 != current.mode => format!(
                "File {name} will be updated with permissions {m} from its current state of {}",
                Mode(current.mode)
            ),
            _ => format!("File {name} not updated"),
        };
        let mut steps = first;
        if !attrs.is_empty() {
            steps.push(super::file_directory::attrs_step(
                &args.name,
                &attrs,
                user.as_deref(),
                group.as_deref(),
                mode,
            ));
        }
        Plan::change(attrs, comment, "", steps)
    }
}

/// Owner, group and mode that differ from what is asked, as Salt reports them.
fn attr_changes(
    user: Option<&str>,
    group: Option<&str>,
    mode: Option<Mode>,
    current: &FileFact,
) -> Changes {
    let mut changes = Changes::new();
    if !current.exists() {
        return changes;
    }
    if let Some(u) = user.filter(|u| *u != current.user) {
        changes.insert("user".into(), json!(u));
    }
    if let Some(g) = group.filter(|g| *g != current.group) {
        changes.insert("group".into(), json!(g));
    }
    if let Some(m) = mode.filter(|m| m.0 != current.mode) {
        changes.insert("mode".into(), json!(m.to_string()));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_told_from_template_variables() {
        let extra = |k: &str| Map::from_iter([(k.to_string(), json!(1))]);
        assert!(check_extra(&extra("usr"), true).is_err());
        assert!(check_extra(&extra("mod"), true).is_err());
        assert!(check_extra(&extra("users"), true).is_ok());
        assert!(check_extra(&extra("port"), true).is_ok());
        let err = check_extra(&extra("port"), false).unwrap_err();
        assert!(
            err.starts_with("unknown field `port`, expected one of `name`, `source`"),
            "{err}"
        );
    }

    #[test]
    fn context_merges_into_defaults_as_salt_merges() {
        let mut d = json!({"a": {"x": 1, "y": 2}, "l": [1]})
            .as_object()
            .unwrap()
            .clone();
        merge(
            &mut d,
            json!({"a": {"y": 3}, "l": [2]}).as_object().unwrap(),
        );
        assert_eq!(Value::Object(d), json!({"a": {"x": 1, "y": 3}, "l": [2]}));
    }

    #[test]
    fn backups_are_named_as_salt_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("etc/app.conf");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "old\n").unwrap();
        let root = dir.path().join("file_backup").display().to_string();
        let cmd = backup_command(&root, &file.display().to_string());
        let out = crate::testing::runtime()
            .block_on(crate::transport::Transport::exec(
                &crate::transport::local::Local::new(10),
                &Exec::new(cmd),
            ))
            .unwrap();
        assert_eq!(out.code, 0, "{}", out.stderr);
        let kept = format!("{root}{}", file.parent().unwrap().display());
        let names: Vec<String> = std::fs::read_dir(&kept)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let [name] = names.as_slice() else {
            panic!("{names:?}")
        };
        // app.conf_Sun_Nov_30_15:24:42_123456_2026
        let parts: Vec<&str> = name.split('_').collect();
        assert_eq!(parts.len(), 7, "{name}");
        assert_eq!(parts[0], "app.conf");
        assert_eq!(
            (parts[1].len(), parts[2].len(), parts[4].len()),
            (3, 3, 8),
            "{name}"
        );
        assert!(
            parts[5].len() == 6 && parts[5].chars().all(|c| c.is_ascii_digit()),
            "{name}"
        );
        assert_eq!(parts[6].len(), 4, "{name}");
        assert_eq!(
            std::fs::read_to_string(format!("{kept}/{name}")).unwrap(),
            "old\n"
        );
    }

    #[test]
    fn check_cmd_failures_read_as_salt_words_them() {
        let c = CheckCmd {
            cmd: "visudo -cf".into(),
            content: b"x".to_vec(),
            tmp_dir: None,
            tmp_ext: Some(".conf".into()),
        };
        assert!(c.probe().cmd.starts_with("t=$(mktemp --suffix=.conf)"));
        let out = Output {
            code: 1,
            stdout: "checking\n".into(),
            stderr: "bad line\n".into(),
            pid: None,
        };
        assert_eq!(
            c.judge(&out),
            Verdict::Pending("check_cmd execution failed\nchecking\nbad line".into())
        );
    }
}
