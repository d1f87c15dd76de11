//! The `salt` mapping of templates: `salt['pillar.get'](...)`, and its
//! attribute form `salt.pillar.get(...)`.
//!
//! Only execution functions that make sense while rendering are offered
//! (see `exec`). Those that ask the host (`cmd.run`, `pkg.version`) run on
//! the target through `HostCalls`, as Salt renders on the minion.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Rest, Value};
use minijinja::State;

use super::exec::{self, quote_arg, Env};

/// What a template may ask of the host it renders for. Every method but
/// `run` has a default built on `run`; a transport may answer them more
/// cheaply.
pub trait HostCalls: Send + Sync {
    /// Run `cmd` with the host's shell; stdout and stderr merged, as Salt's
    /// `cmd.run` returns them. The exit code comes first.
    fn run(
        &self,
        cmd: &str,
        runas: Option<&str>,
        cwd: Option<&str>,
    ) -> Result<(i32, String), String>;

    /// Whether `path` is a regular file (following links).
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        Ok(self
            .run(&format!("test -f {}", quote_arg(path)), None, None)?
            .0
            == 0)
    }

    /// Whether `path` is a directory (following links).
    fn directory_exists(&self, path: &str) -> Result<bool, String> {
        Ok(self
            .run(&format!("test -d {}", quote_arg(path)), None, None)?
            .0
            == 0)
    }

    /// The text of the file at `path`, `None` when it does not exist or
    /// cannot be read (as Salt's `file.contains*` treat both).
    fn read_file(&self, path: &str) -> Result<Option<String>, String> {
        let p = quote_arg(path);
        let (code, out) = self.run(&format!("test -f {p} && cat -- {p}"), None, None)?;
        Ok((code == 0).then_some(out))
    }

    /// The installed version of each of `names`, `""` for one that is not
    /// installed (Salt's `pkg.version`), from dpkg or rpm.
    fn pkg_version(&self, names: &[String]) -> Result<Vec<String>, String> {
        let args: Vec<String> = names.iter().map(|n| quote_arg(n)).collect();
        let script = format!(
            "for p in {}; do if command -v dpkg-query >/dev/null 2>&1; then \
             v=$(dpkg-query -W -f='${{db:Status-Abbrev}} ${{Version}}' \"$p\" 2>/dev/null); \
             case $v in ii*) v=${{v#* }}; v=${{v# }};; *) v=;; esac; \
             elif command -v rpm >/dev/null 2>&1; then \
             v=$(rpm -q --qf '%{{EPOCH}}:%{{VERSION}}-%{{RELEASE}}\\n' \"$p\" 2>/dev/null | head -n1); \
             case $v in *'not installed'*|'') v=;; '(none):'*) v=${{v#(none):}};; esac; \
             else v=; fi; printf '%s\\n' \"$v\"; done",
            args.join(" ")
        );
        let (_, out) = self.run(&script, None, None)?;
        let mut versions: Vec<String> = out.lines().map(str::to_string).collect();
        versions.resize(names.len(), String::new());
        Ok(versions)
    }

    /// Whether the service `name` exists (a systemd unit or an init
    /// script), as Salt's `service.available`.
    fn service_available(&self, name: &str) -> Result<bool, String> {
        let n = quote_arg(name);
        let script = format!(
            "if [ -d /run/systemd/system ]; then \
             systemctl list-unit-files {n} {n}.service --no-legend 2>/dev/null | grep -q .; \
             else test -x /etc/init.d/{n} || test -x /etc/rc.d/init.d/{n}; fi"
        );
        Ok(self.run(&script, None, None)?.0 == 0)
    }

    /// The account `name` as Salt's `user.info` gives it, `None` when
    /// there is no such user.
    fn user_info(&self, name: &str) -> Result<Option<serde_json::Value>, String> {
        let n = quote_arg(name);
        let (code, out) = self.run(
            &format!("getent passwd {n} && id -Gn {n} 2>/dev/null"),
            None,
            None,
        )?;
        if code != 0 {
            return Ok(None);
        }
        let mut lines = out.lines();
        let Some(entry) = lines.next() else {
            return Ok(None);
        };
        Ok(Some(user_from_passwd(entry, lines.next().unwrap_or(""))))
    }
}

/// Salt's `user.info` fields from a passwd line and the user's groups.
pub(super) fn user_from_passwd(entry: &str, groups: &str) -> serde_json::Value {
    let f: Vec<&str> = entry.split(':').collect();
    let field = |i: usize| f.get(i).copied().unwrap_or_default();
    let gecos: Vec<&str> = field(4).split(',').collect();
    let g = |i: usize| gecos.get(i).copied().unwrap_or_default();
    let mut groups: Vec<&str> = groups.split_whitespace().collect();
    groups.sort_unstable();
    serde_json::json!({
        "name": field(0),
        "passwd": field(1),
        "uid": field(2).parse::<i64>().unwrap_or(-1),
        "gid": field(3).parse::<i64>().unwrap_or(-1),
        "home": field(5),
        "shell": field(6),
        "fullname": g(0),
        "roomnumber": g(1),
        "workphone": g(2),
        "homephone": g(3),
        "other": gecos.get(4..).map(|o| o.join(",")).unwrap_or_default(),
        "groups": groups,
    })
}

/// The `salt` object of templates.
pub(crate) struct Salt {
    pub env: Arc<Env>,
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<salt functions>")
    }
}

fn function(env: &Arc<Env>, name: String) -> Value {
    let env = Arc::clone(env);
    Value::from_function(move |state: &State, args: Rest<Value>, kwargs: Kwargs| {
        let out = exec::call(&env, state, &name, &args, kwargs.clone());
        // Keyword arguments a function does not read are accepted, as
        // Salt's functions take **kwargs.
        for key in kwargs.args() {
            let _: Value = kwargs.get(key)?;
        }
        out
    })
}

impl Object for Salt {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if exec::lookup(name).is_some() {
            return Some(function(&self.env, name.to_string()));
        }
        // `salt.file.dirname(...)`: the module, then its function
        exec::module_functions(name).next()?;
        Some(Value::from_object(Module {
            env: Arc::clone(&self.env),
            name: name.to_string(),
        }))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(exec::names().map(Value::from).collect())
    }
}

/// `salt.<module>`: its functions as attributes.
struct Module {
    env: Arc<Env>,
    name: String,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<salt module {}>", self.name)
    }
}

impl Object for Module {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let full = format!("{}.{}", self.name, key.as_str()?);
        exec::lookup(&full)?;
        Some(function(&self.env, full))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            exec::module_functions(&self.name)
                .map(Value::from)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `HostCalls`'s defaults, run by bash on this machine.
    struct Here;

    impl HostCalls for Here {
        fn run(
            &self,
            cmd: &str,
            _: Option<&str>,
            _: Option<&str>,
        ) -> Result<(i32, String), String> {
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("{cmd} 2>&1"))
                .output()
                .map_err(|e| e.to_string())?;
            Ok((
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            ))
        }
    }

    #[test]
    fn the_default_host_calls_run_here() {
        let h = Here;
        assert!(h.file_exists("/etc/passwd").unwrap());
        assert!(!h.file_exists("/etc").unwrap());
        assert!(h.directory_exists("/etc").unwrap());
        assert!(!h.directory_exists("/no/such/dir").unwrap());
        assert!(h
            .read_file("/etc/passwd")
            .unwrap()
            .unwrap()
            .starts_with("root:"));
        assert_eq!(h.read_file("/no/such/file").unwrap(), None);
        // as `salt-call pkg.version bash no-such-pkg` answered here
        let v = h
            .pkg_version(&["bash".into(), "no-such-pkg".into()])
            .unwrap();
        assert!(v[0].starts_with(|c: char| c.is_ascii_digit()), "{v:?}");
        assert_eq!(v[1], "");
        assert!(!h.service_available("no-such-service").unwrap());
        // as `salt-call user.info root` answered here
        assert_eq!(
            h.user_info("root").unwrap().unwrap(),
            serde_json::json!({"gid": 0, "groups": ["root"], "home": "/root", "name": "root",
                "passwd": "x", "shell": "/bin/bash", "uid": 0, "fullname": "root",
                "roomnumber": "", "workphone": "", "homephone": "", "other": ""})
        );
        assert_eq!(h.user_info("no-such-user").unwrap(), None);
    }

    #[test]
    fn user_info_from_passwd() {
        let u = user_from_passwd(
            "postgres:x:105:112:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash",
            "ssl-cert postgres",
        );
        assert_eq!(u["uid"], 105);
        assert_eq!(u["home"], "/var/lib/postgresql");
        assert_eq!(u["fullname"], "PostgreSQL administrator");
        assert_eq!(u["groups"], serde_json::json!(["postgres", "ssl-cert"]));
    }
}
