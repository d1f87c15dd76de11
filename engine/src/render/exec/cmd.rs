//! What a template asks of the host itself: `cmd.*`, `pkg.version`,
//! `service.available`, `user.info`, all through `HostCalls`.

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};

use super::{text, Args, Env};
use crate::render::data::dict;

fn failed(function: &str, what: &str, e: String) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{function} `{what}`: {e}"),
    )
}

struct Command {
    cmd: String,
    runas: Option<String>,
    cwd: Option<String>,
}

fn command(a: &mut Args) -> Result<Command, Error> {
    let cmd = a.string("cmd")?;
    let cwd = a.opt("cwd")?.filter(|v| !v.is_none()).map(|v| text(&v));
    let runas = a
        .keyword("runas")?
        .filter(|v| !v.is_none())
        .map(|v| text(&v));
    // Salt's other options (python_shell, env, ...) change nothing here
    a.rest_keywords()?;
    Ok(Command { cmd, runas, cwd })
}

fn exec(env: &Env, a: &mut Args) -> Result<(i32, String), Error> {
    let function = a.function.to_string();
    let c = command(a)?;
    env.host(&function)?
        .run(&c.cmd, c.runas.as_deref(), c.cwd.as_deref())
        .map_err(|e| failed(&function, &c.cmd, e))
}

/// `cmd.run(cmd, cwd=None, runas=None, ...)`: the output, its final
/// newline removed.
pub(super) fn run(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let (_, out) = exec(env, a)?;
    Ok(Value::from(out.trim_end_matches('\n')))
}

pub(super) fn retcode(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let (code, _) = exec(env, a)?;
    Ok(Value::from(code))
}

/// `cmd.run_all`: `{pid, retcode, stdout, stderr}`. The host's `run`
/// merges stderr into stdout.
pub(super) fn run_all(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let (code, out) = exec(env, a)?;
    Ok(dict([
        (Value::from("pid"), Value::from(0)),
        (Value::from("retcode"), Value::from(code)),
        (
            Value::from("stdout"),
            Value::from(out.trim_end_matches('\n')),
        ),
        (Value::from("stderr"), Value::from("")),
    ]))
}

fn which_path(env: &Env, function: &str, exe: &str) -> Result<Option<String>, Error> {
    let cmd = format!("command -v {}", quote(exe));
    let (code, out) = env
        .host(function)?
        .run(&cmd, None, None)
        .map_err(|e| failed(function, exe, e))?;
    let path = out.trim();
    Ok((code == 0 && path.starts_with('/')).then(|| path.to_string()))
}

/// `cmd.which(cmd)`: the program's path, or None.
pub(super) fn which(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let exe = a.string("cmd")?;
    Ok(which_path(env, "cmd.which", &exe)?.map_or(Value::from(()), Value::from))
}

/// `cmd.has_exec(cmd)`.
pub(super) fn has_exec(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let exe = a.string("cmd")?;
    Ok(Value::from(
        which_path(env, "cmd.has_exec", &exe)?.is_some(),
    ))
}

/// `pkg.version(*names)`: the installed version ('' when not installed);
/// for several names, a dict of them.
pub(super) fn pkg_version(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let names: Vec<String> = a.rest().iter().map(text).collect();
    a.rest_keywords()?;
    if names.is_empty() {
        return Err(Error::new(
            ErrorKind::MissingArgument,
            "pkg.version needs a package name",
        ));
    }
    let versions = env
        .host("pkg.version")?
        .pkg_version(&names)
        .map_err(|e| failed("pkg.version", &names.join(" "), e))?;
    if names.len() == 1 {
        return Ok(Value::from(versions.into_iter().next().unwrap_or_default()));
    }
    Ok(dict(
        names
            .into_iter()
            .zip(versions)
            .map(|(n, v)| (Value::from(n), Value::from(v))),
    ))
}

/// `service.available(name)`.
pub(super) fn service_available(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let name = a.string("name")?;
    env.host("service.available")?
        .service_available(&name)
        .map(Value::from)
        .map_err(|e| failed("service.available", &name, e))
}

/// `user.info(name)`: the account's fields, `{}` when there is none.
pub(super) fn user_info(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let name = a.string("name")?;
    let info = env
        .host("user.info")?
        .user_info(&name)
        .map_err(|e| failed("user.info", &name, e))?;
    Ok(Value::from_serialize(
        info.unwrap_or_else(|| serde_json::json!({})),
    ))
}

/// `s` quoted for a POSIX shell.
pub(crate) fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `status.time(format="%A, %d. %B %Y %I:%M%p")`: the host's local time,
/// by `date` (whose format is strftime's, as Python's).
pub(super) fn status_time(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let format = a.str_or("format", "%A, %d. %B %Y %I:%M%p")?;
    let cmd = format!("date +{}", quote(&format));
    let (code, out) = env
        .host("status.time")?
        .run(&cmd, None, None)
        .map_err(|e| failed("status.time", &format, e))?;
    if code != 0 {
        return Err(failed("status.time", &format, out));
    }
    Ok(Value::from(out.trim_end_matches('\n')))
}
