//! `group.present` and `group.absent`, with the commands Salt's Linux
//! `group` module runs (`groupadd`, `groupmod`, `gpasswd`, `groupdel`).
//!
//! The group database is read in one probe (`facts::Accounts`); what
//! would change is worked out as Salt's `_changes` does, and after acting
//! a check reads the group again and says, as Salt does, whether
//! everything was applied.

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{pyrepr, would, Ctx, Function};
use crate::facts::{Accounts, Group, Home};
use crate::plan::{Action, Changes, Check, Failure, Plan, Verdict};
use crate::transport::shell::quote;
use crate::transport::{Exec, Output};

pub(super) struct Present;
pub(super) struct Absent;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PresentArgs {
    pub name: String,
    #[serde(default)]
    pub gid: Option<Value>,
    #[serde(default)]
    pub system: Option<bool>,
    #[serde(default)]
    pub addusers: Option<Vec<String>>,
    #[serde(default)]
    pub delusers: Option<Vec<String>>,
    #[serde(default)]
    pub members: Option<Vec<String>>,
    #[serde(default)]
    pub non_unique: Option<bool>,
    /// Use libuser's `lgroupadd`/`lgroupdel` (Salt's `local`).
    #[serde(default)]
    pub local: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AbsentArgs {
    pub name: String,
    #[serde(default)]
    pub local: Option<bool>,
}

/// One attribute to change, as Salt's `_changes` names it.
#[derive(Clone, Debug, PartialEq)]
enum Change {
    Gid(u32),
    /// A list of users (`addusers`, `delusers`, `members`).
    Users(Vec<String>),
    /// Every current member, to remove (`members: []`): a Python set.
    AllUsers(Vec<String>),
}

impl Change {
    fn text(&self) -> String {
        match self {
            Change::Gid(g) => g.to_string(),
            Change::Users(u) => pyrepr::repr(&json!(u)),
            Change::AllUsers(u) => pyrepr::set(u),
        }
    }
}

/// A gid as Salt reads one (`int(gid)`); 0, empty and null mean none.
fn wanted_gid(gid: &Option<Value>) -> Result<Option<u32>, Failure> {
    let invalid = || Failure::new("Invalid gid");
    match gid {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid()),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
    .map(|g| g.filter(|g| *g != 0))
}

/// What must change on the existing group `g` (Salt's `_changes`).
fn changes(g: &Group, args: &PresentArgs, gid: Option<u32>) -> IndexMap<&'static str, Change> {
    let mut out = IndexMap::new();
    let has = |u: &String| g.members.contains(u);
    if let Some(gid) = gid.filter(|gid| *gid != g.gid) {
        out.insert("gid", Change::Gid(gid));
    }
    let differ = |want: &[String]| {
        let cur: std::collections::BTreeSet<&String> = g.members.iter().collect();
        let want: std::collections::BTreeSet<&String> = want.iter().collect();
        cur != want
    };
    match &args.members {
        Some(m) if m.is_empty() && !g.members.is_empty() => {
            out.insert("delusers", Change::AllUsers(g.members.clone()));
        }
        Some(m) if m.is_empty() => {}
        Some(m) if differ(m) => {
            out.insert("members", Change::Users(m.clone()));
        }
        _ => {}
    }
    if let Some(add) = &args.addusers {
        let todo: Vec<String> = add.iter().filter(|u| !has(u)).cloned().collect();
        if !todo.is_empty() {
            out.insert("addusers", Change::Users(todo));
        }
    }
    if let Some(del) = &args.delusers {
        let todo: Vec<String> = del.iter().filter(|u| has(u)).cloned().collect();
        if !todo.is_empty() {
            out.insert("delusers", Change::Users(todo));
        }
    }
    out
}

fn listed(changes: &IndexMap<&'static str, Change>) -> String {
    let mut s = String::from("The following group attributes are set to be changed:\n");
    for (k, v) in changes {
        s.push_str(&format!("{k}: {}\n", v.text()));
    }
    s
}

/// Salt's `group.info`: what `changes` reports for a new group.
fn info(g: &Group) -> Changes {
    Changes::from_iter([
        ("name".to_string(), json!(g.name)),
        ("passwd".to_string(), json!(g.passwd)),
        ("gid".to_string(), json!(g.gid)),
        ("members".to_string(), json!(g.members)),
    ])
}

fn run(cmd: String, fail: impl Into<String>) -> Action {
    Action::run(Exec::new(cmd), fail)
}

/// After acting: the group as wanted, or what is still to change.
#[derive(Debug)]
struct Applied {
    args: PresentArgs,
    gid: Option<u32>,
    /// Created by this state: report the new group's info.
    created: bool,
    fail: String,
}

impl Check for Applied {
    fn describe(&self) -> String {
        format!("group {} is as wanted", self.args.name)
    }

    fn probe(&self) -> Exec {
        Accounts::command(None, Home::None)
    }

    fn judge(&self, out: &Output) -> Verdict {
        let acc = match Accounts::parse(out) {
            Ok(a) => a,
            Err(e) => return Verdict::Pending(e),
        };
        let Some(g) = acc.group(&self.args.name) else {
            return Verdict::Pending(self.fail.clone());
        };
        if !changes(g, &self.args, self.gid).is_empty() {
            return Verdict::Pending(self.fail.clone());
        }
        Verdict::Met(if self.created {
            info(g)
        } else {
            Changes::new()
        })
    }
}

/// Before creating a group with a given gid: no other group has it.
#[derive(Debug)]
struct GidFree {
    name: String,
    gid: u32,
}

impl Check for GidFree {
    fn describe(&self) -> String {
        format!("no group has gid {}", self.gid)
    }

    fn probe(&self) -> Exec {
        Accounts::command(None, Home::None)
    }

    fn judge(&self, out: &Output) -> Verdict {
        match Accounts::parse(out) {
            Err(e) => Verdict::Pending(e),
            Ok(acc) => match acc.group_by_gid(self.gid) {
                None => Verdict::Met(Changes::new()),
                Some(g) => Verdict::Pending(format!(
                    "Group {} is not present but gid {} is already taken by group {}",
                    self.name, self.gid, g.name
                )),
            },
        }
    }
}

fn modify(g: &Group, args: &PresentArgs, gid: Option<u32>) -> Option<Plan> {
    let todo = changes(g, args, gid);
    if todo.is_empty() {
        return None;
    }
    let name = quote(&args.name);
    let comment = listed(&todo);
    let fail = format!("{comment}Some changes could not be applied");
    let mut actions = Vec::new();
    for (key, change) in &todo {
        match (*key, change) {
            ("gid", Change::Gid(n)) => {
                let opt = if args.non_unique == Some(true) {
                    "-og"
                } else {
                    "-g"
                };
                actions.push(run(format!("groupmod {opt} {n} {name}"), &fail));
            }
            ("addusers", Change::Users(users)) => {
                for u in users {
                    actions.push(run(format!("gpasswd --add {} {name}", quote(u)), &fail));
                }
            }
            ("delusers", Change::Users(users) | Change::AllUsers(users)) => {
                for u in users {
                    actions.push(run(format!("gpasswd --del {} {name}", quote(u)), &fail));
                }
            }
            ("members", Change::Users(users)) => {
                actions.push(run(
                    format!("gpasswd --members {} {name}", quote(&users.join(","))),
                    &fail,
                ));
            }
            _ => unreachable!("changes() pairs keys and kinds"),
        }
    }
    actions.push(Action::verify(
        Applied {
            args: args.clone(),
            gid,
            created: false,
            fail: fail.clone(),
        },
        "",
    ));
    let done = Changes::from_iter([(
        "Final".to_string(),
        json!("All changes applied successfully"),
    )]);
    Some(would::change(comment.clone(), comment, actions).applied(done))
}

fn create(args: &PresentArgs, gid: Option<u32>) -> Plan {
    let name = &args.name;
    let local = args.local == Some(true);
    let mut actions = Vec::new();
    if let Some(gid) = gid.filter(|_| args.non_unique != Some(true)) {
        actions.push(Action::verify(
            GidFree {
                name: name.clone(),
                gid,
            },
            "",
        ));
    }
    let mut cmd = String::from(if local { "lgroupadd" } else { "groupadd" });
    if let Some(gid) = gid {
        cmd.push_str(&format!(" -g {gid}"));
        if args.non_unique == Some(true) && !local {
            cmd.push_str(" -o");
        }
    }
    if args.system == Some(true) {
        cmd.push_str(" -r");
    }
    cmd.push(' ');
    cmd.push_str(&quote(name));
    actions.push(run(cmd, format!("Failed to create new group {name}")));
    let members = args
        .addusers
        .as_ref()
        .filter(|a| !a.is_empty())
        .or(args.members.as_ref().filter(|m| !m.is_empty()));
    if let Some(m) = members {
        actions.push(run(
            format!("gpasswd --members {} {}", quote(&m.join(",")), quote(name)),
            format!("Group {name} has been created but, some changes could not be applied"),
        ));
    }
    actions.push(Action::verify(
        Applied {
            args: args.clone(),
            gid,
            created: true,
            fail: format!("Group {name} has been created but, some changes could not be applied"),
        },
        "",
    ));
    would::change(
        format!("Group {name} set to be added"),
        format!("New group {name} created"),
        actions,
    )
    .applied(Changes::new())
}

#[async_trait]
impl Function for Present {
    type Args = PresentArgs;

    async fn plan(&self, args: &PresentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        if args.members.is_some() && (args.addusers.is_some() || args.delusers.is_some()) {
            return Err(Failure::new(
                "Error: Conflicting options \"members\" with \"addusers\" and/or \"delusers\" can not be used together. ",
            ));
        }
        if let (Some(add), Some(del)) = (&args.addusers, &args.delusers) {
            if add.iter().any(|u| del.contains(u)) {
                return Err(Failure::new(
                    "Error. Same user(s) can not be added and deleted simultaneously",
                ));
            }
        }
        let acc = Accounts::read(ctx.host.transport.as_ref(), None, Home::None)
            .await
            .map_err(Failure::new)?;
        match acc.group(name) {
            Some(g) => {
                let gid = wanted_gid(&args.gid)?;
                Ok(modify(g, args, gid).unwrap_or_else(|| {
                    Plan::noop(format!("Group {name} is present and up to date"))
                }))
            }
            None => Ok(create(args, wanted_gid(&args.gid)?)),
        }
    }
}

#[async_trait]
impl Function for Absent {
    type Args = AbsentArgs;

    async fn plan(&self, args: &AbsentArgs, ctx: &Ctx<'_>) -> Result<Plan, Failure> {
        let name = &args.name;
        let acc = Accounts::read(ctx.host.transport.as_ref(), None, Home::None)
            .await
            .map_err(Failure::new)?;
        if acc.group(name).is_none() {
            return Ok(Plan::noop("Group not present"));
        }
        let del = if args.local == Some(true) {
            "lgroupdel"
        } else {
            "groupdel"
        };
        Ok(would::change(
            format!("Group {name} is set for removal"),
            format!("Removed group {name}"),
            vec![run(
                format!("{del} {}", quote(name)),
                format!("Failed to remove group {name}"),
            )],
        )
        .applied(Changes::from_iter([(name.clone(), json!(""))])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;
    use crate::testing::{fixture, plan};
    use crate::transport::fake::Fake;

    const GROUPS: &str = include_str!("../facts/fixtures/groups.txt");

    fn host() -> Fake {
        Fake::new().answer("echo @group; getent group", 0, GROUPS)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn members_are_set_with_gpasswd_and_read_back() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "group.present",
            "name: ssl-cert\nmembers: [root, www-data]",
        )
        .await
        .unwrap();
        assert_eq!(
            p.comment,
            "The following group attributes are set to be changed:\nmembers: ['root', 'www-data']\n"
        );
        assert_eq!(
            p.describe(),
            [
                "run `gpasswd --members root,www-data ssl-cert`",
                "check that group ssl-cert is as wanted"
            ]
        );
        let Action::Await { check, .. } = &p.actions[1] else {
            panic!()
        };
        let after = GROUPS.replace("ssl-cert:x:103:postgres", "ssl-cert:x:103:root,www-data");
        assert_eq!(check.judge(&recorded(&after)), Verdict::Met(Changes::new()));
        assert_eq!(
            check.judge(&recorded(GROUPS)),
            Verdict::Pending(format!("{}Some changes could not be applied", p.comment))
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_new_group_with_a_taken_gid_fails_once_applied() {
        let fx = fixture(host());
        let p = plan(
            &fx,
            "group.present",
            "name: newgrp\ngid: 100\naddusers: [root]",
        )
        .await
        .unwrap();
        assert_eq!(p.comment, "Group newgrp set to be added");
        let Action::Await { check, .. } = &p.actions[0] else {
            panic!()
        };
        assert_eq!(
            check.judge(&recorded(GROUPS)),
            Verdict::Pending(
                "Group newgrp is not present but gid 100 is already taken by group users".into()
            )
        );
        assert_eq!(
            p.describe()[1..3],
            [
                "run `groupadd -g 100 newgrp`",
                "run `gpasswd --members root newgrp`"
            ]
        );
        let Action::Await { check, .. } = &p.actions[3] else {
            panic!()
        };
        let after = format!("{GROUPS}newgrp:x:100:root\n");
        assert_eq!(
            check.judge(&recorded(&after)),
            Verdict::Met(Changes::from_iter([
                ("name".to_string(), json!("newgrp")),
                ("passwd".to_string(), json!("x")),
                ("gid".to_string(), json!(100)),
                ("members".to_string(), json!(["root"])),
            ]))
        );
        let err = plan(&fx, "group.present", "name: users\ngid: abc")
            .await
            .unwrap_err();
        assert_eq!(err.comment, "Invalid gid");
    }
}
