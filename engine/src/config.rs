//! The master config (`converge.yaml`): where the trees and the roster are.
//!
//! Keys follow Salt's master config. Relative paths are relative to the
//! config file's directory, so a repo can be used from anywhere. Command-line
//! options override the file (see `Overrides`).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::Error;
use crate::source::Source;
use crate::yaml;

#[derive(Clone, Debug)]
pub struct Config {
    /// saltenv → roots, searched in order.
    pub file_roots: IndexMap<String, Vec<PathBuf>>,
    pub pillar_roots: IndexMap<String, Vec<PathBuf>>,
    pub roster_file: PathBuf,
    pub saltenv: String,
    /// Per-command timeout on hosts, in seconds.
    pub timeout: u64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    file_roots: Option<IndexMap<String, Vec<PathBuf>>>,
    pillar_roots: Option<IndexMap<String, Vec<PathBuf>>>,
    roster_file: Option<PathBuf>,
    saltenv: Option<String>,
    timeout: Option<u64>,
}

/// What the command line says, each `None` when not given.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub states: Option<PathBuf>,
    pub pillar_root: Option<PathBuf>,
    pub roster: Option<PathBuf>,
    pub saltenv: Option<String>,
}

impl Config {
    /// The config at `over.config`, else `./converge.yaml` if present, else
    /// the defaults; then the command line's overrides.
    pub fn load(over: &Overrides) -> Result<Config, Error> {
        let path = over.config.clone().or_else(|| {
            let p = PathBuf::from("converge.yaml");
            p.exists().then_some(p)
        });
        let (file, base) = match &path {
            Some(p) => (
                read(p)?,
                p.parent().map(Path::to_path_buf).unwrap_or_default(),
            ),
            None => (File::default(), PathBuf::new()),
        };
        let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let roots = |m: Option<IndexMap<String, Vec<PathBuf>>>,
                     default: &str|
         -> IndexMap<String, Vec<PathBuf>> {
            match m {
                Some(m) => m
                    .into_iter()
                    .map(|(env, rs)| (env, rs.into_iter().map(rel).collect()))
                    .collect(),
                None => IndexMap::from([("base".to_string(), vec![rel(PathBuf::from(default))])]),
            }
        };
        let mut config = Config {
            file_roots: roots(file.file_roots, "states"),
            pillar_roots: roots(file.pillar_roots, "pillar"),
            roster_file: rel(file
                .roster_file
                .unwrap_or_else(|| PathBuf::from("roster.yaml"))),
            saltenv: file.saltenv.unwrap_or_else(|| "base".into()),
            timeout: file.timeout.unwrap_or(300),
        };
        if let Some(dir) = &over.states {
            config.file_roots.insert("base".into(), vec![dir.clone()]);
        }
        if let Some(dir) = &over.pillar_root {
            config.pillar_roots.insert("base".into(), vec![dir.clone()]);
        }
        if let Some(r) = &over.roster {
            config.roster_file = r.clone();
        }
        if let Some(env) = &over.saltenv {
            config.saltenv = env.clone();
        }
        Ok(config)
    }

    /// The roots of `env`, or an error naming the environments there are.
    pub fn roots(&self, env: &str) -> Result<&[PathBuf], Error> {
        self.file_roots.get(env).map(Vec::as_slice).ok_or_else(|| {
            let known: Vec<&str> = self.file_roots.keys().map(String::as_str).collect();
            Error::invalid(
                None,
                format!(
                    "unknown saltenv '{env}' (file_roots has: {})",
                    known.join(", ")
                ),
            )
        })
    }
}

fn read(path: &Path) -> Result<File, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let source = Source::new(path.display().to_string(), text);
    let Some(node) = yaml::load(&source)? else {
        return Ok(File::default());
    };
    yaml::from_node(&node).map_err(|e| {
        Error::invalid(
            Some(e.span),
            format!("invalid master config: {}", e.message),
        )
    })
}
