//! `test.ping`, `test.true`, `test.false`: reachability and fixed answers.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::{verdict, ExecFn, On};
use crate::transport::Exec;

struct Ping;
struct Fixed(bool);

pub(super) fn register(r: &mut HashMap<&'static str, Box<dyn ExecFn>>) {
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
        verdict(on.exec(&Exec::new("true")).await?.success())
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
        verdict(self.0)
    }
}
