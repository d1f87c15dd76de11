//! Files on a host: what a read finds, what a write puts.

/// What a path is on the host, read in one probe.
#[derive(Clone, Debug, PartialEq)]
pub struct FileFact {
    pub path: String,
    pub kind: FileKind,
    /// Permission bits (e.g. 0o640); 0 when missing.
    pub mode: u32,
    pub user: String,
    pub group: String,
    pub size: u64,
    /// The content of a regular file.
    pub content: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Missing,
    File,
    Directory,
    Symlink,
    Other,
}

impl FileFact {
    pub fn missing(path: &str) -> FileFact {
        FileFact {
            path: path.to_string(),
            kind: FileKind::Missing,
            mode: 0,
            user: String::new(),
            group: String::new(),
            size: 0,
            content: None,
        }
    }

    pub fn exists(&self) -> bool {
        self.kind != FileKind::Missing
    }
}

/// Why a write cannot give the file to user (or group, when `group`)
/// `name`: there is none by that name. Worded as Salt words it, by every
/// transport.
pub(crate) fn no_such_owner(name: &str, group: bool) -> String {
    let what = if group { "Group" } else { "User" };
    format!("{what} {name} is not available")
}

/// Why a write without `makedirs` fails when its directory is missing:
/// Salt's own comment, which the state reports as it is. The ssh agent
/// (agent.sh) sends the same words.
pub(crate) const NO_PARENT: &str = "Parent directory not present";

/// A file to put in place atomically.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteFile {
    pub path: String,
    pub content: Vec<u8>,
    pub user: Option<String>,
    pub group: Option<String>,
    /// Permission bits; `None` keeps the current file's mode (0644 for a new one).
    pub mode: Option<u32>,
    /// Create missing parent directories.
    pub makedirs: bool,
}
