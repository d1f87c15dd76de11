//! `file.*` path helpers (Python's `os.path`), and existence checks on the
//! host.

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};

use super::{text, Args, Env};

/// `os.path.dirname`.
pub(super) fn dirname_of(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => {
            let head = &path[..=i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() {
                head.to_string()
            } else {
                trimmed.to_string()
            }
        }
        None => String::new(),
    }
}

/// `os.path.join`: an absolute part restarts the path.
pub(super) fn os_join(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if p.starts_with('/') {
            out = p.clone();
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(p);
        } else {
            out.push('/');
            out.push_str(p);
        }
    }
    out
}

/// `os.path.normpath`.
pub(super) fn normalize(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let initial = if path.starts_with("//") && !path.starts_with("///") {
        "//"
    } else if path.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if initial.is_empty() {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let out = format!("{initial}{}", parts.join("/"));
    if out.is_empty() {
        ".".into()
    } else {
        out
    }
}

pub(super) fn dirname(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    Ok(Value::from(dirname_of(&a.string("path")?)))
}

pub(super) fn basename(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = a.string("path")?;
    Ok(Value::from(path.rsplit('/').next().unwrap_or_default()))
}

/// `file.join(*args)`: `os.path.join`.
pub(super) fn join(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let parts: Vec<String> = a.rest().iter().map(text).collect();
    Ok(Value::from(os_join(&parts)))
}

pub(super) fn normpath(_: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    Ok(Value::from(normalize(&a.string("path")?)))
}

fn expand(path: &str) -> Result<String, Error> {
    if path.starts_with('~') {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`{path}`: give an absolute path (`~` is not expanded while rendering)"),
        ));
    }
    Ok(path.to_string())
}

/// `file.file_exists(path)`: a regular file on the host.
pub(super) fn file_exists(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = expand(&a.string("path")?)?;
    let host = env.host("file.file_exists")?;
    host.file_exists(&path).map(Value::from).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("file.file_exists `{path}`: {e}"),
        )
    })
}

/// `file.directory_exists(path)`: a directory on the host.
pub(super) fn directory_exists(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = expand(&a.string("path")?)?;
    let host = env.host("file.directory_exists")?;
    host.directory_exists(&path).map(Value::from).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("file.directory_exists `{path}`: {e}"),
        )
    })
}

fn read(env: &Env, function: &str, path: &str) -> Result<Option<String>, Error> {
    env.host(function)?.read_file(path).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("{function} `{path}`: {e}"),
        )
    })
}

/// `file.contains(path, text)`: whether the file holds `text` (stripped).
pub(super) fn contains(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = expand(&a.string("path")?)?;
    let t = text(&a.req("text")?).trim().to_string();
    Ok(Value::from(
        read(env, "file.contains", &path)?.is_some_and(|c| c.contains(&t)),
    ))
}

/// `file.contains_regex(path, regex, lchar='')`: whether a line (less its
/// leading `lchar`s) matches `regex` (Python's `re.search`).
pub(super) fn contains_regex(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = expand(&a.string("path")?)?;
    let regex = a.string("regex")?;
    let lchar = a.str_or("lchar", "")?;
    let Some(content) = read(env, "file.contains_regex", &path)? else {
        return Ok(Value::from(false));
    };
    let re = crate::render::regex::compile(&regex, false, false)?;
    for line in content.split_inclusive('\n') {
        let line = line.trim_start_matches(|c| lchar.contains(c));
        if re.is_match(line).unwrap_or(false) {
            return Ok(Value::from(true));
        }
    }
    Ok(Value::from(false))
}

/// `file.read(path)`: the file's text.
pub(super) fn read_file(env: &Env, _: &State, a: &mut Args) -> Result<Value, Error> {
    let path = expand(&a.string("path")?)?;
    read(env, "file.read", &path)?
        .map(Value::from)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("file.read: {path} does not exist"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_python_os_path() {
        assert_eq!(dirname_of("postgres"), "");
        assert_eq!(dirname_of("postgres/server"), "postgres");
        assert_eq!(dirname_of("/etc"), "/");
        assert_eq!(dirname_of("a//b"), "a");
        assert_eq!(os_join(&["/usr/bin".into(), "pg".into()]), "/usr/bin/pg");
        assert_eq!(os_join(&["a/".into(), "/b".into(), "c".into()]), "/b/c");
        assert_eq!(normalize("a/./b/../c/"), "a/c");
        assert_eq!(normalize("/../a"), "/a");
    }
}
