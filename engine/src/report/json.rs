//! Salt's JSON shape: host → state tag → result record. A step that
//! converged hosts (`salt.state`) holds their returns under `changes.ret`.

use serde_json::{json, Map, Value};

use crate::clock;
use crate::result::{HostOutcome, HostReport, Report, StateResult};

/// Every host's return, in the report's order.
pub fn salt_json(report: &Report) -> Map<String, Value> {
    report
        .hosts
        .iter()
        .map(|h| (h.id.clone(), Value::Object(host_return(h))))
        .collect()
}

/// Salt's record for each state, keyed by its tag, in run order; an
/// unreachable host has a single failed entry saying why.
fn host_return(host: &HostReport) -> Map<String, Value> {
    match &host.outcome {
        HostOutcome::Reached(states) => states.iter().map(|r| (r.state.tag(), record(r))).collect(),
        HostOutcome::Unreachable { address, why } => {
            let record = json!({
                "__id__": host.id,
                "__sls__": Value::Null,
                "name": address,
                "result": false,
                "changes": {},
                "comment": why,
                "duration": 0.0,
                "start_time": clock::now(),
                "__run_num__": 0,
            });
            Map::from_iter([(format!("ssh_|-{}_|-{address}_|-connect", host.id), record)])
        }
    }
}

fn record(r: &StateResult) -> Value {
    let mut changes = r.changes.clone();
    if let Some(nested) = &r.nested {
        changes.insert("ret".into(), Value::Object(salt_json(nested)));
    }
    json!({
        "__id__": r.state.id,
        "__sls__": r.sls,
        "name": r.state.name,
        "result": r.result,
        "changes": changes,
        "comment": r.comment,
        "duration": r.duration_ms,
        "start_time": r.start_time,
        "__run_num__": r.run_num,
    })
}
