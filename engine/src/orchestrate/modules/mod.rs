//! Execution functions: what `salt.function` calls on hosts (`cmd.run`,
//! `test.ping`, `service.reload`...). Each says whether it only reads, so a
//! test run can run the read-only ones (checks) and skip the rest.

mod cmd;
mod service;
mod test;

use std::collections::HashMap;
use std::sync::OnceLock;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::transport::{Exec, Output, Transport};

/// The host a function runs on.
pub(crate) struct On<'a> {
    pub transport: &'a dyn Transport,
}

impl On<'_> {
    /// Run `exec`; a transport error is the function's failed return.
    pub(crate) async fn exec(&self, exec: &Exec) -> Result<Output, Value> {
        self.transport
            .exec(exec)
            .await
            .map_err(|e| Value::String(e.to_string()))
    }
}

/// A yes-or-no answer as Salt returns it: `true`, or `false` as a failure.
pub(crate) fn verdict(yes: bool) -> Result<Value, Value> {
    if yes {
        Ok(Value::Bool(true))
    } else {
        Err(Value::Bool(false))
    }
}

#[async_trait]
pub(crate) trait ExecFn: Send + Sync {
    /// True when it changes nothing (it then runs in test runs).
    fn read_only(&self) -> bool;
    /// The function's return; `Err` holds the return of a failed call.
    async fn call(
        &self,
        on: &On<'_>,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Value, Value>;
}

fn registry() -> &'static HashMap<&'static str, Box<dyn ExecFn>> {
    static R: OnceLock<HashMap<&'static str, Box<dyn ExecFn>>> = OnceLock::new();
    R.get_or_init(|| {
        let mut r: HashMap<&'static str, Box<dyn ExecFn>> = HashMap::new();
        cmd::register(&mut r);
        service::register(&mut r);
        test::register(&mut r);
        r
    })
}

pub(crate) fn lookup(name: &str) -> Option<&'static dyn ExecFn> {
    registry().get(name).map(|b| b.as_ref())
}

/// A string argument: position `i`, else keyword `key`.
pub(crate) fn arg_str(
    args: &[Value],
    kwargs: &Map<String, Value>,
    i: usize,
    key: &str,
) -> Option<String> {
    args.get(i)
        .or_else(|| kwargs.get(key))
        .and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        })
}
