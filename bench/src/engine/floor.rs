//! What this machine allows at best, measured the way converge works, to
//! read the other numbers against: writing N files atomically (a temporary
//! file, fsync, rename, as the local transport does) into a fresh target,
//! and starting `bash -c true` once per command state, one after another.
//! On a slow disk the first run's time is mostly the first of these.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

pub(crate) struct Floor {
    pub files: usize,
    pub files_seconds: f64,
    pub shells: usize,
    pub shells_seconds: f64,
}

/// Measure in `dir` (created; removed afterwards).
pub(super) fn measure(dir: &Path, files: usize, shells: usize) -> io::Result<Floor> {
    let started = Instant::now();
    for i in 0..files {
        let sub = dir.join(format!("d{}", i / 100));
        fs::create_dir_all(&sub)?;
        let tmp = sub.join(format!(".f{i}.conf.tmp"));
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)?;
        f.write_all(format!("# file {i}\n{}\n", "x".repeat(400)).as_bytes())?;
        f.sync_data()?;
        fs::rename(&tmp, sub.join(format!("f{i}.conf")))?;
    }
    let files_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for _ in 0..shells {
        Command::new("/bin/bash")
            .args(["-c", "true"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()?;
    }
    let shells_seconds = started.elapsed().as_secs_f64();
    fs::remove_dir_all(dir)?;
    Ok(Floor {
        files,
        files_seconds,
        shells,
        shells_seconds,
    })
}
