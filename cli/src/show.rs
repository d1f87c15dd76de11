//! `converge show`: each host's compiled states, in run order.
//!
//! `--out json` prints Salt's `state.show_low_sls` shape (host → list of low
//! chunks), so that tooling written for Salt, and the formula harness that
//! compares converge with Salt, read the same thing: every argument as
//! written, the requisites under the keys they were written under (an
//! `_in` stays on the state that declares it, as Salt shows it), Salt's
//! order numbers and bookkeeping keys. Like Salt's, it shows each state as
//! its own sls declares it: what another sls's `extend` adds runs (the
//! text listing and the graph show it) but is not printed here. `--out text` is a short listing for
//! people; `--format dot` the graph.

use converge::Error;
use converge::{Chunk, Graph, ReqKind, RequisiteTarget as Target, MOD_WATCH};
use converge::{Engine, Mode};
use serde_json::{Map, Value};

use crate::args::{Cli, Out, ShowFormat};
use crate::output;

pub(crate) async fn show(
    engine: &Engine,
    target: &str,
    format: ShowFormat,
    cli: &Cli,
) -> Result<i32, Error> {
    let hosts = engine
        .prepare(target, &Mode::Highstate, cli.pillar.as_ref(), cli.jobs)
        .await?;
    let mut code = 0;
    let mut all = Map::new();
    for (h, p) in &hosts {
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                code = 2;
                eprintln!("{}: {e}", h.id);
                continue;
            }
        };
        match (format, cli.out) {
            (ShowFormat::Dot, _) => print!("{}", p.graph.dot()),
            (ShowFormat::Text, Out::Json) => {
                all.insert(h.id.clone(), Value::Array(low_chunks(&p.graph)));
            }
            (ShowFormat::Text, Out::Text) => print!("{}", listing(&h.id, &p.graph)),
        }
    }
    engine.disconnect().await;
    if cli.out == Out::Json && format == ShowFormat::Text {
        println!("{}", output::pretty(&Value::Object(all)));
    }
    Ok(code)
}

/// The graph's chunks in converge's run order, each as Salt's low chunk.
/// (Salt's own list is sorted before `_in` requisites are applied, so a
/// state pulled earlier by a `require_in` may stand elsewhere there.)
pub(crate) fn low_chunks(g: &Graph) -> Vec<Value> {
    // Salt marks both ends of a `prereq` when it compiles: the state that
    // declares it is `__prerequiring__`, the one it names `__prereq__`.
    let mut prereq = vec![false; g.chunks.len()];
    let mut prerequiring = vec![false; g.chunks.len()];
    for (c, deps) in g.deps.iter().enumerate() {
        for &(kind, t) in deps {
            if kind == ReqKind::Prereq {
                prerequiring[c] = true;
                prereq[t] = true;
            }
        }
    }
    g.order
        .iter()
        .map(|&i| {
            let c = &g.chunks[i];
            let declared = c.as_declared.as_deref().unwrap_or(c);
            Value::Object(low_chunk(declared, prereq[i], prerequiring[i]))
        })
        .collect()
}

/// One chunk in Salt's key order: `state`, `name`, `__sls__`, `__env__`,
/// `__id__`, the arguments, `order`, `fun`.
fn low_chunk(c: &Chunk, prereq: bool, prerequiring: bool) -> Map<String, Value> {
    let mut low = Map::new();
    low.insert("state".into(), c.state.module.clone().into());
    low.insert("name".into(), c.state.name.clone().into());
    low.insert("__sls__".into(), c.sls.clone().into());
    low.insert("__env__".into(), c.env.clone().into());
    if !c.included_from.is_empty() {
        low.insert(
            "__sls_included_from__".into(),
            c.included_from.clone().into(),
        );
    }
    low.insert("__id__".into(), c.state.id.clone().into());
    for (key, _, node) in &c.args {
        if key != "name" {
            low.insert(key.clone(), node.to_json());
        }
    }
    for (key, list) in requisites(c) {
        low.insert(key, Value::Array(list));
    }
    for (key, commands) in [
        ("onlyif", &c.checks.onlyif),
        ("unless", &c.checks.unless),
        ("creates", &c.checks.creates),
    ] {
        if let Some(v) = commands_value(commands) {
            low.insert(key.into(), v);
        }
    }
    if c.failhard {
        low.insert("failhard".into(), true.into());
    }
    low.insert("order".into(), order_value(c.order));
    low.insert("fun".into(), c.state.fun.clone().into());
    if prereq {
        low.insert("__prereq__".into(), true.into());
    }
    if prerequiring {
        low.insert("__prerequiring__".into(), true.into());
    }
    low
}

/// The chunk's requisites grouped under their keys (`require`,
/// `watch_in`...), in the order first written, each item as Salt keeps it:
/// `{file: x}`, `{sls: web}` or a bare `x`.
fn requisites(c: &Chunk) -> Vec<(String, Vec<Value>)> {
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    for r in &c.requisites {
        let key = if r.reverse {
            format!("{}_in", r.kind.name())
        } else {
            r.kind.name().to_string()
        };
        let item = match &r.target {
            Target::State {
                module: Some(m),
                pattern,
            } => Value::Object(Map::from_iter([(m.clone(), pattern.clone().into())])),
            Target::State {
                module: None,
                pattern,
            } => pattern.clone().into(),
            Target::Sls(s) => Value::Object(Map::from_iter([("sls".into(), s.clone().into())])),
        };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(item),
            None => out.push((key, vec![item])),
        }
    }
    // Salt's `_reconcile_watch_req`: the watched states are appended to
    // `require` (made if missing) on a module without `mod_watch`.
    if !MOD_WATCH.contains(&c.state.module.as_str()) {
        if let Some(w) = out.iter().position(|(k, _)| k == ReqKind::Watch.name()) {
            let (_, watched) = out.remove(w);
            let require = ReqKind::Require.name();
            match out.iter_mut().find(|(k, _)| k == require) {
                Some((_, list)) => list.extend(watched),
                None => out.push((require.to_string(), watched)),
            }
        }
    }
    out
}

/// `onlyif` and friends: one command as a string (the usual way to write
/// it), several as a list. The chunk keeps only the commands, so a single
/// command written as a one-item list also prints as a string.
fn commands_value(commands: &[String]) -> Option<Value> {
    match commands {
        [] => None,
        [one] => Some(one.clone().into()),
        many => Some(many.iter().cloned().map(Value::from).collect()),
    }
}

/// Salt prints whole orders as integers (`10002`) and `names` orders as
/// floats (`10005.0001`).
fn order_value(order: f64) -> Value {
    if order.fract() == 0.0 && order.abs() < 9.0e15 {
        Value::from(order as i64)
    } else {
        serde_json::Number::from_f64(order).map_or(Value::Null, Value::Number)
    }
}

/// The text layout: numbered states with where they are declared, and
/// what each waits on.
fn listing(host: &str, g: &Graph) -> String {
    let mut out = format!("{host}:\n");
    for (n, &i) in g.order.iter().enumerate() {
        let c = &g.chunks[i];
        let name = if c.state.name != c.state.id {
            format!(" name={}", c.state.name)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "  {:>3}. {} {}{name}  [{}]\n",
            n + 1,
            c.state.function(),
            c.state.id,
            c.span
        ));
        for (kind, t) in &g.deps[i] {
            let t = &g.chunks[*t];
            out.push_str(&format!(
                "         {}: {} {}\n",
                kind.name(),
                t.state.function(),
                t.state.id
            ));
        }
    }
    out
}
