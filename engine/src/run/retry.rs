//! Salt's `retry`: a state whose result is not `until` runs again, after
//! `interval` seconds and up to `splay` more, `attempts` times in all;
//! each earlier attempt is told in the comment. A test run does not
//! retry: its comment says what a real run would do.

use std::future::Future;
use std::time::Duration;

use crate::compile::Retry;
use crate::result::Outcome;

/// `attempt` run as `retry` says (once without one).
pub(super) async fn retried<F, Fut>(retry: Option<Retry>, test: bool, attempt: F) -> Outcome
where
    F: Fn() -> Fut,
    Fut: Future<Output = Outcome>,
{
    let mut out = attempt().await;
    let Some(r) = retry else {
        return out;
    };
    if test {
        out.comment = format!(
            "{}  The state would be retried every {} seconds (with a splay of up to {} seconds) a maximum of {} times or until a result of {} is returned",
            out.comment,
            r.interval,
            r.splay,
            r.attempts,
            python(Some(r.until))
        );
        return out;
    }
    // Salt's lines, oldest first: `Attempt 1: Returned a result of
    // "False", with the following comment: "..."`, then the last comment.
    let mut told = Vec::new();
    let mut tries = 1;
    while out.result != Some(r.until) && r.attempts > tries {
        tokio::time::sleep(Duration::from_secs(r.interval + splay(r.splay))).await;
        told.push(format!(
            "Attempt {tries}: Returned a result of \"{}\", with the following comment: \"{}\"",
            python(out.result),
            out.comment
        ));
        out = attempt().await;
        tries += 1;
    }
    if !told.is_empty() {
        told.push(out.comment);
        out.comment = told.join("\n");
    }
    out
}

/// A result as Python prints it.
fn python(result: Option<bool>) -> &'static str {
    match result {
        Some(true) => "True",
        Some(false) => "False",
        None => "None",
    }
}

/// Up to `max` seconds, taken from the clock (spreading hosts apart is
/// all a splay is for).
fn splay(max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    nanos % (max + 1)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_state_runs_again_until_its_result_is_the_one_wanted() {
        let calls = AtomicUsize::new(0);
        let attempt = || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    Outcome::failed(format!("not yet {n}"))
                } else {
                    Outcome::ok("done")
                }
            }
        };
        let r = Retry {
            attempts: 5,
            interval: 0,
            ..Retry::default()
        };
        let out = rt().block_on(retried(Some(r), false, attempt));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(out.result, Some(true));
        assert_eq!(
            out.comment,
            "Attempt 1: Returned a result of \"False\", with the following comment: \"not yet 0\"\nAttempt 2: Returned a result of \"False\", with the following comment: \"not yet 1\"\ndone"
        );
    }

    #[test]
    fn attempts_count_the_first_run_and_a_test_run_only_says_so() {
        let calls = AtomicUsize::new(0);
        let attempt = || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Outcome::failed("no") }
        };
        let r = Retry {
            attempts: 2,
            interval: 0,
            ..Retry::default()
        };
        let out = rt().block_on(retried(Some(r), false, attempt));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(out.result, Some(false));
        let out = rt().block_on(retried(Some(Retry::default()), true, attempt));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            out.comment,
            "no  The state would be retried every 30 seconds (with a splay of up to 0 seconds) a maximum of 2 times or until a result of True is returned"
        );
    }
}
