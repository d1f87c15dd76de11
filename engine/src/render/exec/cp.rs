//! `cp.*` over the state tree: what Salt's file server lists and serves
//! (`cp.list_master`, `cp.list_master_dirs`, `cp.list_states`,
//! `cp.get_file_str`), read from the saltenv's file_roots.

use std::collections::BTreeSet;
use std::path::Path;

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};

use super::{text, Args, Env};

/// Every file and directory below each root, as paths relative to it.
fn walk(env: &Env) -> (BTreeSet<String>, BTreeSet<String>) {
    fn go(dir: &Path, rel: &str, files: &mut BTreeSet<String>, dirs: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let is_dir = std::fs::metadata(e.path())
                .map(|m| m.is_dir())
                .unwrap_or(false);
            if is_dir {
                dirs.insert(path.clone());
                go(&e.path(), &path, files, dirs);
            } else {
                files.insert(path);
            }
        }
    }
    let (mut files, mut dirs) = (BTreeSet::new(), BTreeSet::new());
    for root in &env.roots {
        go(root, "", &mut files, &mut dirs);
    }
    (files, dirs)
}

fn prefixed(all: BTreeSet<String>, prefix: &str) -> Value {
    let prefix = prefix.trim_matches('/');
    Value::from(
        all.into_iter()
            .filter(|p| p.starts_with(prefix))
            .collect::<Vec<_>>(),
    )
}

/// `cp.list_master(saltenv='base', prefix='')`: the files of the tree.
pub(super) fn list_master(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    a.opt("saltenv")?;
    let prefix = a.str_or("prefix", "")?;
    Ok(prefixed(walk(env).0, &prefix))
}

/// `cp.list_master_dirs(saltenv='base', prefix='')`: its directories.
pub(super) fn list_master_dirs(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    a.opt("saltenv")?;
    let prefix = a.str_or("prefix", "")?;
    Ok(prefixed(walk(env).1, &prefix))
}

/// `cp.list_states(saltenv='base')`: the sls names of the tree.
pub(super) fn list_states(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    a.opt("saltenv")?;
    let mut names = BTreeSet::new();
    for f in walk(env).0 {
        if let Some(stem) = f.strip_suffix(".sls") {
            let name = stem.strip_suffix("/init").unwrap_or(stem);
            names.insert(name.replace('/', "."));
        }
    }
    Ok(Value::from(names.into_iter().collect::<Vec<_>>()))
}

/// `cp.get_file_str(path, saltenv='base')`: a file of the tree (`salt://`),
/// False when there is none.
pub(super) fn get_file_str(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = text(&a.req("path")?);
    a.opt("saltenv")?;
    let rel = path
        .strip_prefix("salt://")
        .unwrap_or(&path)
        .trim_start_matches('/');
    for root in &env.roots {
        match std::fs::read_to_string(root.join(rel)) {
            Ok(t) => return Ok(Value::from(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("cp.get_file_str {path}: {e}"),
                ))
            }
        }
    }
    Ok(Value::from(false))
}
