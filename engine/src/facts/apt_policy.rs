//! The version apt would install of each package (its candidate), from
//! `apt-cache policy`, as Salt's `aptpkg.latest_version` reads it.

use indexmap::IndexMap;

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// Package name → candidate version (`""`: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Candidates(pub IndexMap<String, String>);

impl Candidates {
    pub(crate) fn command(names: &[String], fromrepo: Option<&str>) -> Exec {
        let mut cmd = String::from("apt-cache -q policy");
        for n in names {
            cmd.push(' ');
            cmd.push_str(&quote(n));
        }
        if let Some(repo) = fromrepo {
            cmd.push_str(&format!(
                " -o {}",
                quote(&format!("APT::Default-Release={repo}"))
            ));
        }
        Exec::new(format!("LC_ALL=C {cmd}"))
    }

    pub(crate) fn parse(out: &Output, names: &[String]) -> Candidates {
        let mut found = IndexMap::new();
        let mut this: Option<String> = None;
        for line in out.stdout.lines() {
            let line = line.trim();
            if line.ends_with(':') && !line.starts_with("Version table") {
                let pkg = &line[..line.len() - 1];
                let short = pkg.split(':').next().unwrap_or(pkg);
                let asked = names
                    .iter()
                    .any(|n| n == pkg || n.split(':').next() == Some(short));
                this = asked.then(|| pkg.to_string());
            } else if let Some(rest) = line.strip_prefix("Candidate") {
                let c = rest.split_whitespace().last().unwrap_or("");
                let c = if c.eq_ignore_ascii_case("(none)") {
                    ""
                } else {
                    c
                };
                if let Some(p) = &this {
                    found.insert(p.clone(), c.to_string());
                }
            }
        }
        Candidates(found)
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        names: &[String],
        fromrepo: Option<&str>,
    ) -> Result<Candidates, String> {
        if names.is_empty() {
            return Ok(Candidates::default());
        }
        let out = super::run(host, &Candidates::command(names, fromrepo)).await?;
        Ok(Candidates::parse(&out, names))
    }

    /// The candidate of `name`, `None` when apt has none.
    pub(crate) fn of(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|c| !c.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn reads_candidates_recorded_on_debian_12() {
        let names: Vec<String> = ["bash", "nginx", "nosuchpkg"].map(String::from).to_vec();
        let c = Candidates::parse(&recorded(include_str!("fixtures/apt-policy.txt")), &names);
        assert_eq!(c.of("bash"), Some("5.2.15-2+b13"));
        assert_eq!(c.of("nginx"), Some("1.22.1-9+deb12u11"));
        assert_eq!(c.of("nosuchpkg"), None);
    }
}
