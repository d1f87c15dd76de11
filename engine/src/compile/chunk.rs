//! A low chunk: one state to run (one ID, one module, one name).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::source::Span;
use crate::yaml::{Map, Node, Value};

/// A state's identity: Salt's `file_|-conf_|-/etc/app.conf_|-managed`,
/// kept as its parts until JSON output joins them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StateId {
    pub module: String,
    pub id: String,
    pub name: String,
    pub fun: String,
}

impl StateId {
    /// Salt's tag for this state, as JSON output keys it.
    pub fn tag(&self) -> String {
        format!(
            "{}_|-{}_|-{}_|-{}",
            self.module, self.id, self.name, self.fun
        )
    }

    /// `file.managed`.
    pub fn function(&self) -> String {
        format!("{}.{}", self.module, self.fun)
    }
}

impl fmt::Display for StateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}.{})", self.id, self.module, self.fun)
    }
}

#[derive(Clone, Debug)]
pub struct Chunk {
    pub state: StateId,
    pub sls: String,
    pub env: String,
    /// The function's own arguments, `name` included, as written.
    pub args: Vec<(String, Span, Node)>,
    /// The same, parsed once into the function's argument struct.
    pub parsed: Parsed,
    pub requisites: Vec<Requisite>,
    /// The order it runs by, resolved as Salt resolves it (`last`,
    /// negative numbers and no order at all from the cap, plus the
    /// `names` fraction).
    pub order: f64,
    /// The order as written, before Salt resolves it: what Salt's sort
    /// reads off a state that requires another.
    pub written_order: WrittenOrder,
    pub failhard: bool,
    pub checks: Checks,
    /// The ID key, and the function key (`file.managed:`).
    pub span: Span,
    pub fun_span: Span,
    /// Definition order, for stable output of `show`.
    pub auto_order: usize,
    /// The sls that included this state's sls, nearest first (Salt's
    /// `__sls_included_from__`); empty for an sls asked for by name.
    pub included_from: Vec<String>,
    /// Salt's `retry`: run again while the result is not `until`.
    pub retry: Option<Retry>,
    /// The chunk as its own sls declares it, when the run's chunk differs:
    /// before another sls's `extend`, with requisites on an sls that
    /// declares no states still there. What Salt's `show_low_sls` prints
    /// (it applies neither); never run.
    pub as_declared: Option<Box<Chunk>>,
}

impl Chunk {
    /// The function's arguments as one mapping node (what the function's
    /// argument struct is read from): the state system's own arguments
    /// kept in `args` as written (`onlyif`, `retry`...) left out.
    pub fn args_node(&self) -> Node {
        let entries = self
            .args
            .iter()
            .filter(|(k, _, _)| !STATE_ARGS.contains(&k.as_str()))
            .map(|(k, span, v)| (Node::new(Value::Str(k.clone()), span.clone()), v.clone()))
            .collect();
        Node::new(Value::Map(Map { entries }), self.fun_span.clone())
    }

    pub fn arg(&self, key: &str) -> Option<&Node> {
        self.args
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, v)| v)
    }

    /// `sls.ID`, as Salt names a state in requisite comments.
    pub fn sls_id(&self) -> String {
        format!("{}.{}", self.sls, self.state.id)
    }
}

/// An `order` before Salt resolves it: the number written (or the
/// automatic one; `first` is 0), NaN for none at all, infinity for
/// `last`; and the chunk's place among `names` (Salt's `name_order`, from
/// 1; 0 without `names`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WrittenOrder {
    pub value: f64,
    pub name: u32,
}

impl WrittenOrder {
    /// The order resolved against Salt's `cap`.
    pub fn resolve(self, cap: f64) -> f64 {
        let base = if self.value.is_nan() {
            cap
        } else if self.value == f64::INFINITY {
            cap + 1_000_000.0
        } else {
            self.value
        };
        let order = base + f64::from(self.name) / 10000.0;
        if order < 0.0 {
            order + cap + 1_000_000.0
        } else {
            order
        }
    }
}

/// Arguments of the state system that a chunk keeps among its `args` as
/// written, as Salt's low chunk shows them, but that no function reads.
pub(super) const STATE_ARGS: &[&str] = &["onlyif", "unless", "retry", "reload_modules"];

/// A state's arguments parsed into its function's argument struct (which
/// only the function knows how to read back), with what the run needs to
/// know of them before it starts.
#[derive(Clone)]
pub struct Parsed {
    pub value: Arc<dyn Any + Send + Sync>,
    /// Paths the state will look at, read in one batch before the run.
    pub paths: Vec<String>,
    /// `salt://` URLs it needs, checked before anything runs.
    pub sources: Vec<String>,
}

impl Parsed {
    pub fn new(value: impl Any + Send + Sync) -> Parsed {
        Parsed {
            value: Arc::new(value),
            paths: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Not parsed yet (a chunk before `compile` checks it).
    pub fn none() -> Parsed {
        Parsed::new(())
    }

    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.value.downcast_ref()
    }
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("paths", &self.paths)
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReqKind {
    Require,
    Watch,
    Onchanges,
    Onfail,
    Prereq,
    /// Salt's `listen`: no order and no gate; when the state listened to
    /// changed, the listener's mod_watch runs once the run is over.
    Listen,
}

/// State modules that have a `mod_watch` in Salt 3008. On any other
/// module Salt turns `watch` into `require` when it compiles
/// (`_reconcile_watch_req`): `show_low_sls` prints that, and its sort
/// weighs it as a `require`.
pub const MOD_WATCH: &[&str] = &["at", "cmd", "etcd", "mount", "pkg", "service", "test"];

impl ReqKind {
    pub const ALL: [ReqKind; 6] = [
        ReqKind::Require,
        ReqKind::Watch,
        ReqKind::Onchanges,
        ReqKind::Onfail,
        ReqKind::Prereq,
        ReqKind::Listen,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ReqKind::Require => "require",
            ReqKind::Watch => "watch",
            ReqKind::Onchanges => "onchanges",
            ReqKind::Onfail => "onfail",
            ReqKind::Prereq => "prereq",
            ReqKind::Listen => "listen",
        }
    }
}

/// What a requisite names: states by module and ID-or-name (globs allowed),
/// any state by ID-or-name (a bare `- ID`), or every state of an sls.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    State {
        module: Option<String>,
        pattern: String,
    },
    Sls(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::State {
                module: Some(m),
                pattern,
            } => write!(f, "{m}: {pattern}"),
            Target::State {
                module: None,
                pattern,
            } => f.write_str(pattern),
            Target::Sls(s) => write!(f, "sls: {s}"),
        }
    }
}

/// A requisite as written under a state (`require`, or `require_in` when
/// `reverse`).
#[derive(Clone, Debug)]
pub struct Requisite {
    pub kind: ReqKind,
    pub reverse: bool,
    pub target: Target,
    pub span: Span,
}

/// Read-only checks that decide whether a state runs at all: commands,
/// and (Salt's module form) execution functions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checks {
    pub onlyif: Vec<String>,
    pub unless: Vec<String>,
    pub creates: Vec<String>,
    pub onlyif_fun: Vec<FunCheck>,
    pub unless_fun: Vec<FunCheck>,
}

impl Checks {
    pub fn is_empty(&self) -> bool {
        self.onlyif.is_empty()
            && self.unless.is_empty()
            && self.creates.is_empty()
            && self.onlyif_fun.is_empty()
            && self.unless_fun.is_empty()
    }
}

/// `- fun: file.file_exists` with its arguments: positional (`args`) and
/// by name, and `get_return`, a path into what the function returns.
#[derive(Clone, Debug, PartialEq)]
pub struct FunCheck {
    pub fun: String,
    pub args: Vec<serde_json::Value>,
    pub kwargs: serde_json::Map<String, serde_json::Value>,
    pub get_return: Option<String>,
}

impl FunCheck {
    /// The execution functions a check may name: what converge can run on
    /// a host the way Salt's would.
    pub const SUPPORTED: &'static [&'static str] = &[
        "file.file_exists",
        "file.directory_exists",
        "file.is_link",
        "cmd.run",
        "cmd.run_stdout",
        "cmd.run_all",
        "cmd.retcode",
        "test.true",
        "test.false",
    ];
}

/// Salt's `retry`: while a state's result is not `until`, run it again
/// after `interval` seconds (plus up to `splay`), `attempts` times in all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retry {
    pub until: bool,
    pub attempts: u32,
    pub interval: u64,
    pub splay: u64,
}

impl Default for Retry {
    /// Salt's defaults (`retry: True`).
    fn default() -> Retry {
        Retry {
            until: true,
            attempts: 2,
            interval: 30,
            splay: 0,
        }
    }
}
