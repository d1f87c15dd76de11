//! High data → low chunks: one chunk per (ID, module, name), with its
//! function checked against the functions it is handed (`Signatures`: the
//! host's state functions, or an orchestration's steps too) and its
//! arguments parsed into the function's argument type, so a typo fails
//! before anything runs and nothing is parsed twice.

mod chunk;
mod graph;

pub use chunk::{Checks, Chunk, Parsed, ReqKind, Requisite, StateId, Target};
pub use graph::Graph;

use crate::error::{suggest, Error};
use crate::source::Span;
use crate::tree::{Arg, Decl, High, IdBlock};
use crate::yaml::{DeError, Node, Value};

/// Arguments that belong to the state system, not to the function.
const GLOBAL_ARGS: &[&str] = &[
    "name", "names", "order", "failhard", "onlyif", "unless", "creates",
];

/// Requisites Salt has that converge does not, refused by name.
const UNSUPPORTED: &[&str] = &[
    "use",
    "use_in",
    "listen",
    "listen_in",
    "require_any",
    "watch_any",
    "onchanges_any",
    "onfail_any",
    "onfail_all",
    "prereq_any",
];

/// The functions a tree may name, and how to read their arguments.
pub trait Signatures: Sync {
    /// `args` parsed as the arguments of `function`; `None` when there is
    /// no such function.
    fn parse(&self, function: &str, args: &Node) -> Option<Result<Parsed, DeError>>;
    /// Every function's name, for suggestions.
    fn names(&self) -> Vec<&'static str>;
}

/// Every chunk of `high`, in definition order.
pub fn compile(high: &High, functions: &dyn Signatures) -> Result<Vec<Chunk>, Error> {
    let mut chunks = Vec::new();
    for block in high.blocks.values() {
        for decl in &block.decls {
            chunks.extend(decl_chunks(block, decl, functions)?);
        }
    }
    order(&mut chunks);
    Ok(chunks)
}

fn decl_chunks(
    block: &IdBlock,
    decl: &Decl,
    functions: &dyn Signatures,
) -> Result<Vec<Chunk>, Error> {
    let (fun, fun_span) = decl.fun.clone().ok_or_else(|| {
        Error::invalid(
            Some(decl.span.clone()),
            format!(
                "state `{}` names the module `{}` but no function (e.g. `{}.managed`)",
                block.id, decl.module, decl.module
            ),
        )
    })?;
    let function = format!("{}.{fun}", decl.module);
    if !functions.names().contains(&function.as_str()) {
        return Err(Error::UnknownFunction {
            span: fun_span,
            state: block.id.clone(),
            suggestion: suggest(&function, functions.names()),
            function,
        });
    }

    let mut base = Chunk {
        state: StateId {
            module: decl.module.clone(),
            id: block.id.clone(),
            name: block.id.clone(),
            fun,
        },
        sls: block.sls.clone(),
        env: block.env.clone(),
        args: Vec::new(),
        parsed: Parsed::none(),
        requisites: Vec::new(),
        order: 0.0,
        failhard: false,
        checks: Checks::default(),
        span: block.span.clone(),
        fun_span,
        auto_order: decl.auto_order,
    };
    let mut explicit_order = None;
    let mut names = None;
    for arg in &decl.args {
        apply_arg(&mut base, arg, &mut explicit_order, &mut names)?;
    }
    if base.arg("name").is_none() {
        let id = Node::new(Value::Str(block.id.clone()), block.span.clone());
        base.args.insert(0, ("name".into(), block.span.clone(), id));
    }
    base.order = match explicit_order {
        Some(o) => o,
        None => 10000.0 + decl.auto_order as f64,
    };

    let mut expanded = match names {
        None => vec![base],
        Some(names) => expand_names(&base, names)?,
    };
    for chunk in &mut expanded {
        chunk.parsed = functions
            .parse(&function, &chunk.args_node())
            .expect("a function named by `names()`")
            .map_err(|e| argument_error(chunk, e))?;
    }
    Ok(expanded)
}

fn argument_error(chunk: &Chunk, e: crate::yaml::DeError) -> Error {
    let function = chunk.state.function();
    match e.unknown {
        Some((argument, expected)) => {
            let mut allowed: Vec<&str> = expected.iter().map(String::as_str).collect();
            allowed.extend(GLOBAL_ARGS);
            Error::UnknownArgument {
                span: e.span,
                state: chunk.state.id.clone(),
                suggestion: suggest(&argument, allowed.iter().copied()).or_else(|| {
                    let kinds: Vec<String> = ReqKind::ALL
                        .iter()
                        .flat_map(|k| [k.name().to_string(), format!("{}_in", k.name())])
                        .collect();
                    suggest(&argument, kinds.iter().map(String::as_str))
                }),
                function,
                argument,
            }
        }
        None => Error::InvalidArgument {
            span: e.span,
            state: chunk.state.id.clone(),
            function,
            argument: e.path,
            message: e.message,
        },
    }
}

/// Sort an argument into the chunk: a global, a requisite, or the function's.
fn apply_arg(
    chunk: &mut Chunk,
    arg: &Arg,
    order: &mut Option<f64>,
    names: &mut Option<Node>,
) -> Result<(), Error> {
    let bad = |msg: &str| Error::InvalidArgument {
        span: arg.key_span.clone(),
        state: chunk.state.id.clone(),
        function: chunk.state.function(),
        argument: arg.key.clone(),
        message: msg.to_string(),
    };
    if let Some(kind) = requisite_kind(&arg.key) {
        let (kind, reverse) = kind;
        chunk
            .requisites
            .extend(requisites(&arg.value, kind, reverse).map_err(|m| bad(&m))?);
        return Ok(());
    }
    if UNSUPPORTED.contains(&arg.key.as_str()) {
        return Err(bad("this requisite is not supported by converge"));
    }
    match arg.key.as_str() {
        "name" => {
            chunk.state.name = arg
                .value
                .scalar_string()
                .ok_or_else(|| bad("expected a string"))?;
            chunk
                .args
                .push((arg.key.clone(), arg.key_span.clone(), arg.value.clone()));
        }
        "names" => *names = Some(arg.value.clone()),
        "order" => {
            *order = Some(match &arg.value.value {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                Value::Str(s) if s == "first" => 0.0,
                Value::Str(s) if s == "last" => f64::INFINITY,
                _ => return Err(bad("expected a number, `first` or `last`")),
            })
        }
        "failhard" => {
            chunk.failhard = matches!(arg.value.value, Value::Bool(true));
        }
        "onlyif" => chunk.checks.onlyif = strings(&arg.value).map_err(|m| bad(&m))?,
        "unless" => chunk.checks.unless = strings(&arg.value).map_err(|m| bad(&m))?,
        "creates" => chunk.checks.creates = strings(&arg.value).map_err(|m| bad(&m))?,
        _ => chunk
            .args
            .push((arg.key.clone(), arg.key_span.clone(), arg.value.clone())),
    }
    Ok(())
}

fn requisite_kind(key: &str) -> Option<(ReqKind, bool)> {
    let (base, reverse) = match key.strip_suffix("_in") {
        Some(b) => (b, true),
        None => (key, false),
    };
    ReqKind::ALL
        .into_iter()
        .find(|k| k.name() == base)
        .map(|k| (k, reverse))
}

/// `- file: /etc/x`, `- sls: web`, `- some_id`, in a list (or one alone).
fn requisites(node: &Node, kind: ReqKind, reverse: bool) -> Result<Vec<Requisite>, String> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Map(_) | Value::Str(_) => vec![node],
        _ => {
            return Err(format!(
                "expected a list of requisites, found {}",
                node.kind()
            ))
        }
    };
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Map(map) => {
                for (k, v) in map.iter() {
                    let module = k.scalar_string().unwrap_or_default();
                    let patterns: Vec<&Node> = match &v.value {
                        Value::Seq(vs) => vs.iter().collect(),
                        _ => vec![v],
                    };
                    for p in patterns {
                        let pattern = p
                            .scalar_string()
                            .ok_or("a requisite target must be a string")?;
                        let target = if module == "sls" {
                            Target::Sls(pattern)
                        } else {
                            Target::State {
                                module: Some(module.clone()),
                                pattern,
                            }
                        };
                        out.push(Requisite {
                            kind,
                            reverse,
                            target,
                            span: k.span.clone(),
                        });
                    }
                }
            }
            _ => {
                let pattern = item
                    .scalar_string()
                    .ok_or("a requisite must be `- <module>: <ID or name>` or `- <ID>`")?;
                out.push(Requisite {
                    kind,
                    reverse,
                    target: Target::State {
                        module: None,
                        pattern,
                    },
                    span: item.span.clone(),
                });
            }
        }
    }
    Ok(out)
}

fn strings(node: &Node) -> Result<Vec<String>, String> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| {
                i.scalar_string()
                    .ok_or_else(|| "expected a command or a list of commands".to_string())
            })
            .collect(),
        _ => node
            .scalar_string()
            .map(|s| vec![s])
            .ok_or_else(|| "expected a command or a list of commands".to_string()),
    }
}

/// `names:` turns one declaration into one chunk per name; a name given as
/// a mapping brings arguments of its own, which win.
fn expand_names(base: &Chunk, names: Node) -> Result<Vec<Chunk>, Error> {
    let Value::Seq(items) = &names.value else {
        return Err(Error::expected(
            &names,
            "a list of names",
            format!("names of state `{}`", base.state.id),
        ));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut chunk = base.clone();
        chunk.order = base.order + (i + 1) as f64 / 10000.0;
        let (name, extra) = match &item.value {
            Value::Map(m) if m.len() == 1 => {
                let (k, v) = &m.entries[0];
                (k.scalar_string().unwrap_or_default(), Some(v))
            }
            _ => (
                item.scalar_string().ok_or_else(|| {
                    Error::expected(
                        item,
                        "a name, or `name: [arguments]`",
                        format!("names of state `{}`", base.state.id),
                    )
                })?,
                None,
            ),
        };
        chunk.state.name = name.clone();
        chunk.args.retain(|(k, _, _)| k != "name");
        chunk.args.insert(
            0,
            (
                "name".into(),
                item.span.clone(),
                Node::new(Value::Str(name), item.span.clone()),
            ),
        );
        if let Some(extra) = extra {
            let pairs: Vec<&(Node, Node)> = match &extra.value {
                Value::Seq(list) => list
                    .iter()
                    .filter_map(Node::as_map)
                    .flat_map(|m| m.iter())
                    .collect(),
                Value::Map(m) => m.iter().collect(),
                _ => vec![],
            };
            let args: Vec<Arg> = pairs
                .into_iter()
                .map(|(k, v)| Arg::new(k, v.clone()))
                .collect();
            let mut order = None;
            let mut nested = None;
            for arg in &args {
                chunk.args.retain(|(k, _, _)| k != &arg.key);
                apply_arg(&mut chunk, arg, &mut order, &mut nested)?;
            }
            if let Some(o) = order {
                chunk.order = o;
            }
        }
        out.push(chunk);
    }
    Ok(out)
}

/// Salt's `order_chunks`: `last` and negative orders count from a cap
/// above every other order.
fn order(chunks: &mut [Chunk]) {
    let cap = chunks
        .iter()
        .map(|c| c.order)
        .filter(|o| o.is_finite() && *o > 0.0)
        .fold(
            1.0_f64,
            |cap, o| if o > cap - 1.0 { o + 100.0 } else { cap },
        );
    for chunk in chunks.iter_mut() {
        if chunk.order == f64::INFINITY {
            chunk.order = cap + 1_000_000.0;
        } else if chunk.order < 0.0 {
            chunk.order += cap + 1_000_000.0;
        }
    }
}

/// Where a chunk is declared, for messages: `init.sls:3:1`.
pub fn place(chunk: &Chunk) -> &Span {
    &chunk.span
}

#[cfg(test)]
mod tests;
