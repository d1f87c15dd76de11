//! `service.start|stop|restart|reload|status`, systemd or init scripts.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::{arg_str, verdict, ExecFn, On};
use crate::facts::Service as Status;
use crate::transport::Exec;

struct Service {
    action: &'static str,
}

pub(super) fn register(r: &mut HashMap<&'static str, Box<dyn ExecFn>>) {
    for (name, action) in [
        ("service.start", "start"),
        ("service.stop", "stop"),
        ("service.restart", "restart"),
        ("service.reload", "reload"),
        ("service.status", "status"),
    ] {
        r.insert(name, Box::new(Service { action }));
    }
}

#[async_trait]
impl ExecFn for Service {
    fn read_only(&self) -> bool {
        self.action == "status"
    }

    async fn call(
        &self,
        on: &On<'_>,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Value, Value> {
        let name =
            arg_str(args, kwargs, 0, "name").ok_or_else(|| json!("a service name is needed"))?;
        let st = Status::read(on.transport, &name)
            .await
            .map_err(|e| json!(e))?;
        if self.action == "status" {
            return Ok(json!(st.running));
        }
        let out = on
            .exec(&Exec::new(st.init.command(&name, self.action)))
            .await?;
        if !out.success() {
            return verdict(false);
        }
        // As Salt's service module: the answer is the state afterwards.
        let running = on
            .transport
            .exec(&Exec::new(st.init.status_command(&name)))
            .await
            .is_ok_and(|o| o.success());
        verdict(if self.action == "stop" {
            !running
        } else {
            running
        })
    }
}
