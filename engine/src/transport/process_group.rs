//! Commands run as the leaders of their own process groups, so that a
//! timeout ends the command and everything it started, not only its shell.
//! Shared by the spawning path (`local`) and the kept shell (`session`).

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// End process group `pgid` (a command spawned as its leader): the
/// command and everything it started. A group already gone is no error.
pub(super) fn kill(pgid: u32) {
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
}
