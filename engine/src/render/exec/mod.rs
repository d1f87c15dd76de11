//! Salt's execution functions that templates call while rendering:
//! `salt['grains.filter_by'](...)`, `salt.slsutil.merge(...)`.
//!
//! One file per Salt module, each function ported from Salt's own source
//! with its signature (positional or keyword arguments by Salt's names) and
//! its defaults. What needs the host (`cmd.run`, `pkg.version`,
//! `file.file_exists`) goes through `HostCalls`; the rest is computed here.

mod cmd;
mod config;
mod cp;
mod defaults;
mod file;
mod grains;
mod log;
mod matching;
mod mine;
mod pillar;
mod slsutil;
mod test;

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind, State};

use super::HostCalls;

pub(super) use cmd::quote as quote_arg;

/// Python's `os.path.join`, for the `path_join` filter.
pub(super) fn file_os_join(parts: &[String]) -> String {
    file::os_join(parts)
}

/// What an execution function may read: the host's data and a way to it.
pub(crate) struct Env {
    /// The same objects as the template's `pillar`, `grains` and `opts`,
    /// so that a change made through one is seen through the other.
    pub pillar: Value,
    pub grains: Value,
    pub opts: Value,
    pub host: Option<Arc<dyn HostCalls>>,
    /// The roster's host ids, for `salt['roster.ids']()`.
    pub roster: Arc<Vec<String>>,
    pub saltenv: String,
    /// The saltenv's file_roots, for `slsutil` and `defaults.get`.
    pub roots: Vec<PathBuf>,
}

impl Env {
    pub(crate) fn host(&self, function: &str) -> Result<&dyn HostCalls, Error> {
        self.host.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("{function} cannot run here: no host to run it on"),
            )
        })
    }
}

type Function = fn(&Env, &State, &mut Args) -> Result<Value, Error>;

/// Every function offered, by Salt's name.
const FUNCTIONS: &[(&str, Function)] = &[
    ("cmd.has_exec", cmd::has_exec),
    ("cmd.retcode", cmd::retcode),
    ("cmd.run", cmd::run),
    ("cmd.run_all", cmd::run_all),
    ("cmd.run_stdout", cmd::run),
    ("cmd.shell", cmd::run),
    ("cmd.which", cmd::which),
    ("config.get", config::get),
    ("config.option", config::option),
    ("cp.get_file_str", cp::get_file_str),
    ("cp.list_master", cp::list_master),
    ("cp.list_master_dirs", cp::list_master_dirs),
    ("cp.list_states", cp::list_states),
    ("defaults.deepcopy", defaults::deepcopy),
    ("defaults.get", defaults::get),
    ("defaults.merge", defaults::merge),
    ("defaults.update", defaults::update),
    ("file.basename", file::basename),
    ("file.contains", file::contains),
    ("file.contains_regex", file::contains_regex),
    ("file.directory_exists", file::directory_exists),
    ("file.dirname", file::dirname),
    ("file.file_exists", file::file_exists),
    ("file.join", file::join),
    ("file.normpath", file::normpath),
    ("file.read", file::read_file),
    ("grains.filter_by", grains::filter_by),
    ("grains.get", grains::get),
    ("grains.has_value", grains::has_value),
    ("grains.item", grains::item),
    ("grains.items", grains::items),
    ("grains.ls", grains::ls),
    ("log.critical", log::critical),
    ("log.debug", log::debug),
    ("log.error", log::error),
    ("log.exception", log::error),
    ("log.info", log::info),
    ("log.warning", log::warning),
    ("match.compound", matching::compound),
    ("match.glob", matching::glob),
    ("match.grain", matching::grain),
    ("match.list", matching::list),
    ("match.pcre", matching::pcre),
    ("match.pillar", matching::pillar),
    ("mine.get", mine::get),
    ("pillar.get", pillar::get),
    ("pillar.item", pillar::item),
    ("pillar.items", pillar::items),
    ("pillar.keys", pillar::keys),
    ("pkg.version", cmd::pkg_version),
    ("roster.ids", test::roster_ids),
    ("service.available", cmd::service_available),
    ("slsutil.boolstr", slsutil::boolstr),
    ("slsutil.deserialize", slsutil::deserialize),
    ("slsutil.dir_exists", slsutil::dir_exists),
    ("slsutil.file_exists", slsutil::file_exists),
    ("slsutil.merge", slsutil::merge),
    ("slsutil.merge_all", slsutil::merge_all),
    ("slsutil.path_exists", slsutil::path_exists),
    ("slsutil.renderer", slsutil::renderer),
    ("slsutil.serialize", slsutil::serialize),
    ("slsutil.update", slsutil::update),
    ("status.time", cmd::status_time),
    ("test.arg", test::arg),
    ("test.echo", test::echo),
    ("test.false", test::false_),
    ("test.ping", test::true_),
    ("test.retcode", test::retcode),
    ("test.true", test::true_),
    ("user.info", cmd::user_info),
];

pub(super) fn lookup(name: &str) -> Option<Function> {
    FUNCTIONS
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| FUNCTIONS[i].1)
}

/// The functions of module `module` (`file` → `dirname`, `join`...).
pub(super) fn module_functions(module: &str) -> impl Iterator<Item = &'static str> + '_ {
    FUNCTIONS.iter().filter_map(move |(n, _)| {
        n.split_once('.')
            .filter(|(m, _)| *m == module)
            .map(|(_, f)| f)
    })
}

pub(super) fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|(n, _)| *n)
}

/// Call `name` as Salt would: positional arguments then keywords.
pub(super) fn call(
    env: &Env,
    state: &State,
    name: &str,
    args: &[Value],
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let f = lookup(name).ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownFunction,
            format!("salt['{name}'] is not available while rendering"),
        )
    })?;
    let mut a = Args {
        function: name,
        pos: args,
        kwargs,
        taken: 0,
    };
    let out = f(env, state, &mut a)?;
    Ok(super::data::adopt(out))
}

/// A call's arguments, read by Salt's parameter names in order.
pub(super) struct Args<'a> {
    pub function: &'a str,
    pos: &'a [Value],
    kwargs: Kwargs,
    /// Positional arguments consumed so far.
    taken: usize,
}

impl<'a> Args<'a> {
    /// The next parameter, `name`: the next positional argument, else the
    /// keyword argument of that name.
    pub(super) fn opt(&mut self, name: &str) -> Result<Option<Value>, Error> {
        if let Some(v) = self.pos.get(self.taken) {
            self.taken += 1;
            if self.kwargs.has(name) {
                return Err(Error::new(
                    ErrorKind::TooManyArguments,
                    format!(
                        "{}() got multiple values for argument '{name}'",
                        self.function
                    ),
                ));
            }
            return Ok(Some(v.clone()));
        }
        self.taken += 1;
        Ok(self
            .kwargs
            .get::<Option<Value>>(name)?
            .filter(|v| !v.is_undefined()))
    }

    /// A parameter that must be given.
    pub(super) fn req(&mut self, name: &str) -> Result<Value, Error> {
        self.opt(name)?.ok_or_else(|| {
            Error::new(
                ErrorKind::MissingArgument,
                format!("{}() missing required argument: '{name}'", self.function),
            )
        })
    }

    pub(super) fn or(&mut self, name: &str, default: impl Into<Value>) -> Result<Value, Error> {
        Ok(self.opt(name)?.unwrap_or_else(|| default.into()))
    }

    pub(super) fn string(&mut self, name: &str) -> Result<String, Error> {
        let v = self.req(name)?;
        Ok(v.as_str().map_or_else(|| v.to_string(), str::to_string))
    }

    pub(super) fn str_or(&mut self, name: &str, default: &str) -> Result<String, Error> {
        Ok(match self.opt(name)? {
            Some(v) if !v.is_none() => v.as_str().map_or_else(|| v.to_string(), str::to_string),
            _ => default.to_string(),
        })
    }

    pub(super) fn bool_or(&mut self, name: &str, default: bool) -> Result<bool, Error> {
        Ok(self.opt(name)?.map_or(default, |v| v.is_true()))
    }

    /// The positional arguments not yet read (`*args`).
    pub(super) fn rest(&mut self) -> Vec<Value> {
        let rest = self.pos.get(self.taken..).unwrap_or_default().to_vec();
        self.taken = self.pos.len();
        rest
    }

    /// A keyword argument that is not a parameter read in order.
    pub(super) fn keyword(&self, name: &str) -> Result<Option<Value>, Error> {
        self.kwargs.get::<Option<Value>>(name)
    }

    /// The keyword arguments left (`**kwargs`), marked as used.
    pub(super) fn rest_keywords(&self) -> Result<Vec<(String, Value)>, Error> {
        let keys: Vec<String> = self.kwargs.args().map(str::to_string).collect();
        keys.into_iter()
            .map(|k| Ok((k.clone(), self.kwargs.get::<Value>(&k)?)))
            .collect()
    }
}

/// A Python-looking string of a value: strings as they are.
pub(super) fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_is_sorted_for_lookup() {
        let names: Vec<&str> = super::names().collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(super::lookup("grains.filter_by").is_some());
        assert!(super::lookup("grains.nope").is_none());
    }
}
