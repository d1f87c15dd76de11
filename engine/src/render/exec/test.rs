//! `test.*`, and converge's `roster.ids`.

use minijinja::value::Value;
use minijinja::{Error, State};

use super::{Args, Env};
use crate::render::data::{dict, tuple};

pub(super) fn true_(_: &Env, _: &State, _: &mut Args) -> Result<Value, Error> {
    Ok(Value::from(true))
}

pub(super) fn false_(_: &Env, _: &State, _: &mut Args) -> Result<Value, Error> {
    Ok(Value::from(false))
}

/// `test.echo(text)`.
pub(super) fn echo(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    a.req("text")
}

/// `test.retcode(code=42)`.
pub(super) fn retcode(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    a.or("code", 42)
}

/// `test.arg(*args, **kwargs)`: `{'args': [...], 'kwargs': {...}}`.
pub(super) fn arg(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let args = a.rest();
    let kwargs = a.rest_keywords()?;
    Ok(dict([
        (Value::from("args"), tuple(args)),
        (
            Value::from("kwargs"),
            dict(kwargs.into_iter().map(|(k, v)| (Value::from(k), v))),
        ),
    ]))
}

pub(super) fn roster_ids(env: &Env, _: &State, _: &mut Args) -> Result<Value, Error> {
    Ok(Value::from(env.roster.as_ref().clone()))
}
