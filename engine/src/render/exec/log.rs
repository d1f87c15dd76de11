//! `log.*`: a template's messages, into converge's log.

use minijinja::value::Value;
use minijinja::{Error, State};

use super::{text, Args, Env};

fn message(a: &mut Args) -> Result<String, Error> {
    Ok(text(&a.req("message")?))
}

// Salt's log functions return True; so do these.
pub(super) fn debug(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    tracing::debug!(target: "converge::template", "{}", message(a)?);
    Ok(Value::from(true))
}

pub(super) fn info(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    tracing::info!(target: "converge::template", "{}", message(a)?);
    Ok(Value::from(true))
}

pub(super) fn warning(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    tracing::warn!(target: "converge::template", "{}", message(a)?);
    Ok(Value::from(true))
}

pub(super) fn error(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    tracing::error!(target: "converge::template", "{}", message(a)?);
    Ok(Value::from(true))
}

pub(super) fn critical(env: &Env, s: &State, a: &mut Args) -> Result<Value, Error> {
    error(env, s, a)
}
