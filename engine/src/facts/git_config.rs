//! Values of git configuration keys, as Salt's `git.config_get` and
//! `git.config_get_regexp` read them (`git config --get-all`,
//! `--get-regexp`), run as the user whose configuration it is.

use indexmap::IndexMap;

use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

/// Which configuration: the user's (`--global`) or a repository's
/// (`--local`, run in the repository).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Global,
    Local(String),
}

impl Scope {
    pub(crate) fn flag(&self) -> &'static str {
        match self {
            Scope::Global => "--global",
            Scope::Local(_) => "--local",
        }
    }

    /// `cmd` run where and as whom Salt runs git.
    pub(crate) fn exec(&self, cmd: String, user: Option<&str>) -> Exec {
        let cwd = match self {
            Scope::Global => None,
            Scope::Local(repo) => Some(repo.as_str()),
        };
        Exec::new(cmd).runas(user).cwd(cwd)
    }

    /// `git config <scope> <args>`, each argument quoted.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        let mut cmd = format!("git config {}", self.flag());
        for a in args {
            cmd.push(' ');
            cmd.push_str(&quote(a));
        }
        cmd
    }
}

/// `git config --get-all KEY`: every value, `None` when the key is not
/// set (git's exit 1).
pub(crate) fn get_all_command(scope: &Scope, key: &str, user: Option<&str>) -> Exec {
    scope.exec(scope.git(&["--get-all", key]), user)
}

pub(crate) fn parse_get_all(out: &Output) -> Option<Vec<String>> {
    if out.code == 1 {
        return None;
    }
    Some(out.stdout.lines().map(str::to_string).collect())
}

/// `git config --get-regexp KEY [VALUE_REGEX]`: values by key name.
pub(crate) fn get_regexp_command(
    scope: &Scope,
    key: &str,
    value_regex: Option<&str>,
    user: Option<&str>,
) -> Exec {
    let mut args = vec!["--get-regexp", key];
    args.extend(value_regex);
    scope.exec(scope.git(&args), user)
}

pub(crate) fn parse_get_regexp(out: &Output) -> IndexMap<String, Vec<String>> {
    let mut found: IndexMap<String, Vec<String>> = IndexMap::new();
    if out.code == 1 {
        return found;
    }
    for line in out.stdout.lines() {
        let line = line.trim_start();
        let Some(at) = line.find(char::is_whitespace) else {
            continue;
        };
        let value = line[at..].trim_start();
        if value.is_empty() {
            continue;
        }
        found
            .entry(line[..at].to_string())
            .or_default()
            .push(value.to_string());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    #[test]
    fn reads_git_configs_answers() {
        let mut missing = recorded("");
        missing.code = 1;
        assert_eq!(parse_get_all(&missing), None);
        assert_eq!(
            parse_get_all(&recorded("a\nb\n")),
            Some(vec!["a".into(), "b".into()])
        );
        let m = parse_get_regexp(&recorded(
            "color.ui auto\ncolor.diff true\ncolor.diff also this\nflag\n",
        ));
        assert_eq!(m["color.diff"], ["true", "also this"]);
        assert_eq!(m.len(), 2);
        let e = get_regexp_command(
            &Scope::Local("/r".into()),
            "^color\\..+$",
            None,
            Some("bob"),
        );
        assert_eq!(e.cmd, "git config --local --get-regexp '^color\\..+$'");
        assert_eq!(
            (e.cwd.as_deref(), e.runas.as_deref()),
            (Some("/r"), Some("bob"))
        );
    }
}
