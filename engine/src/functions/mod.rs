//! The state functions (`file.managed`, `cmd.run`...), one file each, and
//! the registry that maps a name to its implementation.
//!
//! A function acts on one host: it reads its typed arguments and the
//! host's facts, and returns a plan (data: `plan::Action`s). It never
//! changes the host itself and never knows whether the run is a test: the
//! executor decides whether to apply the plan. Adding a function is a file
//! and a line in `Registry::states`.
//!
//! An orchestration adds steps of its own to a registry (`Registry::with`):
//! steps that plan actions on other hosts, and `Delegate`s such as
//! `salt.state`, which converge hosts themselves and so are handed the
//! run's test flag. Those live in `orchestrate`, above the engine.

mod archive;
mod cmd;
mod debversion;
mod file_absent;
mod file_append;
mod file_blockreplace;
mod file_comment;
mod file_common;
mod file_copy;
mod file_directory;
mod file_managed;
mod file_recurse;
mod file_regex;
mod file_replace;
mod file_symlink;
mod git_config;
mod group;
mod guard;
mod host_file;
mod mode;
mod module_run;
pub(crate) mod pgbouncer;
mod pkg_installed;
mod pkg_removed;
mod pkgrepo;
pub(crate) mod postgres;
mod postgres_objects;
mod pyrepr;
mod service;
mod ssh_auth;
mod ssh_keys;
mod ssh_known_hosts;
mod test_states;
mod user;
mod user_changes;
mod would;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::de::DeserializeOwned;

use crate::compile::{Chunk, Parsed, Signatures};
use crate::host::Host;
use crate::plan::{Failure, Plan};
use crate::result::Outcome;
use crate::yaml::{self, DeError, Node};

pub(crate) use cmd::env_pairs;
pub(crate) use mode::name_or_id;

/// What a function sees while planning: the host and its own chunk.
pub struct Ctx<'a> {
    pub host: &'a Host,
    pub chunk: &'a Chunk,
}

/// A state function with typed arguments.
#[async_trait]
pub trait Function: Send + Sync + 'static {
    type Args: DeserializeOwned + Send + Sync + 'static;

    /// Paths this state will look at, read in one batch before the run.
    fn paths(_args: &Self::Args) -> Vec<String> {
        Vec::new()
    }

    /// `salt://` URLs this state needs, checked before anything runs.
    fn sources(_args: &Self::Args) -> Vec<String> {
        Vec::new()
    }

    async fn plan(&self, args: &Self::Args, ctx: &Ctx<'_>) -> Result<Plan, Failure>;

    /// What to do when a watched state changed and this one had nothing to
    /// do (Salt's `mod_watch`). `None`: nothing.
    async fn watch(&self, _args: &Self::Args, _ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        Ok(None)
    }
}

/// A state that converges by itself and is handed the run's test flag:
/// an orchestration's `salt.state` runs the target hosts' states with
/// `test` as given, and reports their results nested. It has no plan.
#[async_trait]
pub trait Delegate: Send + Sync + 'static {
    type Args: DeserializeOwned + Send + Sync + 'static;
    async fn delegate(&self, args: &Self::Args, ctx: &Ctx<'_>, test: bool) -> Outcome;
}

/// The registry's view of a planning function: its arguments, parsed at
/// compile time, are read back from the chunk.
#[async_trait]
pub trait StateFn: Send + Sync {
    fn parse(&self, args: &Node) -> Result<Parsed, DeError>;
    async fn plan(&self, ctx: &Ctx<'_>) -> Result<Plan, Failure>;
    async fn watch(&self, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure>;
}

/// The registry's view of a delegate.
#[async_trait]
pub trait DelegateFn: Send + Sync {
    fn parse(&self, args: &Node) -> Result<Parsed, DeError>;
    async fn delegate(&self, ctx: &Ctx<'_>, test: bool) -> Outcome;
}

/// A function under its name.
#[derive(Clone)]
pub enum Entry {
    Plans(Arc<dyn StateFn>),
    Delegates(Arc<dyn DelegateFn>),
}

impl Entry {
    pub fn function(f: impl Function) -> Entry {
        Entry::Plans(Arc::new(Typed(f)))
    }

    pub fn delegate(d: impl Delegate) -> Entry {
        Entry::Delegates(Arc::new(Delegated(d)))
    }

    fn parse(&self, args: &Node) -> Result<Parsed, DeError> {
        match self {
            Entry::Plans(f) => f.parse(args),
            Entry::Delegates(d) => d.parse(args),
        }
    }
}

/// `#[serde(default = "crate::functions::yes")]`: an argument Salt takes
/// as true when it is not given.
pub(crate) fn yes() -> bool {
    true
}

/// The chunk's parsed arguments, as the function's own type. Compiling
/// parsed them with this function, so any other type is a bug.
pub(crate) fn args<A: 'static>(chunk: &Chunk) -> Result<&A, Failure> {
    chunk.parsed.get::<A>().ok_or_else(|| {
        Failure::new(format!(
            "{}: arguments were not compiled for this function",
            chunk.state.function()
        ))
    })
}

struct Typed<F>(F);

#[async_trait]
impl<F: Function> StateFn for Typed<F> {
    fn parse(&self, node: &Node) -> Result<Parsed, DeError> {
        let a: F::Args = yaml::from_node(node)?;
        let mut parsed = Parsed {
            paths: F::paths(&a),
            sources: F::sources(&a),
            ..Parsed::none()
        };
        parsed.value = Arc::new(a);
        Ok(parsed)
    }

    async fn plan(&self, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        self.0.plan(args::<F::Args>(ctx.chunk)?, ctx).await
    }

    async fn watch(&self, ctx: &Ctx<'_>) -> Result<Option<Plan>, Failure> {
        self.0.watch(args::<F::Args>(ctx.chunk)?, ctx).await
    }
}

struct Delegated<D>(D);

#[async_trait]
impl<D: Delegate> DelegateFn for Delegated<D> {
    fn parse(&self, node: &Node) -> Result<Parsed, DeError> {
        yaml::from_node::<D::Args>(node).map(Parsed::new)
    }

    async fn delegate(&self, ctx: &Ctx<'_>, test: bool) -> Outcome {
        match args::<D::Args>(ctx.chunk) {
            Ok(a) => self.0.delegate(a, ctx, test).await,
            Err(f) => f.into(),
        }
    }
}

/// Function names and their implementations.
#[derive(Clone)]
pub struct Registry {
    entries: IndexMap<&'static str, Entry>,
}

impl Registry {
    /// The state functions a host's states may name.
    pub fn states() -> Arc<Registry> {
        static STATES: OnceLock<Arc<Registry>> = OnceLock::new();
        let states = STATES.get_or_init(|| {
            let entries: IndexMap<&'static str, Entry> = [
                ("file.managed", Entry::function(file_managed::Managed)),
                ("file.absent", Entry::function(file_absent::Absent)),
                ("file.directory", Entry::function(file_directory::Directory)),
                ("file.symlink", Entry::function(file_symlink::Symlink)),
                ("file.append", Entry::function(file_append::Append)),
                ("file.replace", Entry::function(file_replace::Replace)),
                ("file.copy", Entry::function(file_copy::Copy)),
                ("file.recurse", Entry::function(file_recurse::Recurse)),
                ("file.comment", Entry::function(file_comment::Comment)),
                ("file.uncomment", Entry::function(file_comment::Uncomment)),
                (
                    "file.blockreplace",
                    Entry::function(file_blockreplace::BlockReplace),
                ),
                (
                    "archive.extracted",
                    Entry::function(archive::Extracted {
                        cache: archive::CACHE,
                    }),
                ),
                ("cmd.run", Entry::function(cmd::Run)),
                ("cmd.wait", Entry::function(cmd::Wait)),
                ("service.running", Entry::function(service::Running)),
                ("service.dead", Entry::function(service::Dead)),
                ("service.masked", Entry::function(service::Masked)),
                ("service.unmasked", Entry::function(service::Unmasked)),
                ("pkg.installed", Entry::function(pkg_installed::Installed)),
                ("pkg.removed", Entry::function(pkg_removed::Removed)),
                ("pkg.purged", Entry::function(pkg_removed::Purged)),
                (
                    "pkgrepo.managed",
                    Entry::function(pkgrepo::Managed { root: pkgrepo::APT }),
                ),
                (
                    "pkgrepo.absent",
                    Entry::function(pkgrepo::Absent { root: pkgrepo::APT }),
                ),
                ("user.present", Entry::function(user::Present)),
                ("user.absent", Entry::function(user::Absent)),
                ("group.present", Entry::function(group::Present)),
                ("group.absent", Entry::function(group::Absent)),
                ("git.config_set", Entry::function(git_config::ConfigSet)),
                ("git.config_unset", Entry::function(git_config::ConfigUnset)),
                (
                    "host.present",
                    Entry::function(host_file::Present {
                        path: host_file::HOSTS,
                    }),
                ),
                (
                    "host.absent",
                    Entry::function(host_file::Absent {
                        path: host_file::HOSTS,
                    }),
                ),
                (
                    "host.only",
                    Entry::function(host_file::Only {
                        path: host_file::HOSTS,
                    }),
                ),
                ("module.run", Entry::function(module_run::Run)),
                ("module.wait", Entry::function(module_run::Wait)),
                ("ssh_auth.present", Entry::function(ssh_auth::Present)),
                ("ssh_auth.absent", Entry::function(ssh_auth::Absent)),
                (
                    "ssh_known_hosts.present",
                    Entry::function(ssh_known_hosts::Present),
                ),
                (
                    "ssh_known_hosts.absent",
                    Entry::function(ssh_known_hosts::Absent),
                ),
                ("test.nop", Entry::function(test_states::NOP)),
                (
                    "test.succeed_without_changes",
                    Entry::function(test_states::NOP),
                ),
                (
                    "test.succeed_with_changes",
                    Entry::function(test_states::SUCCEED_WITH),
                ),
                (
                    "test.fail_without_changes",
                    Entry::function(test_states::FAIL_WITHOUT),
                ),
                (
                    "test.fail_with_changes",
                    Entry::function(test_states::FAIL_WITH),
                ),
                ("postgres.running", Entry::function(postgres::Running)),
                ("postgres.stopped", Entry::function(postgres::Stopped)),
                ("postgres.promoted", Entry::function(postgres::Promoted)),
                (
                    "postgres.standby",
                    Entry::function(postgres::Standby { check_only: false }),
                ),
                (
                    "postgres.can_follow",
                    Entry::function(postgres::Standby { check_only: true }),
                ),
                ("pgbouncer.reloaded", Entry::function(pgbouncer::Reloaded)),
                (
                    "postgres_user.present",
                    Entry::function(postgres_objects::UserPresent),
                ),
                (
                    "postgres_user.absent",
                    Entry::function(postgres_objects::UserAbsent),
                ),
                (
                    "postgres_group.present",
                    Entry::function(postgres_objects::GroupPresent),
                ),
                (
                    "postgres_group.absent",
                    Entry::function(postgres_objects::GroupAbsent),
                ),
                (
                    "postgres_database.present",
                    Entry::function(postgres_objects::DatabasePresent),
                ),
                (
                    "postgres_database.absent",
                    Entry::function(postgres_objects::DatabaseAbsent),
                ),
                (
                    "postgres_schema.present",
                    Entry::function(postgres_objects::SchemaPresent),
                ),
                (
                    "postgres_schema.absent",
                    Entry::function(postgres_objects::SchemaAbsent),
                ),
                (
                    "postgres_extension.present",
                    Entry::function(postgres_objects::ExtensionPresent),
                ),
                (
                    "postgres_extension.absent",
                    Entry::function(postgres_objects::ExtensionAbsent),
                ),
                (
                    "postgres_tablespace.present",
                    Entry::function(postgres_objects::TablespacePresent),
                ),
                (
                    "postgres_tablespace.absent",
                    Entry::function(postgres_objects::TablespaceAbsent),
                ),
            ]
            .into_iter()
            .collect();
            Arc::new(Registry { entries })
        });
        Arc::clone(states)
    }

    /// This registry with `more` added (or put in place of same-named ones).
    pub fn with(&self, more: impl IntoIterator<Item = (&'static str, Entry)>) -> Registry {
        let mut entries = self.entries.clone();
        entries.extend(more);
        Registry { entries }
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }
}

impl Signatures for Registry {
    fn parse(&self, function: &str, args: &Node) -> Option<Result<Parsed, DeError>> {
        self.entries.get(function).map(|e| e.parse(args))
    }

    fn names(&self) -> Vec<&'static str> {
        self.entries.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests;
