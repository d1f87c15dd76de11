//! `pkg.installed` with apt and dpkg: packages present (at a version, if given).

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{Ctx, Function};
use crate::plan::{Changes, CustomStep, Failure, Plan, Step};
use crate::transport::shell::quote;
use crate::transport::{Exec, Transport};

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

/// `dpkg-query` for these packages: name, status abbreviation and version,
/// one line each; unknown packages print nothing.
fn query(names: &[String]) -> String {
    let list: Vec<String> = names.iter().map(|n| quote(n)).collect();
    format!("dpkg-query -W -f='${{Package}}\\t${{db:Status-Abbrev}}\\t${{Version}}\\n' -- {} 2>/dev/null; true", list.join(" "))
}

/// Installed versions from `query`'s output.
pub fn parse_installed(out: &str) -> Map<String, Value> {
    out.lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let (name, status, version) = (parts.next()?, parts.next()?, parts.next()?);
            status
                .starts_with("ii")
                .then(|| (name.to_string(), json!(version)))
        })
        .collect()
}

struct Install {
    specs: Vec<String>,
    names: Vec<String>,
    refresh: bool,
    fromrepo: Option<String>,
    before: Map<String, Value>,
}

#[async_trait]
impl CustomStep for Install {
    fn describe(&self) -> String {
        format!("apt-get install {}", self.specs.join(" "))
    }

    async fn apply(&self, host: &dyn Transport) -> Result<Changes, Failure> {
        let mut cmd = String::from("export DEBIAN_FRONTEND=noninteractive; ");
        if self.refresh {
            cmd.push_str("apt-get -q update >/dev/null && ");
        }
        cmd.push_str("apt-get install -y -q -o Dpkg::Options::=--force-confold");
        if let Some(repo) = &self.fromrepo {
            cmd.push_str(&format!(" -t {}", quote(repo)));
        }
        for s in &self.specs {
            cmd.push(' ');
            cmd.push_str(&quote(s));
        }
        let out = host.exec(&Exec::new(cmd)).await?;
        if !out.success() {
            return Err(Failure::new(format!(
                "Error occurred installing package(s): {}",
                out.stderr_trimmed()
                    .lines()
                    .last()
                    .unwrap_or("apt-get failed")
            )));
        }
        let after = parse_installed(&host.exec(&Exec::new(query(&self.names))).await?.stdout);
        let mut changes = Changes::new();
        for n in &self.names {
            let new = after.get(n).cloned().unwrap_or(json!(""));
            let old = self.before.get(n).cloned().unwrap_or(json!(""));
            if new != old {
                changes.insert(n.clone(), json!({"old": old, "new": new}));
            }
        }
        Ok(changes)
    }
}

#[async_trait]
impl Function for Installed {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let wanted = wanted(args)?;
        let names: Vec<String> = wanted.iter().map(|(n, _)| n.clone()).collect();
        let before = parse_installed(&ctx.host.exec(&Exec::new(query(&names))).await?.stdout);
        let todo: Vec<&(String, Option<String>)> = wanted
            .iter()
            .filter(|(n, v)| match (before.get(n).and_then(Value::as_str), v) {
                (None, _) => true,
                (Some(have), Some(want)) => have != want,
                (Some(_), None) => false,
            })
            .collect();
        if todo.is_empty() {
            return Ok(Plan::noop("All specified packages are already installed"));
        }
        let list: Vec<String> = todo.iter().map(|(n, _)| n.clone()).collect();
        let specs = todo
            .iter()
            .map(|(n, v)| v.as_ref().map_or(n.clone(), |v| format!("{n}={v}")))
            .collect();
        let changes = todo
            .iter()
            .map(|(n, v)| {
                let old = before.get(n).cloned().unwrap_or(json!(""));
                (
                    n.clone(),
                    json!({"old": old, "new": v.clone().unwrap_or_else(|| "latest".into())}),
                )
            })
            .collect();
        let mut plan = Plan::change(
            changes,
            format!(
                "The following packages would be installed/updated: {}",
                list.join(", ")
            ),
            format!(
                "The following packages were installed/updated: {}",
                list.join(", ")
            ),
            vec![Step::Custom(Box::new(Install {
                specs,
                names: list,
                refresh: args.refresh,
                fromrepo: args.fromrepo.clone(),
                before,
            }))],
        );
        plan.applied = Some(Changes::new());
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dpkg_query() {
        let out = "pgbouncer\tii \t1.18.0-1\nvim\trc \t2:9.0\n";
        let m = parse_installed(out);
        assert_eq!(m.get("pgbouncer"), Some(&json!("1.18.0-1")));
        assert!(m.get("vim").is_none());
    }
}
