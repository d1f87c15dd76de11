//! What `user.present` would change on an existing user: Salt's
//! `_changes` (states/user.py), a pure function of the account facts and
//! the wanted attributes, kept in Salt's order because its keys are listed
//! in that order in the comment and applied in that order.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::{json, Value};

use crate::facts::{Accounts, Passwd, Shadow};

/// Salt's default hash for an account without a password (`shadow.default_hash`).
pub(super) const DEFAULT_HASH: &str = "!";

/// The wanted attributes, as `user.present` hands them to `_changes`.
#[derive(Clone, Debug, Default)]
pub(super) struct Want {
    pub name: String,
    pub uid: Option<u32>,
    /// The gid as given: a number or a group name (its JSON form is what
    /// Salt reports).
    pub gid: Option<Value>,
    pub groups: Option<Vec<String>>,
    /// The optional groups that exist (`present_optgroups`).
    pub optional_groups: Option<Vec<String>>,
    pub remove_groups: bool,
    pub home: Option<String>,
    pub createhome: bool,
    pub password: Option<String>,
    pub enforce_password: bool,
    pub empty_password: bool,
    pub shell: Option<String>,
    /// fullname, roomnumber, workphone, homephone, other.
    pub gecos: [Option<String>; 5],
    pub date: Option<i64>,
    pub mindays: Option<i64>,
    pub maxdays: Option<i64>,
    pub inactdays: Option<i64>,
    pub warndays: Option<i64>,
    pub expire: Option<i64>,
    pub password_lock: Option<bool>,
}

pub(super) const GECOS: [&str; 5] = ["fullname", "roomnumber", "workphone", "homephone", "other"];

/// The attribute changes, in Salt's order; `Ok(None)` when there is no
/// such user; `Err` with Salt's words when a uid or gid change is not
/// allowed.
pub(super) fn changes(
    acc: &Accounts,
    w: &Want,
    allow_uid_change: bool,
    allow_gid_change: bool,
) -> Result<Option<IndexMap<String, Value>>, String> {
    let Some(lusr) = &acc.user else {
        return Ok(None);
    };
    let mut change: IndexMap<String, Value> = IndexMap::new();
    let mut wanted: Vec<String> = sorted(
        w.groups
            .iter()
            .flatten()
            .chain(w.optional_groups.iter().flatten())
            .cloned(),
    );
    let mut current = acc.user_groups(lusr);
    let gid_of = |g: &str| acc.group_to_gid(g);
    let mut dupes: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let gids: Vec<Option<u32>> = current.iter().map(|g| gid_of(g)).collect();
    for (i, gid) in gids.iter().enumerate() {
        if let Some(gid) = gid {
            if gids.iter().filter(|g| *g == &Some(*gid)).count() > 1 {
                dupes.entry(*gid).or_default().push(current[i].clone());
            }
        }
    }
    let in_dupes = |g: &str| dupes.values().flatten().any(|d| d == g);
    let no_optional = !matches!(&w.optional_groups, Some(o) if !o.is_empty());
    if !w.remove_groups || (w.groups.is_none() && no_optional) {
        wanted = sorted(wanted.into_iter().chain(current.iter().cloned()));
    }
    if let Some(uid) = w.uid.filter(|u| *u != 0 && *u != lusr.uid) {
        change.insert("uid".into(), json!(uid));
    }
    let gid_text = w.gid.as_ref().map(text);
    if let Some(g) = &gid_text {
        let same = g.parse::<u32>().ok() == Some(lusr.gid) || gid_of(g) == Some(lusr.gid);
        if !same {
            change.insert("gid".into(), w.gid.clone().unwrap_or(Value::Null));
        }
    }
    let default_grp = acc.gid_to_group(gid_text.as_deref().unwrap_or(&lusr.gid.to_string()));
    let old_default_grp = acc.gid_to_group(&lusr.gid.to_string());
    let remove = |list: &mut Vec<String>, g: &str| list.retain(|x| x != g);
    let dupes_of = |g: &str| {
        gid_of(g)
            .and_then(|gid| dupes.get(&gid))
            .cloned()
            .unwrap_or_default()
    };
    if current.contains(&default_grp) || wanted.contains(&default_grp) {
        if in_dupes(&default_grp) {
            for g in dupes_of(&default_grp) {
                remove(&mut current, &g);
                remove(&mut wanted, &g);
            }
        } else {
            remove(&mut current, &default_grp);
            remove(&mut wanted, &default_grp);
        }
    }
    if old_default_grp != default_grp && current.contains(&old_default_grp) {
        if in_dupes(&old_default_grp) {
            for g in dupes_of(&old_default_grp) {
                remove(&mut current, &g);
            }
        } else {
            remove(&mut current, &old_default_grp);
        }
    }
    if current.contains(&w.name) && !wanted.contains(&w.name) {
        if in_dupes(&w.name) {
            for g in dupes_of(&w.name) {
                remove(&mut current, &g);
            }
        } else {
            remove(&mut current, &w.name);
        }
    }
    if group_changes(acc, &current, &wanted, w.remove_groups)
        && (!wanted.is_empty() || w.remove_groups)
    {
        change.insert("groups".into(), json!(wanted));
    }
    if let Some(home) = w.home.as_deref().filter(|h| !h.is_empty()) {
        if lusr.home != home {
            change.insert("home".into(), json!(home));
        }
    }
    if w.createhome {
        let newhome = w
            .home
            .as_deref()
            .filter(|h| !h.is_empty())
            .unwrap_or(&lusr.home);
        if acc.home_is_dir != Some(true) {
            change.insert("homeDoesNotExist".into(), json!(newhome));
        }
    }
    if let Some(shell) = w.shell.as_deref().filter(|s| !s.is_empty()) {
        if lusr.shell != shell {
            change.insert("shell".into(), json!(shell));
        }
    }
    shadow_changes(acc.shadow.as_ref(), w, &mut change);
    let fields = lusr.gecos_fields();
    for (i, key) in GECOS.iter().enumerate() {
        if let Some(v) = &w.gecos[i] {
            if fields[i] != *v {
                change.insert(key.to_string(), json!(v));
            }
        }
    }
    let mut errors = Vec::new();
    if !allow_uid_change && change.contains_key("uid") {
        errors.push(format!(
            "Changing uid ({} -> {}) not permitted, set allow_uid_change to True to force this change. Note that this will not change file ownership.",
            lusr.uid,
            w.uid.unwrap_or_default()
        ));
    }
    if !allow_gid_change && change.contains_key("gid") {
        errors.push(format!(
            "Changing gid ({} -> {}) not permitted, set allow_gid_change to True to force this change. Note that this will not change file ownership.",
            lusr.gid,
            gid_text.unwrap_or_default()
        ));
    }
    if !errors.is_empty() {
        let listed: Vec<String> = errors.iter().map(|e| format!("- {e}")).collect();
        return Err(format!(
            "Encountered error checking for needed changes. Additional info follows:\n\n{}",
            listed.join("\n")
        ));
    }
    Ok(Some(change))
}

fn shadow_changes(shadow: Option<&Shadow>, w: &Want, change: &mut IndexMap<String, Value>) {
    // Without an entry Salt's `shadow.info` answers empty strings, which
    // no number equals.
    let passwd = shadow.map_or("", |s| s.passwd.as_str());
    let num = |f: fn(&Shadow) -> i64| shadow.map(f);
    if let Some(p) = w.password.as_deref().filter(|p| !p.is_empty()) {
        if !w.empty_password && (passwd == DEFAULT_HASH || w.enforce_password) && passwd != p {
            change.insert("passwd".into(), json!(p));
        }
    }
    if w.empty_password && !passwd.is_empty() {
        change.insert("empty_password".into(), json!(true));
    }
    let mut number = |key: &str, want: Option<i64>, have: Option<i64>| {
        if let Some(v) = want {
            if have != Some(v) {
                change.insert(key.into(), json!(v));
            }
        }
    };
    number("date", w.date, num(|s| s.lstchg));
    number("mindays", w.mindays, num(|s| s.min));
    number("maxdays", w.maxdays, num(|s| s.max));
    number("inactdays", w.inactdays, num(|s| s.inact));
    number("warndays", w.warndays, num(|s| s.warn));
    number("expire", w.expire.filter(|e| *e != 0), num(|s| s.expire));
    let locked = passwd.starts_with('!');
    match w.password_lock {
        Some(true) if !locked => {
            change.insert("password_lock".into(), json!(true));
        }
        Some(false) if locked => {
            change.insert("password_lock".into(), json!(false));
        }
        _ => {}
    }
}

/// Salt's `_group_changes`: whether the group lists differ, a group that
/// shares its gid with another counting as that other.
fn group_changes(acc: &Accounts, cur: &[String], wanted: &[String], remove: bool) -> bool {
    let cur: BTreeSet<&String> = cur.iter().collect();
    let want: BTreeSet<&String> = wanted.iter().collect();
    if cur == want || (!remove && want.is_subset(&cur)) {
        return false;
    }
    let all: Vec<&String> = cur.union(&want).copied().collect();
    let diff: Vec<&String> = if remove {
        want.symmetric_difference(&cur).copied().collect()
    } else {
        want.difference(&cur).copied().collect()
    };
    let gid = |g: &str| acc.group(g).map(|g| g.gid);
    diff.iter().any(|d| {
        !all.iter()
            .any(|other| other != d && gid(other).is_some() && gid(other) == gid(d))
    })
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let set: BTreeSet<String> = items.collect();
    set.into_iter().collect()
}

/// A scalar as Python's `str()` writes it.
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Salt's `user.info`: the user as `changes` reports it.
pub(super) fn info(acc: &Accounts, u: &Passwd) -> IndexMap<String, Value> {
    let g = u.gecos_fields();
    IndexMap::from_iter([
        ("gid".to_string(), json!(u.gid)),
        ("groups".to_string(), json!(acc.user_groups(u))),
        ("home".to_string(), json!(u.home)),
        ("name".to_string(), json!(u.name)),
        ("passwd".to_string(), json!(u.passwd)),
        ("shell".to_string(), json!(u.shell)),
        ("uid".to_string(), json!(u.uid)),
        ("fullname".to_string(), json!(g[0])),
        ("roomnumber".to_string(), json!(g[1])),
        ("workphone".to_string(), json!(g[2])),
        ("homephone".to_string(), json!(g[3])),
        ("other".to_string(), json!(g[4])),
    ])
}

/// Salt's `shadow.info`: empty strings for a user without an entry.
pub(super) fn shadow_info(s: Option<&Shadow>) -> IndexMap<String, Value> {
    let keys = [
        "name", "passwd", "lstchg", "min", "max", "warn", "inact", "expire",
    ];
    let values: [Value; 8] = match s {
        None => std::array::from_fn(|_| json!("")),
        Some(s) => [
            json!(s.name),
            json!(s.passwd),
            json!(s.lstchg),
            json!(s.min),
            json!(s.max),
            json!(s.warn),
            json!(s.inact),
            json!(s.expire),
        ],
    };
    keys.iter().map(|k| k.to_string()).zip(values).collect()
}

/// The GECOS field as `usermod -c` is given it: the five fields, trailing
/// commas dropped (`_build_gecos`).
pub(super) fn build_gecos(fields: &[String; 5]) -> String {
    fields.join(",").trim_end_matches(',').to_string()
}
