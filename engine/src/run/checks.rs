//! `onlyif`, `unless` and `creates`: read-only checks run on the host just
//! before a state, in test runs too. Commands run with the state's own
//! `runas`, `cwd`, `env` and `shell`, as Salt passes them.
//!
//! Salt's module form (`- fun: file.file_exists` and its arguments) runs
//! the execution function's equivalent on the host and judges it as Salt
//! does: a `cmd.*` function that exits non-zero is false; otherwise the
//! truth of what the function returns (`get_return` looks into it), so
//! `cmd.retcode` returning 0 is false, and `cmd.run` printing nothing too.
//! As in Salt, `cmd.*` commands are not given to a shell unless they say
//! `python_shell: True`.

use serde_json::{json, Value};

use crate::compile::FunCheck;
use crate::functions::Ctx;
use crate::transport::shell::quote;
use crate::transport::Exec;

/// Why the state should not run, or `None` to run it.
pub(super) async fn skip(ctx: &Ctx<'_>) -> Option<String> {
    let checks = &ctx.chunk.checks;
    if checks.is_empty() {
        return None;
    }
    for cmd in &checks.onlyif {
        if !succeeds(ctx, cmd).await {
            return Some("onlyif condition is false".into());
        }
    }
    for check in &checks.onlyif_fun {
        if !holds(ctx, check).await {
            return Some("onlyif condition is false".into());
        }
    }
    if !checks.unless.is_empty() || !checks.unless_fun.is_empty() {
        let mut all = true;
        for cmd in &checks.unless {
            if !succeeds(ctx, cmd).await {
                all = false;
                break;
            }
        }
        for check in checks.unless_fun.iter().filter(|_| all) {
            if !holds(ctx, check).await {
                all = false;
                break;
            }
        }
        if all {
            return Some("unless condition is true".into());
        }
    }
    if !checks.creates.is_empty() {
        let mut all = true;
        for path in &checks.creates {
            if !ctx.host.file(path).await.is_ok_and(|f| f.exists()) {
                all = false;
                break;
            }
        }
        if all {
            return Some(match checks.creates.as_slice() {
                [one] => format!("{one} exists"),
                _ => "All files in creates exist".into(),
            });
        }
    }
    None
}

async fn succeeds(ctx: &Ctx<'_>, cmd: &str) -> bool {
    let arg = |k: &str| ctx.chunk.arg(k).and_then(|n| n.scalar_string());
    let mut exec = Exec::new(cmd)
        .runas(arg("runas").as_deref())
        .cwd(arg("cwd").as_deref());
    if let Some(shell) = arg("shell") {
        exec.shell = shell;
    }
    if let Some(env) = ctx.chunk.arg("env") {
        exec.env = crate::functions::env_pairs(Some(&env.to_json())).unwrap_or_default();
    }
    ctx.host.status(&exec).await.is_ok_and(|code| code == 0)
}

/// Whether an execution function's check holds on the host. A check that
/// cannot run (the host unreachable) does not hold.
async fn holds(ctx: &Ctx<'_>, check: &FunCheck) -> bool {
    let Some(exec) = command(check) else {
        return truthy(&call_pure(check));
    };
    let Ok(out) = ctx.host.exec(&exec).await else {
        return false;
    };
    let result = match check.fun.as_str() {
        "cmd.run" | "cmd.run_stdout" | "cmd.run_all" | "cmd.retcode" => {
            // Salt judges a failed command by its exit code alone.
            if out.code != 0 && !truthy(check.kwargs.get("ignore_retcode").unwrap_or(&Value::Null))
            {
                return false;
            }
            match check.fun.as_str() {
                "cmd.run" | "cmd.run_stdout" => json!(out.stdout.trim_end()),
                "cmd.retcode" => json!(out.code),
                _ => json!({
                    "pid": out.pid.unwrap_or(0),
                    "retcode": out.code,
                    "stdout": out.stdout.trim_end(),
                    "stderr": out.stderr.trim_end(),
                }),
            }
        }
        _ => json!(out.code == 0),
    };
    truthy(&returned(&result, check.get_return.as_deref()))
}

/// What a function without a command returns (`test.true`...).
fn call_pure(check: &FunCheck) -> Value {
    json!(check.fun == "test.true")
}

/// The command standing for `check` on the host; `None` for a function
/// that needs none.
fn command(check: &FunCheck) -> Option<Exec> {
    let arg = |i: usize, key: &str| {
        check
            .kwargs
            .get(key)
            .or_else(|| check.args.get(i))
            .map(text)
            .unwrap_or_default()
    };
    let test = |flag: &str| Exec::new(format!("test {flag} {}", path(&arg(0, "path"))));
    Some(match check.fun.as_str() {
        "file.file_exists" => test("-f"),
        "file.directory_exists" => test("-d"),
        "file.is_link" => test("-L"),
        "cmd.run" | "cmd.run_stdout" | "cmd.run_all" | "cmd.retcode" => {
            let cmd = arg(0, "cmd");
            let shell = check.kwargs.get("python_shell").is_some_and(truthy);
            let line = if shell { cmd } else { words(&cmd) };
            let kw = |k: &str| check.kwargs.get(k).map(text);
            let mut exec = Exec::new(line)
                .runas(kw("runas").as_deref())
                .cwd(kw("cwd").as_deref());
            if let Some(s) = kw("shell") {
                exec.shell = s;
            }
            exec.env = crate::functions::env_pairs(check.kwargs.get("env")).unwrap_or_default();
            if check.fun == "cmd.run" {
                // cmd.run returns stderr with stdout (redirect_stderr).
                exec.cmd = crate::transport::shell::merged(&exec.cmd);
            }
            exec
        }
        _ => return None,
    })
}

/// A path as Salt's `os.path.expanduser` reads it: `~` and `~user`
/// expanded by the shell, the rest quoted.
fn path(p: &str) -> String {
    match p.strip_prefix('~') {
        Some(rest) => {
            let (user, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                format!(
                    "~{user}{}",
                    if tail.is_empty() {
                        String::new()
                    } else {
                        quote(tail)
                    }
                )
            } else {
                quote(p)
            }
        }
        None => quote(p),
    }
}

/// `cmd` split into words as Python's `shlex.split` does, each quoted for
/// the shell: Salt runs it without a shell.
fn words(cmd: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = cur.take() {
                    out.push(w);
                }
            }
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(n @ ('\\' | '"' | '$' | '`' | '\n')) => w.push(n),
                            Some(n) => {
                                w.push('\\');
                                w.push(n);
                            }
                            None => w.push('\\'),
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.get_or_insert_with(String::new).push(n);
                }
            }
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(cur);
    out.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `get_return`: a colon-separated path into the result (Salt's
/// `traverse_dict_and_list`).
fn returned(result: &Value, path: Option<&str>) -> Value {
    let Some(path) = path else {
        return result.clone();
    };
    let mut cur = result;
    for key in path.split(':') {
        let next = match cur {
            Value::Object(m) => m.get(key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return Value::Null,
        }
    }
    cur.clone()
}

/// Python's truth of a value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

#[cfg(test)]
mod tests;
