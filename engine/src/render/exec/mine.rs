//! `mine.get`: without a master there is no mine; Salt answers an empty
//! dict then, and so does converge.

use minijinja::value::Value;
use minijinja::{Error, State};

use super::{Args, Env};
use crate::render::data::dict;

/// `mine.get(tgt, fun, tgt_type='glob', exclude_minion=False)`.
pub(super) fn get(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    a.req("tgt")?;
    a.req("fun")?;
    a.opt("tgt_type")?;
    a.opt("exclude_minion")?;
    a.rest_keywords()?;
    Ok(dict([]))
}
