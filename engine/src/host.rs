//! A host during a run: its transport, what templates know of it, and the
//! files read from it so far. It knows nothing of orchestration: an
//! orchestration's steps reach other hosts through the executor.
//!
//! Facts are cached so that a run reads each file once (all of them in one
//! batch up front). The cache forgets a path when a state writes it, and
//! forgets everything when a command runs, since a command may touch
//! anything: plans always see what earlier states did.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::plan::Failure;
use crate::render::{HostCalls, HostContext};
use crate::transport::{shell, Exec, FileFact, Output, Transport};
use crate::tree::Tree;

pub struct Host {
    pub id: String,
    pub transport: Arc<dyn Transport>,
    pub tree: Arc<Tree>,
    pub saltenv: String,
    pub render: HostContext,
    /// Pillar values that are secrets (under keys that say so): masked in
    /// every diff shown.
    secrets: Vec<String>,
    files: Mutex<HashMap<String, Arc<FileFact>>>,
    /// Every path the run will look at, in run order (from `prefetch`).
    upcoming: Mutex<Vec<String>>,
}

/// How many paths one read brings back after the cache was emptied.
const BATCH: usize = 64;

impl Host {
    pub fn new(
        id: &str,
        transport: Arc<dyn Transport>,
        tree: Arc<Tree>,
        saltenv: &str,
        render: HostContext,
    ) -> Host {
        Host {
            id: id.to_string(),
            transport,
            tree,
            saltenv: saltenv.to_string(),
            render,
            secrets: Vec::new(),
            files: Mutex::new(HashMap::new()),
            upcoming: Mutex::new(Vec::new()),
        }
    }

    /// With the secrets of `pillar`: string values under a key that names
    /// a secret (`password`, `passwd`, `secret`, `token`, `private_key`...,
    /// whatever their nesting), at least 4 characters long.
    pub fn with_secrets(mut self, pillar: &serde_json::Value) -> Host {
        fn walk(v: &serde_json::Value, secret: bool, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) if secret && s.chars().count() >= 4 => {
                    out.push(s.clone());
                }
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        let k = k.to_ascii_lowercase();
                        let named = ["password", "passwd", "secret", "token", "private_key"]
                            .iter()
                            .any(|w| k.contains(w));
                        walk(v, secret || named, out);
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, secret, out)),
                _ => {}
            }
        }
        walk(pillar, false, &mut self.secrets);
        // Longest first, so that a secret inside another is masked whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self.secrets.dedup();
        self
    }

    /// `text` with every pillar secret in it replaced by `********`.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "********");
            }
        }
        out
    }

    /// What is at `path` now. A miss (after a command emptied the cache)
    /// also reads the next paths the run will need, in one round trip.
    pub async fn file(&self, path: &str) -> Result<Arc<FileFact>, Failure> {
        if let Some(f) = self.cache().get(path) {
            return Ok(Arc::clone(f));
        }
        let batch: Vec<String> = {
            let upcoming = self.upcoming.lock().unwrap_or_else(|e| e.into_inner());
            let at = upcoming.iter().position(|p| p == path);
            let mut batch = vec![path.to_string()];
            if let Some(at) = at {
                batch.extend(upcoming[at + 1..].iter().take(BATCH - 1).cloned());
            }
            batch
        };
        self.read_into_cache(batch).await?;
        self.cache()
            .get(path)
            .cloned()
            .ok_or_else(|| Failure::new(format!("no answer reading {path}")))
    }

    /// Read every path of the run in one batch, and remember them (in run
    /// order) for the batches after a command.
    pub async fn prefetch(&self, paths: Vec<String>) -> Result<(), Failure> {
        *self.upcoming.lock().unwrap_or_else(|e| e.into_inner()) = paths.clone();
        self.read_into_cache(paths).await
    }

    /// Read those of `paths` not in the cache, in one batch.
    async fn read_into_cache(&self, paths: Vec<String>) -> Result<(), Failure> {
        let missing: Vec<String> = {
            let cache = self.cache();
            let mut seen = std::collections::HashSet::new();
            paths
                .into_iter()
                .filter(|p| !cache.contains_key(p) && seen.insert(p.clone()))
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let facts = self.transport.read_files(&missing).await?;
        let mut cache = self.cache();
        for fact in facts {
            cache.insert(fact.path.clone(), Arc::new(fact));
        }
        Ok(())
    }

    pub fn forget(&self, path: &str) {
        self.cache().remove(path);
    }

    pub fn forget_all(&self) {
        self.cache().clear();
    }

    pub async fn exec(&self, exec: &Exec) -> Result<Output, Failure> {
        Ok(self.transport.exec(exec).await?)
    }

    /// A check's exit status (see `Transport::status`).
    pub async fn status(&self, exec: &Exec) -> Result<i32, Failure> {
        Ok(self.transport.status(exec).await?)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<FileFact>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `salt['cmd.run']` in templates, run through a host's transport.
/// Templates render synchronously, on a blocking thread
/// (`spawn_blocking`), which waits here for the transport's answer.
pub(crate) struct TransportCalls {
    pub transport: Arc<dyn Transport>,
    pub handle: tokio::runtime::Handle,
}

impl HostCalls for TransportCalls {
    fn run(
        &self,
        cmd: &str,
        runas: Option<&str>,
        cwd: Option<&str>,
    ) -> Result<(i32, String), String> {
        let exec = Exec::new(shell::merged(cmd)).runas(runas).cwd(cwd);
        let out = self.handle.block_on(self.transport.exec(&exec));
        out.map(|o| (o.code, o.stdout)).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::fixture;
    use crate::transport::fake::Fake;

    #[test]
    fn secrets_of_pillar_are_masked_in_what_is_shown() {
        let fx = fixture(Fake::new());
        let pillar = json!({
            "postgres": {"replication": {"user": "replicator", "password": "replicator-lab"}},
            "pgbouncer": {"admin_password": "pgbouncer-lab", "users": {"app": "app-lab"}},
            "db_token": ["t0ken-value"],
            "short": {"password": "abc"}
        });
        let host = fx.host.with_secrets(&pillar);
        let diff = "-primary_conninfo = 'password=old'\n+primary_conninfo = 'user=replicator password=replicator-lab'\n+t0ken-value pgbouncer-lab abc\n";
        assert_eq!(
            host.mask(diff),
            "-primary_conninfo = 'password=old'\n+primary_conninfo = 'user=replicator password=********'\n+******** ******** abc\n"
        );
    }
}
