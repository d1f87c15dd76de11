//! What a run reports, counted from its output: states, changes, failures.
//! Both tools print Salt's shapes, so one reader serves both.

use serde_json::Value;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub states: usize,
    /// States with changes (in a test run: that would change).
    pub changed: usize,
    /// `result: false`.
    pub failed: usize,
}

impl Counts {
    /// Salt's JSON: `{host: {tag: {result, changes, ...}}}`, one host.
    pub(crate) fn from_json(stdout: &str) -> Result<Counts, String> {
        let v: Value =
            serde_json::from_str(stdout).map_err(|e| format!("output is not JSON: {e}"))?;
        let hosts = v.as_object().ok_or("output is not a JSON object")?;
        let mut c = Counts::default();
        for ret in hosts.values() {
            let states = ret
                .as_object()
                .ok_or_else(|| format!("not a highstate return: {ret}"))?;
            for rec in states.values() {
                c.states += 1;
                if rec["result"] == Value::Bool(false) {
                    c.failed += 1;
                }
                let changed = rec["changes"].as_object().is_some_and(|m| !m.is_empty());
                if changed || rec["result"].is_null() {
                    c.changed += 1;
                }
            }
        }
        Ok(c)
    }

    /// The highstate text layout's summary: `Succeeded: 5 (changed=2)`,
    /// `Failed: 0`, `Total states run: 5`. Salt's outputter counts a test
    /// run's would-change states (result None) as `unchanged=N`: they count
    /// as changed here, as in `from_json`.
    pub(crate) fn from_text(stdout: &str) -> Result<Counts, String> {
        let mut c = Counts::default();
        let mut seen = false;
        for line in stdout.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("Succeeded:") {
                seen = true;
                let inner = rest
                    .split_once('(')
                    .and_then(|(_, r)| r.split_once(')'))
                    .map_or("", |(i, _)| i);
                for item in inner.split(',') {
                    if let Some((k, v)) = item.trim().split_once('=') {
                        if k == "changed" || k == "unchanged" {
                            c.changed += v.trim().parse::<usize>().unwrap_or(0);
                        }
                    }
                }
            } else if let Some(rest) = line.strip_prefix("Failed:") {
                c.failed += rest.trim().parse::<usize>().unwrap_or(0);
            } else if let Some(rest) = line.strip_prefix("Total states run:") {
                c.states += rest.trim().parse::<usize>().unwrap_or(0);
            }
        }
        if seen {
            Ok(c)
        } else {
            Err("no `Succeeded:` summary in the output".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_json_returns() {
        let out = r#"{"h": {"a": {"result": true, "changes": {"diff": "x"}},
                             "b": {"result": true, "changes": {}},
                             "c": {"result": null, "changes": {}},
                             "d": {"result": false, "changes": {}}}}"#;
        let c = Counts::from_json(out).unwrap();
        assert_eq!(
            c,
            Counts {
                states: 4,
                changed: 2,
                failed: 1
            }
        );
    }

    #[test]
    fn counts_text_summary() {
        let out = "h:\n...\nSummary for h\n------------\nSucceeded: 6 (changed=5)\nFailed:    1\n------------\nTotal states run:     7\n";
        assert_eq!(
            Counts::from_text(out).unwrap(),
            Counts {
                states: 7,
                changed: 5,
                failed: 1
            }
        );
        assert!(Counts::from_text("garbage").is_err());
    }
}
