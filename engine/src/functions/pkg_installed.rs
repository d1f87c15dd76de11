//! `pkg.installed` with apt and dpkg: packages present, at a version if
//! one is given (`1.2-1`, `>=1.2`, a glob, or `latest`: apt's candidate).
//!
//! Decided as Salt's `_find_install_targets` decides, from every package
//! dpkg knows (`facts::Dpkg`) and apt's candidates (`facts::Candidates`):
//! a package installed at its candidate is not a target for `latest`. A
//! test run shows what would be installed at which version; once applied,
//! a check compares the package lists before and after, so dependencies
//! show in the changes as in Salt's.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::debversion;
use super::{Ctx, Function};
use crate::facts::dpkg::{compare, Dpkg};
use crate::facts::Candidates;
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

pub(super) struct Installed;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    #[serde(default)]
    pub pkgs: Option<Vec<Value>>,
    #[serde(default)]
    pub version: Option<Value>,
    #[serde(default)]
    pub refresh: Option<bool>,
    #[serde(default)]
    pub fromrepo: Option<String>,
    /// Accepted as Salt accepts them; apt needs nothing of them here.
    #[serde(default)]
    #[allow(dead_code)]
    pub skip_suggestions: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    pub normalize: Option<bool>,
}

/// A version as written: a string, or a number (`version: 1.2`).
fn version(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The packages wanted and their versions: `pkgs` if given, else `name`
/// (with `version`). A `pkgs` item is `name` or `name: version`.
pub(super) fn wanted(args: &Args) -> Result<IndexMap<String, Option<String>>, Failure> {
    if let Some(pkgs) = &args.pkgs {
        if pkgs.is_empty() {
            return Ok(IndexMap::new());
        }
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
                        "Invalidly formatted 'pkgs' parameter. See minion log.",
                    ))
                }
            }
        }
        return Ok(out);
    }
    Ok(IndexMap::from_iter([(
        args.name.clone(),
        args.version.as_ref().and_then(version),
    )]))
}

/// apt-get's command line for these package specs (`name` or
/// `name=version`).
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

/// Salt's `_get_desired_pkg`: `name`, or `name=version` (`name>=1.2`).
fn desired_pkg(name: &str, version: Option<&str>) -> String {
    match version {
        None => name.to_string(),
        Some(v) if v.starts_with(['<', '>', '=']) => format!("{name}{v}"),
        Some(v) => format!("{name}={v}"),
    }
}

/// After installing: every package whose version changed (Salt's
/// `compare_dicts` of the package lists), or the targets that are still
/// not as wanted.
#[derive(Debug)]
struct NowInstalled {
    targets: IndexMap<String, Option<String>>,
    before: IndexMap<String, String>,
}

impl Check for NowInstalled {
    fn describe(&self) -> String {
        let names: Vec<&String> = self.targets.keys().collect();
        format!(
            "{} are installed",
            names
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    fn probe(&self) -> Exec {
        Dpkg::command()
    }

    fn judge(&self, out: &Output) -> Verdict {
        let after = match Dpkg::parse(out) {
            Ok(d) => d.listed(),
            Err(e) => return Verdict::Pending(e),
        };
        let failed: Vec<String> = self
            .targets
            .iter()
            .filter(|(n, v)| match (after.get(*n), v) {
                (None, _) => true,
                (Some(have), Some(want)) => !debversion::fulfills(have, want),
                (Some(_), None) => false,
            })
            .map(|(n, v)| desired_pkg(n, v.as_deref()))
            .collect();
        if !failed.is_empty() {
            return Verdict::Pending(format!(
                "The following packages failed to install/update: {}",
                failed.join(", ")
            ));
        }
        Verdict::Met(compare(&self.before, &after))
    }
}

/// Salt's comment once installed: what was installed (by name, or a
/// count when the list is long) and what already was.
fn done(
    targets: &IndexMap<String, Option<String>>,
    others: &IndexMap<String, Option<String>>,
) -> String {
    let mut comment = Vec::new();
    let summary: Vec<String> = targets
        .iter()
        .map(|(n, v)| desired_pkg(n, v.as_deref()))
        .collect();
    let summary = summary.join(", ");
    let n = targets.len();
    if summary.len() < 20 {
        comment.push(format!(
            "The following packages were installed/updated: {summary}"
        ));
    } else {
        comment.push(format!(
            "{n} targeted package{} {} installed/updated.",
            if n > 1 { "s" } else { "" },
            if n > 1 { "were" } else { "was" }
        ));
    }
    if !others.is_empty() {
        let m = others.len();
        if m <= 20 {
            let list: Vec<String> = others
                .iter()
                .map(|(n, v)| desired_pkg(n, v.as_deref()))
                .collect();
            comment.push(format!(
                "The following packages were already installed: {}",
                list.join(", ")
            ));
        } else {
            comment.push(format!(
                "{m} targeted package{} {} already installed",
                if m > 1 { "s" } else { "" },
                if m > 1 { "were" } else { "was" }
            ));
        }
    }
    comment.join("\n")
}

#[async_trait]
impl Function for Installed {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let mut desired = wanted(args)?;
        if desired.is_empty() {
            return Ok(Plan::noop("No packages to install provided"));
        }
        let host = ctx.host.transport.as_ref();
        let dpkg = Dpkg::read(host).await.map_err(Failure::new)?;
        let current = dpkg.listed();
        let names: Vec<String> = desired.keys().cloned().collect();
        let candidates = Candidates::read(host, &names, args.fromrepo.as_deref())
            .await
            .map_err(Failure::new)?;
        // `latest`: the candidate, unless what is installed is as new
        // (Salt's `latest_version` then says nothing, and the installed
        // version is the one wanted).
        let refresh = args.refresh == Some(true);
        let mut latest = Vec::new();
        for (name, v) in desired.iter_mut() {
            if v.as_deref() != Some("latest") {
                continue;
            }
            latest.push(name.clone());
            let have = current.get(name);
            let newer = candidates.of(name).filter(|c| older(have, c));
            *v = newer.map(str::to_string).or_else(|| have.cloned());
        }
        let mut version_spec = false;
        let mut targets: IndexMap<String, Option<String>> = IndexMap::new();
        let mut others = IndexMap::new();
        for (name, v) in &desired {
            let target = match (current.get(name), v) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(have), Some(want)) => {
                    version_spec = true;
                    !debversion::fulfills(have, want)
                }
            };
            if target {
                targets.insert(name.clone(), v.clone());
            } else {
                others.insert(name.clone(), v.clone());
            }
        }
        if targets.is_empty() {
            let at = if version_spec {
                " and are at the desired version"
            } else {
                ""
            };
            return Ok(Plan::noop(format!(
                "All specified packages are already installed{at}"
            )));
        }
        // What a test run shows: the version apt would install.
        let changes: Changes = targets
            .iter()
            .map(|(n, v)| {
                let new = match v {
                    None => candidates.of(n).unwrap_or("installed").to_string(),
                    Some(v) if debversion::is_spec(v) => "installed".to_string(),
                    Some(v) => v.clone(),
                };
                (n.clone(), json!({"new": new, "old": ""}))
            })
            .collect();
        let list: Vec<&str> = targets.keys().map(String::as_str).collect();
        // After a refresh, `latest` is whatever apt then has.
        let specs: Vec<String> = targets
            .iter()
            .map(|(n, v)| match v {
                Some(_) if refresh && latest.contains(n) => n.clone(),
                Some(v) if !debversion::is_spec(v) => format!("{n}={v}"),
                _ => n.clone(),
            })
            .collect();
        let fail = "Problem encountered installing package(s)";
        let plan = Plan::change(
            changes,
            format!(
                "The following packages would be installed/updated: {}",
                list.join(", ")
            ),
            done(&targets, &others),
            vec![
                Action::run(
                    Exec::new(install_command(&specs, refresh, args.fromrepo.as_deref())),
                    fail,
                ),
                Action::verify(
                    NowInstalled {
                        targets: targets.clone(),
                        before: current,
                    },
                    "",
                ),
            ],
        );
        Ok(plan.applied(Changes::new()))
    }
}

/// Not installed, or installed older than `than`.
fn older(have: Option<&String>, than: &str) -> bool {
    match have {
        None => true,
        Some(have) => debversion::compare(have, than) == std::cmp::Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;
    use crate::testing::{fixture, plan};
    use crate::transport::fake::Fake;

    const DPKG: &str = "amd64\ninstall ok installed bash 5.2.15-2+b8 amd64\ninstall ok installed tini 0.19.0-1+b3 amd64\n";
    const POLICY: &str = "bash:\n  Installed: 5.2.15-2+b8\n  Candidate: 5.2.15-2+b13\nnginx:\n  Installed: (none)\n  Candidate: 1.22.1-9+deb12u11\n";

    fn host() -> Fake {
        Fake::new()
            .answer("dpkg --print-architecture", 0, DPKG)
            .answer("LC_ALL=C apt-cache -q policy", 0, POLICY)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn installs_at_the_versions_wanted_and_reports_every_package_that_changed() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "pkg.installed",
            "name: x\npkgs: [nginx, {bash: latest}, tini]\nrefresh: true",
        )
        .await
        .unwrap();
        assert_eq!(
            p.comment,
            "The following packages would be installed/updated: nginx, bash"
        );
        assert_eq!(
            Value::Object(p.changes.clone()),
            json!({"nginx": {"new": "1.22.1-9+deb12u11", "old": ""}, "bash": {"new": "5.2.15-2+b13", "old": ""}})
        );
        // Summaries of 20 characters or more are a count, as in Salt.
        assert_eq!(
            p.done,
            "2 targeted packages were installed/updated.\nThe following packages were already installed: tini"
        );
        let [Action::Run { exec, .. }, Action::Await { check, .. }] = p.actions.as_slice() else {
            panic!("{p:?}")
        };
        // After a refresh, `latest` is what apt then has: no version pinned.
        assert!(
            exec.cmd.contains("apt-get -q update >/dev/null && apt-get install -y -q -o Dpkg::Options::=--force-confold nginx bash;"),
            "{}",
            exec.cmd
        );
        let after = format!("{DPKG}install ok installed nginx 1.22.1-9+deb12u11 amd64\ninstall ok installed nginx-common 1.22.1-9+deb12u11 all\n")
            .replace("bash 5.2.15-2+b8", "bash 5.2.15-2+b13");
        assert_eq!(
            check.judge(&recorded(&after)),
            Verdict::Met(Changes::from_iter([
                (
                    "bash".to_string(),
                    json!({"old": "5.2.15-2+b8", "new": "5.2.15-2+b13"})
                ),
                (
                    "nginx".to_string(),
                    json!({"old": "", "new": "1.22.1-9+deb12u11"})
                ),
                (
                    "nginx-common".to_string(),
                    json!({"old": "", "new": "1.22.1-9+deb12u11"})
                ),
            ]))
        );
        assert_eq!(
            check.judge(&recorded(DPKG)),
            Verdict::Pending(
                "The following packages failed to install/update: nginx, bash=5.2.15-2+b13".into()
            )
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_short_summary_names_the_packages() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "pkg.installed",
            "name: nginx\nversion: 1.22.1-9+deb12u11",
        )
        .await
        .unwrap();
        assert_eq!(p.done, "1 targeted package was installed/updated.");
        assert!(p.describe()[0]
            .contains("install -y -q -o Dpkg::Options::=--force-confold nginx=1.22.1-9+deb12u11;"));
        let p = plan(&fx, "pkg.installed", "name: nginx").await.unwrap();
        assert_eq!(
            p.done,
            "The following packages were installed/updated: nginx"
        );
    }
}
