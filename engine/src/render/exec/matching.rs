//! `match.*`: whether this host is one that a target names, as Salt's
//! matchers decide it (`G@os:Debian and not L@web1,web2`).

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::{text, Args, Env};
use crate::render::data::{items, pairs};
use crate::render::lookup::traverse;

fn id(env: &Env, minion_id: Option<Value>) -> String {
    minion_id
        .filter(|m| !m.is_none())
        .map(|m| text(&m))
        .or_else(|| traverse(&env.opts, "id", ":").map(|v| text(&v)))
        .unwrap_or_default()
}

/// `match.glob(tgt, minion_id=None)`.
pub(super) fn glob(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let tgt = a.string("tgt")?;
    let id = id(env, a.opt("minion_id")?);
    Ok(Value::from(crate::glob::matches(&tgt, &id)))
}

/// `match.list(tgt, minion_id=None)`: `tgt` a list or comma-separated.
pub(super) fn list(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let tgt = a.req("tgt")?;
    let id = id(env, a.opt("minion_id")?);
    Ok(Value::from(in_list(&tgt, &id)))
}

fn in_list(tgt: &Value, id: &str) -> bool {
    if tgt.kind() == ValueKind::Seq {
        return items(tgt).iter().any(|t| text(t) == id);
    }
    text(tgt).split(',').any(|t| t.trim() == id)
}

/// `match.pcre(tgt, minion_id=None)`: Python's `re.match` on the id.
pub(super) fn pcre(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let tgt = a.string("tgt")?;
    let id = id(env, a.opt("minion_id")?);
    Ok(Value::from(regex_match(&tgt, &id)?))
}

fn regex_match(pattern: &str, text: &str) -> Result<bool, Error> {
    let re = crate::render::regex::compile(&format!("^(?:{pattern})"), false, false)?;
    Ok(re.is_match(text).unwrap_or(false))
}

/// `match.grain(tgt, delimiter=':')`: `key:glob` against the grains.
pub(super) fn grain(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let tgt = a.string("tgt")?;
    let delimiter = a.str_or("delimiter", ":")?;
    Ok(Value::from(subdict_match(
        &env.grains,
        &tgt,
        &delimiter,
        false,
    )?))
}

/// `match.pillar(tgt, delimiter=':')`: `key:glob` against the pillar.
pub(super) fn pillar(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let tgt = a.string("tgt")?;
    let delimiter = a.str_or("delimiter", ":")?;
    Ok(Value::from(subdict_match(
        &env.pillar,
        &tgt,
        &delimiter,
        false,
    )?))
}

/// Salt's `subdict_match`: try each split of `expr` into a key path and a
/// pattern, longest key first; a list matches when an item does, a
/// mapping when a key does. Globs compare case-insensitively, as Salt's.
fn subdict_match(data: &Value, expr: &str, delimiter: &str, regex: bool) -> Result<bool, Error> {
    let parts: Vec<&str> = expr.split(delimiter).collect();
    for i in (1..parts.len()).rev() {
        let key = parts[..i].join(delimiter);
        let pattern = parts[i..].join(delimiter);
        let Some(value) = traverse(data, &key, delimiter) else {
            continue;
        };
        let matches = |v: &Value| -> Result<bool, Error> {
            let t = text(v);
            if regex {
                regex_match(&pattern, &t)
            } else {
                Ok(crate::glob::matches(
                    &pattern.to_lowercase(),
                    &t.to_lowercase(),
                ))
            }
        };
        let found = match value.kind() {
            ValueKind::Seq => {
                let mut any = false;
                for item in items(&value) {
                    if matches(&item)? {
                        any = true;
                        break;
                    }
                }
                any
            }
            ValueKind::Map => {
                let mut any = false;
                for (k, _) in pairs(&value) {
                    if matches(&k)? {
                        any = true;
                        break;
                    }
                }
                any
            }
            _ => matches(&value)?,
        };
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `match.compound(tgt, minion_id=None)`: `and`, `or`, `not`, parentheses
/// over `G@` (grain), `P@` (grain regex), `I@` (pillar), `J@` (pillar
/// regex), `L@` (list), `E@` (id regex) and globs on the id.
pub(super) fn compound(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let tgt = a.string("tgt")?;
    let id = id(env, a.opt("minion_id")?);
    let spaced = tgt.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut p = Compound {
        env,
        id: &id,
        words: &words,
        at: 0,
    };
    let r = p.or()?;
    if p.at != words.len() {
        return Err(p.invalid());
    }
    Ok(Value::from(r))
}

struct Compound<'a> {
    env: &'a Env,
    id: &'a str,
    words: &'a [&'a str],
    at: usize,
}

impl Compound<'_> {
    fn invalid(&self) -> Error {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("match.compound: invalid target `{}`", self.words.join(" ")),
        )
    }

    fn peek(&self) -> Option<&str> {
        self.words.get(self.at).copied()
    }

    fn or(&mut self) -> Result<bool, Error> {
        let mut r = self.and()?;
        while self.peek() == Some("or") {
            self.at += 1;
            let rhs = self.and()?;
            r = r || rhs;
        }
        Ok(r)
    }

    fn and(&mut self) -> Result<bool, Error> {
        let mut r = self.not()?;
        loop {
            match self.peek() {
                Some("and") => {
                    self.at += 1;
                    let rhs = self.not()?;
                    r = r && rhs;
                }
                // Salt joins adjacent terms with `and`
                Some(w) if w != "or" && w != ")" => {
                    let rhs = self.not()?;
                    r = r && rhs;
                }
                _ => return Ok(r),
            }
        }
    }

    fn not(&mut self) -> Result<bool, Error> {
        if self.peek() == Some("not") {
            self.at += 1;
            return Ok(!self.not()?);
        }
        self.term()
    }

    fn term(&mut self) -> Result<bool, Error> {
        let word = self
            .words
            .get(self.at)
            .copied()
            .ok_or_else(|| self.invalid())?;
        self.at += 1;
        if word == "(" {
            let r = self.or()?;
            if self.peek() != Some(")") {
                return Err(self.invalid());
            }
            self.at += 1;
            return Ok(r);
        }
        let env = self.env;
        match word.split_once('@') {
            Some(("G", expr)) => subdict_match(&env.grains, expr, ":", false),
            Some(("P", expr)) => subdict_match(&env.grains, expr, ":", true),
            Some(("I", expr)) => subdict_match(&env.pillar, expr, ":", false),
            Some(("J", expr)) => subdict_match(&env.pillar, expr, ":", true),
            Some(("L", expr)) => Ok(in_list(&Value::from(expr), self.id)),
            Some(("E", expr)) => regex_match(expr, self.id),
            Some((kind, _)) if kind.len() == 1 => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("match.compound: the `{kind}@` matcher is not available while rendering"),
            )),
            _ => Ok(crate::glob::matches(word, self.id)),
        }
    }
}
