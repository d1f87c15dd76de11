//! `pkg.removed` and `pkg.purged` with apt: packages gone (at a version,
//! if one is given), and for `purged` their configuration files too.
//!
//! Decided as Salt's `_uninstall` decides, from every package dpkg knows
//! (`facts::Dpkg`: installed, and removed with configuration files left).
//! Once applied, a check compares the package lists before and after, so
//! what apt took with them shows in the changes as in Salt's.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::debversion;
use super::{Ctx, Function};
use crate::facts::dpkg::{compare, Dpkg};
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

pub(super) struct Removed;
pub(super) struct Purged;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    #[serde(default)]
    pub version: Option<Value>,
    #[serde(default)]
    pub pkgs: Option<Vec<Value>>,
    #[serde(default)]
    #[allow(dead_code)]
    pub normalize: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    pub ignore_epoch: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Removal {
    Remove,
    Purge,
}

impl Removal {
    fn word(self) -> &'static str {
        match self {
            Removal::Remove => "remove",
            Removal::Purge => "purge",
        }
    }
}

/// Packages named (with their versions): Salt's `parse_targets`.
fn params(args: &Args) -> Result<IndexMap<String, Option<String>>, Failure> {
    let version = |v: &Value| match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    let Some(pkgs) = &args.pkgs else {
        return Ok(IndexMap::from_iter([(
            args.name.clone(),
            args.version.as_ref().and_then(version),
        )]));
    };
    let mut out = IndexMap::new();
    for p in pkgs {
        match p {
            Value::String(s) => {
                out.insert(s.clone(), None);
            }
            Value::Object(m) if m.len() == 1 => {
                out.extend(m.iter().map(|(k, v)| (k.clone(), version(v))));
            }
            _ => {
                return Err(Failure::new(
                    "Invalidly formatted pkgs parameter. See minion log.",
                ))
            }
        }
    }
    Ok(out)
}

/// After apt: the changes Salt reports, or the packages still there.
#[derive(Debug)]
struct Gone {
    action: Removal,
    params: Vec<String>,
    before: Dpkg,
}

impl Check for Gone {
    fn describe(&self) -> String {
        format!("{} are {}d", self.params.join(", "), self.action.word())
    }

    fn probe(&self) -> Exec {
        Dpkg::command()
    }

    fn judge(&self, out: &Output) -> Verdict {
        let after = match Dpkg::parse(out) {
            Ok(d) => d,
            Err(e) => return Verdict::Pending(e),
        };
        let listed = after.listed();
        let mut failed: Vec<&String> = self
            .params
            .iter()
            .filter(|p| listed.contains_key(*p))
            .collect();
        if self.action == Removal::Purge {
            failed.extend(
                self.params
                    .iter()
                    .filter(|p| after.removed.contains_key(*p)),
            );
        }
        failed.sort();
        if !failed.is_empty() {
            let list: Vec<&str> = failed.iter().map(|s| s.as_str()).collect();
            return Verdict::Pending(format!(
                "The following packages failed to {}: {}.",
                self.action.word(),
                list.join(", ")
            ));
        }
        let installed = compare(&self.before.listed(), &listed);
        Verdict::Met(match self.action {
            Removal::Remove => installed,
            Removal::Purge => Changes::from_iter([
                (
                    "removed".to_string(),
                    Value::Object(compare(&self.before.removed, &after.removed)),
                ),
                ("installed".to_string(), Value::Object(installed)),
            ]),
        })
    }
}

async fn plan(action: Removal, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
    let params = params(args)?;
    let dpkg = Dpkg::read(ctx.host.transport.as_ref())
        .await
        .map_err(Failure::new)?;
    let current = dpkg.listed();
    let mut version_spec = false;
    let mut targets: Vec<String> = Vec::new();
    for (name, v) in &params {
        let Some(have) = current.get(name) else {
            continue;
        };
        match v {
            None => targets.push(name.clone()),
            Some(want) => {
                version_spec = true;
                if debversion::fulfills(have, want) {
                    targets.push(name.clone());
                }
            }
        }
    }
    let word = action.word();
    if targets.is_empty() && action == Removal::Remove {
        let matching = if version_spec {
            " (matching specified versions)"
        } else {
            ""
        };
        return Ok(Plan::noop(format!(
            "All specified packages{matching} are already absent"
        )));
    }
    if action == Removal::Purge {
        targets.extend(
            params
                .keys()
                .filter(|p| dpkg.removed.contains_key(*p))
                .cloned(),
        );
    }
    targets.sort();
    targets.dedup();
    if targets.is_empty() {
        let partly = if action == Removal::Purge {
            " or partially installed"
        } else {
            ""
        };
        return Ok(Plan::noop(format!(
            "None of the targeted packages are installed{partly}"
        )));
    }
    let changes: Changes = targets
        .iter()
        .map(|t| (t.clone(), json!({"new": format!("{word}d"), "old": ""})))
        .collect();
    let not_installed: Vec<&String> = {
        let mut n: Vec<&String> = params.keys().filter(|p| !targets.contains(p)).collect();
        n.sort();
        n
    };
    let done = if not_installed.is_empty() {
        format!("All targeted packages were {word}d.")
    } else {
        let n: Vec<&str> = not_installed.iter().map(|s| s.as_str()).collect();
        format!(
            "The following packages were not installed: {} The following packages were {word}d: {}.",
            n.join(", "),
            targets.join(", ")
        )
    };
    let list: Vec<String> = targets.iter().map(|t| quote(t)).collect();
    let cmd = format!(
        "export DEBIAN_FRONTEND=noninteractive; {{ apt-get -q -y {word} {}; }} 2> >(tail -n 1 >&2)",
        list.join(" ")
    );
    Ok(Plan::change(
        changes,
        format!(
            "The following packages will be {word}d: {}.",
            targets.join(", ")
        ),
        done,
        vec![
            Action::run(Exec::new(cmd), "Problem encountered removing package(s)"),
            Action::verify(
                Gone {
                    action,
                    params: params.keys().cloned().collect(),
                    before: dpkg,
                },
                "",
            ),
        ],
    )
    .applied(Changes::new()))
}

#[async_trait]
impl Function for Removed {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        plan(Removal::Remove, args, ctx).await
    }
}

#[async_trait]
impl Function for Purged {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        plan(Removal::Purge, args, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;
    use crate::testing::{fixture, plan};
    use crate::transport::fake::Fake;

    const DPKG: &str = "amd64\ninstall ok installed tini 0.19.0-1+b3 amd64\ninstall ok installed libtini 1 amd64\ndeinstall ok config-files vim 2:9.0 amd64\n";

    #[tokio::test(flavor = "multi_thread")]
    async fn removes_and_purges_what_is_there() {
        let fx = fixture(Fake::new().answer("dpkg --print-architecture", 0, DPKG));
        let p = plan(&fx, "pkg.purged", "name: x\npkgs: [tini, vim, nano]")
            .await
            .unwrap();
        assert_eq!(
            p.comment,
            "The following packages will be purged: tini, vim."
        );
        assert_eq!(
            p.done,
            "The following packages were not installed: nano The following packages were purged: tini, vim."
        );
        assert_eq!(p.changes["vim"], json!({"new": "purged", "old": ""}));
        let [Action::Run { exec, .. }, Action::Await { check, .. }] = p.actions.as_slice() else {
            panic!("{p:?}")
        };
        assert!(
            exec.cmd.contains("apt-get -q -y purge tini vim;"),
            "{}",
            exec.cmd
        );
        let after = "amd64\ninstall ok installed libtini 1 amd64\n";
        assert_eq!(
            check.judge(&recorded(after)),
            Verdict::Met(Changes::from_iter([
                (
                    "removed".to_string(),
                    json!({"vim": {"old": "2:9.0", "new": ""}})
                ),
                (
                    "installed".to_string(),
                    json!({"tini": {"old": "0.19.0-1+b3", "new": ""}})
                ),
            ]))
        );
        let p = plan(&fx, "pkg.removed", "name: vim").await.unwrap();
        assert_eq!(p.comment, "All specified packages are already absent");
        let p = plan(&fx, "pkg.removed", "name: tini\nversion: '>=1.0'")
            .await
            .unwrap();
        assert_eq!(
            p.comment,
            "All specified packages (matching specified versions) are already absent"
        );
        let p = plan(&fx, "pkg.removed", "name: tini").await.unwrap();
        assert_eq!(p.done, "All targeted packages were removed.");
        let p = plan(&fx, "pkg.purged", "name: nano").await.unwrap();
        assert_eq!(
            p.comment,
            "None of the targeted packages are installed or partially installed"
        );
    }
}
