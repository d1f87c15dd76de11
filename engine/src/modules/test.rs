//! `test.ping`, `test.true`, `test.false`: reachability and fixed answers.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::{ExecFn, On};
use crate::transport::Exec;

struct Ping;
struct Fixed(bool);

pub fn register(r: &mut HashMap<&'static str, Box<dyn ExecFn>>) {
    r.insert("test.ping", Box::new(Ping));
    r.insert("test.true", Box::new(Fixed(true)));
    r.insert("test.false", Box::new(Fixed(false)));
}

#[async_trait]
impl ExecFn for Ping {
    fn read_only(&self) -> bool {
        true
    }

    /// True when a command round-trips on the host.
    async fn call(
        &self,
        on: &On<'_>,
        _args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Value, Value> {
        match on.transport.exec(&Exec::new("true")).await {
            Ok(o) if o.success() => Ok(json!(true)),
            Ok(_) => Err(json!(false)),
            Err(e) => Err(json!(e.to_string())),
        }
    }
}

#[async_trait]
impl ExecFn for Fixed {
    fn read_only(&self) -> bool {
        true
    }

    async fn call(
        &self,
        _on: &On<'_>,
        _args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Value, Value> {
        if self.0 {
            Ok(json!(true))
        } else {
            Err(json!(false))
        }
    }
}
