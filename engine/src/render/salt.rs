//! The `salt` mapping of templates: `salt['pillar.get'](...)` and friends.
//!
//! Only execution functions that make sense while rendering are offered.
//! `cmd.run` runs on the target host (through the host's transport), as Salt
//! renders on the minion.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, ObjectRepr, Rest, Value};
use minijinja::{Error, ErrorKind};

use super::lookup::traverse;

/// What a template may ask of the host it renders for.
pub trait HostCalls: Send + Sync {
    /// Run `cmd` with the host's shell; stdout and stderr merged, as Salt's
    /// `cmd.run` returns them. The exit code comes first.
    fn run(
        &self,
        cmd: &str,
        runas: Option<&str>,
        cwd: Option<&str>,
    ) -> Result<(i32, String), String>;
}

/// Functions offered under `salt[...]`.
pub const FUNCTIONS: &[&str] = &[
    "pillar.get",
    "grains.get",
    "config.get",
    "cmd.run",
    "cmd.run_stdout",
    "cmd.retcode",
    "test.true",
    "test.false",
    "roster.ids",
];

pub struct Salt {
    pub pillar: Value,
    pub grains: Value,
    pub host: Option<Arc<dyn HostCalls>>,
    pub roster: Arc<Vec<String>>,
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<salt functions>")
    }
}

impl Object for Salt {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if !FUNCTIONS.contains(&name) {
            return None;
        }
        let me = Arc::clone(self);
        let name = name.to_string();
        Some(Value::from_function(
            move |args: Rest<Value>, kwargs: Kwargs| me.invoke(&name, &args, kwargs),
        ))
    }
}

fn lookup_in(data: &Value, args: &[Value], kwargs: &Kwargs) -> Result<Value, Error> {
    let key = args
        .first()
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(ErrorKind::MissingArgument, "a key is needed"))?;
    let default = args
        .get(1)
        .cloned()
        .or(kwargs.get::<Option<Value>>("default")?);
    let delimiter: Option<String> = kwargs.get("delimiter")?;
    let found = traverse(data, key, delimiter.as_deref().unwrap_or(":"));
    Ok(found.unwrap_or_else(|| default.unwrap_or(Value::from(""))))
}

impl Salt {
    fn invoke(&self, name: &str, args: &[Value], kwargs: Kwargs) -> Result<Value, Error> {
        let result = match name {
            "pillar.get" => lookup_in(&self.pillar, args, &kwargs),
            "grains.get" => lookup_in(&self.grains, args, &kwargs),
            "config.get" => {
                let key = args.first().and_then(Value::as_str).unwrap_or_default();
                let found =
                    traverse(&self.pillar, key, ":").or_else(|| traverse(&self.grains, key, ":"));
                Ok(found.unwrap_or_else(|| args.get(1).cloned().unwrap_or(Value::from(""))))
            }
            "cmd.run" | "cmd.run_stdout" | "cmd.retcode" => self.run(name, args, &kwargs),
            "test.true" => Ok(Value::from(true)),
            "roster.ids" => Ok(Value::from(self.roster.as_ref().clone())),
            "test.false" => Ok(Value::from(false)),
            _ => Err(Error::from(ErrorKind::UnknownFunction)),
        };
        // Remaining keyword arguments are accepted as Salt accepts them
        // (`python_shell=True` and the like change nothing here).
        for key in kwargs.args() {
            let _: Value = kwargs.get(key)?;
        }
        result
    }

    fn run(&self, name: &str, args: &[Value], kwargs: &Kwargs) -> Result<Value, Error> {
        let cmd = args.first().and_then(Value::as_str).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingArgument,
                format!("{name} needs a command"),
            )
        })?;
        let runas: Option<String> = kwargs.get("runas")?;
        let cwd: Option<String> = kwargs.get("cwd")?;
        let host = self.host.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("{name} cannot run here: no host to run it on"),
            )
        })?;
        let (code, out) = host
            .run(cmd, runas.as_deref(), cwd.as_deref())
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("{name} `{cmd}`: {e}")))?;
        Ok(match name {
            "cmd.retcode" => Value::from(code),
            _ => Value::from(out.trim_end_matches('\n')),
        })
    }
}
