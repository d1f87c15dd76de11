//! One orchestration at a time per roster: a `flock` on a file named after
//! the roster, held for the whole run. The kernel lets it go when the
//! process ends, however it ends (a killed run leaves nothing to clean
//! up). The file says who holds it, so a second run refuses naming the
//! first.
//!
//! It guards orchestrations started from this machine; two controllers on
//! different machines would each take their own.

use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

pub(super) struct Held {
    _lock: Flock<File>,
}

fn path(roster: &Path) -> PathBuf {
    let canonical = roster
        .canonicalize()
        .unwrap_or_else(|_| roster.to_path_buf());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    canonical.hash(&mut h);
    let dir = Path::new("/run/lock");
    let dir = if dir.is_dir() {
        dir.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("converge-orchestrate-{:016x}.lock", h.finish()))
}

/// Take the lock for orchestration `name` on `roster`, or say who holds it.
pub(super) fn take(roster: &Path, name: &str) -> Result<Held, String> {
    let path = path(roster);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open the orchestration lock {}: {e}", path.display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(mut lock) => {
            let info = format!(
                "pid {} since {}: converge orchestrate {name} (roster {})\n",
                std::process::id(),
                crate::clock::now(),
                roster.display()
            );
            let _ = lock.set_len(0);
            let _ = lock.rewind();
            let _ = lock.write_all(info.as_bytes());
            Ok(Held { _lock: lock })
        }
        Err((mut file, _)) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            Err(format!(
                "another orchestration runs on this roster: {}; nothing was done",
                holder.trim()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_naming_the_first_and_the_lock_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let roster = dir.path().join("roster.yaml");
        std::fs::write(&roster, "h: {}\n").unwrap();
        let first = take(&roster, "failover").unwrap();
        let refused = take(&roster, "failover").err().unwrap();
        assert!(
            refused.contains(&format!("pid {} since", std::process::id()))
                && refused.contains("converge orchestrate failover"),
            "{refused}"
        );
        drop(first);
        assert!(take(&roster, "other").is_ok());
    }
}
