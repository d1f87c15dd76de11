//! Every package dpkg knows, read as Salt's `aptpkg.list_pkgs` reads it:
//! installed (or held) packages, packages removed with their
//! configuration files left (`removed`), and those marked for purge that
//! are still installed; a package of a foreign architecture is named
//! `name:arch`.
//!
//! `pkg.installed`, `pkg.removed` and `pkg.purged` decide from this, and
//! report what changed by comparing it before and after (Salt's
//! `compare_dicts`), dependencies included.

use indexmap::IndexMap;
use serde_json::json;

use crate::plan::Changes;
use crate::transport::{Exec, Output, Transport};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dpkg {
    pub installed: IndexMap<String, String>,
    pub removed: IndexMap<String, String>,
    pub purge_desired: IndexMap<String, String>,
}

impl Dpkg {
    /// The host's architecture, then one line per package.
    pub(crate) fn command() -> Exec {
        Exec::new(
            "dpkg --print-architecture; dpkg-query --showformat '${Status} ${Package} ${Version} ${Architecture}\\n' -W",
        )
    }

    pub(crate) fn parse(out: &Output) -> Result<Dpkg, String> {
        let mut lines = out.stdout.lines();
        let Some(arch) = lines.next().map(str::trim).filter(|a| !a.is_empty()) else {
            return Err(format!("dpkg printed nothing: {}", out.stderr.trim()));
        };
        let mut d = Dpkg::default();
        for line in lines {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let [want, _, status, name, version, pkg_arch, ..] = cols.as_slice() else {
                continue;
            };
            let name = if *pkg_arch != "all" && *pkg_arch != arch {
                format!("{name}:{pkg_arch}")
            } else {
                name.to_string()
            };
            let version = version.to_string();
            if (want.contains("install") || want.contains("hold")) && status.contains("installed") {
                d.installed.insert(name, version);
            } else if want.contains("deinstall") {
                d.removed.insert(name, version);
            } else if want.contains("purge") && *status == "installed" {
                d.purge_desired.insert(name, version);
            }
        }
        Ok(d)
    }

    pub(crate) async fn read(host: &dyn Transport) -> Result<Dpkg, String> {
        Dpkg::parse(&super::run(host, &Dpkg::command()).await?)
    }

    /// What `list_pkgs` answers: installed packages and those marked for
    /// purge that are still there.
    pub(crate) fn listed(&self) -> IndexMap<String, String> {
        let mut all = self.purge_desired.clone();
        all.extend(self.installed.clone());
        all
    }
}

/// Salt's `compare_dicts(old, new)`: `{name: {old, new}}` for every
/// package whose version changed, came or went (`""` for none).
pub(crate) fn compare(old: &IndexMap<String, String>, new: &IndexMap<String, String>) -> Changes {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    let mut changes = Changes::new();
    for n in names {
        let (o, w) = (old.get(n), new.get(n));
        if o != w {
            changes.insert(
                n.clone(),
                json!({"old": o.map_or("", String::as_str), "new": w.map_or("", String::as_str)}),
            );
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn reads_the_recording_machines_packages() {
        let d = Dpkg::parse(&recorded(include_str!("fixtures/dpkg.txt"))).unwrap();
        assert_eq!(
            d.installed.get("bash").map(String::as_str),
            Some("5.2.15-2+b8")
        );
        assert!(d.installed.len() > 500);
        assert!(d.installed.get("sudo").is_none());
    }

    #[test]
    fn states_and_architectures() {
        let out = "amd64\ninstall ok installed zsh 5.9 amd64\ndeinstall ok config-files mc 3:4.8 amd64\nhold ok installed libc6 2.36 i386\npurge ok installed old 1 all\nbroken line\n";
        let d = Dpkg::parse(&recorded(out)).unwrap();
        assert_eq!(
            d.installed.keys().collect::<Vec<_>>(),
            ["zsh", "libc6:i386"]
        );
        assert_eq!(d.removed["mc"], "3:4.8");
        assert_eq!(d.purge_desired["old"], "1");
        assert_eq!(d.listed().len(), 3);
        let old = d.installed.clone();
        let mut new = old.clone();
        new.insert("zsh".into(), "5.9.1".into());
        new.insert("tini".into(), "0.19".into());
        new.shift_remove("libc6:i386");
        let c = compare(&old, &new);
        assert_eq!(
            serde_json::Value::Object(c),
            json!({"libc6:i386": {"old": "2.36", "new": ""}, "tini": {"old": "", "new": "0.19"}, "zsh": {"old": "5.9", "new": "5.9.1"}})
        );
        assert!(Dpkg::parse(&recorded("")).is_err());
    }
}
