//! One sls file: rendered, parsed, split into includes, extends and IDs.

use std::sync::Arc;

use super::Tree;
use crate::error::Error;
use crate::render::HostContext;
use crate::source::{Source, Span};
use crate::yaml::{self, Node, Value};

pub struct Sls {
    pub name: String,
    pub env: String,
    pub source: Arc<Source>,
    /// (env, sls, where it was named).
    pub include: Vec<(String, String, Span)>,
    pub extend: Option<Node>,
    /// (ID key, its body), in file order.
    pub ids: Vec<(Node, Node)>,
}

pub(crate) fn load(
    tree: &Tree,
    env: &str,
    name: &str,
    ctx: &HostContext,
    span: Option<&Span>,
) -> Result<Sls, Error> {
    let original = tree.read_sls(env, name, span)?;
    let text = tree.renderer(env)?.render_sls(&original, name, ctx)?;
    let source = Source::rendered(&original, text);
    let mut sls = Sls {
        name: name.to_string(),
        env: env.to_string(),
        source: Arc::clone(&source),
        include: Vec::new(),
        extend: None,
        ids: Vec::new(),
    };
    let Some(root) = yaml::load(&source)? else {
        return Ok(sls);
    };
    let Value::Map(map) = root.value else {
        return Err(Error::expected(
            &root,
            "a mapping of IDs to state declarations",
            format!("sls `{name}` (after rendering)"),
        ));
    };
    for (key, value) in map.entries {
        match key.scalar_string().as_deref() {
            Some("include") => sls.include = includes(&value, name, env, &source.rel)?,
            Some("extend") => sls.extend = Some(value),
            _ => sls.ids.push((key, value)),
        }
    }
    Ok(sls)
}

fn includes(
    node: &Node,
    sls: &str,
    env: &str,
    file: &str,
) -> Result<Vec<(String, String, Span)>, Error> {
    let items = node
        .as_list()
        .ok_or_else(|| Error::expected(node, "a list of sls names", "include"))?;
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Map(m) => {
                // `- dev: web` includes `web` from the saltenv `dev`.
                for (k, v) in m.iter() {
                    let inc_env = k.scalar_string().unwrap_or_default();
                    let name = v.scalar_string().ok_or_else(|| {
                        Error::invalid(Some(v.span.clone()), "include: expected `<saltenv>: <sls>`")
                    })?;
                    out.push((
                        inc_env,
                        relative(&name, sls, file, &v.span)?,
                        v.span.clone(),
                    ));
                }
            }
            _ => {
                let name = item.scalar_string().ok_or_else(|| {
                    Error::invalid(Some(item.span.clone()), "include: expected an sls name")
                })?;
                out.push((
                    env.to_string(),
                    relative(&name, sls, file, &item.span)?,
                    item.span.clone(),
                ));
            }
        }
    }
    Ok(out)
}

/// Salt's relative includes: `.x` is a sibling of this sls (a child when
/// this sls is a package's `init.sls`), each further dot one level up.
pub(crate) fn relative(include: &str, sls: &str, file: &str, span: &Span) -> Result<String, Error> {
    let rest = include.trim_start_matches('.');
    let levels = include.len() - rest.len();
    if levels == 0 {
        return Ok(include.to_string());
    }
    let mut comps: Vec<&str> = sls.split('.').collect();
    if file.ends_with("/init.sls") || file == "init.sls" {
        comps.push("init");
    }
    if levels > comps.len() {
        return Err(Error::invalid(
            Some(span.clone()),
            format!("relative include of '{include}' within sls '{sls}' goes beyond the top level package"),
        ));
    }
    let mut parts: Vec<&str> = comps[..comps.len() - levels].to_vec();
    if !rest.is_empty() {
        parts.push(rest);
    }
    Ok(parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(inc: &str, sls: &str, file: &str) -> String {
        let src = Source::new(file, "");
        relative(inc, sls, file, &Span::file(&src)).unwrap()
    }

    #[test]
    fn relative_includes_as_salt_resolves_them() {
        assert_eq!(rel(".config", "web", "web/init.sls"), "web.config");
        assert_eq!(rel(".config", "web.app", "web/app.sls"), "web.config");
        assert_eq!(rel("..common", "web.app", "web/app.sls"), "common");
        assert_eq!(rel("..common", "web.app", "web/app/init.sls"), "web.common");
        assert_eq!(rel("plain.name", "web", "web/init.sls"), "plain.name");
    }
}
