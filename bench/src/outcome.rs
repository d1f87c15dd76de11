//! What a converge run said about itself in its JSON (`--out json`, Salt's
//! shape): the failover's result, case and steps, the WAL it reported lost
//! when it fenced a crashed writer, and every state that failed.

use serde_json::Value;

/// WAL the old writer had past what the new writer received, as the
/// failover's fence step reported it (`lost_wal_bytes`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LostWal {
    Bytes { host: String, bytes: u64 },
    Unknown { host: String, why: String },
}

/// The `failover` state of an orchestration's output.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Failover {
    pub result: Option<bool>,
    pub case: Option<String>,
    pub comment: String,
    /// Each nested step as it ran, with its result.
    pub steps: Vec<(String, Option<bool>)>,
    pub lost_wal: Vec<LostWal>,
    pub notes: Vec<String>,
}

/// Every state of a run (nested ones too), as `(id: first line of its
/// comment, result)`.
fn states(v: &Value, out: &mut Vec<(String, Option<bool>)>) {
    let Some(hosts) = v.as_object() else { return };
    for states_of in hosts.values() {
        let Some(map) = states_of.as_object() else {
            continue;
        };
        for st in map.values() {
            let id = st.get("__id__").and_then(Value::as_str).unwrap_or("?");
            let comment = st
                .get("comment")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let first = comment.lines().next().unwrap_or_default();
            let text = if first.is_empty() {
                id.to_string()
            } else {
                format!("{id}: {first}")
            };
            out.push((text, st.get("result").and_then(Value::as_bool)));
            if let Some(ret) = st.pointer("/changes/ret") {
                states(ret, out);
            }
        }
    }
}

/// The states that failed (`result: false`), nested ones included, each
/// as `id: first line of its comment`; `Err` when the output is not
/// converge's JSON.
pub(crate) fn failed_states(stdout: &str) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_str(stdout).map_err(|e| format!("not JSON: {e}"))?;
    let mut all = Vec::new();
    states(&v, &mut all);
    Ok(all
        .into_iter()
        .filter(|(_, r)| *r == Some(false))
        .map(|(id, _)| id)
        .collect())
}

/// The failover state of an orchestration's JSON, if it has one.
pub(crate) fn failover(stdout: &str) -> Result<Option<Failover>, String> {
    let v: Value = serde_json::from_str(stdout).map_err(|e| format!("not JSON: {e}"))?;
    let Some(hosts) = v.as_object() else {
        return Err("not an object".into());
    };
    let found = hosts
        .values()
        .filter_map(Value::as_object)
        .flat_map(|m| m.values())
        .find(|st| st.get("__id__").and_then(Value::as_str) == Some("failover"));
    let Some(st) = found else { return Ok(None) };
    let changes = st.get("changes").cloned().unwrap_or(Value::Null);
    let mut f = Failover {
        result: st.get("result").and_then(Value::as_bool),
        case: changes
            .get("case")
            .and_then(Value::as_str)
            .map(String::from),
        comment: st
            .get("comment")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        notes: changes
            .get("notes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
        ..Failover::default()
    };
    let nested = changes
        .pointer("/ret/failover")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values());
    for step in nested {
        let id = step.get("__id__").and_then(Value::as_str).unwrap_or("?");
        f.steps
            .push((id.to_string(), step.get("result").and_then(Value::as_bool)));
        let Some(per_host) = step.get("changes").and_then(Value::as_object) else {
            continue;
        };
        for (host, c) in per_host {
            match c.get("lost_wal_bytes") {
                Some(Value::Number(n)) => f.lost_wal.push(LostWal::Bytes {
                    host: host.clone(),
                    bytes: n.as_u64().unwrap_or(0),
                }),
                Some(other) => f.lost_wal.push(LostWal::Unknown {
                    host: host.clone(),
                    why: other
                        .as_str()
                        .map_or_else(|| other.to_string(), String::from),
                }),
                None => {}
            }
        }
    }
    Ok(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a real `converge --out json orchestrate failover` on
    /// the lab after `lab kill-pg pgdb2`.
    const CRASH: &str = r#"{
    "vm_master": {
        "postgres_|-failover_|-failover_|-failover": {
            "__id__": "failover", "result": true,
            "comment": "failover: the writer's PostgreSQL is down: pgdb2's PostgreSQL is down",
            "changes": {
                "case": "failover: the writer's PostgreSQL is down",
                "steps": ["pause_pgbouncer", "fence_old_writer"],
                "ret": {"failover": {
                    "pgbouncer_|-pause_pgbouncer_|-pause_pgbouncer_|-paused": {
                        "__id__": "pause_pgbouncer", "result": true,
                        "changes": {"pgdb1": "paused", "pgdb2": "paused"}},
                    "postgres_|-fence_old_writer_|-fence_old_writer_|-fenced": {
                        "__id__": "fence_old_writer", "result": true,
                        "changes": {"pgdb2": {"fenced": true, "state": "in production", "timeline": 2,
                            "received_by_new_writer": "0/300F8F8", "wal_end": "0/3010000", "lost_wal_bytes": 1800}}},
                    "salt_|-promote_new_writer_|-promote_new_writer_|-state": {
                        "__id__": "promote_new_writer", "result": false, "comment": "Run failed on minions: pgdb1",
                        "changes": {"out": "highstate", "ret": {"pgdb1": {
                            "cmd_|-x_|-x_|-run": {"__id__": "x", "result": false}}}}}
                }}
            }
        },
        "postgres_|-wal_status_|-wal_status_|-status": {"__id__": "wal_status", "result": true, "changes": {}}
    }
}"#;

    #[test]
    fn the_failover_its_steps_and_its_lost_wal() {
        let f = failover(CRASH).unwrap().unwrap();
        assert_eq!(f.result, Some(true));
        assert_eq!(
            f.case.as_deref(),
            Some("failover: the writer's PostgreSQL is down")
        );
        assert_eq!(
            f.steps,
            vec![
                ("pause_pgbouncer".to_string(), Some(true)),
                ("fence_old_writer".to_string(), Some(true)),
                ("promote_new_writer".to_string(), Some(false)),
            ]
        );
        assert_eq!(
            f.lost_wal,
            vec![LostWal::Bytes {
                host: "pgdb2".into(),
                bytes: 1800
            }]
        );
        assert_eq!(
            failed_states(CRASH).unwrap(),
            vec!["promote_new_writer: Run failed on minions: pgdb1", "x"]
        );
    }

    #[test]
    fn unknown_lost_wal_and_outputs_without_a_failover() {
        let j = r#"{"m": {"k": {"__id__": "failover", "result": false, "comment": "c",
            "changes": {"notes": ["n1"], "ret": {"failover": {"s": {"__id__": "fence_old_writer", "result": true,
            "changes": {"pgdb1": {"lost_wal_bytes": "unknown: pg_waldump failed"}}}}}}}}}"#;
        let f = failover(j).unwrap().unwrap();
        assert_eq!(f.notes, vec!["n1"]);
        assert_eq!(
            f.lost_wal,
            vec![LostWal::Unknown {
                host: "pgdb1".into(),
                why: "unknown: pg_waldump failed".into()
            }]
        );
        assert_eq!(failover(r#"{"pgdb1": {}}"#).unwrap(), None);
        assert!(failover("converge: error").is_err());
    }
}
