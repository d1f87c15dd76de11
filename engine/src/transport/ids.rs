//! User and group names ↔ ids on this machine, through NSS (nix's
//! `getpwuid_r` and kin), as `stat` and `chown` resolve them. Names are
//! cached: a read of many files asks for the same few owners again and
//! again.

use std::collections::HashMap;
use std::sync::Mutex;

use nix::unistd::{Gid, Group, Uid, User};

static NAMES: Mutex<Option<HashMap<(bool, u32), String>>> = Mutex::new(None);

/// The name of user `uid` (or group `gid` when `group`), or the number.
pub(super) fn name_of(id: u32, group: bool) -> String {
    let mut cache = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    cache
        .entry((group, id))
        .or_insert_with(|| lookup_name(id, group).unwrap_or_else(|| id.to_string()))
        .clone()
}

fn lookup_name(id: u32, group: bool) -> Option<String> {
    if group {
        Group::from_gid(Gid::from_raw(id)).ok()?.map(|g| g.name)
    } else {
        User::from_uid(Uid::from_raw(id)).ok()?.map(|u| u.name)
    }
}

/// The id of user (or group) `name`; a number is taken as it is.
pub(super) fn id_of(name: &str, group: bool) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    if group {
        Group::from_name(name).ok()?.map(|g| g.gid.as_raw())
    } else {
        User::from_name(name).ok()?.map(|u| u.uid.as_raw())
    }
}

/// The home directory of user `name`.
pub(super) fn home_of(name: &str) -> Option<String> {
    let user = User::from_name(name).ok()??;
    Some(user.dir.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_round_trips() {
        assert_eq!(name_of(0, false), "root");
        assert_eq!(name_of(0, true), "root");
        assert_eq!(id_of("root", false), Some(0));
        assert_eq!(id_of("0", true), Some(0));
        assert_eq!(id_of("no-such-user-here", false), None);
        assert_eq!(id_of("no-such-group-here", true), None);
        assert_eq!(home_of("root").as_deref(), Some("/root"));
        assert_eq!(home_of("no-such-user-here"), None);
    }

    #[test]
    fn unknown_ids_are_their_numbers_and_odd_names_are_nobody() {
        // Far above any id a Debian machine hands out.
        assert_eq!(name_of(3_999_999_999, false), "3999999999");
        assert_eq!(name_of(3_999_999_999, true), "3999999999");
        assert_eq!(id_of("a\0b", false), None);
        assert_eq!(id_of("a\0b", true), None);
        assert_eq!(id_of("nogroup", true), Some(65534));
        assert_eq!(id_of("nobody", false), Some(65534));
    }
}
