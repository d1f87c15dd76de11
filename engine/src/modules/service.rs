//! `service.start|stop|restart|reload|status`, systemd or init scripts.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::{arg_str, ExecFn, On};
use crate::functions::service::{action_command, parse_status, probe_command, status_command};
use crate::transport::Exec;

struct Service {
    action: &'static str,
}

pub fn register(r: &mut HashMap<&'static str, Box<dyn ExecFn>>) {
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
        let probe = on
            .transport
            .exec(&Exec::new(probe_command(&name)))
            .await
            .map_err(|e| json!(e.to_string()))?;
        let st = parse_status(&probe.stdout).map_err(|f| json!(f.comment))?;
        if !st.present {
            return Err(json!(format!("The named service {name} is not available")));
        }
        if self.action == "status" {
            return Ok(json!(st.running));
        }
        let out = on
            .transport
            .exec(&Exec::new(action_command(st.init, &name, self.action)))
            .await
            .map_err(|e| json!(e.to_string()))?;
        if !out.success() {
            return Err(json!(false));
        }
        // As Salt's service module: the answer is the state afterwards.
        let running = on
            .transport
            .exec(&Exec::new(status_command(st.init, &name)))
            .await
            .is_ok_and(|o| o.success());
        let ok = if self.action == "stop" {
            !running
        } else {
            running
        };
        if ok {
            Ok(json!(true))
        } else {
            Err(json!(false))
        }
    }
}
