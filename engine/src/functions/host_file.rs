//! `host.present`, `host.absent` and `host.only`: names of addresses in
//! the hosts file, edited as Salt's `hosts` module edits it (its reading
//! of the file, its rewrite, its line edits) and written atomically.
//!
//! The file is `/etc/hosts` (Salt's `hosts.file` option); a function
//! holds its path, so that tests point it at a scratch file.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{would, Ctx, Function};
use crate::plan::{Action, Changes, Failure, Plan};
use crate::transport::WriteFile;

pub(super) struct Present {
    pub path: &'static str,
}
pub(super) struct Absent {
    pub path: &'static str,
}
pub(super) struct Only {
    pub path: &'static str,
}

pub(super) const HOSTS: &str = "/etc/hosts";

/// One address or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PresentArgs {
    pub name: String,
    pub ip: OneOrMany,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub clean: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AbsentArgs {
    pub name: String,
    pub ip: OneOrMany,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OnlyArgs {
    pub name: String,
    pub hostnames: OneOrMany,
}

/// An entry of the file as Salt's `_list_hosts` reads it.
#[derive(Clone, Debug, PartialEq)]
enum Entry {
    /// A whole-line comment.
    Comment(String),
    Host {
        aliases: Vec<String>,
        comment: Option<String>,
    },
}

/// The file read as `_list_hosts` reads it: keys are addresses (lines of
/// one address merged) or `comment-N`.
fn list_hosts(text: &str) -> IndexMap<String, Entry> {
    let mut out: IndexMap<String, Entry> = IndexMap::new();
    let mut count = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            out.insert(format!("comment-{count}"), Entry::Comment(line.to_string()));
            count += 1;
            continue;
        }
        let (body, comment) = match line.find('#') {
            Some(i) => (
                line[..i].trim(),
                Some(line[i + 1..].trim_start().to_string()),
            ),
            None => (line, None),
        };
        let mut comps = body.split_whitespace();
        let Some(ip) = comps.next() else { continue };
        let entry = out.entry(ip.to_string()).or_insert(Entry::Host {
            aliases: Vec::new(),
            comment: None,
        });
        if let Entry::Host {
            aliases,
            comment: c,
        } = entry
        {
            aliases.extend(comps.map(str::to_string));
            if comment.as_deref().is_some_and(|c| !c.is_empty()) {
                *c = comment;
            }
        }
    }
    out
}

fn aliases<'a>(hosts: &'a IndexMap<String, Entry>, ip: &str) -> Option<&'a Vec<String>> {
    match hosts.get(ip) {
        Some(Entry::Host { aliases, .. }) => Some(aliases),
        _ => None,
    }
}

/// Salt's `_write_hosts`: every entry on a line of its own.
fn write_hosts(hosts: &IndexMap<String, Entry>) -> String {
    let mut out = String::new();
    for (ip, e) in hosts {
        let line = match e {
            Entry::Comment(c) => c.clone(),
            Entry::Host { aliases, comment } => match comment {
                Some(c) => format!("{ip}\t\t{}\t\t# {c}", aliases.join(" ")),
                None => format!("{ip}\t\t{}", aliases.join(" ")),
            },
        };
        if !line.trim().is_empty() {
            out.push_str(line.trim());
            out.push('\n');
        }
    }
    out
}

/// Salt's `rm_host`: `alias` off the lines of `ip`, a line with no alias
/// left removed.
fn rm_host(text: &str, ip: &str, alias: &str) -> String {
    let mut out = String::new();
    for raw in text.split_inclusive('\n') {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            out.push_str(raw);
            continue;
        }
        let (info, comment) = match line.split_once('#') {
            Some((i, c)) => (i, Some(c.trim_start())),
            None => (line, None),
        };
        let comps: Vec<&str> = info.split_whitespace().collect();
        if comps.first() != Some(&ip) {
            out.push_str(raw);
            continue;
        }
        let mut new = format!("{ip}\t\t");
        for a in &comps[1..] {
            if *a != alias {
                new.push_str(a);
                new.push(' ');
            }
        }
        if new.trim() == ip {
            continue;
        }
        match comment {
            Some(c) => out.push_str(&format!("{new}# {c}\n")),
            None => out.push_str(&format!("{new}\n")),
        }
    }
    out
}

/// Salt's `set_host`: the first line of `ip` becomes `ip\t\tnames`, its
/// other lines go; appended when there is none.
fn set_host(text: &str, ip: &str, names: &str) -> String {
    let new = if names.trim().is_empty() {
        String::new()
    } else {
        format!("{ip}\t\t{names}\n")
    };
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut done = false;
    for l in lines.iter_mut() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.split_whitespace().next() == Some(ip) {
            *l = if done { String::new() } else { new.clone() };
            done = true;
        }
    }
    if !done {
        if let Some(last) = lines.last_mut() {
            if !last.ends_with('\n') {
                last.push('\n');
            }
        }
        lines.push(new);
    }
    lines.concat()
}

fn is_ip(addr: &str) -> bool {
    addr.parse::<std::net::IpAddr>().is_ok()
}

async fn read(ctx: &Ctx<'_>, path: &str) -> Result<String, Failure> {
    let f = ctx.host.file(path).await?;
    Ok(f.content
        .as_deref()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_default())
}

fn write(path: &str, text: String) -> Action {
    Action::write(WriteFile {
        path: path.to_string(),
        content: text.into_bytes(),
        user: None,
        group: None,
        mode: None,
        makedirs: false,
    })
}

fn add_to(changes: &mut Changes, kind: &str, addr: &str, value: &str) {
    let slot = changes.entry(kind.to_string()).or_insert_with(|| json!({}));
    if let Value::Object(m) = slot {
        let list = m.entry(addr.to_string()).or_insert_with(|| json!([]));
        if let Value::Array(a) = list {
            a.push(json!(value));
        }
    }
}

#[async_trait]
impl Function for Present {
    type Args = PresentArgs;

    fn paths(_args: &PresentArgs) -> Vec<String> {
        vec![HOSTS.to_string()]
    }

    async fn plan(&self, args: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let ips = args.ip.list();
        let comment = args.comment.clone().filter(|c| !c.is_empty());
        let text = read(ctx, self.path).await?;
        let hosts = list_hosts(&text);
        let mut to_add: Vec<String> = ips
            .iter()
            .filter(|a| !hosts.contains_key(*a))
            .cloned()
            .collect();
        let mut update_comment: Vec<String> = match &comment {
            Some(_) => to_add.clone(),
            None => Vec::new(),
        };
        let mut to_remove = Vec::new();
        let (mut test_lines, mut done_lines) = (Vec::new(), Vec::new());
        let mut invalid = false;
        for (addr, e) in &hosts {
            let Entry::Host {
                aliases,
                comment: have,
            } = e
            else {
                continue;
            };
            if !ips.contains(addr) {
                if aliases.contains(name) && args.clean {
                    to_remove.push(addr.clone());
                }
                continue;
            }
            if aliases.contains(name) {
                match (&comment, have) {
                    (Some(c), Some(h)) if c != h => update_comment.push(addr.clone()),
                    (Some(_), None) => update_comment.push(addr.clone()),
                    _ => {
                        let l = format!("Host {name} ({addr}) already present");
                        test_lines.push(l.clone());
                        done_lines.push(l);
                    }
                }
            } else if is_ip(addr) {
                to_add.push(addr.clone());
                if comment.is_some() {
                    update_comment.push(addr.clone());
                }
            } else {
                invalid = true;
                let l = format!("Invalid IP Address for {name} ({addr})");
                test_lines.push(l.clone());
                done_lines.push(l);
            }
        }
        let mut changes = Changes::new();
        let mut new = hosts.clone();
        for addr in &to_add {
            test_lines.push(format!("Host {name} ({addr}) would be added"));
            done_lines.push(format!("Added host {name} ({addr})"));
            add_to(&mut changes, "added", addr, name);
            let e = new.entry(addr.clone()).or_insert(Entry::Host {
                aliases: Vec::new(),
                comment: None,
            });
            if let Entry::Host { aliases, .. } = e {
                if !aliases.contains(name) {
                    aliases.push(name.clone());
                }
            }
        }
        let c = comment.clone().unwrap_or_default();
        for addr in &update_comment {
            test_lines.push(format!("Comment for {addr} ({c}) would be added"));
            done_lines.push(format!("Set comment for host {addr} ({c})"));
            add_to(&mut changes, "comment_added", addr, &c);
            if let Some(Entry::Host { comment, .. }) = new.get_mut(addr) {
                *comment = Some(c.clone());
            }
        }
        let mut text_after = if to_add.is_empty() && update_comment.is_empty() {
            text.clone()
        } else {
            write_hosts(&new)
        };
        for addr in &to_remove {
            test_lines.push(format!("Host {name} ({addr}) would be removed"));
            done_lines.push(format!("Removed host {name} ({addr})"));
            add_to(&mut changes, "removed", addr, name);
            text_after = rm_host(&text_after, addr, name);
        }
        if invalid {
            return Err(Failure::new(test_lines.join("\n")));
        }
        if changes.is_empty() {
            return Ok(Plan::noop(test_lines.join("\n")));
        }
        Ok(Plan::change(
            changes,
            test_lines.join("\n"),
            done_lines.join("\n"),
            vec![write(self.path, text_after)],
        ))
    }
}

#[async_trait]
impl Function for Absent {
    type Args = AbsentArgs;

    fn paths(_args: &AbsentArgs) -> Vec<String> {
        vec![HOSTS.to_string()]
    }

    async fn plan(&self, args: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let mut text = read(ctx, self.path).await?;
        let hosts = list_hosts(&text);
        let (mut test_lines, mut done_lines) = (Vec::new(), Vec::new());
        let mut removed = false;
        for ip in args.ip.list() {
            if !aliases(&hosts, &ip).is_some_and(|a| a.contains(name)) {
                let l = format!("Host {name} ({ip}) already absent");
                test_lines.push(l.clone());
                done_lines.push(l);
                continue;
            }
            test_lines.push(format!("Host {name} ({ip}) needs to be removed"));
            done_lines.push(format!("Removed host {name} ({ip})"));
            text = rm_host(&text, &ip, name);
            removed = true;
        }
        if !removed {
            return Ok(Plan::noop(test_lines.join("\n")));
        }
        Ok(would::change(
            test_lines.join("\n"),
            done_lines.join("\n"),
            vec![write(self.path, text)],
        )
        .applied(Changes::from_iter([("host".to_string(), json!(name))])))
    }
}

#[async_trait]
impl Function for Only {
    type Args = OnlyArgs;

    fn paths(_args: &OnlyArgs) -> Vec<String> {
        vec![HOSTS.to_string()]
    }

    async fn plan(&self, args: &OnlyArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let ip = &args.name;
        let text = read(ctx, self.path).await?;
        let hosts = list_hosts(&text);
        let old = aliases(&hosts, ip).map(|a| a.join(" ")).unwrap_or_default();
        let names: Vec<String> = args
            .hostnames
            .list()
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let new = names.join(" ");
        if old == new {
            return Ok(Plan::noop(format!(
                "IP address {ip} already set to \"{new}\""
            )));
        }
        Ok(would::change(
            format!("Would change {ip} from \"{old}\" to \"{new}\""),
            format!("successfully changed {ip} from \"{old}\" to \"{new}\""),
            vec![write(self.path, set_host(&text, ip, &new))],
        )
        .applied(Changes::from_iter([(
            ip.clone(),
            json!({"old": old, "new": new}),
        )])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "127.0.0.1\tlocalhost\n# The following lines\n::1 localhost ip6-localhost  # v6\n\n10.0.0.1 a b\n10.0.0.1 c\n";

    #[test]
    fn reads_and_writes_the_file_as_salt_does() {
        let h = list_hosts(FILE);
        assert_eq!(aliases(&h, "10.0.0.1").unwrap(), &["a", "b", "c"]);
        assert_eq!(
            h["::1"],
            Entry::Host {
                aliases: vec!["localhost".into(), "ip6-localhost".into()],
                comment: Some("v6".into())
            }
        );
        assert_eq!(
            write_hosts(&h),
            "127.0.0.1\t\tlocalhost\n# The following lines\n::1\t\tlocalhost ip6-localhost\t\t# v6\n10.0.0.1\t\ta b c\n"
        );
        assert_eq!(
            rm_host(FILE, "10.0.0.1", "b"),
            // Every line of the address is rewritten, as Salt does.
            "127.0.0.1\tlocalhost\n# The following lines\n::1 localhost ip6-localhost  # v6\n\n10.0.0.1\t\ta \n10.0.0.1\t\tc \n"
        );
        assert_eq!(
            rm_host(FILE, "10.0.0.1", "c"),
            "127.0.0.1\tlocalhost\n# The following lines\n::1 localhost ip6-localhost  # v6\n\n10.0.0.1\t\ta b \n"
        );
        assert_eq!(
            set_host(FILE, "10.0.0.1", "x y"),
            "127.0.0.1\tlocalhost\n# The following lines\n::1 localhost ip6-localhost  # v6\n\n10.0.0.1\t\tx y\n"
        );
        assert_eq!(set_host("a b", "10.9.9.9", "n"), "a b\n10.9.9.9\t\tn\n");
    }
}
