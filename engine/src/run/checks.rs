//! `onlyif`, `unless` and `creates`: read-only checks run on the host just
//! before a state, in test runs too. They run with the state's own `runas`,
//! `cwd`, `env` and `shell`, as Salt passes them.

use crate::functions::Ctx;
use crate::transport::Exec;

/// Why the state should not run, or `None` to run it.
pub async fn skip(ctx: &Ctx<'_>) -> Option<String> {
    let checks = &ctx.chunk.checks;
    if checks.is_empty() {
        return None;
    }
    for cmd in &checks.onlyif {
        if !succeeds(ctx, cmd).await {
            return Some("onlyif condition is false".into());
        }
    }
    if !checks.unless.is_empty() {
        let mut all = true;
        for cmd in &checks.unless {
            if !succeeds(ctx, cmd).await {
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
