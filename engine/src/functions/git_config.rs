//! `git.config_set` and `git.config_unset`: a git configuration key, the
//! user's (`global: True`) or a repository's (`repo`), read and written
//! with `git config` as that user, as Salt's `git` module does.
//!
//! Two departures from Salt 3008, where Salt's real run breaks: a key
//! expression (`color\..+`) is unset key by key (Salt hands git the
//! expression, which git refuses), and a key removed altogether is
//! reported in the changes (Salt raises `KeyError` looking for it).

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{pyrepr, Ctx, Function};
use crate::facts::git_config::{self, Scope};
use crate::facts::{Accounts, Home};
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

pub(super) struct ConfigSet;
pub(super) struct ConfigUnset;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetArgs {
    pub name: String,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub multivar: Option<Value>,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default, rename = "global")]
    pub global_: Option<bool>,
    /// Windows only in Salt.
    #[serde(default)]
    #[allow(dead_code)]
    pub password: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub output_encoding: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UnsetArgs {
    pub name: String,
    #[serde(default)]
    pub value_regex: Option<Value>,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default, rename = "global")]
    pub global_: Option<bool>,
    #[serde(default)]
    pub all: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    pub password: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub output_encoding: Option<serde::de::IgnoredAny>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The configuration meant, and the user git runs as (who must exist).
async fn scope(
    ctx: &Ctx<'_>,
    global: bool,
    repo: Option<&str>,
    user: Option<&str>,
) -> Result<Scope, Failure> {
    let user = user.filter(|u| !u.is_empty());
    let home = match user {
        None => None,
        Some(u) => {
            let acc = Accounts::read(ctx.host.transport.as_ref(), Some(u), Home::None)
                .await
                .map_err(Failure::new)?;
            let Some(p) = acc.user else {
                return Err(Failure::new(format!("User '{u}' is not available")));
            };
            Some(p.home)
        }
    };
    if global {
        return Ok(Scope::Global);
    }
    let Some(repo) = repo.filter(|r| !r.is_empty()) else {
        return Err(Failure::new(
            "Non-global config options require the 'repo' argument to be set",
        ));
    };
    Ok(Scope::Local(match home {
        Some(h) if !repo.starts_with('/') => super::ssh_keys::join(&h, repo),
        _ => repo.to_string(),
    }))
}

fn key_word(global: bool, capital: bool) -> &'static str {
    match (global, capital) {
        (false, _) => "",
        (true, true) => "Global key ",
        (true, false) => "global key ",
    }
}

/// After setting: the key's values as wanted.
#[derive(Debug)]
struct Values {
    name: String,
    scope: Scope,
    user: Option<String>,
    pre: Option<Vec<String>>,
    desired: Vec<String>,
    fail: String,
}

impl Check for Values {
    fn describe(&self) -> String {
        format!("{} is {:?}", self.name, self.desired)
    }

    fn probe(&self) -> Exec {
        git_config::get_all_command(&self.scope, &self.name, self.user.as_deref())
    }

    fn judge(&self, out: &Output) -> Verdict {
        let post = git_config::parse_get_all(out);
        if post.as_ref() != Some(&self.desired) {
            return Verdict::Pending(self.fail.clone());
        }
        let mut changes = Changes::new();
        if post != self.pre {
            changes.insert(self.name.clone(), json!({"old": self.pre, "new": post}));
        }
        Verdict::Met(changes)
    }
}

#[async_trait]
impl Function for ConfigSet {
    type Args = SetArgs;

    async fn plan(&self, args: &SetArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let value = args.value.as_ref().filter(|v| !v.is_null());
        let multivar = args.multivar.as_ref().filter(|v| !v.is_null());
        if value.is_some() && multivar.is_some() {
            return Err(Failure::new(
                "Only one of 'value' and 'multivar' is permitted",
            ));
        }
        let global = args.global_ == Some(true);
        let scope = scope(ctx, global, args.repo.as_deref(), args.user.as_deref()).await?;
        let (desired, value_comment) = match (value, multivar) {
            (Some(v), _) => (vec![text(v)], format!("'{}'", text(v))),
            (None, Some(Value::Array(items))) => {
                let list: Vec<String> = items.iter().map(text).collect();
                let shown = pyrepr::repr(&json!(list));
                (list, shown)
            }
            (None, Some(other)) => {
                let list: Vec<String> = text(other).split(',').map(str::to_string).collect();
                let shown = pyrepr::repr(&json!(list));
                (list, shown)
            }
            (None, None) => (Vec::new(), String::new()),
        };
        let user = args.user.as_deref().filter(|u| !u.is_empty());
        let out = ctx
            .host
            .exec(&git_config::get_all_command(&scope, name, user))
            .await?;
        let pre = git_config::parse_get_all(&out);
        let (gk, gkl) = (key_word(global, true), key_word(global, false));
        if pre.as_ref() == Some(&desired) {
            return Ok(Plan::noop(format!(
                "{gk}'{name}' is already set to {value_comment}"
            )));
        }
        let verb = if pre.is_none() { "added as" } else { "set to" };
        let fail = format!("Failed to set {gkl}'{name}' to {value_comment}");
        let mut actions = Vec::new();
        for (i, v) in desired.iter().enumerate() {
            let op = if i == 0 { "--replace-all" } else { "--add" };
            let cmd = scope.git(&[op, name, v]);
            actions.push(Action::run(scope.exec(cmd, user), &fail));
        }
        actions.push(Action::verify(
            Values {
                name: name.clone(),
                scope,
                user: user.map(str::to_string),
                pre: pre.clone(),
                desired: desired.clone(),
                fail: fail.clone(),
            },
            "",
        ));
        let changes = Changes::from_iter([
            ("old".to_string(), json!(pre)),
            ("new".to_string(), json!(desired)),
        ]);
        Ok(Plan::change(
            changes,
            format!("{gk}'{name}' would be {verb} {value_comment}"),
            format!("{gk}'{name}' was {verb} {value_comment}"),
            actions,
        )
        .applied(Changes::new()))
    }
}

/// After unsetting: what went (Salt compares the keys' values before and
/// after), or what is still set.
#[derive(Debug)]
struct Unset {
    scope: Scope,
    user: Option<String>,
    key: String,
    value_regex: Option<String>,
    pre: IndexMap<String, Vec<String>>,
}

impl Check for Unset {
    fn describe(&self) -> String {
        format!("no key matches {}", self.key)
    }

    /// Every value of the matching keys, then those the value expression
    /// matches, between marker lines.
    fn probe(&self) -> Exec {
        let user = self.user.as_deref();
        let all = git_config::get_regexp_command(&self.scope, &self.key, None, user);
        let matching = git_config::get_regexp_command(
            &self.scope,
            &self.key,
            self.value_regex.as_deref(),
            user,
        );
        Exec {
            cmd: format!("{}; echo @@; {}; true", all.cmd, matching.cmd),
            ..all
        }
    }

    fn judge(&self, out: &Output) -> Verdict {
        let (all, matching) = out.stdout.split_once("@@\n").unwrap_or((&out.stdout, ""));
        let part = |s: &str| Output {
            code: 0,
            stdout: s.to_string(),
            ..Output::default()
        };
        let post = git_config::parse_get_regexp(&part(all));
        let post_matches = git_config::parse_get_regexp(&part(matching));
        if !post_matches.is_empty() {
            let failed: Vec<String> = post_matches
                .iter()
                .map(|(k, v)| format!("{k} ({})", v.join(", ")))
                .collect();
            return Verdict::Pending(format!("Failed to unset value(s): {}", failed.join("; ")));
        }
        let mut changes = Changes::new();
        for (k, before) in &self.pre {
            let after = post.get(k).cloned().unwrap_or_default();
            let gone: Vec<&String> = before.iter().filter(|v| !after.contains(v)).collect();
            if !gone.is_empty() {
                changes.insert(k.clone(), json!(gone));
            }
        }
        Verdict::Met(changes)
    }
}

#[async_trait]
impl Function for ConfigUnset {
    type Args = UnsetArgs;

    async fn plan(&self, args: &UnsetArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let global = args.global_ == Some(true);
        let scope = scope(ctx, global, args.repo.as_deref(), args.user.as_deref()).await?;
        let user = args.user.as_deref().filter(|u| !u.is_empty());
        let value_regex = args.value_regex.as_ref().filter(|v| !v.is_null()).map(text);
        let key = format!(
            "^{}$",
            args.name.trim_start_matches('^').trim_end_matches('$')
        );
        let get = |vr: Option<&str>| git_config::get_regexp_command(&scope, &key, vr, user);
        let matches =
            git_config::parse_get_regexp(&ctx.host.exec(&get(value_regex.as_deref())).await?);
        if matches.is_empty() {
            return Ok(Plan::noop("No matching keys are set"));
        }
        let all = args.all == Some(true);
        if !all {
            let greedy: Vec<String> = matches
                .iter()
                .filter(|(_, v)| v.len() > 1)
                .map(|(k, v)| format!("{k} ({})", v.join(", ")))
                .collect();
            if !greedy.is_empty() {
                return Err(Failure::new(if value_regex.is_some() {
                    format!(
                        "Multiple values are matched by value_regex for the following keys (set 'all' to True to force removal): {}",
                        greedy.join("; ")
                    )
                } else {
                    format!(
                        "Multivar(s) matched by the key expression (set 'all' to True to force removal): {}",
                        greedy.join("; ")
                    )
                }));
            }
        }
        let pre = match &value_regex {
            None => matches.clone(),
            Some(_) => git_config::parse_get_regexp(&ctx.host.exec(&get(None)).await?),
        };
        let op = if all { "--unset-all" } else { "--unset" };
        let actions_for = |k: &String| {
            let mut cmd = format!("git config {op} {} {}", scope.flag(), quote(k));
            if let Some(vr) = &value_regex {
                cmd.push_str(&format!(" {}", quote(vr)));
            }
            Action::run(
                scope.exec(cmd, user),
                "Error(s) occurred unsetting values for the following keys",
            )
        };
        let mut actions: Vec<Action> = matches.keys().map(actions_for).collect();
        actions.push(Action::verify(
            Unset {
                scope: scope.clone(),
                user: user.map(str::to_string),
                key: key.clone(),
                value_regex: value_regex.clone(),
                pre,
            },
            "",
        ));
        let changes: Changes = matches.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        Ok(Plan::change(
            changes,
            format!("{} key(s) would have value(s) unset", matches.len()),
            "Value(s) successfully unset",
            actions,
        )
        .applied(Changes::new()))
    }
}
