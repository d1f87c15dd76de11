//! The agent's wire format, both ways, as pure functions over bytes.
//!
//! A request is a header line `NONCE OP COUNT`, COUNT fields each ended by a
//! NUL byte, then the op's raw payload (a command's stdin, a file's content)
//! whose size is one of the fields. Replies are framed by sizes the agent
//! measured (with `stat`), never by looking for a delimiter inside data, so
//! any byte survives, NUL included. Text in the replies (headers, `stat`
//! records, error messages) never holds a NUL or a newline of its own.
//!
//! Replies:
//! - `converge-agent NONCE PID\n`: the agent is ready.
//! - `P<pid>\n`: a command started, in its own process group.
//! - `X<code> <stdout size> <stderr size>\n<stdout><stderr>`: it ended.
//! - `F<kinds>\n<stat records>.\n<contents>`: files read (see [`files`]).
//! - `W\n`: a file was written.
//! - `E<path>\0<message>\0`: the request failed; `D...` the same, and the
//!   agent has stopped because it could not stay in step.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

use crate::transport::{FileFact, FileKind, WriteFile};

pub(super) const HELLO: &str = "converge-agent";

/// Lines a login shell may print before the agent greets (a chatty rc file).
const NOISE_LINES: usize = 200;

#[derive(Debug)]
pub(super) enum Request<'a> {
    Exec {
        line: &'a str,
        stdin: Option<&'a [u8]>,
    },
    Read {
        paths: &'a [String],
    },
    Write(&'a WriteFile),
}

/// A field that cannot cross: the agent's fields (and any path, argument or
/// environment value on Unix) cannot hold a NUL byte.
#[derive(Debug, PartialEq)]
pub(super) struct NulInField(pub String);

impl Request<'_> {
    pub(super) fn encode(&self, nonce: &str) -> Result<Vec<u8>, NulInField> {
        let (op, fields, payload): (char, Vec<String>, &[u8]) = match self {
            Request::Exec { line, stdin } => (
                'x',
                vec![
                    line.to_string(),
                    stdin.map(|s| s.len().to_string()).unwrap_or_default(),
                ],
                stdin.unwrap_or_default(),
            ),
            Request::Read { paths } => ('r', paths.to_vec(), &[]),
            Request::Write(w) => (
                'w',
                vec![
                    w.path.clone(),
                    if w.makedirs { "1" } else { "0" }.to_string(),
                    w.user.clone().unwrap_or_default(),
                    w.group.clone().unwrap_or_default(),
                    w.mode
                        .map(|m| format!("{:o}", m & 0o7777))
                        .unwrap_or_default(),
                    w.content.len().to_string(),
                ],
                &w.content,
            ),
        };
        let mut out = format!("{nonce} {op} {}\n", fields.len()).into_bytes();
        for f in fields {
            if f.contains('\0') {
                return Err(NulInField(f));
            }
            out.extend_from_slice(f.as_bytes());
            out.push(0);
        }
        out.extend_from_slice(payload);
        Ok(out)
    }
}

#[derive(Debug)]
pub(super) enum ProtocolError {
    /// The stream ended: the agent, or the connection under it, is gone.
    Closed,
    Io(std::io::Error),
    /// Bytes that are not the reply expected: the stream is out of step.
    Garbled(String),
    /// The agent gave up (a `D` reply) and said why.
    Stopped(String),
}

impl From<std::io::Error> for ProtocolError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe => {
                ProtocolError::Closed
            }
            _ => ProtocolError::Io(e),
        }
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolError::Closed => write!(f, "the channel closed"),
            ProtocolError::Io(e) => write!(f, "{e}"),
            ProtocolError::Garbled(m) => write!(f, "unreadable answer: {m}"),
            ProtocolError::Stopped(m) => write!(f, "{m}"),
        }
    }
}

/// The agent said no to one request (`E`), or to it and to any other (`D`).
#[derive(Debug, PartialEq)]
pub(super) struct Refusal {
    pub path: String,
    pub message: String,
    pub fatal: bool,
}

pub(super) type Reply<T> = Result<Result<T, Refusal>, ProtocolError>;

/// A command's end, as `wait` reported it (128 + N for signal N).
#[derive(Debug, PartialEq)]
pub(super) struct Finished {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// What a read found; `Changed` when a file changed between the agent's
/// `stat` and its `cat` (the sizes disagree), so the read is worth repeating.
#[derive(Debug, PartialEq)]
pub(super) enum Files {
    Read(Vec<FileFact>),
    Changed,
}

/// Wait for the greeting and return the agent's pid.
pub(super) async fn hello<R: AsyncBufRead + Unpin>(
    r: &mut R,
    nonce: &str,
) -> Result<u32, ProtocolError> {
    let mut noise = Vec::new();
    for _ in 0..NOISE_LINES {
        let line = line(r).await?;
        let mut words = line.split(' ');
        if words.next() == Some(HELLO) {
            if words.next() != Some(nonce) {
                return Err(ProtocolError::Garbled(format!(
                    "greeting for another session: {line}"
                )));
            }
            return number(words.next(), &line);
        }
        noise.push(line);
    }
    Err(ProtocolError::Garbled(format!(
        "no greeting, only: {}",
        noise.join(" | ")
    )))
}

/// The pid of the command that just started.
pub(super) async fn started<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<u32, ProtocolError> {
    expect_tag(r, b'P').await?;
    let line = line(r).await?;
    number(Some(&line), &line)
}

pub(super) async fn finished<R: AsyncBufRead + Unpin>(
    r: &mut R,
) -> Result<Finished, ProtocolError> {
    expect_tag(r, b'X').await?;
    let line = line(r).await?;
    let mut words = line.split(' ');
    let code: i32 = number(words.next(), &line)?;
    let out: usize = number(words.next(), &line)?;
    let err: usize = number(words.next(), &line)?;
    Ok(Finished {
        code,
        stdout: exactly(r, out).await?,
        stderr: exactly(r, err).await?,
    })
}

/// A read's reply. `F` is followed by one letter per path asked (`m`
/// missing, `f` regular file whose content follows, `o` anything else that
/// exists), one `stat` record (`%f %u %g %s %U %G`: raw mode in hex, uid,
/// gid, size, user, group) per existing path plus a last one for the
/// agent's file that holds all the contents, a `.` line, then that file.
pub(super) async fn files<R: AsyncBufRead + Unpin>(r: &mut R, paths: &[String]) -> Reply<Files> {
    match tag(r).await? {
        b'F' => {}
        t @ (b'E' | b'D') => return Ok(Err(refusal(r, t).await?)),
        t => return Err(unexpected(t, "F")),
    }
    let kinds = line(r).await?;
    if kinds.len() != paths.len() || !kinds.bytes().all(|k| b"mfo".contains(&k)) {
        return Err(ProtocolError::Garbled(format!(
            "{} paths asked, kinds {kinds:?}",
            paths.len()
        )));
    }
    let mut records = Vec::new();
    loop {
        let l = line(r).await?;
        if l == "." {
            break;
        }
        records.push(Record::parse(&l)?);
    }
    let all = records
        .pop()
        .ok_or_else(|| ProtocolError::Garbled("no record for the contents".into()))?;
    let contents = exactly(r, all.size as usize).await?;
    Ok(Ok(assemble(paths, &kinds, &records, contents)))
}

pub(super) async fn written<R: AsyncBufRead + Unpin>(r: &mut R) -> Reply<()> {
    match tag(r).await? {
        b'W' => {
            let rest = line(r).await?;
            if rest.is_empty() {
                Ok(Ok(()))
            } else {
                Err(ProtocolError::Garbled(format!("W{rest}")))
            }
        }
        t @ (b'E' | b'D') => Ok(Err(refusal(r, t).await?)),
        t => Err(unexpected(t, "W")),
    }
}

/// One `stat --printf '%f %u %g %s %U %G\n'` record.
#[derive(Debug, PartialEq)]
struct Record {
    raw_mode: u32,
    size: u64,
    user: String,
    group: String,
}

impl Record {
    fn parse(line: &str) -> Result<Record, ProtocolError> {
        let bad = || ProtocolError::Garbled(format!("stat record {line:?}"));
        let w: Vec<&str> = line.splitn(6, ' ').collect();
        if w.len() != 6 {
            return Err(bad());
        }
        let raw_mode = u32::from_str_radix(w[0], 16).map_err(|_| bad())?;
        let size = w[3].parse().map_err(|_| bad())?;
        // stat prints UNKNOWN for an id without a name; keep the number, as
        // the local transport does.
        let name = |n: &str, id: &str| {
            if n == "UNKNOWN" {
                id.to_string()
            } else {
                n.to_string()
            }
        };
        Ok(Record {
            raw_mode,
            size,
            user: name(w[4], w[1]),
            group: name(w[5], w[2]),
        })
    }

    fn kind(&self) -> FileKind {
        match self.raw_mode & 0o170000 {
            0o100000 => FileKind::File,
            0o040000 => FileKind::Directory,
            0o120000 => FileKind::Symlink,
            _ => FileKind::Other,
        }
    }
}

/// Facts from the kinds, records and contents; `Changed` unless they agree.
fn assemble(paths: &[String], kinds: &str, records: &[Record], contents: Vec<u8>) -> Files {
    let existing = kinds.bytes().filter(|&k| k != b'm').count();
    if records.len() != existing {
        return Files::Changed;
    }
    let sizes: u64 = kinds
        .bytes()
        .filter(|&k| k != b'm')
        .zip(records)
        .filter(|(k, _)| *k == b'f')
        .map(|(_, r)| r.size)
        .sum();
    if sizes != contents.len() as u64 {
        return Files::Changed;
    }
    let mut records = records.iter();
    let mut offset = 0usize;
    let mut facts = Vec::with_capacity(paths.len());
    for (path, k) in paths.iter().zip(kinds.bytes()) {
        let Some(rec) = (k != b'm').then(|| records.next()).flatten() else {
            facts.push(FileFact::missing(path));
            continue;
        };
        if (k == b'f') != (rec.kind() == FileKind::File) {
            return Files::Changed;
        }
        let content = (k == b'f').then(|| {
            let c = contents[offset..offset + rec.size as usize].to_vec();
            offset += rec.size as usize;
            c
        });
        facts.push(FileFact {
            path: path.clone(),
            kind: rec.kind(),
            mode: rec.raw_mode & 0o7777,
            user: rec.user.clone(),
            group: rec.group.clone(),
            size: rec.size,
            content,
        });
    }
    Files::Read(facts)
}

async fn tag<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<u8, ProtocolError> {
    Ok(r.read_u8().await?)
}

/// The tag `want`; a `D` in its place is the agent giving up.
async fn expect_tag<R: AsyncBufRead + Unpin>(r: &mut R, want: u8) -> Result<(), ProtocolError> {
    match tag(r).await? {
        t if t == want => Ok(()),
        b'D' => Err(ProtocolError::Stopped(refusal(r, b'D').await?.message)),
        t => Err(unexpected(t, &(want as char).to_string())),
    }
}

fn unexpected(t: u8, want: &str) -> ProtocolError {
    ProtocolError::Garbled(format!("expected {want}, got {:?}", t as char))
}

async fn refusal<R: AsyncBufRead + Unpin>(r: &mut R, tag: u8) -> Result<Refusal, ProtocolError> {
    Ok(Refusal {
        path: until(r, 0).await?,
        message: until(r, 0).await?,
        fatal: tag == b'D',
    })
}

/// A line without its newline.
async fn line<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<String, ProtocolError> {
    until(r, b'\n').await
}

async fn until<R: AsyncBufRead + Unpin>(r: &mut R, end: u8) -> Result<String, ProtocolError> {
    let mut buf = Vec::new();
    r.read_until(end, &mut buf).await?;
    if buf.pop() != Some(end) {
        return Err(ProtocolError::Closed);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn exactly<R: AsyncBufRead + Unpin>(r: &mut R, n: usize) -> Result<Vec<u8>, ProtocolError> {
    let mut buf = vec![0; n];
    r.read_exact(&mut buf).await?;
    Ok(buf)
}

fn number<T: std::str::FromStr>(word: Option<&str>, line: &str) -> Result<T, ProtocolError> {
    word.and_then(|w| w.parse().ok())
        .ok_or_else(|| ProtocolError::Garbled(format!("expected a number in {line:?}")))
}

#[cfg(test)]
mod tests;
