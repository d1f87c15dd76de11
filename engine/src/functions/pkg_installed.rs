//! `pkg.installed` with apt and dpkg: packages present (at a version, if given).

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Ctx, Function};
use crate::facts::Packages;
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

pub struct Installed;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    #[serde(default)]
    pub pkgs: Option<Vec<Value>>,
    #[serde(default)]
    pub version: Option<Value>,
    #[serde(default)]
    pub refresh: bool,
    #[serde(default)]
    pub fromrepo: Option<String>,
}

/// (package, wanted version) pairs: `pkgs` if given, else `name`. A `pkgs`
/// item may be `name` or `name: version`.
fn wanted(args: &Args) -> Result<Vec<(String, Option<String>)>, Failure> {
    let version = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let Some(pkgs) = &args.pkgs else {
        return Ok(vec![(
            args.name.clone(),
            args.version.as_ref().and_then(version),
        )]);
    };
    let mut out = Vec::new();
    for p in pkgs {
        match p {
            Value::String(s) => out.push((s.clone(), None)),
            Value::Object(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), version(v)))),
            other => return Err(Failure::new(format!("pkgs: unexpected item {other}"))),
        }
    }
    Ok(out)
}

/// apt-get's command line for these package specs (`name` or `name=version`).
fn install_command(specs: &[String], refresh: bool, fromrepo: Option<&str>) -> String {
    let mut cmd = String::from("export DEBIAN_FRONTEND=noninteractive; ");
    if refresh {
        cmd.push_str("apt-get -q update >/dev/null && ");
    }
    cmd.push_str("apt-get install -y -q -o Dpkg::Options::=--force-confold");
    if let Some(repo) = fromrepo {
        cmd.push_str(&format!(" -t {}", quote(repo)));
    }
    for s in specs {
        cmd.push(' ');
        cmd.push_str(&quote(s));
    }
    // Only apt's last complaint: the one that says why.
    format!("{{ {cmd}; }} 2> >(tail -n 1 >&2)")
}

/// After installing: the packages whose version changed, as Salt reports
/// them (`{name: {old, new}}`).
#[derive(Debug)]
struct NowInstalled {
    names: Vec<String>,
    before: Packages,
}

impl Check for NowInstalled {
    fn describe(&self) -> String {
        format!("{} are installed", self.names.join(", "))
    }

    fn probe(&self) -> Exec {
        Packages::command(&self.names)
    }

    fn judge(&self, out: &Output) -> Verdict {
        let after = Packages::parse(out);
        let mut changes = Changes::new();
        for n in &self.names {
            let (old, new) = (self.before.version(n), after.version(n));
            if new.is_none() {
                return Verdict::Pending(format!("{n} is not installed"));
            }
            if new != old {
                changes.insert(
                    n.clone(),
                    json!({"old": old.unwrap_or(""), "new": new.unwrap_or("")}),
                );
            }
        }
        Verdict::Met(changes)
    }
}

#[async_trait]
impl Function for Installed {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let wanted = wanted(args)?;
        let names: Vec<String> = wanted.iter().map(|(n, _)| n.clone()).collect();
        let before = Packages::read(ctx.host.transport.as_ref(), &names)
            .await
            .map_err(Failure::new)?;
        let todo: Vec<&(String, Option<String>)> = wanted
            .iter()
            .filter(|(n, v)| match (before.version(n), v) {
                (None, _) => true,
                (Some(have), Some(want)) => have != want,
                (Some(_), None) => false,
            })
            .collect();
        if todo.is_empty() {
            return Ok(Plan::noop("All specified packages are already installed"));
        }
        let list: Vec<String> = todo.iter().map(|(n, _)| n.clone()).collect();
        let specs: Vec<String> = todo
            .iter()
            .map(|(n, v)| v.as_ref().map_or(n.clone(), |v| format!("{n}={v}")))
            .collect();
        let changes = todo
            .iter()
            .map(|(n, v)| {
                let old = before.version(n).unwrap_or("");
                (
                    n.clone(),
                    json!({"old": old, "new": v.clone().unwrap_or_else(|| "latest".into())}),
                )
            })
            .collect();
        let plan = Plan::change(
            changes,
            format!(
                "The following packages would be installed/updated: {}",
                list.join(", ")
            ),
            format!(
                "The following packages were installed/updated: {}",
                list.join(", ")
            ),
            vec![
                Action::run(
                    Exec::new(install_command(
                        &specs,
                        args.refresh,
                        args.fromrepo.as_deref(),
                    )),
                    "Error occurred installing package(s)",
                ),
                Action::verify(
                    NowInstalled {
                        names: list.clone(),
                        before,
                    },
                    "Error occurred installing package(s)",
                ),
            ],
        );
        Ok(plan.applied(Changes::new()))
    }
}
