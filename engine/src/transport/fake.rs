//! A recording fake host for unit tests: files in a map, commands answered
//! from a table, every call kept in order. No process, no file system.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Exec, FileFact, FileKind, Output, Transport, TransportError, WriteFile};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Call {
    Exec(Exec),
    Read(Vec<String>),
    Write(WriteFile),
}

#[derive(Default)]
pub(crate) struct Fake {
    files: Mutex<BTreeMap<String, FileFact>>,
    answers: Mutex<Vec<(String, Output)>>,
    /// Answers given in turn, the last one for good.
    turns: Mutex<Vec<(String, Vec<Output>)>>,
    calls: Mutex<Vec<Call>>,
}

impl Fake {
    pub(crate) fn new() -> Fake {
        Fake::default()
    }

    /// A regular file owned by root, mode 0644.
    pub(crate) fn file(self, path: &str, content: &str) -> Fake {
        self.file_with(path, content, 0o644, "root", "root")
    }

    pub(crate) fn file_with(
        self,
        path: &str,
        content: &str,
        mode: u32,
        user: &str,
        group: &str,
    ) -> Fake {
        let fact = FileFact {
            path: path.into(),
            kind: FileKind::File,
            mode,
            user: user.into(),
            group: group.into(),
            size: content.len() as u64,
            content: Some(content.as_bytes().to_vec()),
        };
        self.files.lock().unwrap().insert(path.into(), fact);
        self
    }

    pub(crate) fn dir(self, path: &str) -> Fake {
        let fact = FileFact {
            kind: FileKind::Directory,
            mode: 0o755,
            user: "root".into(),
            group: "root".into(),
            content: None,
            ..FileFact::missing(path)
        };
        self.files.lock().unwrap().insert(path.into(), fact);
        self
    }

    /// Answer commands whose line starts with `prefix` (the longest
    /// matching prefix wins); unknown commands succeed silently.
    pub(crate) fn answer(self, prefix: &str, code: i32, stdout: &str) -> Fake {
        let out = Output {
            code,
            stdout: stdout.into(),
            stderr: String::new(),
            pid: Some(4242),
        };
        self.answers.lock().unwrap().push((prefix.into(), out));
        self
    }

    /// Answer commands that start with `prefix` with `outs`, one per call,
    /// then the last one for good (a server that catches up, say). Wins
    /// over `answer`.
    pub(crate) fn answers_in_turn(self, prefix: &str, outs: &[(i32, &str)]) -> Fake {
        let outs = outs
            .iter()
            .map(|(code, stdout)| Output {
                code: *code,
                stdout: stdout.to_string(),
                stderr: String::new(),
                pid: Some(4242),
            })
            .collect();
        self.turns.lock().unwrap().push((prefix.into(), outs));
        self
    }

    /// Commands starting with `prefix` fail with `stderr`.
    pub(crate) fn failing(self, prefix: &str, code: i32, stderr: &str) -> Fake {
        let out = Output {
            code,
            stdout: String::new(),
            stderr: stderr.into(),
            pid: Some(4242),
        };
        self.answers.lock().unwrap().push((prefix.into(), out));
        self
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The command lines run so far.
    pub(crate) fn commands(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Exec(e) => Some(e.cmd),
                _ => None,
            })
            .collect()
    }

    /// The calls that change the host (writes, and commands not in `probes`).
    pub(crate) fn writes(&self) -> Vec<WriteFile> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Write(w) => Some(w),
                _ => None,
            })
            .collect()
    }
}

#[async_trait]
impl Transport for Fake {
    async fn exec(&self, exec: &Exec) -> Result<Output, TransportError> {
        self.calls.lock().unwrap().push(Call::Exec(exec.clone()));
        let mut turns = self.turns.lock().unwrap();
        if let Some((_, outs)) = turns
            .iter_mut()
            .filter(|(prefix, _)| exec.cmd.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
        {
            let out = if outs.len() > 1 {
                outs.remove(0)
            } else {
                outs[0].clone()
            };
            return Ok(out);
        }
        let answers = self.answers.lock().unwrap();
        let best = answers
            .iter()
            .filter(|(prefix, _)| exec.cmd.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len());
        Ok(best.map(|(_, out)| out.clone()).unwrap_or(Output {
            pid: Some(4242),
            ..Output::default()
        }))
    }

    async fn read_files(&self, paths: &[String]) -> Result<Vec<FileFact>, TransportError> {
        self.calls.lock().unwrap().push(Call::Read(paths.to_vec()));
        let files = self.files.lock().unwrap();
        Ok(paths
            .iter()
            .map(|p| {
                files
                    .get(p)
                    .cloned()
                    .unwrap_or_else(|| FileFact::missing(p))
            })
            .collect())
    }

    async fn write_file(&self, write: &WriteFile) -> Result<(), TransportError> {
        self.calls.lock().unwrap().push(Call::Write(write.clone()));
        let mut files = self.files.lock().unwrap();
        let old = files.get(&write.path).cloned();
        let fact = FileFact {
            path: write.path.clone(),
            kind: FileKind::File,
            mode: write.mode.or(old.as_ref().map(|o| o.mode)).unwrap_or(0o644),
            user: write
                .user
                .clone()
                .or(old.as_ref().map(|o| o.user.clone()))
                .unwrap_or("root".into()),
            group: write
                .group
                .clone()
                .or(old.as_ref().map(|o| o.group.clone()))
                .unwrap_or("root".into()),
            size: write.content.len() as u64,
            content: Some(write.content.clone()),
        };
        files.insert(write.path.clone(), fact);
        Ok(())
    }
}
