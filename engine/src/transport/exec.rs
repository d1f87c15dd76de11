//! A command to run on a host, and what it returned.

use super::TransportError;

/// A shell command line and how to run it. Its environment's values and
/// its stdin (where passwords travel) never show in a debug print.
#[derive(Clone, PartialEq)]
pub struct Exec {
    /// The command line, given to `shell -c`.
    pub cmd: String,
    pub shell: String,
    pub runas: Option<String>,
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Option<Vec<u8>>,
    /// Seconds; `None` takes the transport's default.
    pub timeout: Option<u64>,
}

impl std::fmt::Debug for Exec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(k, _)| format!("{k}=<hidden>"))
            .collect();
        f.debug_struct("Exec")
            .field("cmd", &self.cmd)
            .field("shell", &self.shell)
            .field("runas", &self.runas)
            .field("cwd", &self.cwd)
            .field("env", &env)
            .field(
                "stdin",
                &self.stdin.as_ref().map(|s| format!("<{} bytes>", s.len())),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub pid: Option<u32>,
}

impl Exec {
    pub fn new(cmd: impl Into<String>) -> Exec {
        Exec {
            cmd: cmd.into(),
            shell: "/bin/bash".into(),
            runas: None,
            cwd: None,
            env: Vec::new(),
            stdin: None,
            timeout: None,
        }
    }

    pub fn runas(mut self, user: Option<&str>) -> Exec {
        self.runas = user.map(str::to_string);
        self
    }

    pub fn cwd(mut self, dir: Option<&str>) -> Exec {
        self.cwd = dir.map(str::to_string);
        self
    }

    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Exec {
        self.stdin = Some(data.into());
        self
    }

    pub fn timeout(mut self, seconds: Option<u64>) -> Exec {
        self.timeout = seconds;
        self
    }

    /// The error for this command still running after `seconds`.
    pub fn timed_out(&self, seconds: u64) -> TransportError {
        TransportError::Timeout {
            what: format!("`{}`", self.cmd),
            seconds,
        }
    }
}

impl Output {
    /// A command's end, its output as text (bytes that are not UTF-8
    /// replaced, as Salt decodes them).
    pub fn decode(code: i32, stdout: &[u8], stderr: &[u8], pid: Option<u32>) -> Output {
        Output {
            code,
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
            pid,
        }
    }

    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// stdout without its trailing newline, as Salt reports it.
    pub fn stdout_trimmed(&self) -> &str {
        self.stdout.strip_suffix('\n').unwrap_or(&self.stdout)
    }

    pub fn stderr_trimmed(&self) -> &str {
        self.stderr.strip_suffix('\n').unwrap_or(&self.stderr)
    }
}
