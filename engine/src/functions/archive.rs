//! `archive.extracted`: an archive (tar, or zip) unpacked into a
//! directory, as Salt's state does it for the cases the formulas use: an
//! archive on the host, on the master (`salt://`) or at a URL, checked
//! against `source_hash`, skipped when `if_missing` exists or when every
//! path of the archive is already there.
//!
//! A remote archive is kept in the host's cache
//! (`/var/cache/converge/extrn_files/<env>/<host>/<path>`, Salt's layout);
//! once there, later runs list it while planning and extract only what is
//! missing, as Salt does. A test run does not fetch: "would be cached".

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{would, Ctx, Function};
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, FileKind, Output, WriteFile};

pub(super) struct Extracted {
    /// The host's cache of fetched archives (tests point it elsewhere).
    pub cache: &'static str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Args {
    pub name: String,
    pub source: String,
    #[serde(default)]
    pub source_hash: Option<String>,
    #[serde(default)]
    pub skip_verify: Option<bool>,
    #[serde(default)]
    pub archive_format: Option<String>,
    #[serde(default)]
    pub if_missing: Option<String>,
    /// Extra `tar` options (`z`, `--strip-components=1`...).
    #[serde(default)]
    pub options: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub trim_output: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)]
    pub keep_source: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    pub keep: Option<bool>,
}

pub(super) const CACHE: &str = "/var/cache/converge/extrn_files";

/// Where the archive is.
enum Origin {
    /// A path on the host itself.
    Host(String),
    /// On the master: its bytes, to put in the host's cache.
    Master(Vec<u8>),
    /// A URL the host downloads.
    Url(String),
}

/// `source_hash` as `(tool, hex)`: `sha256=...`, or a bare digest whose
/// length names the hash.
fn hash(spec: &str) -> Result<(&'static str, String), Failure> {
    let (kind, hex) = match spec.split_once('=') {
        Some((k, h)) => (Some(k.to_lowercase()), h.trim().to_lowercase()),
        None => (None, spec.trim().to_lowercase()),
    };
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Failure::new(format!(
            "source_hash `{spec}`: converge takes a digest (`sha256=...`), not a hash file"
        )));
    }
    let by_len = match hex.len() {
        32 => "md5",
        40 => "sha1",
        56 => "sha224",
        64 => "sha256",
        96 => "sha384",
        128 => "sha512",
        _ => return Err(Failure::new(format!("Invalid source_hash `{spec}`"))),
    };
    let tool = match kind.as_deref().unwrap_or(by_len) {
        "md5" => "md5sum",
        "sha1" => "sha1sum",
        "sha224" => "sha224sum",
        "sha256" => "sha256sum",
        "sha384" => "sha384sum",
        "sha512" => "sha512sum",
        other => return Err(Failure::new(format!("Unsupported hash type `{other}`"))),
    };
    Ok((tool, hex))
}

fn is_zip(args: &Args) -> bool {
    args.archive_format.as_deref() == Some("zip")
}

/// The archive's paths, one per line.
fn list_command(archive: &str, zip: bool) -> String {
    if zip {
        format!("unzip -Z1 {}", quote(archive))
    } else {
        format!("tar -tf {}", quote(archive))
    }
}

/// The archive's paths, then `@missing` and those not under `dir`
/// (read-only: the archive is listed twice).
fn survey(archive: &str, dir: &str, zip: bool) -> Exec {
    let list = list_command(archive, zip);
    Exec::new(format!(
        "set -o pipefail; {list} || exit 1; echo @missing; {list} | while IFS= read -r p; do [ -e {d}/\"$p\" ] || [ -L {d}/\"$p\" ] || printf '%s\\n' \"$p\"; done",
        d = quote(dir),
    ))
}

fn parse_survey(out: &Output) -> (Vec<String>, Vec<String>) {
    let (all, missing) = out
        .stdout
        .split_once("@missing\n")
        .unwrap_or((&out.stdout, ""));
    let lines = |s: &str| {
        s.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    (lines(all), lines(missing))
}

/// After extracting: the archive's paths, as Salt reports them.
#[derive(Debug)]
struct Listed {
    archive: String,
    zip: bool,
    created: Option<String>,
    trim: Option<usize>,
}

impl Check for Listed {
    fn describe(&self) -> String {
        format!("{} lists its files", self.archive)
    }

    fn probe(&self) -> Exec {
        Exec::new(list_command(&self.archive, self.zip))
    }

    fn judge(&self, out: &Output) -> Verdict {
        // Python's tarfile names directories without their slash.
        let mut files: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.trim_end_matches('/'))
            .collect();
        if !out.success() || files.is_empty() {
            return Verdict::Pending(format!("No files were extracted from {}", self.archive));
        }
        if let Some(t) = self.trim {
            files.truncate(t);
        }
        let mut changes = Changes::new();
        if let Some(d) = &self.created {
            changes.insert("directories_created".into(), json!([d]));
        }
        changes.insert("extracted_files".into(), json!(files));
        Verdict::Met(changes)
    }
}

#[async_trait]
impl Function for Extracted {
    type Args = Args;

    async fn plan(&self, args: &Args, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        if !args.name.starts_with('/') {
            return Err(Failure::new(format!(
                "{} is not an absolute path",
                args.name
            )));
        }
        let bare = args.name.trim_end_matches('/');
        let name = format!("{bare}/");
        if let Some(m) = &args.if_missing {
            if !m.starts_with('/') {
                return Err(Failure::new(
                    "Value for 'if_missing' is not an absolute path",
                ));
            }
            if ctx.host.file(m).await?.exists() {
                return Ok(Plan::noop(format!("Path {m} exists")));
            }
        }
        let dir = ctx.host.file(bare).await?;
        if dir.kind == FileKind::File {
            return Err(Failure::new(format!(
                "{bare} exists and is not a directory"
            )));
        }
        for (who, group) in [(&args.user, false), (&args.group, true)] {
            if let Some(n) = who {
                let db = if group { "group" } else { "passwd" };
                let out = ctx
                    .host
                    .exec(&Exec::new(format!("getent {db} -- {}", quote(n))))
                    .await?;
                if !out.success() {
                    let what = if group { "Group" } else { "User" };
                    return Err(Failure::new(format!("{what} {n} does not exist")));
                }
            }
        }
        let source = &args.source;
        let origin = if let Some(rest) = source.strip_prefix("file://") {
            Origin::Host(rest.to_string())
        } else if source.starts_with('/') {
            Origin::Host(source.clone())
        } else if source.starts_with("salt://") {
            let found = ctx
                .host
                .tree
                .resolve_url(&ctx.chunk.env, source)
                .map_err(|e| Failure::new(e.to_string()))?;
            let Some((path, _)) = found else {
                return Err(Failure::new(format!(
                    "Source file '{source}' does not exist"
                )));
            };
            let bytes = std::fs::read(&path)
                .map_err(|e| Failure::new(format!("Unable to read {}: {e}", path.display())))?;
            Origin::Master(bytes)
        } else if source.contains("://") {
            Origin::Url(source.clone())
        } else {
            return Err(Failure::new(format!("Invalid source \"{source}\"")));
        };
        let digest = match (&args.source_hash, args.skip_verify == Some(true)) {
            (Some(h), false) => Some(hash(h)?),
            _ => None,
        };
        let cached = match &origin {
            Origin::Host(p) => p.clone(),
            _ => {
                let rel = source.split_once("://").map_or(source.as_str(), |(_, r)| r);
                format!(
                    "{}/{}/{}",
                    self.cache,
                    ctx.chunk.env,
                    rel.trim_start_matches('/')
                )
            }
        };
        let zip = is_zip(args);
        // What is in the archive and not yet in place, when the archive is
        // on the host already (read-only).
        let have_archive = ctx.host.file(&cached).await?.kind == FileKind::File;
        let verified = match (&digest, have_archive) {
            (Some((tool, hex)), true) => {
                let out = ctx
                    .host
                    .exec(&Exec::new(format!("{tool} {}", quote(&cached))))
                    .await?;
                out.stdout.split_whitespace().next() == Some(hex.as_str())
            }
            (None, true) => true,
            (_, false) => false,
        };
        // Salt notes why it extracts: something of the archive is missing.
        let missing_note = ", due to absence of one or more files/dirs";
        if verified {
            let out = ctx.host.exec(&survey(&cached, bare, zip)).await?;
            if out.success() && parse_survey(&out).1.is_empty() {
                return Ok(Plan::noop("All files in archive are already present"));
            }
        } else if matches!(origin, Origin::Host(_)) && !have_archive {
            return Err(Failure::new(format!(
                "Source file '{source}' does not exist"
            )));
        }
        let comment = match (&origin, verified) {
            (Origin::Url(_) | Origin::Master(_), false) => format!(
                "Archive {source} would be cached (if necessary) and checked to discover if extraction is needed"
            ),
            _ => format!("Archive {source} would be extracted to {name}{missing_note}"),
        };
        let mut actions = Vec::new();
        if !verified {
            match origin {
                Origin::Url(url) => {
                    let c = quote(&cached);
                    actions.push(Action::run(
                        Exec::new(format!(
                            "mkdir -p -- \"$(dirname {c})\" && {{ if command -v curl >/dev/null 2>&1; then curl -fsSL -o {c}.part {u}; else wget -q -O {c}.part {u}; fi; }} && mv -f -- {c}.part {c}",
                            u = quote(&url)
                        )),
                        format!("Unable to cache {source}"),
                    ));
                }
                Origin::Master(bytes) => actions.push(Action::write(WriteFile {
                    path: cached.clone(),
                    content: bytes,
                    user: None,
                    group: None,
                    mode: Some(0o644),
                    makedirs: true,
                })),
                Origin::Host(_) => {}
            }
            if let Some((tool, hex)) = &digest {
                actions.push(Action::run(
                    Exec::new(format!(
                        "printf '%s  %s\\n' {} {} | {tool} -c --status",
                        quote(hex),
                        quote(&cached)
                    )),
                    format!("{cached} does not match the desired source_hash {hex}"),
                ));
            }
        }
        let created = (dir.kind == FileKind::Missing).then(|| name.clone());
        let mut extract = format!("mkdir -p -- {d} && ", d = quote(bare));
        if zip {
            extract.push_str(&format!(
                "unzip -o -q {} -d {}",
                quote(&cached),
                quote(bare)
            ));
        } else {
            let opts = args
                .options
                .as_deref()
                .unwrap_or("")
                .trim()
                .trim_start_matches('-');
            extract.push_str(&format!(
                "tar -x{opts}f {} -C {}",
                quote(&cached),
                quote(bare)
            ));
        }
        if args.user.is_some() || args.group.is_some() {
            let owner = format!(
                "{}:{}",
                args.user.as_deref().unwrap_or(""),
                args.group.as_deref().unwrap_or("")
            );
            extract.push_str(&format!(
                " && chown -R {} -- {}",
                quote(&owner),
                quote(bare)
            ));
        }
        actions.push(Action::run(
            Exec::new(extract),
            format!("Failed to extract {source} to {name}"),
        ));
        actions.push(Action::verify(
            Listed {
                archive: cached,
                zip,
                created,
                trim: args.trim_output,
            },
            "",
        ));
        let mut done = format!("{source} extracted to {name}{missing_note}");
        if let Some(t) = args.trim_output {
            done.push_str(&format!(". Output was trimmed to {t} number of lines"));
        }
        Ok(would::change(comment, done, actions).applied(Changes::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_as_salt_names_them() {
        let sha = "a".repeat(64);
        assert_eq!(
            hash(&format!("sha256={sha}")).unwrap(),
            ("sha256sum", sha.clone())
        );
        assert_eq!(hash(&"b".repeat(32)).unwrap().0, "md5sum");
        assert!(hash("https://x/y.sha256").is_err());
    }
}
