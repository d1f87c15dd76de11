//! Shell quoting and the wrapper that applies `runas`, `cwd` and `env`.
//!
//! Paths and pillar values reach a shell on the host; everything that is
//! not meant as shell syntax goes through `quote`, whatever it holds.

use super::Exec;

/// `s` as one word for a POSIX shell: single quotes, with `'` written as `'\''`.
pub(crate) fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=@%,".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `cmd` with its stderr merged into its stdout, as Salt's `cmd.run`
/// returns them (the newline ends a trailing comment in `cmd`).
pub(crate) fn merged(cmd: &str) -> String {
    format!("{{ {cmd}\n}} 2>&1")
}

/// The command line that runs `exec` from a plain POSIX shell on the host:
/// change directory, set the environment, switch user, then `shell -c cmd`.
/// The default directory is the user's home, as Salt's `cmd.run` uses.
///
/// The environment is set by `export`, a shell builtin, so that its
/// values (passwords, often) appear in no process's command line, where
/// `ps` on the host would show them; runuser and su keep it.
pub(crate) fn wrap(exec: &Exec) -> String {
    let cd = match (&exec.cwd, &exec.runas) {
        (Some(dir), _) => format!("cd -- {} || exit 1; ", quote(dir)),
        (None, Some(user)) => format!("cd ~{} 2>/dev/null; ", home_user(user)),
        (None, None) => "cd 2>/dev/null; ".to_string(),
    };
    let mut cd = cd;
    let exportable = |k: &str| {
        k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    for (k, v) in exec.env.iter().filter(|(k, _)| exportable(k)) {
        cd.push_str(&format!("export {}; ", quote(&format!("{k}={v}"))));
    }
    let mut inner = String::new();
    let odd: Vec<&(String, String)> = exec.env.iter().filter(|(k, _)| !exportable(k)).collect();
    if !odd.is_empty() {
        // Names a shell cannot export: only `env` can set them.
        inner.push_str("env ");
        for (k, v) in odd {
            inner.push_str(&quote(&format!("{k}={v}")));
            inner.push(' ');
        }
    }
    inner.push_str(&format!("{} -c {}", quote(&exec.shell), quote(&exec.cmd)));
    match &exec.runas {
        None => format!("{cd}exec {inner}"),
        Some(user) => format!(
            "{cd}if command -v runuser >/dev/null 2>&1; then exec runuser -u {u} -- {inner}; else exec su -s /bin/sh -c {q} {u}; fi",
            u = quote(user),
            q = quote(&format!("exec {inner}")),
        ),
    }
}

/// A user name for `~user` expansion: only plain names expand, so anything
/// else is refused by the shell rather than interpreted.
fn home_user(user: &str) -> String {
    user.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_anything() {
        assert_eq!(quote("/etc/app.conf"), "/etc/app.conf");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's $HOME `x`"), r"'it'\''s $HOME `x`'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn wrap_plain_command() {
        let line = wrap(&Exec::new("echo hi"));
        assert_eq!(line, "cd 2>/dev/null; exec /bin/bash -c 'echo hi'");
    }

    #[test]
    fn wrap_with_cwd_and_env() {
        let mut e = Exec::new("echo $A").cwd(Some("/tmp/x y"));
        e.env.push(("A".into(), "1 2".into()));
        assert_eq!(
            wrap(&e),
            "cd -- '/tmp/x y' || exit 1; export 'A=1 2'; exec /bin/bash -c 'echo $A'"
        );
    }
}
