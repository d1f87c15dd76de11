//! High data → low chunks: one chunk per (ID, module, name), with its
//! function checked against the functions it is handed (`Signatures`: the
//! host's state functions, or an orchestration's steps too) and its
//! arguments parsed into the function's argument type, so a typo fails
//! before anything runs and nothing is parsed twice.

mod chunk;
mod graph;

pub use chunk::{
    Checks, Chunk, FunCheck, Parsed, ReqKind, Requisite, Retry, StateId, Target, WrittenOrder,
    MOD_WATCH,
};
pub use graph::Graph;

use crate::error::{suggest, Error};
use crate::source::Span;
use crate::tree::{Arg, Decl, High, IdBlock};
use crate::yaml::{DeError, Node, Value};

/// Arguments that belong to the state system, not to the function.
const GLOBAL_ARGS: &[&str] = &[
    "name",
    "names",
    "order",
    "failhard",
    "onlyif",
    "unless",
    "creates",
    "retry",
    "reload_modules",
];

/// Requisites Salt has that converge does not, refused by name.
const UNSUPPORTED: &[&str] = &[
    "use",
    "use_in",
    "require_any",
    "watch_any",
    "onchanges_any",
    "onfail_any",
    "onfail_all",
    "prereq_any",
];

/// The functions a tree may name, and how to read their arguments.
pub(crate) trait Signatures: Sync {
    /// `args` parsed as the arguments of `function`; `None` when there is
    /// no such function.
    fn parse(&self, function: &str, args: &Node) -> Option<Result<Parsed, DeError>>;
    /// Every function's name, for suggestions.
    fn names(&self) -> Vec<&'static str>;
}

/// Every chunk of `high`, in definition order.
pub(crate) fn compile(high: &High, functions: &dyn Signatures) -> Result<Vec<Chunk>, Error> {
    let mut chunks = Vec::new();
    // What Salt's `order: last` cap counts of each chunk: its integer
    // order before a `names` fraction (none for `first`, `last` and
    // fractions written as such).
    let mut counted = Vec::new();
    for block in high.blocks.values() {
        for decl in &block.decls {
            for (chunk, int) in decl_chunks(block, decl, functions)? {
                chunks.push(chunk);
                counted.push(int);
            }
        }
    }
    // A requisite on an sls that was loaded but declares no states (only
    // includes and extends) names nothing, and Salt lets it be.
    let empty: Vec<&String> = high
        .loaded
        .iter()
        .filter(|sls| !chunks.iter().any(|c| &c.sls == *sls))
        .collect();
    let names_states =
        |p: &str, chunks: &[Chunk]| chunks.iter().any(|c| crate::glob::matches(p, &c.sls));
    let void: Vec<String> = chunks
        .iter()
        .flat_map(|c| &c.requisites)
        .filter_map(|r| match &r.target {
            Target::Sls(p)
                if !names_states(p, &chunks)
                    && empty.iter().any(|sls| crate::glob::matches(p, sls)) =>
            {
                Some(p.clone())
            }
            _ => None,
        })
        .collect();
    let names_void = |r: &Requisite| matches!(&r.target, Target::Sls(p) if void.contains(p));
    for chunk in &mut chunks {
        if chunk.as_declared.is_none() && chunk.requisites.iter().any(names_void) {
            chunk.as_declared = Some(Box::new(chunk.clone()));
        }
        chunk.requisites.retain(|r| !names_void(r));
    }
    order(&mut chunks, &counted);
    // The declaration shows the order its chunk runs with.
    for chunk in &mut chunks {
        let order = chunk.order;
        if let Some(d) = chunk.as_declared.as_mut() {
            d.order = order;
        }
    }
    Ok(chunks)
}

/// A declaration's chunks (one per name), each with the integer order
/// Salt's cap counts.
fn decl_chunks(
    block: &IdBlock,
    decl: &Decl,
    functions: &dyn Signatures,
) -> Result<Vec<(Chunk, Option<i64>)>, Error> {
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

    let mut expanded = unparsed_chunks(block, decl, fun, fun_span)?;
    if let Some(args) = &decl.declared {
        // Compiled again from the arguments as written, for `show`. What
        // only `extend` made valid may not compile alone: then `show`
        // prints the run's chunk.
        let written = Decl {
            args: args.clone(),
            declared: None,
            ..decl.clone()
        };
        let fun = decl.fun.clone().expect("checked above");
        if let Ok(originals) = unparsed_chunks(block, &written, fun.0, fun.1) {
            for (chunk, _) in &mut expanded {
                chunk.as_declared = originals
                    .iter()
                    .find(|(o, _)| o.state == chunk.state)
                    .map(|(o, _)| Box::new(o.clone()));
            }
        }
    }
    for (chunk, _) in &mut expanded {
        chunk.parsed = functions
            .parse(&function, &chunk.args_node())
            .expect("a function named by `names()`")
            .map_err(|e| argument_error(chunk, e))?;
    }
    Ok(expanded)
}

/// A declaration's chunks with their arguments sorted but not parsed.
fn unparsed_chunks(
    block: &IdBlock,
    decl: &Decl,
    fun: String,
    fun_span: Span,
) -> Result<Vec<(Chunk, Option<i64>)>, Error> {
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
        written_order: WrittenOrder {
            value: f64::NAN,
            name: 0,
        },
        failhard: false,
        checks: Checks::default(),
        span: block.span.clone(),
        fun_span,
        auto_order: decl.auto_order,
        included_from: block.included_from.clone(),
        retry: None,
        as_declared: None,
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
    // Salt's automatic order (10000 on) for a declaration without one. One
    // that `extend` added (Salt refuses to add a module to an ID; converge
    // takes it) has none: the cap, as a chunk without an order in Salt.
    let order = match explicit_order {
        Some(o) => o,
        None => match decl.iorder {
            Some(n) => Order::Int(10000 + n as i64),
            None => Order::Cap,
        },
    };
    base.order = order.value();
    base.written_order.value = order.value();

    match names {
        None => Ok(vec![(base, order.int())]),
        Some(names) => expand_names(&base, order, names),
    }
}

/// An `order:` as Salt holds it until it sorts: an integer, a number
/// with a fraction, `first`, `last`, or nothing (the cap).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Order {
    Int(i64),
    Float(f64),
    Last,
    /// No order at all (a declaration `extend` added): the cap (without
    /// a `names` fraction).
    Cap,
}

impl Order {
    /// The number a chunk sorts by before `order` resolves `last`, the
    /// cap and negative numbers (infinities and NaN stand for those).
    fn value(self) -> f64 {
        match self {
            Order::Int(i) => i as f64,
            Order::Float(f) => f,
            Order::Last => f64::INFINITY,
            Order::Cap => f64::NAN,
        }
    }

    /// What Salt's cap counts: integers only.
    fn int(self) -> Option<i64> {
        match self {
            Order::Int(i) => Some(i),
            _ => None,
        }
    }
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
    order: &mut Option<Order>,
    names: &mut Option<Node>,
) -> Result<(), Error> {
    let at = |span: Span, msg: &str| Error::InvalidArgument {
        span,
        state: chunk.state.id.clone(),
        function: chunk.state.function(),
        argument: arg.key.clone(),
        message: msg.to_string(),
    };
    let bad = |msg: &str| at(arg.key_span.clone(), msg);
    if let Some(kind) = requisite_kind(&arg.key) {
        let (kind, reverse) = kind;
        let found = requisites(&arg.value, kind, reverse).map_err(|m| bad(&m))?;
        if kind == ReqKind::Listen && found.iter().any(|r| matches!(r.target, Target::Sls(_))) {
            return Err(bad("listen names states (`- service: nginx`), not an sls"));
        }
        chunk.requisites.extend(found);
        return Ok(());
    }
    let keep = |chunk: &mut Chunk| {
        chunk
            .args
            .push((arg.key.clone(), arg.key_span.clone(), arg.value.clone()));
    };
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
                Value::Int(i) => Order::Int(*i),
                Value::Float(f) => Order::Float(*f),
                Value::Str(s) if s == "first" => Order::Int(0),
                Value::Str(s) if s == "last" => Order::Last,
                _ => return Err(bad("expected a number, `first` or `last`")),
            });
        }
        "failhard" => {
            chunk.failhard = matches!(arg.value.value, Value::Bool(true));
        }
        // Kept as written too, for Salt's low chunk (`show`).
        "onlyif" => {
            (chunk.checks.onlyif, chunk.checks.onlyif_fun) = conditions(&arg.value)
                .map_err(|(m, span)| at(span.unwrap_or(arg.key_span.clone()), &m))?;
            keep(chunk);
        }
        "unless" => {
            (chunk.checks.unless, chunk.checks.unless_fun) = conditions(&arg.value)
                .map_err(|(m, span)| at(span.unwrap_or(arg.key_span.clone()), &m))?;
            keep(chunk);
        }
        "creates" => chunk.checks.creates = strings(&arg.value).map_err(|m| bad(&m))?,
        "retry" => {
            chunk.retry = retry(&arg.value)
                .map_err(|(m, span)| at(span.unwrap_or(arg.key_span.clone()), &m))?;
            keep(chunk);
        }
        // Salt reloads its execution modules after the state; converge has
        // none to reload.
        "reload_modules" => keep(chunk),
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

/// `onlyif`/`unless`: commands, and Salt's module form (`- fun:
/// file.file_exists` with the function's arguments beside it, `args` for
/// the positional ones, `get_return` to look into what it returns).
/// A function converge cannot run on the host is refused here.
#[allow(clippy::type_complexity)]
fn conditions(node: &Node) -> Result<(Vec<String>, Vec<FunCheck>), (String, Option<Span>)> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    let (mut commands, mut funs) = (Vec::new(), Vec::new());
    for item in items {
        let Value::Map(map) = &item.value else {
            commands.push(item.scalar_string().ok_or((
                "expected a command, or `fun:` and its arguments".to_string(),
                Some(item.span.clone()),
            ))?);
            continue;
        };
        let Some((fun_key, fun)) = map.entry("fun") else {
            return Err((
                "expected `fun:` (an execution function such as file.file_exists) with its arguments".into(),
                Some(item.span.clone()),
            ));
        };
        let fun = fun
            .scalar_string()
            .ok_or(("`fun` names a function".to_string(), Some(fun.span.clone())))?;
        if !FunCheck::SUPPORTED.contains(&fun.as_str()) {
            return Err((
                format!(
                    "converge cannot run `{fun}` as a check; it runs {}",
                    FunCheck::SUPPORTED.join(", ")
                ),
                Some(fun_key.span.clone()),
            ));
        }
        let mut check = FunCheck {
            fun,
            args: Vec::new(),
            kwargs: serde_json::Map::new(),
            get_return: None,
        };
        for (k, v) in map.iter() {
            match k.as_str() {
                Some("fun") => {}
                Some("args") => {
                    check.args = match v.to_json() {
                        serde_json::Value::Array(a) => a,
                        other => vec![other],
                    }
                }
                Some("get_return") => check.get_return = v.scalar_string(),
                _ => {
                    check
                        .kwargs
                        .insert(k.scalar_string().unwrap_or_default(), v.to_json());
                }
            }
        }
        funs.push(check);
    }
    Ok((commands, funs))
}

/// Salt's `retry`: `True` (its defaults), `False` (no retry), or some of
/// `attempts`, `until`, `interval` and `splay`.
fn retry(node: &Node) -> Result<Option<Retry>, (String, Option<Span>)> {
    let map = match &node.value {
        Value::Bool(true) => return Ok(Some(Retry::default())),
        Value::Bool(false) => return Ok(None),
        Value::Map(map) => map,
        _ => {
            return Err((
                "expected `True`, or a mapping of attempts, until, interval and splay".into(),
                None,
            ))
        }
    };
    let mut r = Retry::default();
    for (k, v) in map.iter() {
        let int = || match &v.value {
            Value::Int(i) if *i >= 0 => Ok(*i as u64),
            _ => Err(("expected a whole number".to_string(), Some(v.span.clone()))),
        };
        match k.as_str() {
            Some("attempts") => r.attempts = int()? as u32,
            Some("interval") => r.interval = int()?,
            Some("splay") => r.splay = int()?,
            Some("until") => {
                r.until = match &v.value {
                    Value::Bool(b) => *b,
                    _ => return Err(("expected True or False".into(), Some(v.span.clone()))),
                }
            }
            _ => {
                return Err((
                    "retry takes attempts, until, interval and splay".into(),
                    Some(k.span.clone()),
                ))
            }
        }
    }
    Ok(Some(r))
}

/// `names:` turns one declaration into one chunk per name; a name given as
/// a mapping brings arguments of its own, which win.
fn expand_names(
    base: &Chunk,
    base_order: Order,
    names: Node,
) -> Result<Vec<(Chunk, Option<i64>)>, Error> {
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
        // Salt's `name_order`: n/10000 added to the order, an order of the
        // name's own too.
        let fraction = (i + 1) as f64 / 10000.0;
        let mut order = base_order;
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
            let mut own = None;
            let mut nested = None;
            for arg in &args {
                chunk.args.retain(|(k, _, _)| k != &arg.key);
                apply_arg(&mut chunk, arg, &mut own, &mut nested)?;
            }
            if let Some(o) = own {
                order = o;
            }
        }
        chunk.order = order.value() + fraction;
        chunk.written_order = WrittenOrder {
            value: order.value(),
            name: i as u32 + 1,
        };
        out.push((chunk, order.int()));
    }
    Ok(out)
}

/// Salt's `order_chunks`: `last`, negative orders and chunks without an
/// order at all count from a cap: 100 above the first integer order
/// (`counted`) greater than the cap so far, walking the chunks as Salt's
/// high data holds them (`salts_walk`).
fn order(chunks: &mut [Chunk], counted: &[Option<i64>]) {
    let mut cap = 1_i64;
    for i in salts_walk(chunks) {
        if let Some(o) = counted[i] {
            if o > cap - 1 && o > 0 {
                cap = o + 100;
            }
        }
    }
    let cap = cap as f64;
    for chunk in chunks.iter_mut() {
        chunk.order = chunk.written_order.resolve(cap);
    }
}

/// The chunks in the order of Salt's high data: an sls's own states, then
/// those of each sls it included, in turn (each the same way); chunks are
/// loaded the other way round (included sls first). Which sls included
/// which is in `included_from`.
fn salts_walk(chunks: &[Chunk]) -> Vec<usize> {
    // The include tree: each sls under the one that first included it,
    // children in the order they were loaded.
    let mut roots: Vec<String> = Vec::new();
    let mut children: indexmap::IndexMap<String, Vec<String>> = indexmap::IndexMap::new();
    let mut own: indexmap::IndexMap<String, Vec<usize>> = indexmap::IndexMap::new();
    for (i, c) in chunks.iter().enumerate() {
        own.entry(c.sls.clone()).or_default().push(i);
        // The chain from the top: the sls asked for, ..., this one.
        let mut chain: Vec<&String> = c.included_from.iter().rev().collect();
        chain.push(&c.sls);
        if !roots.contains(chain[0]) && !children.values().any(|v| v.contains(chain[0])) {
            roots.push(chain[0].clone());
        }
        for pair in chain.windows(2) {
            let kids = children.entry(pair[0].clone()).or_default();
            if !kids.contains(pair[1]) {
                kids.push(pair[1].clone());
            }
        }
    }
    fn visit(
        sls: &str,
        own: &indexmap::IndexMap<String, Vec<usize>>,
        children: &indexmap::IndexMap<String, Vec<String>>,
        out: &mut Vec<usize>,
    ) {
        out.extend(own.get(sls).into_iter().flatten());
        for kid in children.get(sls).into_iter().flatten() {
            visit(kid, own, children, out);
        }
    }
    let mut out = Vec::with_capacity(chunks.len());
    for root in &roots {
        visit(root, &own, &children, &mut out);
    }
    out
}

#[cfg(test)]
mod tests;
