//! The top file: which sls files each host gets, per environment.
//!
//! Targets are matched against the host the way Salt's top file does:
//! `glob` (the default) and `list` against the id, `grain` against a grain
//! (`os_family:Debian`, glob on the value). An sls listed twice counts once.

use std::sync::Arc;

use crate::error::Error;
use crate::glob;
use crate::source::{Source, Span};
use crate::yaml::{self, Node, Value};

#[derive(Clone, Debug)]
pub(crate) struct Top {
    /// (saltenv, sls, where it was named), in the order the top lists them.
    pub entries: Vec<(String, String, Span)>,
}

impl Top {
    /// Parse a rendered top file and keep what applies to the host `id`.
    pub(crate) fn parse(
        source: &Arc<Source>,
        id: &str,
        grains: &serde_json::Value,
    ) -> Result<Top, Error> {
        let mut top = Top {
            entries: Vec::new(),
        };
        let Some(root) = yaml::load(source)? else {
            return Ok(top);
        };
        let envs = expect_map(&root, "top file")?;
        for (env_key, targets) in envs.iter() {
            let env = env_key.scalar_string().unwrap_or_default();
            let targets = expect_map(targets, &format!("environment `{env}` of the top file"))?;
            for (target_key, items) in targets.iter() {
                let target = target_key.scalar_string().unwrap_or_default();
                let items = items.as_list().ok_or_else(|| {
                    Error::expected(
                        items,
                        "a list of sls names",
                        format!("target `{target}` of the top file"),
                    )
                })?;
                let mut matcher = "glob".to_string();
                let mut names = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Map(m) if m.get("match").is_some() => {
                            matcher = m
                                .get("match")
                                .and_then(Node::scalar_string)
                                .unwrap_or_default();
                        }
                        _ => match item.scalar_string() {
                            Some(name) => names.push((name, item.span.clone())),
                            None => {
                                return Err(Error::expected(
                                    item,
                                    "an sls name or `match: <type>`",
                                    format!("target `{target}` of the top file"),
                                ))
                            }
                        },
                    }
                }
                if matches(&matcher, &target, id, grains, &target_key.span)? {
                    for (name, span) in names {
                        if !top.entries.iter().any(|(e, n, _)| e == &env && n == &name) {
                            top.entries.push((env.clone(), name, span));
                        }
                    }
                }
            }
        }
        Ok(top)
    }
}

fn expect_map<'a>(node: &'a Node, context: &str) -> Result<&'a yaml::Map, Error> {
    match &node.value {
        Value::Map(m) => Ok(m),
        _ => Err(Error::expected(node, "a mapping", context)),
    }
}

fn matches(
    matcher: &str,
    target: &str,
    id: &str,
    grains: &serde_json::Value,
    span: &Span,
) -> Result<bool, Error> {
    Ok(match matcher {
        "glob" => glob::matches(target, id),
        "list" => target.split(',').map(str::trim).any(|t| t == id),
        "grain" => {
            let (path, pattern) = target.rsplit_once(':').ok_or_else(|| {
                Error::invalid(
                    Some(span.clone()),
                    format!("grain target `{target}` must be `grain:value`"),
                )
            })?;
            let mut cur = grains;
            for part in path.split(':') {
                cur = cur.get(part).unwrap_or(&serde_json::Value::Null);
            }
            match cur {
                serde_json::Value::Array(items) => items.iter().any(|v| grain_matches(pattern, v)),
                v => grain_matches(pattern, v),
            }
        }
        other => {
            return Err(Error::invalid(
                Some(span.clone()),
                format!(
                    "unsupported top file matcher `{other}` (glob, list and grain are supported)"
                ),
            ))
        }
    })
}

fn grain_matches(pattern: &str, value: &serde_json::Value) -> bool {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => return false,
        other => other.to_string(),
    };
    glob::matches(pattern, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn top(text: &str, id: &str) -> Vec<(String, String)> {
        let src = Source::new("top.sls", text);
        Top::parse(
            &src,
            id,
            &json!({"os_family": "Debian", "roles": ["db", "web"]}),
        )
        .unwrap()
        .entries
        .into_iter()
        .map(|(e, n, _)| (e, n))
        .collect()
    }

    #[test]
    fn globs_lists_grains_and_environments() {
        let text = "base:\n  'pgdb*':\n    - postgres\n    - common\n  'web1,pgdb2':\n    - match: list\n    - web\n  'roles:db':\n    - match: grain\n    - dbtools\n  '*':\n    - common\ndev:\n  'pgdb1':\n    - devtools\n";
        let e = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            top(text, "pgdb1"),
            [
                e("base", "postgres"),
                e("base", "common"),
                e("base", "dbtools"),
                e("dev", "devtools")
            ]
        );
        assert_eq!(
            top(text, "pgdb2"),
            [
                e("base", "postgres"),
                e("base", "common"),
                e("base", "web"),
                e("base", "dbtools")
            ]
        );
        assert_eq!(
            top(text, "other"),
            [e("base", "dbtools"), e("base", "common")]
        );
    }
}
