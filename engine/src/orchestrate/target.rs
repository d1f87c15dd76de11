//! A target expression of an orchestration step: a glob over roster ids
//! (Salt's default) or a list of ids.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Target {
    Glob(String),
    List(Vec<String>),
}

impl Target {
    pub(crate) fn new(tgt: &Value, tgt_type: &str) -> Result<Target, String> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match (tgt_type, tgt) {
            ("glob", Value::String(s)) => Ok(Target::Glob(s.clone())),
            ("list", Value::Array(items)) => Ok(Target::List(items.iter().map(text).collect())),
            ("list", Value::String(s)) => Ok(Target::List(comma_list(s))),
            ("glob", other) => Err(format!(
                "tgt must be a string for tgt_type glob, not {other}"
            )),
            (other, _) => Err(format!(
                "unsupported tgt_type `{other}` (glob and list are supported)"
            )),
        }
    }

    /// Whether host `id` is one of the targets.
    pub(crate) fn matches(&self, id: &str) -> bool {
        match self {
            Target::Glob(g) => crate::glob::matches_any(g, id),
            Target::List(ids) => ids.iter().any(|i| i == id),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Target::Glob(g) => g.clone(),
            Target::List(l) => l.join(","),
        }
    }
}

pub(super) fn comma_list(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs_and_lists() {
        let g = Target::new(&json!("pgdb*"), "glob").unwrap();
        assert!(g.matches("pgdb1") && !g.matches("web1"));
        let l = Target::new(&json!("pgdb1, pgdb2"), "list").unwrap();
        assert_eq!(l, Target::List(vec!["pgdb1".into(), "pgdb2".into()]));
        assert!(Target::new(&json!(["a"]), "glob").is_err());
        assert!(Target::new(&json!("a"), "grain").is_err());
    }
}
