//! A host's return in Salt's JSON shape: state tag → result record.

use serde_json::{json, Map, Value};

use crate::run::StateResult;

/// Salt's record for each state, keyed by its tag, in run order.
pub fn host_return(results: &[StateResult]) -> Map<String, Value> {
    results
        .iter()
        .map(|r| {
            let record = json!({
                "__id__": r.state.id,
                "__sls__": r.sls,
                "name": r.state.name,
                "result": r.result,
                "changes": r.changes,
                "comment": r.comment,
                "duration": r.duration_ms,
                "start_time": r.start_time,
                "__run_num__": r.run_num,
            });
            (r.state.tag(), record)
        })
        .collect()
}

/// The single failed entry of a host that could not be reached (or whose
/// run broke off), saying why.
pub fn unreachable_return(host: &str, address: &str, why: &str) -> Map<String, Value> {
    let record = json!({
        "__id__": host,
        "__sls__": Value::Null,
        "name": address,
        "result": false,
        "changes": {},
        "comment": why,
        "duration": 0.0,
        "start_time": super::clock::now(),
        "__run_num__": 0,
    });
    Map::from_iter([(format!("ssh_|-{host}_|-{address}_|-connect"), record)])
}
