//! High data: every ID of a host's run with its state declarations, after
//! includes and extends. The step between rendered sls files and chunks.
//!
//! Auto-order is assigned here, in the order declarations are added: an
//! included sls is loaded before the states of the sls that includes it.
//! Salt's own numbering (`iorder`) counts only the declarations written
//! without an `order:`, and a block remembers which sls included its sls
//! (Salt's `__sls_included_from__`).

use std::collections::HashSet;

use indexmap::IndexMap;

use super::Tree;
use crate::error::Error;
use crate::render::HostContext;
use crate::source::Span;
use crate::yaml::{Node, Value};

#[derive(Clone, Debug, Default)]
pub(crate) struct High {
    pub blocks: IndexMap<String, IdBlock>,
    /// Every sls loaded, in load order (some declare no states of their
    /// own: only includes and extends).
    pub loaded: Vec<String>,
    next_order: usize,
    next_iorder: usize,
}

/// One ID and what is declared under it.
#[derive(Clone, Debug)]
pub(crate) struct IdBlock {
    pub id: String,
    pub span: Span,
    pub sls: String,
    pub env: String,
    pub decls: Vec<Decl>,
    /// The sls that included this block's sls, nearest first (the sls
    /// that includes that one next...), as Salt records them: only on the
    /// way the sls was first loaded. Empty for an sls asked for by name.
    pub included_from: Vec<String>,
}

/// `file.managed: [...]` under an ID: one module, maybe its function.
#[derive(Clone, Debug)]
pub(crate) struct Decl {
    pub module: String,
    /// The function and where it was named (the `file.managed` key, or the
    /// bare `- managed` item).
    pub fun: Option<(String, Span)>,
    pub span: Span,
    pub args: Vec<Arg>,
    /// Definition order across the whole run, from 0.
    pub auto_order: usize,
    /// Salt's automatic order (`state_auto_order`, from 0): the
    /// declarations written without `order:` numbered in the order they
    /// were loaded; `None` for the others and for those `extend` adds.
    pub iorder: Option<usize>,
    /// The arguments as the declaring sls wrote them, once another sls's
    /// `extend` changed them (`None`: unchanged). Salt's `show_low_sls`
    /// shows these: it does not apply `extend`.
    pub declared: Option<Vec<Arg>>,
}

#[derive(Clone, Debug)]
pub(crate) struct Arg {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Arg {
    /// The argument written `key: value`.
    pub(crate) fn new(key: &Node, value: Node) -> Arg {
        Arg {
            key: key.scalar_string().unwrap_or_default(),
            key_span: key.span.clone(),
            value,
        }
    }
}

/// Requisite arguments, which `extend` appends to instead of replacing.
const LIST_ARGS: &[&str] = &[
    "require",
    "watch",
    "onchanges",
    "onfail",
    "prereq",
    "use",
    "listen",
    "require_in",
    "watch_in",
    "onchanges_in",
    "onfail_in",
    "prereq_in",
    "use_in",
    "listen_in",
];

impl High {
    /// The high data for the sls files `entries` ((env, sls, where named)),
    /// loading each one's includes first and each sls once.
    pub(crate) fn build(
        tree: &Tree,
        ctx: &HostContext,
        entries: &[(String, String, Span)],
    ) -> Result<High, Error> {
        let mut high = High::default();
        let mut seen = HashSet::new();
        let mut extends = Vec::new();
        for (env, name, span) in entries {
            high.load(
                tree,
                ctx,
                env,
                name,
                Some(span),
                &[],
                &mut seen,
                &mut extends,
            )?;
        }
        for (sls, node) in extends {
            high.extend(&sls, &node)?;
        }
        Ok(high)
    }

    #[allow(clippy::too_many_arguments)]
    fn load(
        &mut self,
        tree: &Tree,
        ctx: &HostContext,
        env: &str,
        name: &str,
        span: Option<&Span>,
        from: &[String],
        seen: &mut HashSet<(String, String)>,
        extends: &mut Vec<(String, Node)>,
    ) -> Result<(), Error> {
        if !seen.insert((env.to_string(), name.to_string())) {
            return Ok(());
        }
        let sls = tree.load_sls(env, name, ctx, span)?;
        self.loaded.push(sls.name.clone());
        let mut under: Vec<String> = vec![sls.name.clone()];
        under.extend(from.iter().cloned());
        for (inc_env, inc, inc_span) in &sls.include {
            self.load(
                tree,
                ctx,
                inc_env,
                inc,
                Some(inc_span),
                &under,
                seen,
                extends,
            )?;
        }
        for (key, body) in &sls.ids {
            let id = key.scalar_string().unwrap_or_default();
            if let Some(first) = self.blocks.get(&id) {
                return Err(Error::ConflictingId {
                    id,
                    first: first.span.clone(),
                    span: key.span.clone(),
                });
            }
            let decls = self.decls(&id, body)?;
            self.blocks.insert(
                id.clone(),
                IdBlock {
                    id,
                    span: key.span.clone(),
                    sls: sls.name.clone(),
                    env: sls.env.clone(),
                    decls,
                    included_from: from.to_vec(),
                },
            );
        }
        if let Some(ext) = sls.extend {
            extends.push((sls.name.clone(), ext));
        }
        Ok(())
    }

    /// The declarations under one ID.
    fn decls(&mut self, id: &str, body: &Node) -> Result<Vec<Decl>, Error> {
        let mut decls: Vec<Decl> = Vec::new();
        let entries: Vec<(String, Span, Option<&Node>)> = match &body.value {
            // `vim: pkg.installed`, Salt's shorthand for a declaration without arguments.
            Value::Str(s) if s.contains('.') => vec![(s.clone(), body.span.clone(), None)],
            Value::Map(map) => map
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), Some("__sls__" | "__env__")))
                .map(|(k, v)| {
                    (
                        k.scalar_string().unwrap_or_default(),
                        k.span.clone(),
                        Some(v),
                    )
                })
                .collect(),
            _ => {
                return Err(Error::expected(
                    body,
                    "a mapping of state declarations (e.g. `file.managed:`)",
                    format!("ID `{id}`"),
                ))
            }
        };
        for (key, span, value) in entries {
            let (module, fun) = match key.split_once('.') {
                Some((m, f)) => (m.to_string(), Some((f.to_string(), span.clone()))),
                None => (key.clone(), None),
            };
            if let Some(first) = decls.iter().find(|d| d.module == module) {
                return Err(Error::invalid(
                    Some(span),
                    format!(
                        "ID `{id}` declares the state module `{module}` twice (first at {}); one ID can hold each module once",
                        first.span
                    ),
                ));
            }
            let mut decl = Decl {
                module,
                fun,
                span,
                args: Vec::new(),
                auto_order: self.next_order,
                iorder: None,
                declared: None,
            };
            if let Some(value) = value {
                self.fill(&mut decl, id, value)?;
            }
            self.next_order += 1;
            if !decl.args.iter().any(|a| a.key == "order") {
                decl.iorder = Some(self.next_iorder);
                self.next_iorder += 1;
            }
            decls.push(decl);
        }
        Ok(decls)
    }

    /// Read a declaration's argument list into `decl`.
    fn fill(&self, decl: &mut Decl, id: &str, value: &Node) -> Result<(), Error> {
        let items = value.as_list().ok_or_else(|| {
            Error::expected(
                value,
                "a list of arguments (`- name: value`)",
                format!("state `{id}` ({})", decl.module),
            )
        })?;
        for item in items {
            match &item.value {
                Value::Map(m) if folds_into_mapping(m).is_some() => {
                    let (key, value) = folds_into_mapping(m).expect("checked");
                    decl.args.push(Arg::new(&key, value));
                }
                Value::Map(m) => {
                    for (k, v) in m.iter() {
                        decl.args.push(Arg::new(k, v.clone()));
                    }
                }
                Value::Str(f) if decl.fun.is_none() => {
                    decl.fun = Some((f.clone(), item.span.clone()));
                }
                _ => {
                    let what = if decl.fun.is_some() {
                        "`- key: value` (the function is already named)"
                    } else {
                        "a function name or `- key: value`"
                    };
                    return Err(Error::expected(
                        item,
                        what,
                        format!("state `{id}` ({})", decl.module),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Apply an sls's `extend:`: requisite lists are appended to, other
    /// arguments replaced, a new module added.
    fn extend(&mut self, sls: &str, node: &Node) -> Result<(), Error> {
        let Value::Map(map) = &node.value else {
            return Err(Error::expected(
                node,
                "a mapping of IDs",
                format!("extend in sls `{sls}`"),
            ));
        };
        for (key, body) in map.iter() {
            let id = key.scalar_string().unwrap_or_default();
            if !self.blocks.contains_key(&id) {
                return Err(Error::invalid(
                    Some(key.span.clone()),
                    format!(
                        "Cannot extend ID '{id}' in sls '{sls}': it is not part of the high state"
                    ),
                ));
            }
            let order = self.next_order;
            // What `extend` declares is not numbered (Salt numbers an sls's
            // states when it is loaded, before any extend).
            let iorder = self.next_iorder;
            let new = self.decls(&id, body)?;
            self.next_iorder = iorder;
            let block = self.blocks.get_mut(&id).expect("checked above");
            for ext in new {
                match block.decls.iter_mut().find(|d| d.module == ext.module) {
                    Some(decl) => {
                        decl.declared.get_or_insert_with(|| decl.args.clone());
                        if ext.fun.is_some() {
                            decl.fun = ext.fun;
                        }
                        for arg in ext.args {
                            merge_arg(&mut decl.args, arg);
                        }
                    }
                    None => block.decls.push(Decl {
                        auto_order: order,
                        iorder: None,
                        ..ext
                    }),
                }
            }
        }
        Ok(())
    }
}

/// `- context:` with its keys indented no deeper than `context` itself
/// (`- context:\n  restore_cmd: x`) is, to YAML, one item with a null
/// `context` and a sibling `restore_cmd`. Salt renders it as the author
/// meant, since file.managed hands unknown keywords to the template; so
/// the siblings become the mapping of `context` (or `defaults`).
fn folds_into_mapping(m: &crate::yaml::Map) -> Option<(Node, Node)> {
    let (key, value) = m.entries.first()?;
    let is_mapping_arg = matches!(key.as_str(), Some("context" | "defaults"));
    if !is_mapping_arg || value.value != Value::Null || m.len() < 2 {
        return None;
    }
    let rest = crate::yaml::Map {
        entries: m.entries[1..].to_vec(),
    };
    Some((
        key.clone(),
        Node::new(Value::Map(rest), m.entries[1].0.span.clone()),
    ))
}

fn merge_arg(args: &mut Vec<Arg>, arg: Arg) {
    match args.iter_mut().find(|a| a.key == arg.key) {
        Some(existing) if LIST_ARGS.contains(&arg.key.as_str()) => {
            let mut items = match &existing.value.value {
                Value::Seq(items) => items.clone(),
                _ => vec![existing.value.clone()],
            };
            match arg.value.value {
                Value::Seq(more) => items.extend(more),
                _ => items.push(arg.value),
            }
            existing.value = Node::new(Value::Seq(items), existing.value.span.clone());
        }
        Some(existing) => *existing = arg,
        None => args.push(arg),
    }
}
