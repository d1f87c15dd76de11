//! Users and groups as the host's name service sees them: one user's
//! `passwd` and `shadow` entries, every group, and whether a home
//! directory exists, read with `getent` in one probe.
//!
//! Salt's `user` and `group` modules read the same databases (Python's
//! `pwd`, `grp` and `/etc/shadow`); the helpers here answer their
//! questions (`group_to_gid`, `gid_to_group`, a user's groups) the way
//! those modules do, so that `user.present` decides as Salt decides.

use crate::transport::shell::quote;
use crate::transport::{Exec, Output, Transport};

/// A `passwd` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Passwd {
    pub name: String,
    pub passwd: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

/// A `shadow` entry; empty numeric fields are -1, as Salt reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shadow {
    pub name: String,
    pub passwd: String,
    pub lstchg: i64,
    pub min: i64,
    pub max: i64,
    pub warn: i64,
    pub inact: i64,
    pub expire: i64,
}

/// A `group` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    pub name: String,
    pub passwd: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// What the probe found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Accounts {
    /// The user asked about, when there is one by that name.
    pub user: Option<Passwd>,
    pub shadow: Option<Shadow>,
    /// Every group, in the order the name service lists them.
    pub groups: Vec<Group>,
    /// Whether the home directory asked about (or the user's own) is a
    /// directory; `None` when none was asked about.
    pub home_is_dir: Option<bool>,
}

impl Passwd {
    /// The five GECOS fields (full name, room, work phone, home phone,
    /// other), missing ones empty.
    pub(crate) fn gecos_fields(&self) -> [String; 5] {
        let mut parts = self.gecos.splitn(5, ',').map(str::to_string);
        std::array::from_fn(|_| parts.next().unwrap_or_default())
    }

    fn parse(line: &str) -> Option<Passwd> {
        let f: Vec<&str> = line.splitn(7, ':').collect();
        let [name, passwd, uid, gid, gecos, home, shell] = f.as_slice() else {
            return None;
        };
        Some(Passwd {
            name: name.to_string(),
            passwd: passwd.to_string(),
            uid: uid.parse().ok()?,
            gid: gid.parse().ok()?,
            gecos: gecos.to_string(),
            home: home.to_string(),
            shell: shell.to_string(),
        })
    }
}

impl Shadow {
    fn parse(line: &str) -> Option<Shadow> {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 8 {
            return None;
        }
        let num = |s: &str| s.parse::<i64>().unwrap_or(-1);
        Some(Shadow {
            name: f[0].to_string(),
            passwd: f[1].to_string(),
            lstchg: num(f[2]),
            min: num(f[3]),
            max: num(f[4]),
            warn: num(f[5]),
            inact: num(f[6]),
            expire: num(f[7]),
        })
    }
}

impl Group {
    fn parse(line: &str) -> Option<Group> {
        let f: Vec<&str> = line.splitn(4, ':').collect();
        let [name, passwd, gid, members] = f.as_slice() else {
            return None;
        };
        Some(Group {
            name: name.to_string(),
            passwd: passwd.to_string(),
            gid: gid.parse().ok()?,
            members: members
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

/// Where a home directory to check comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Home<'a> {
    /// None: nothing to check.
    None,
    /// This path.
    At(&'a str),
    /// The user's home, as `passwd` says.
    Own,
}

impl Accounts {
    /// One command: `@passwd`, `@shadow`, `@group` and `@home` sections,
    /// each a marker line and what `getent` (or `test -d`) answered.
    pub(crate) fn command(user: Option<&str>, home: Home<'_>) -> Exec {
        let mut cmd = String::new();
        if let Some(u) = user {
            let u = quote(u);
            cmd.push_str(&format!(
                "echo @passwd; getent passwd -- {u}; echo @shadow; getent shadow -- {u}; "
            ));
        }
        cmd.push_str("echo @group; getent group; ");
        let dir = match (home, user) {
            (Home::At(path), _) => Some(quote(path)),
            (Home::Own, Some(u)) => Some(format!(
                "\"$(getent passwd -- {} | cut -d: -f6)\"",
                quote(u)
            )),
            _ => None,
        };
        if let Some(d) = dir {
            cmd.push_str(&format!(
                "echo @home; h={d}; if [ -n \"$h\" ] && [ -d \"$h\" ]; then echo dir; else echo none; fi; "
            ));
        }
        cmd.push_str("true");
        Exec::new(cmd)
    }

    pub(crate) fn parse(out: &Output) -> Result<Accounts, String> {
        let mut acc = Accounts::default();
        let mut section = "";
        let mut seen_group = false;
        for line in out.stdout.lines() {
            if let Some(s) = line.strip_prefix('@') {
                section = match s {
                    "passwd" | "shadow" | "group" | "home" => s,
                    _ => return Err(format!("unexpected section `{line}` in the accounts probe")),
                };
                seen_group |= section == "group";
                continue;
            }
            if line.is_empty() {
                continue;
            }
            match section {
                "passwd" => acc.user = Passwd::parse(line),
                "shadow" => acc.shadow = Shadow::parse(line),
                "group" => acc.groups.extend(Group::parse(line)),
                "home" => acc.home_is_dir = Some(line == "dir"),
                _ => {
                    return Err(format!(
                        "unexpected answer from the accounts probe: {:?}",
                        out.stdout
                    ))
                }
            }
        }
        if !seen_group {
            return Err(format!(
                "unexpected answer from the accounts probe: {:?}{}",
                out.stdout,
                out.stderr.trim()
            ));
        }
        Ok(acc)
    }

    pub(crate) async fn read(
        host: &dyn Transport,
        user: Option<&str>,
        home: Home<'_>,
    ) -> Result<Accounts, String> {
        Accounts::parse(&super::run(host, &Accounts::command(user, home)).await?)
    }

    /// The group named `name` (the first, as `getgrnam` finds it).
    pub(crate) fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The first group with `gid` (`getgrgid`).
    pub(crate) fn group_by_gid(&self, gid: u32) -> Option<&Group> {
        self.groups.iter().find(|g| g.gid == gid)
    }

    /// Salt's `file.group_to_gid`: a number is itself, a name its group's
    /// gid, `None` for a name that is no group.
    pub(crate) fn group_to_gid(&self, group: &str) -> Option<u32> {
        if let Ok(n) = group.parse::<u32>() {
            return Some(n);
        }
        self.group(group).map(|g| g.gid)
    }

    /// Salt's `file.gid_to_group`: the group's name, or the gid itself
    /// (as text) when no group has it.
    pub(crate) fn gid_to_group(&self, gid: &str) -> String {
        let n = match gid.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => self.group_to_gid(gid),
        };
        n.and_then(|n| self.group_by_gid(n))
            .map_or_else(|| gid.to_string(), |g| g.name.clone())
    }

    /// The names of the groups `user` belongs to, its primary group
    /// included, sorted: Salt's `user.list_groups` (`os.getgrouplist`
    /// named through the local group list, gids past the local range by
    /// their first name).
    pub(crate) fn user_groups(&self, user: &Passwd) -> Vec<String> {
        let mut gids: Vec<u32> = vec![user.gid];
        gids.extend(
            self.groups
                .iter()
                .filter(|g| g.members.contains(&user.name))
                .map(|g| g.gid),
        );
        let local_max = self
            .groups
            .iter()
            .map(|g| g.gid)
            .filter(|g| *g < 65000)
            .max()
            .unwrap_or(0);
        let mut names: Vec<String> = self
            .groups
            .iter()
            .filter(|g| g.gid <= local_max && gids.contains(&g.gid))
            .map(|g| g.name.clone())
            .collect();
        for gid in gids.iter().filter(|g| **g > local_max) {
            names.extend(self.group_by_gid(*gid).map(|g| g.name.clone()));
        }
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::recorded;

    /// The probe's answer on the machine Salt's answers were recorded on
    /// (Debian 12), for `postgres` and its own home.
    pub(super) const POSTGRES: &str = include_str!("fixtures/accounts-postgres.txt");

    #[test]
    fn reads_a_user_its_shadow_entry_and_every_group() {
        let acc = Accounts::parse(&recorded(POSTGRES)).unwrap();
        let u = acc.user.as_ref().unwrap();
        assert_eq!((u.uid, u.gid), (101, 104));
        assert_eq!(u.home, "/var/lib/postgresql");
        assert_eq!(
            u.gecos_fields(),
            ["PostgreSQL administrator", "", "", "", ""].map(String::from)
        );
        let s = acc.shadow.as_ref().unwrap();
        assert_eq!((s.passwd.as_str(), s.lstchg, s.max), ("!", 20593, -1));
        assert_eq!(acc.group("ssl-cert").unwrap().members, ["postgres"]);
        assert_eq!(acc.home_is_dir, Some(true));
        assert_eq!(acc.user_groups(u), ["postgres", "ssl-cert"]);
        assert_eq!(acc.group_to_gid("users"), Some(100));
        assert_eq!(acc.group_to_gid("1501"), Some(1501));
        assert_eq!(acc.group_to_gid("nosuch"), None);
        assert_eq!(acc.gid_to_group("100"), "users");
        assert_eq!(acc.gid_to_group("4242"), "4242");
    }

    #[test]
    fn a_missing_user_is_a_fact_too() {
        let acc = Accounts::parse(&recorded(
            "@passwd\n@shadow\n@group\nroot:x:0:\nnogroup:x:65534:\n@home\nnone\n",
        ))
        .unwrap();
        assert_eq!(acc.user, None);
        assert_eq!(acc.groups.len(), 2);
        assert_eq!(acc.home_is_dir, Some(false));
        assert!(Accounts::parse(&recorded("garbage")).is_err());
    }

    #[test]
    fn groups_past_the_local_range_are_named_by_gid() {
        let acc = Accounts::parse(&recorded(
            "@passwd\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n@group\nusers:x:100:_apt\nnogroup:x:65534:\n",
        ))
        .unwrap();
        let u = acc.user.clone().unwrap();
        assert_eq!(acc.user_groups(&u), ["nogroup", "users"]);
    }

    #[test]
    fn the_probe_asks_for_what_it_needs() {
        let c = Accounts::command(None, Home::None).cmd;
        assert_eq!(c, "echo @group; getent group; true");
        let c = Accounts::command(Some("b user"), Home::Own).cmd;
        assert!(c.contains("getent passwd -- 'b user'"), "{c}");
        assert!(c.contains("h=\"$(getent passwd -- 'b user' | cut -d: -f6)\""));
    }
}
