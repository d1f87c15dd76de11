//! `cmd.run`, `cmd.run_all`, `cmd.retcode`.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::{arg_str, ExecFn, On};
use crate::transport::{shell, Exec};

struct Cmd {
    shape: Shape,
}

#[derive(Clone, Copy)]
enum Shape {
    /// stdout and stderr merged, as a string.
    Run,
    /// {pid, retcode, stdout, stderr}.
    All,
    /// The exit code.
    Retcode,
}

pub(super) fn register(r: &mut HashMap<&'static str, Box<dyn ExecFn>>) {
    r.insert("cmd.run", Box::new(Cmd { shape: Shape::Run }));
    r.insert("cmd.run_all", Box::new(Cmd { shape: Shape::All }));
    r.insert(
        "cmd.retcode",
        Box::new(Cmd {
            shape: Shape::Retcode,
        }),
    );
}

#[async_trait]
impl ExecFn for Cmd {
    fn read_only(&self) -> bool {
        false
    }

    async fn call(
        &self,
        on: &On<'_>,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Value, Value> {
        let cmd =
            arg_str(args, kwargs, 0, "cmd").ok_or_else(|| json!("cmd.run needs a command"))?;
        let mut exec = Exec::new(match self.shape {
            Shape::Run => shell::merged(&cmd),
            _ => cmd,
        });
        exec.runas = arg_str(args, kwargs, usize::MAX, "runas");
        exec.cwd = arg_str(args, kwargs, usize::MAX, "cwd");
        if let Some(shell) = arg_str(args, kwargs, usize::MAX, "shell") {
            exec.shell = shell;
        }
        exec.env = crate::functions::env_pairs(kwargs.get("env")).map_err(|f| json!(f.comment))?;
        exec.timeout = kwargs.get("timeout").and_then(Value::as_u64);
        let out = on.exec(&exec).await?;
        let ret = match self.shape {
            Shape::Run => json!(out.stdout_trimmed()),
            Shape::All => {
                json!({"pid": out.pid.unwrap_or(0), "retcode": out.code, "stderr": out.stderr_trimmed(), "stdout": out.stdout_trimmed()})
            }
            Shape::Retcode => json!(out.code),
        };
        if out.success() {
            Ok(ret)
        } else {
            Err(ret)
        }
    }
}
