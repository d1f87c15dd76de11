//! `converge run TARGET -- COMMAND`: one command on many hosts, each host's
//! stdout, stderr and exit code back (Salt's `cmd.run_all`).

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use crate::error::Error;
use crate::job::{in_parallel, Engine};
use crate::transport::Exec;

/// Per host, in roster order: `{pid, retcode, stderr, stdout}`; an
/// unreachable host has retcode 255 and the reason in stderr, as ssh has.
pub async fn run(
    engine: &Engine,
    target: &str,
    command: &[String],
    jobs: usize,
) -> Result<Map<String, Value>, Error> {
    let hosts: Vec<_> = engine.roster.select(target)?.into_iter().cloned().collect();
    let line = command.join(" ");
    let gate = Arc::new(Semaphore::new(jobs.max(1)));
    let tasks = hosts.into_iter().map(|h| {
        let (engine, gate, line) = (engine.clone(), Arc::clone(&gate), line.clone());
        async move {
            let _permit = gate.acquire().await.expect("never closed");
            let ret = match engine.connect(&h).await {
                Ok(t) => match t.exec(&Exec::new(line)).await {
                    Ok(o) => json!({"pid": o.pid.unwrap_or(0), "retcode": o.code, "stderr": o.stderr_trimmed(), "stdout": o.stdout_trimmed()}),
                    Err(e) => json!({"pid": 0, "retcode": 255, "stderr": e.to_string(), "stdout": ""}),
                },
                Err(e) => json!({"pid": 0, "retcode": 255, "stderr": e.to_string(), "stdout": ""}),
            };
            (h.id.clone(), ret)
        }
    });
    let out = in_parallel(tasks).await.into_iter().collect();
    engine.disconnect().await;
    Ok(out)
}
