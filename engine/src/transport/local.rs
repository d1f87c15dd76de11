//! The `local` transport: this machine, without ssh (roster `connection: local`).
//!
//! Commands run as `shell -c cmd` in their own process group, so a timeout
//! ends the whole command; checks, whose output nobody reads, run in a
//! shell kept open for them (see `session`). Files are read and written
//! directly; a write goes to a temporary file beside the target (tempfile),
//! which is renamed over it.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use super::session::{Session, SessionError};
use super::{ids, process_group};
use super::{
    no_such_owner, Exec, FileFact, FileKind, Output, Transport, TransportError, WriteFile,
};

pub(crate) struct Local {
    /// Seconds a command may take when it sets no timeout of its own.
    pub timeout: u64,
    /// The shell that checks run in, started by the first check.
    session: tokio::sync::Mutex<Option<Session>>,
}

impl Local {
    pub(crate) fn new(timeout: u64) -> Local {
        Local {
            timeout,
            session: tokio::sync::Mutex::new(None),
        }
    }
}

/// `$HOME`, where a command without `cwd` runs (as Salt's `cmd.run` does).
fn home() -> Option<String> {
    std::env::var("HOME").ok().filter(|h| Path::new(h).is_dir())
}

#[async_trait]
impl Transport for Local {
    async fn exec(&self, exec: &Exec) -> Result<Output, TransportError> {
        let mut cmd = match &exec.runas {
            Some(user)
                if Path::new("/usr/sbin/runuser").exists()
                    || Path::new("/sbin/runuser").exists() =>
            {
                let mut c = tokio::process::Command::new("runuser");
                c.args(["-u", user, "--", &exec.shell, "-c", &exec.cmd]);
                c
            }
            Some(user) => {
                let mut c = tokio::process::Command::new("su");
                c.args(["-s", &exec.shell, "-c", &exec.cmd, user]);
                c
            }
            None => {
                let mut c = tokio::process::Command::new(&exec.shell);
                c.args(["-c", &exec.cmd]);
                c
            }
        };
        let home = match &exec.runas {
            Some(user) => ids::home_of(user),
            None => home(),
        };
        if let Some(dir) = exec.cwd.as_ref().or(home.as_ref()) {
            if exec.cwd.is_some() || Path::new(dir).is_dir() {
                cmd.current_dir(dir);
            }
        }
        cmd.envs(exec.env.iter().map(|(k, v)| (k, v)))
            .stdin(if exec.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| TransportError::Io {
            path: exec.shell.clone(),
            message: format!("cannot start: {e}"),
        })?;
        let pid = child.id();
        if let (Some(data), Some(mut stdin)) = (&exec.stdin, child.stdin.take()) {
            let data = data.clone();
            tokio::spawn(async move {
                let _ = stdin.write_all(&data).await;
            });
        }
        let seconds = exec.timeout.unwrap_or(self.timeout);
        match tokio::time::timeout(Duration::from_secs(seconds), child.wait_with_output()).await {
            Ok(Ok(out)) => Ok(Output::decode(
                out.status
                    .code()
                    .unwrap_or_else(|| 128 + signal_of(&out.status)),
                &out.stdout,
                &out.stderr,
                pid,
            )),
            Ok(Err(e)) => Err(TransportError::Broken(format!(
                "waiting for `{}`: {e}",
                exec.cmd
            ))),
            Err(_) => {
                if let Some(pid) = pid {
                    process_group::kill(pid);
                }
                Err(exec.timed_out(seconds))
            }
        }
    }

    /// A check as another user, elsewhere, with its own environment or
    /// input, or while another check holds the session, is spawned as usual.
    async fn status(&self, exec: &Exec) -> Result<i32, TransportError> {
        let plain = exec.runas.is_none()
            && exec.cwd.is_none()
            && exec.env.is_empty()
            && exec.stdin.is_none();
        let slot = if plain {
            self.session.try_lock().ok()
        } else {
            None
        };
        let Some(mut slot) = slot else {
            return self.exec(exec).await.map(|o| o.code);
        };
        if slot.as_ref().is_none_or(|s| s.shell != exec.shell) {
            *slot = Session::start(&exec.shell, home().as_deref()).ok();
        }
        let Some(session) = slot.as_mut() else {
            drop(slot);
            return self.exec(exec).await.map(|o| o.code);
        };
        let seconds = exec.timeout.unwrap_or(self.timeout);
        match session
            .status(&exec.cmd, Duration::from_secs(seconds))
            .await
        {
            Ok(code) => Ok(code),
            Err(SessionError::Timeout) => {
                *slot = None;
                Err(exec.timed_out(seconds))
            }
            // The command ended the shell itself: run it again on its own,
            // as it would have run without a session.
            Err(SessionError::Lost(_)) => {
                *slot = None;
                drop(slot);
                self.exec(exec).await.map(|o| o.code)
            }
        }
    }

    async fn close(&self) {
        self.session.lock().await.take();
    }

    async fn read_files(&self, paths: &[String]) -> Result<Vec<FileFact>, TransportError> {
        let paths = paths.to_vec();
        tokio::task::spawn_blocking(move || paths.iter().map(|p| read_one(p)).collect())
            .await
            .map_err(|e| TransportError::Broken(e.to_string()))?
    }

    async fn write_file(&self, write: &WriteFile) -> Result<(), TransportError> {
        let write = write.clone();
        tokio::task::spawn_blocking(move || write_atomically(&write))
            .await
            .map_err(|e| TransportError::Broken(e.to_string()))?
    }
}

fn signal_of(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().unwrap_or(0)
}

fn io_err(path: &str, e: impl std::fmt::Display) -> TransportError {
    TransportError::Io {
        path: path.to_string(),
        message: e.to_string(),
    }
}

pub(crate) fn read_one(path: &str) -> Result<FileFact, TransportError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileFact::missing(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            return Ok(FileFact::missing(path))
        }
        Err(e) => return Err(io_err(path, e)),
    };
    let ft = meta.file_type();
    let kind = if ft.is_file() {
        FileKind::File
    } else if ft.is_dir() {
        FileKind::Directory
    } else if ft.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::Other
    };
    let content = match kind {
        FileKind::File => Some(std::fs::read(path).map_err(|e| io_err(path, e))?),
        _ => None,
    };
    Ok(FileFact {
        path: path.to_string(),
        kind,
        mode: meta.mode() & 0o7777,
        user: ids::name_of(meta.uid(), false),
        group: ids::name_of(meta.gid(), true),
        size: meta.size(),
        content,
    })
}

/// Resolve `user`/`group` names to ids, or say which one does not exist.
pub(crate) fn owner_ids(
    write_path: &str,
    user: Option<&str>,
    group: Option<&str>,
) -> Result<(Option<u32>, Option<u32>), TransportError> {
    let id = |name: Option<&str>, group: bool| match name {
        Some(n) => ids::id_of(n, group)
            .map(Some)
            .ok_or_else(|| io_err(write_path, no_such_owner(n, group))),
        None => Ok(None),
    };
    Ok((id(user, false)?, id(group, true)?))
}

fn write_atomically(w: &WriteFile) -> Result<(), TransportError> {
    let path = Path::new(&w.path);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io_err(&w.path, "not a file path"))?;
    if w.makedirs {
        std::fs::create_dir_all(dir).map_err(|e| io_err(&w.path, e))?;
    }
    if !dir.is_dir() {
        return Err(io_err(&w.path, super::NO_PARENT));
    }
    let (uid, gid) = owner_ids(&w.path, w.user.as_deref(), w.group.as_deref())?;
    let existing = std::fs::metadata(path).ok();
    let mode = w
        .mode
        .or(existing.as_ref().map(|m| m.mode() & 0o7777))
        .unwrap_or(0o644);
    // Made 0600 and removed if anything below fails (the temporary file's
    // drop); only a complete file, owner and mode set, is renamed over the
    // target.
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".converge-");
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempfile_in(dir)
        .map_err(|e| io_err(&w.path, e))?;
    let f = tmp.as_file_mut();
    f.write_all(&w.content).map_err(|e| io_err(&w.path, e))?;
    // Ownership as asked, else that of the file being replaced.
    let keep = existing.as_ref().map(|m| (m.uid(), m.gid()));
    let (u, g) = (uid.or(keep.map(|k| k.0)), gid.or(keep.map(|k| k.1)));
    if u.is_some() || g.is_some() {
        std::os::unix::fs::fchown(&*f, u, g).map_err(|e| io_err(&w.path, e))?;
    }
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| io_err(&w.path, e))?;
    f.sync_data().map_err(|e| io_err(&w.path, e))?;
    tmp.persist(path).map_err(|e| io_err(&w.path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::runtime as rt;
    use crate::transport::held::killed_on_timeout;

    #[test]
    fn exec_captures_output_code_and_env() {
        let mut e = Exec::new("echo out; echo err >&2; echo $GREETING; exit 3");
        e.env.push(("GREETING".into(), "hi there".into()));
        let out = rt().block_on(Local::new(10).exec(&e)).unwrap();
        assert_eq!(out.code, 3);
        assert_eq!(out.stdout, "out\nhi there\n");
        assert_eq!(out.stderr, "err\n");
        assert!(out.pid.is_some());
    }

    #[test]
    fn exec_times_out_and_kills_the_group() {
        let local = &Local::new(600);
        rt().block_on(killed_on_timeout(move |hold, seconds| async move {
            let e = Exec::new(format!("{hold}; sleep 600 & sleep 600")).timeout(Some(seconds));
            let err = local.exec(&e).await.unwrap_err();
            assert_eq!(err, e.timed_out(seconds));
        }));
    }

    #[test]
    fn checks_run_in_the_kept_shell_with_the_status_of_their_own_shell() {
        let local = Local::new(10);
        let rt = rt();
        assert_eq!(rt.block_on(local.status(&Exec::new("true"))), Ok(0));
        assert_eq!(rt.block_on(local.status(&Exec::new("exit 3"))), Ok(3));
        assert!(rt.block_on(local.session.lock()).is_some());
        // Not plain: spawned as usual, with the same answers.
        let mut e = Exec::new("test \"$A\" = 1 && test \"$PWD\" = /").cwd(Some("/"));
        e.env.push(("A".into(), "1".into()));
        assert_eq!(rt.block_on(local.status(&e)), Ok(0));
        // A command that ends the kept shell is run again on its own.
        assert_eq!(rt.block_on(local.status(&Exec::new("kill -9 $$"))), Ok(137));
        assert_eq!(rt.block_on(local.status(&Exec::new("true"))), Ok(0));
        let err = rt
            .block_on(local.status(&Exec::new("sleep 30").timeout(Some(1))))
            .unwrap_err();
        assert!(
            matches!(err, TransportError::Timeout { seconds: 1, .. }),
            "{err}"
        );
        rt.block_on(local.close());
        assert!(rt.block_on(local.session.lock()).is_none());
    }

    #[test]
    fn writes_atomically_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub dir/it's a file").display().to_string();
        let local = Local::new(10);
        let w = WriteFile {
            path: path.clone(),
            content: b"x = 'y'\n".to_vec(),
            user: Some("root".into()),
            group: None,
            mode: Some(0o640),
            makedirs: true,
        };
        rt().block_on(local.write_file(&w)).unwrap();
        let facts = rt()
            .block_on(local.read_files(&[path.clone(), format!("{path}.missing")]))
            .unwrap();
        assert_eq!(facts[0].kind, FileKind::File);
        assert_eq!(facts[0].mode, 0o640);
        assert_eq!(facts[0].user, "root");
        assert_eq!(facts[0].content.as_deref(), Some(&b"x = 'y'\n"[..]));
        assert_eq!(facts[1].kind, FileKind::Missing);
        // Nothing but the file itself is left in the directory.
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("sub dir"))
            .unwrap()
            .collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn unknown_user_fails_the_write_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f").display().to_string();
        let w = WriteFile {
            path: path.clone(),
            content: b"x".to_vec(),
            user: Some("no-such-user-here".into()),
            group: None,
            mode: None,
            makedirs: false,
        };
        let err = rt().block_on(Local::new(10).write_file(&w)).unwrap_err();
        assert!(
            err.to_string()
                .contains("User no-such-user-here is not available"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
