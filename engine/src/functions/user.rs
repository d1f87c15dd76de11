//! `user.present` and `user.absent`, with the commands Salt's Linux
//! modules run (`useradd`, `usermod`, `chage`, `passwd`, `userdel`; the
//! shadow password through `chpasswd -e`).
//!
//! The account is read in one probe (`facts::Accounts`: passwd, shadow,
//! every group, the home directory). What would change is Salt's
//! `_changes` (`user_changes`); after acting, a check reads the account
//! again and reports, as Salt does, what changed and what could not be.
//! Groups that do not exist yet are "pending" in a test run (an earlier
//! `group.present` would create them) and fail the state when it is
//! applied, as in Salt: a check before acting says so.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::user_changes::{build_gecos, changes, info, shadow_info, text, Want, GECOS};
use super::{pyrepr, would, Ctx, Function};
use crate::facts::{Accounts, Home};
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

pub(super) struct Present;
pub(super) struct Absent;

const REDACTED: &str = "XXX-REDACTED-XXX";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PresentArgs {
    pub name: String,
    #[serde(default)]
    pub uid: Option<Value>,
    #[serde(default)]
    pub gid: Option<Value>,
    #[serde(default)]
    pub usergroup: Option<bool>,
    #[serde(default, deserialize_with = "names")]
    pub groups: Option<Vec<String>>,
    #[serde(default, deserialize_with = "names")]
    pub optional_groups: Option<Vec<String>>,
    #[serde(default)]
    pub remove_groups: Option<bool>,
    #[serde(default)]
    pub home: Option<String>,
    #[serde(default)]
    pub createhome: Option<bool>,
    #[serde(default)]
    pub persist_home: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub hash_password: Option<bool>,
    #[serde(default)]
    pub enforce_password: Option<bool>,
    #[serde(default)]
    pub empty_password: Option<bool>,
    #[serde(default)]
    pub shell: Option<String>,
    #[serde(default)]
    pub unique: Option<bool>,
    #[serde(default)]
    pub system: Option<bool>,
    #[serde(default)]
    pub fullname: Option<Value>,
    #[serde(default)]
    pub roomnumber: Option<Value>,
    #[serde(default)]
    pub workphone: Option<Value>,
    #[serde(default)]
    pub homephone: Option<Value>,
    #[serde(default)]
    pub other: Option<Value>,
    #[serde(default)]
    pub date: Option<i64>,
    #[serde(default)]
    pub mindays: Option<i64>,
    #[serde(default)]
    pub maxdays: Option<i64>,
    #[serde(default)]
    pub inactdays: Option<i64>,
    #[serde(default)]
    pub warndays: Option<i64>,
    #[serde(default)]
    pub expire: Option<i64>,
    #[serde(default)]
    pub nologinit: Option<bool>,
    #[serde(default)]
    pub allow_uid_change: Option<bool>,
    #[serde(default)]
    pub allow_gid_change: Option<bool>,
    #[serde(default)]
    pub password_lock: Option<bool>,
    /// libuser's `luseradd` (Salt's `local`).
    #[serde(default)]
    pub local: Option<bool>,
    /// BSD and Windows only in Salt: accepted, and meaningless on Linux.
    #[serde(default)]
    #[allow(dead_code)]
    pub loginclass: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_homedrive: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_profile: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_logonscript: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    pub win_description: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AbsentArgs {
    pub name: String,
    #[serde(default)]
    pub purge: Option<bool>,
    #[serde(default)]
    pub force: Option<bool>,
    #[serde(default)]
    pub local: Option<bool>,
}

/// A list of group names; numbers are names too (`- 1500`).
fn names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = Option::<Vec<Value>>::deserialize(d)?;
    Ok(v.map(|items| items.iter().filter(|v| !v.is_null()).map(text).collect()))
}

fn yes(v: Option<bool>) -> bool {
    v == Some(true)
}

/// `str()` of a GECOS argument, `None` when not given.
fn field(v: &Option<Value>) -> Option<String> {
    v.as_ref().filter(|v| !v.is_null()).map(text)
}

fn uid(v: &Option<Value>) -> Result<Option<u32>, Failure> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => text(v)
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| Failure::new(format!("uid: `{}` is not a number", text(v)))),
    }
}

/// `user.present`'s arguments as `_changes` takes them, given which of the
/// groups exist.
fn want(args: &PresentArgs, acc: &Accounts, password: Option<String>) -> Result<Want, Failure> {
    let exists = |g: &String| acc.group(g).is_some();
    let gid = match (&args.usergroup, acc.group(&args.name)) {
        (Some(true), Some(_)) => Some(json!(args.name)),
        _ => args.gid.clone().filter(|g| !g.is_null()),
    };
    Ok(Want {
        name: args.name.clone(),
        uid: uid(&args.uid)?,
        gid,
        groups: args
            .groups
            .as_ref()
            .map(|g| g.iter().filter(|g| exists(g)).cloned().collect()),
        optional_groups: args
            .optional_groups
            .as_ref()
            .map(|o| o.iter().filter(|g| exists(g)).cloned().collect()),
        remove_groups: args.remove_groups != Some(false),
        home: args.home.clone(),
        createhome: args.createhome != Some(false),
        password,
        enforce_password: args.enforce_password != Some(false),
        empty_password: yes(args.empty_password),
        shell: args.shell.clone(),
        gecos: [
            field(&args.fullname),
            field(&args.roomnumber),
            field(&args.workphone),
            field(&args.homephone),
            field(&args.other),
        ],
        date: args.date,
        mindays: args.mindays,
        maxdays: args.maxdays,
        inactdays: args.inactdays,
        warndays: args.warndays,
        expire: args.expire,
        password_lock: args.password_lock,
    })
}

/// The hash of a clear-text password, with the salt (and algorithm) of
/// the current hash when there is one: Salt's `hash_password`, computed on
/// the host by `openssl passwd` (the password goes through stdin).
async fn hashed(ctx: &Ctx<'_>, clear: &str, current: &str) -> Result<String, Failure> {
    let parts: Vec<&str> = current.split('$').collect();
    let reuse = match parts.as_slice() {
        ["", algo, salt, _] => match *algo {
            "1" => Some(("-1", *salt)),
            "5" => Some(("-5", *salt)),
            "6" => Some(("-6", *salt)),
            _ => None,
        },
        _ => None,
    };
    let cmd = match reuse {
        Some((algo, salt)) => format!("openssl passwd {algo} -salt {} -stdin", quote(salt)),
        None => "openssl passwd -6 -stdin".to_string(),
    };
    let out = ctx
        .host
        .exec(&Exec::new(cmd).stdin(format!("{clear}\n")))
        .await?;
    if !out.success() {
        return Err(Failure::new(format!(
            "Unable to hash the password: {}",
            out.stderr.trim()
        )));
    }
    Ok(out.stdout.trim().to_string())
}

fn comma(items: &[String]) -> String {
    items.join(",")
}

fn run(cmd: String, fail: &str) -> Action {
    Action::run(Exec::new(cmd), fail)
}

/// Set the shadow password to a hash, as Salt's `shadow.set_password`
/// does (the last-change date becomes today).
fn set_password(name: &str, hash: &str, fail: &str) -> Action {
    Action::run(
        Exec::new("chpasswd -e").stdin(format!("{name}:{hash}\n")),
        fail,
    )
}

/// Before acting: every group the user is to be in exists.
#[derive(Debug)]
struct GroupsExist(Vec<String>);

impl Check for GroupsExist {
    fn describe(&self) -> String {
        format!("groups {} exist", comma(&self.0))
    }

    fn probe(&self) -> Exec {
        Accounts::command(None, Home::None)
    }

    fn judge(&self, out: &Output) -> Verdict {
        let acc = match Accounts::parse(out) {
            Ok(a) => a,
            Err(e) => return Verdict::Pending(e),
        };
        let missing: Vec<String> = self
            .0
            .iter()
            .filter(|g| acc.group(g).is_none())
            .cloned()
            .collect();
        if missing.is_empty() {
            Verdict::Met(Changes::new())
        } else {
            Verdict::Pending(format!(
                "The following group(s) are not present: {}",
                comma(&missing)
            ))
        }
    }
}

/// After changing a user: what changed (Salt compares `user.info` and
/// `shadow.info` before and after), or what still differs.
#[derive(Debug)]
struct Updated {
    want: Want,
    before: Accounts,
    home: Option<String>,
}

impl Check for Updated {
    fn describe(&self) -> String {
        format!("user {} is as wanted", self.want.name)
    }

    fn probe(&self) -> Exec {
        let home = self.home.as_deref().map_or(Home::Own, Home::At);
        Accounts::command(Some(&self.want.name), home)
    }

    fn judge(&self, out: &Output) -> Verdict {
        let after = match Accounts::parse(out) {
            Ok(a) => a,
            Err(e) => return Verdict::Pending(e),
        };
        let (Some(pre), Some(post)) = (&self.before.user, &after.user) else {
            return Verdict::Pending(format!("User {} is gone", self.want.name));
        };
        let mut changed = Changes::new();
        let (i0, i1) = (info(&self.before, pre), info(&after, post));
        for (k, v) in &i1 {
            if i0.get(k) != Some(v) {
                changed.insert(k.clone(), v.clone());
            }
        }
        let before_pw = self
            .before
            .shadow
            .as_ref()
            .map_or("", |s| s.passwd.as_str());
        if Some(before_pw) != self.want.password.as_deref() {
            let (s0, s1) = (
                shadow_info(self.before.shadow.as_ref()),
                shadow_info(after.shadow.as_ref()),
            );
            for (k, v) in &s1 {
                if s0.get(k) != Some(v) {
                    let v = if k == "passwd" {
                        json!(REDACTED)
                    } else {
                        v.clone()
                    };
                    changed.insert(k.clone(), v);
                }
            }
        }
        match changes(&after, &self.want, true, true) {
            Ok(Some(left)) if !left.is_empty() => Verdict::Pending(format!(
                "These values could not be changed: {}",
                pyrepr::repr(&Value::Object(left.into_iter().collect()))
            )),
            Ok(_) => Verdict::Met(changed),
            Err(e) => Verdict::Pending(e),
        }
    }
}

/// After creating a user: its `user.info` and what was set, or Salt's
/// words for what could not be set.
#[derive(Debug)]
struct Created {
    want: Want,
    /// Changes reported besides `user.info` (`password`, `date`...).
    extra: IndexMap<String, Value>,
    createhome: bool,
}

impl Check for Created {
    fn describe(&self) -> String {
        format!("user {} exists", self.want.name)
    }

    fn probe(&self) -> Exec {
        Accounts::command(Some(&self.want.name), Home::None)
    }

    fn judge(&self, out: &Output) -> Verdict {
        let acc = match Accounts::parse(out) {
            Ok(a) => a,
            Err(e) => return Verdict::Pending(e),
        };
        let name = &self.want.name;
        let Some(u) = &acc.user else {
            return Verdict::Pending(format!("Failed to create new user {name}"));
        };
        let sh = acc.shadow.as_ref();
        let w = &self.want;
        let failed =
            |what: &str| Verdict::Pending(format!("User {name} created but failed to {what}"));
        if let Some(p) = w.password.as_deref().filter(|_| !w.empty_password) {
            if sh.map(|s| s.passwd.as_str()) != Some(p) {
                return failed(&format!("set password to {REDACTED}"));
            }
        }
        if w.empty_password && w.password.is_none() && sh.is_some_and(|s| !s.passwd.is_empty()) {
            return failed("empty password");
        }
        let checks: [(Option<i64>, Option<i64>, &str); 6] = [
            (w.date, sh.map(|s| s.lstchg), "set last change date to"),
            (
                w.mindays.filter(|d| *d != 0),
                sh.map(|s| s.min),
                "set minimum days to",
            ),
            (
                w.maxdays.filter(|d| *d != 0),
                sh.map(|s| s.max),
                "set maximum days to",
            ),
            (
                w.inactdays.filter(|d| *d != 0),
                sh.map(|s| s.inact),
                "set inactive days to",
            ),
            (
                w.warndays.filter(|d| *d != 0),
                sh.map(|s| s.warn),
                "set warn days to",
            ),
            (
                w.expire.filter(|d| *d != 0),
                sh.map(|s| s.expire),
                "set expire days to",
            ),
        ];
        for (want, have, what) in checks {
            if let Some(v) = want {
                if have != Some(v) {
                    return failed(&format!("{what} {v}"));
                }
            }
        }
        let mut changed: Changes = info(&acc, u).into_iter().collect();
        if !self.createhome {
            changed.insert("home".into(), json!(""));
        }
        changed.extend(self.extra.clone());
        Verdict::Met(changed)
    }
}

/// `useradd` and what Salt's `user.add` runs after it.
fn create(args: &PresentArgs, w: &Want, acc: &Accounts, usergroups: bool) -> Vec<Action> {
    let name = &args.name;
    let local = yes(args.local);
    let mut cmd = String::from(if local { "luseradd" } else { "useradd" });
    let opt = |cmd: &mut String, flag: &str, value: Option<String>| {
        if let Some(v) = value {
            cmd.push_str(&format!(" {flag} {}", quote(&v)));
        }
    };
    opt(&mut cmd, "-s", args.shell.clone().filter(|s| !s.is_empty()));
    opt(&mut cmd, "-u", w.uid.map(|u| u.to_string()));
    let groups: Vec<String> = w
        .groups
        .iter()
        .flatten()
        .chain(w.optional_groups.iter().flatten())
        .cloned()
        .collect();
    let gid = args.gid.as_ref().map(text).filter(|g| !g.is_empty());
    if let Some(g) = &gid {
        opt(&mut cmd, "-g", Some(g.clone()));
    } else if yes(args.usergroup) {
        if !local {
            cmd.push_str(" -U");
        }
    } else if args.groups.is_some() && groups.contains(name) && usergroups {
        opt(
            &mut cmd,
            "-g",
            acc.group_to_gid(name).map(|g| g.to_string()),
        );
    }
    if args.usergroup == Some(false) {
        cmd.push_str(if local { " -n" } else { " -N" });
    }
    if w.createhome {
        if !local {
            cmd.push_str(" -m");
        }
    } else {
        cmd.push_str(" -M");
    }
    if yes(args.nologinit) {
        cmd.push_str(" -l");
    }
    if let Some(h) = &args.home {
        cmd.push_str(&format!(" -d {}", quote(h)));
    }
    if args.unique == Some(false) {
        cmd.push_str(" -o");
    }
    if yes(args.system) {
        cmd.push_str(" -r");
    }
    cmd.push_str(&format!(" {}", quote(name)));
    let fail = format!("Failed to create new user {name}");
    let mut actions = vec![run(cmd, &fail)];
    let later = format!("User {name} created but not all of its attributes were set");
    let primary = gid.map_or_else(|| name.clone(), |g| acc.gid_to_group(&g));
    if !groups.is_empty() && groups != [primary.clone()] {
        actions.push(run(
            format!("usermod -G {} {}", quote(&comma(&groups)), quote(name)),
            &later,
        ));
    }
    // Each `ch*` call of Salt's `user.add` sets one GECOS field of the new
    // (empty) one: the last one written holds them all.
    let given: [String; 5] = std::array::from_fn(|i| w.gecos[i].clone().unwrap_or_default());
    if given.iter().any(|f| !f.is_empty()) {
        actions.push(run(
            format!("usermod -c {} {}", quote(&build_gecos(&given)), quote(name)),
            &later,
        ));
    }
    if let Some(p) = w.password.as_deref().filter(|_| !w.empty_password) {
        actions.push(set_password(name, p, &later));
    }
    if w.empty_password && w.password.is_none() {
        actions.push(run(format!("passwd -d {}", quote(name)), &later));
    }
    for (flag, v) in chage_values(w, true) {
        actions.push(run(format!("chage {flag} {v} {}", quote(name)), &later));
    }
    actions
}

/// The `chage` options for the shadow fields to set, in Salt's order;
/// on creation Salt skips zeros (but not a zero `date`).
fn chage_values(w: &Want, creating: bool) -> Vec<(&'static str, i64)> {
    let nonzero = |v: Option<i64>| v.filter(|v| !creating || *v != 0);
    [
        ("-d", w.date),
        ("-m", nonzero(w.mindays)),
        ("-M", nonzero(w.maxdays)),
        ("-I", nonzero(w.inactdays)),
        ("-W", nonzero(w.warndays)),
        ("-E", w.expire.filter(|v| *v != 0)),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.map(|v| (f, v)))
    .collect()
}

/// What Salt reports besides `user.info` for a new user.
fn created_extra(w: &Want) -> IndexMap<String, Value> {
    let mut extra = IndexMap::new();
    if w.password.is_some() && !w.empty_password {
        extra.insert("password".into(), json!(REDACTED));
    }
    if w.empty_password && w.password.is_none() {
        extra.insert("password".into(), json!(""));
    }
    let keys = [
        "date",
        "mindays",
        "maxdays",
        "inactdays",
        "warndays",
        "expire",
    ];
    let vals = [
        w.date,
        w.mindays,
        w.maxdays,
        w.inactdays,
        w.warndays,
        w.expire,
    ];
    for (k, v) in keys.iter().zip(vals) {
        let v = if *k == "date" {
            v
        } else {
            v.filter(|v| *v != 0)
        };
        if let Some(v) = v {
            extra.insert(k.to_string(), json!(v));
        }
    }
    extra
}

/// The commands that make `todo` true, in the order Salt applies them.
fn update(
    args: &PresentArgs,
    w: &Want,
    acc: &Accounts,
    todo: &IndexMap<String, Value>,
    fail: &str,
) -> Vec<Action> {
    let name = &args.name;
    let n = quote(name);
    let user = acc.user.as_ref().expect("an existing user");
    let mut actions = Vec::new();
    if let (Some(p), true) = (
        &w.password,
        todo.contains_key("passwd") && !w.empty_password,
    ) {
        actions.push(set_password(name, p, fail));
    }
    let mut cmd = |c: String| actions.push(run(c, fail));
    if todo.contains_key("empty_password") {
        cmd(format!("passwd -d {n}"));
    }
    match todo.get("password_lock") {
        Some(Value::Bool(true)) => cmd(format!("passwd -l {n}")),
        Some(Value::Bool(false)) => cmd(format!("passwd -u {n}")),
        _ => {}
    }
    if let Some(d) = todo.get("date") {
        cmd(format!("chage -d {d} {n}"));
    }
    let persist = if yes(args.persist_home) { "-m " } else { "" };
    let chhome =
        |h: &str| (user.home != h).then(|| format!("usermod {persist}-d {} {n}", quote(h)));
    match (todo.get("home"), todo.get("homeDoesNotExist")) {
        (Some(h), None) => {
            if let Some(c) = chhome(&text(h)) {
                cmd(c);
            }
        }
        (_, Some(h)) => {
            let h = text(h);
            if let Some(c) = chhome(&h) {
                cmd(c);
            }
            cmd(format!(
                "mkdir -p -m 755 -- {q} && chown {}:{} -- {q}",
                user.uid,
                user.gid,
                q = quote(&h)
            ));
        }
        (None, None) => {}
    }
    for (key, flag) in [
        ("mindays", "-m"),
        ("maxdays", "-M"),
        ("inactdays", "-I"),
        ("warndays", "-W"),
        ("expire", "-E"),
    ] {
        if let Some(v) = todo.get(key) {
            cmd(format!("chage {flag} {v} {n}"));
        }
    }
    let mut gecos = user.gecos_fields();
    let mut gecos_done = false;
    for key in todo.keys() {
        match key.as_str() {
            "uid" => cmd(format!("usermod -u {} {n}", text(&todo[key]))),
            "gid" => cmd(format!("usermod -g {} {n}", quote(&text(&todo[key])))),
            "shell" => cmd(format!("usermod -s {} {n}", quote(&text(&todo[key])))),
            k if GECOS.contains(&k) && !gecos_done => {
                for (i, f) in GECOS.iter().enumerate() {
                    if let Some(v) = todo.get(*f) {
                        gecos[i] = text(v);
                    }
                }
                cmd(format!("usermod -c {} {n}", quote(&build_gecos(&gecos))));
                gecos_done = true;
            }
            _ => {}
        }
    }
    if let Some(Value::Array(groups)) = todo.get("groups") {
        let list: Vec<String> = groups.iter().map(text).collect();
        let append = if w.remove_groups { "" } else { "-a " };
        cmd(format!("usermod {append}-G {} {n}", quote(&comma(&list))));
    }
    actions
}

#[async_trait]
impl Function for Present {
    type Args = PresentArgs;

    fn paths(_args: &PresentArgs) -> Vec<String> {
        vec!["/etc/login.defs".to_string()]
    }

    async fn plan(&self, args: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        for f in [&args.fullname, &args.roomnumber, &args.workphone] {
            if let Some(v) = field(f).filter(|v| v.contains(',')) {
                return Err(Failure::new(format!("Unsupported char ',' in {v}")));
            }
        }
        let home = args.home.as_deref().filter(|h| !h.is_empty());
        let acc = Accounts::read(
            ctx.host.transport.as_ref(),
            Some(name),
            home.map_or(Home::Own, Home::At),
        )
        .await
        .map_err(Failure::new)?;
        let mut password = args.password.clone().filter(|p| !p.is_empty());
        if let (Some(p), true) = (&password, yes(args.hash_password)) {
            let current = acc.shadow.as_ref().map_or("", |s| s.passwd.as_str());
            password = Some(hashed(ctx, p, current).await?);
        }
        let w = want(args, &acc, password)?;
        let missing: Vec<String> = args
            .groups
            .iter()
            .flatten()
            .filter(|g| acc.group(g).is_none())
            .cloned()
            .collect();
        let mut guard = Vec::new();
        if !missing.is_empty() {
            guard.push(Action::verify(GroupsExist(missing.clone()), ""));
        }
        let todo = changes(
            &acc,
            &w,
            yes(args.allow_uid_change),
            yes(args.allow_gid_change),
        )
        .map_err(Failure::new)?;
        let Some(todo) = todo else {
            let mut comment = format!("User {name} set to be added");
            if !missing.is_empty() {
                comment.push_str(&format!(" (pending groups: {})", comma(&missing)));
            }
            let login_defs = ctx.host.file("/etc/login.defs").await?;
            let usergroups = login_defs
                .content
                .as_deref()
                .map(String::from_utf8_lossy)
                .and_then(|t| {
                    t.lines()
                        .find(|l| {
                            l.chars()
                                .take(15)
                                .collect::<String>()
                                .contains("USERGROUPS_ENAB")
                        })
                        .map(|l| l.contains("yes"))
                })
                .unwrap_or(false);
            let mut actions = guard;
            actions.extend(create(args, &w, &acc, usergroups));
            actions.push(Action::verify(
                Created {
                    want: w.clone(),
                    extra: created_extra(&w),
                    createhome: w.createhome,
                },
                "",
            ));
            return Ok(
                would::change(comment, format!("New user {name} created"), actions)
                    .applied(Changes::new()),
            );
        };
        if todo.is_empty() {
            return Ok(match guard.pop() {
                // Present but for groups still to be made: fine in a test,
                // a failure once applied (Salt: "not present").
                Some(g) => Plan::change(
                    Changes::new(),
                    format!("User {name} is present and up to date"),
                    format!("User {name} is present and up to date"),
                    vec![g],
                ),
                None => Plan::noop(format!("User {name} is present and up to date")),
            });
        }
        let mut comment = String::from("The following user attributes are set to be changed:\n");
        for (k, v) in &todo {
            let v = if k == "passwd" {
                REDACTED.to_string()
            } else {
                pyrepr::str(v)
            };
            comment.push_str(&format!("{k}: {v}\n"));
        }
        if !missing.is_empty() {
            comment.push_str(&format!("groups (pending creation): {}\n", comma(&missing)));
        }
        let fail = format!(
            "These values could not be changed: {}",
            pyrepr::repr(&Value::Object(
                todo.iter()
                    .filter(|(k, _)| k.as_str() != "passwd")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            ))
        );
        // Only a new home directory leaves `user.info` as it was: Salt then
        // keeps its "up to date" comment.
        let done = if todo.keys().all(|k| k == "homeDoesNotExist") {
            format!("User {name} is present and up to date")
        } else {
            format!("Updated user {name}")
        };
        let mut actions = guard;
        actions.extend(update(args, &w, &acc, &todo, &fail));
        actions.push(Action::verify(
            Updated {
                want: w.clone(),
                before: acc.clone(),
                home: home.map(str::to_string),
            },
            "",
        ));
        Ok(would::change(comment, done, actions).applied(Changes::new()))
    }
}

/// After `userdel`: the user's groups that went with it, and the user.
#[derive(Debug)]
struct Removed {
    name: String,
    groups: Vec<String>,
}

impl Check for Removed {
    fn describe(&self) -> String {
        format!("user {} is gone", self.name)
    }

    fn probe(&self) -> Exec {
        Accounts::command(Some(&self.name), Home::None)
    }

    fn judge(&self, out: &Output) -> Verdict {
        let acc = match Accounts::parse(out) {
            Ok(a) => a,
            Err(e) => return Verdict::Pending(e),
        };
        if acc.user.is_some() {
            return Verdict::Pending(format!("Failed to remove user {}", self.name));
        }
        let mut changes = Changes::new();
        for g in self.groups.iter().filter(|g| acc.group(g).is_none()) {
            changes.insert(format!("{g} group"), json!("removed"));
        }
        changes.insert(self.name.clone(), json!("removed"));
        Verdict::Met(changes)
    }
}

/// `userdel`, where exit 12 about the mail spool is Debian's known bug
/// and not a failure (as Salt's `user.delete` treats it).
fn userdel(args: &AbsentArgs) -> String {
    let local = yes(args.local);
    let mut cmd = String::from(if local { "luserdel" } else { "userdel" });
    if yes(args.purge) {
        cmd.push_str(" -r");
    }
    if yes(args.force) && !local {
        cmd.push_str(" -f");
    }
    cmd.push_str(&format!(" {}", quote(&args.name)));
    format!(
        "out=$({cmd} 2>&1); rc=$?; if [ $rc -eq 12 ] && printf '%s' \"$out\" | grep -q -e var/mail -e var/spool/mail; then rc=0; fi; printf '%s' \"$out\" >&2; exit $rc"
    )
}

#[async_trait]
impl Function for Absent {
    type Args = AbsentArgs;

    async fn plan(&self, args: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let acc = Accounts::read(ctx.host.transport.as_ref(), Some(name), Home::None)
            .await
            .map_err(Failure::new)?;
        let Some(u) = &acc.user else {
            return Ok(Plan::noop(format!("User {name} is not present")));
        };
        let fail = format!("Failed to remove user {name}");
        Ok(would::change(
            format!("User {name} set for removal"),
            format!("Removed user {name}"),
            vec![
                Action::run(Exec::new(userdel(args)), &fail),
                Action::verify(
                    Removed {
                        name: name.clone(),
                        groups: acc.user_groups(u),
                    },
                    &fail,
                ),
            ],
        )
        .applied(Changes::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;
    use crate::testing::{fixture, plan};
    use crate::transport::fake::Fake;

    const POSTGRES: &str = include_str!("../facts/fixtures/accounts-postgres.txt");
    const NEWUSER: &str = include_str!("../facts/fixtures/accounts-newuser.txt");

    fn host() -> Fake {
        Fake::new()
            .answer("echo @passwd; getent passwd -- postgres;", 0, POSTGRES)
            .answer("echo @passwd; getent passwd -- newuser;", 0, NEWUSER)
            .answer(
                "echo @group; getent group",
                0,
                include_str!("../facts/fixtures/groups.txt"),
            )
            .file("/etc/login.defs", "USERGROUPS_ENAB yes\n")
    }

    fn checks(p: &Plan) -> Vec<&Action> {
        p.actions
            .iter()
            .filter(|a| matches!(a, Action::Await { .. }))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn changes_to_a_user_are_applied_in_salts_order_and_read_back() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "user.present",
            "name: postgres\nshell: /bin/sh\ngroups: [ssl-cert, users]\nfullname: Postgres Admin\nuid: 4000\nallow_uid_change: true\nmaxdays: 90",
        )
        .await
        .unwrap();
        assert_eq!(p.done, "Updated user postgres");
        assert_eq!(
            p.describe(),
            [
                "run `chage -M 90 postgres`",
                "run `usermod -u 4000 postgres`",
                "run `usermod -s /bin/sh postgres`",
                "run `usermod -c 'Postgres Admin' postgres`", // trailing commas dropped, as Salt's _build_gecos
                "run `usermod -G ssl-cert,users postgres`",
                "check that user postgres is as wanted",
            ]
        );
        // Read back: what changed, as Salt compares user.info and
        // shadow.info; what did not, as its "could not be changed".
        let [Action::Await { check, .. }] = checks(&p)[..] else {
            panic!()
        };
        let after = POSTGRES
            .replace(
                "postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash",
                "postgres:x:4000:104:Postgres Admin,,,:/var/lib/postgresql:/bin/sh",
            )
            .replace("postgres:!:20593::::::", "postgres:!:20593::90::::")
            .replace("users:x:100:", "users:x:100:postgres");
        let Verdict::Met(changes) = check.judge(&recorded(&after)) else {
            panic!("{:?}", check.judge(&recorded(&after)))
        };
        assert_eq!(
            Value::Object(changes),
            json!({"groups": ["postgres", "ssl-cert", "users"], "shell": "/bin/sh", "uid": 4000, "fullname": "Postgres Admin", "max": 90})
        );
        assert_eq!(
            check.judge(&recorded(POSTGRES)),
            Verdict::Pending(
                "These values could not be changed: {'uid': 4000, 'groups': ['ssl-cert', 'users'], 'shell': '/bin/sh', 'maxdays': 90, 'fullname': 'Postgres Admin'}".into()
            )
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_new_user_is_added_with_its_groups_password_and_report() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "user.present",
            "name: newuser\nhome: /home/nu\nshell: /bin/bash\ngroups: [users, ssl-cert]\nfullname: N U\nroomnumber: A-1\npassword: '$6$abc$def'\nexpire: 16426",
        )
        .await
        .unwrap();
        assert_eq!(p.comment, "User newuser set to be added");
        assert_eq!(p.done, "New user newuser created");
        let cmds: Vec<String> = p.describe();
        assert_eq!(
            cmds,
            [
                "run `useradd -s /bin/bash -m -d /home/nu newuser`",
                "run `usermod -G users,ssl-cert newuser`",
                "run `usermod -c 'N U,A-1' newuser`",
                "run `chpasswd -e`",
                "run `chage -E 16426 newuser`",
                "check that user newuser exists",
            ]
        );
        let Action::Run { exec, .. } = &p.actions[3] else {
            panic!()
        };
        assert_eq!(exec.stdin.as_deref(), Some(&b"newuser:$6$abc$def\n"[..]));
        let [Action::Await { check, .. }] = checks(&p)[..] else {
            panic!()
        };
        let after = NEWUSER
            .replace(
                "@passwd\n",
                "@passwd\nnewuser:x:1001:1001:N U,A-1:/home/nu:/bin/bash\n",
            )
            .replace(
                "@shadow\n",
                "@shadow\nnewuser:$6$abc$def:20787:0:99999:7::16426:\n",
            )
            .replace("users:x:100:", "users:x:100:newuser")
            .replace("@home", "newuser:x:1001:\n@home");
        let Verdict::Met(changes) = check.judge(&recorded(&after)) else {
            panic!()
        };
        assert_eq!(
            Value::Object(changes),
            json!({"gid": 1001, "groups": ["newuser", "users"], "home": "/home/nu", "name": "newuser", "passwd": "x", "shell": "/bin/bash", "uid": 1001, "fullname": "N U", "roomnumber": "A-1", "workphone": "", "homephone": "", "other": "", "password": "XXX-REDACTED-XXX", "expire": 16426})
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn removing_a_user_reports_its_own_group_gone_too() {
        let fx = fixture(host());
        let p = plan(&fx, "user.absent", "name: postgres\npurge: true")
            .await
            .unwrap();
        assert_eq!(p.comment, "User postgres set for removal");
        let [Action::Run { exec, .. }, Action::Await { check, .. }] = p.actions.as_slice() else {
            panic!()
        };
        assert!(
            exec.cmd.starts_with("out=$(userdel -r postgres 2>&1)"),
            "{}",
            exec.cmd
        );
        let after = POSTGRES
            .replace(
                "postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n",
                "",
            )
            .replace("postgres:!:20593::::::\n", "")
            .replace("postgres:x:104:\n", "")
            .replace("ssl-cert:x:103:postgres", "ssl-cert:x:103:");
        assert_eq!(
            check.judge(&recorded(&after)),
            Verdict::Met(Changes::from_iter([
                ("postgres group".to_string(), json!("removed")),
                ("postgres".to_string(), json!("removed")),
            ]))
        );
    }
}
