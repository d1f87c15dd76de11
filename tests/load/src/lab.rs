//! Which lab to talk to: `LAB_ID` (tests/lab/lab's; several labs can be up
//! on one machine) and `LAB_DIR`, with the script's own defaults, so that
//! tests and benchmarks reach the lab the caller chose and no other.

use std::path::PathBuf;

/// The lab named by the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabEnv {
    /// `LAB_ID` (0 when unset).
    pub id: u8,
    /// `LAB_DIR`, else `/tmp/converge-lab` for lab 0 and
    /// `/tmp/converge-lab-N` for lab N.
    pub dir: PathBuf,
    /// Whether `LAB_ID` or `LAB_DIR` was set: only then is the lab's own
    /// roster needed (the repo's `roster.yaml` names lab 0's hosts).
    pub chosen: bool,
}

impl LabEnv {
    /// From `LAB_ID` and `LAB_DIR`.
    pub fn from_env() -> Result<LabEnv, String> {
        LabEnv::from_vars(
            std::env::var("LAB_ID").ok().as_deref(),
            std::env::var_os("LAB_DIR").map(PathBuf::from),
        )
    }

    fn from_vars(id: Option<&str>, dir: Option<PathBuf>) -> Result<LabEnv, String> {
        let n = match id {
            None | Some("") => 0,
            Some(s) => s
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= 254)
                .filter(|_| {
                    s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
                })
                .ok_or_else(|| format!("LAB_ID must be 0..254, not {s:?}"))?,
        };
        let chosen = id.is_some_and(|s| !s.is_empty()) || dir.is_some();
        let dir = dir.unwrap_or_else(|| match n {
            0 => PathBuf::from("/tmp/converge-lab"),
            n => PathBuf::from(format!("/tmp/converge-lab-{n}")),
        });
        Ok(LabEnv { id: n, dir, chosen })
    }

    /// `host`'s address on this lab's network (`10.77.N.0/24`).
    pub fn address(&self, host: &str) -> Option<String> {
        let last = match host {
            "pgdb1" => 11,
            "pgdb2" => 12,
            _ => 100 + host.strip_prefix("node")?.parse::<u32>().ok()?,
        };
        Some(format!("10.77.{}.{last}", self.id))
    }

    /// The roster the lab writes (every host that is up).
    pub fn roster(&self) -> PathBuf {
        self.dir.join("roster.yaml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_is_lab_zero_as_it_always_was() {
        let lab = LabEnv::from_vars(None, None).unwrap();
        assert_eq!(lab.dir, PathBuf::from("/tmp/converge-lab"));
        assert_eq!(lab.address("pgdb1").unwrap(), "10.77.0.11");
        assert!(!lab.chosen);
    }

    #[test]
    fn lab_n_has_its_own_directory_and_subnet() {
        let lab = LabEnv::from_vars(Some("3"), None).unwrap();
        assert_eq!(lab.dir, PathBuf::from("/tmp/converge-lab-3"));
        assert_eq!(lab.address("pgdb2").unwrap(), "10.77.3.12");
        assert_eq!(lab.address("node07").unwrap(), "10.77.3.107");
        assert_eq!(
            lab.roster(),
            PathBuf::from("/tmp/converge-lab-3/roster.yaml")
        );
        assert!(lab.chosen);
    }

    #[test]
    fn lab_dir_wins_and_bad_ids_are_refused() {
        let lab = LabEnv::from_vars(None, Some("/x".into())).unwrap();
        assert_eq!(
            (lab.id, lab.dir.clone(), lab.chosen),
            (0, "/x".into(), true)
        );
        for bad in ["255", "-1", "+1", "01", "x"] {
            assert!(LabEnv::from_vars(Some(bad), None).is_err(), "{bad}");
        }
    }
}
