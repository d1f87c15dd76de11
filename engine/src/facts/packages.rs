//! Installed Debian packages and their versions, from `dpkg-query`.

use serde_json::{json, Map, Value};

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// Package name → installed version, for those installed (`ii`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Packages(pub Map<String, Value>);

impl Packages {
    /// Name, status abbreviation and version, one line each; unknown
    /// packages print nothing.
    pub fn command(names: &[String]) -> Exec {
        let list: Vec<String> = names.iter().map(|n| quote(n)).collect();
        Exec::new(format!(
            "dpkg-query -W -f='${{Package}}\\t${{db:Status-Abbrev}}\\t${{Version}}\\n' -- {} 2>/dev/null; true",
            list.join(" ")
        ))
    }

    pub fn parse(out: &Output) -> Packages {
        Packages(
            out.stdout
                .lines()
                .filter_map(|l| {
                    let mut parts = l.split('\t');
                    let (name, status, version) = (parts.next()?, parts.next()?, parts.next()?);
                    status
                        .starts_with("ii")
                        .then(|| (name.to_string(), json!(version)))
                })
                .collect(),
        )
    }

    pub async fn read(host: &dyn Transport, names: &[String]) -> Result<Packages, String> {
        Ok(Packages::parse(
            &super::run(host, &Packages::command(names)).await?,
        ))
    }

    pub fn version(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn reads_dpkg_query() {
        let p = Packages::parse(&recorded("pgbouncer\tii \t1.18.0-1\nvim\trc \t2:9.0\n"));
        assert_eq!(p.version("pgbouncer"), Some("1.18.0-1"));
        assert_eq!(p.version("vim"), None);
    }
}
