//! User and group names ↔ ids on this machine, through NSS (libc), as
//! `stat` and `chown` resolve them.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::Mutex;

static NAMES: Mutex<Option<HashMap<(bool, u32), String>>> = Mutex::new(None);

/// The name of user `uid` (or group `gid` when `group`), or the number.
pub fn name_of(id: u32, group: bool) -> String {
    let mut cache = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    cache
        .entry((group, id))
        .or_insert_with(|| lookup_name(id, group).unwrap_or_else(|| id.to_string()))
        .clone()
}

fn lookup_name(id: u32, group: bool) -> Option<String> {
    if group {
        nss(
            |r, buf, len, out| unsafe { libc::getgrgid_r(id, r, buf, len, out) },
            |g: &libc::group| unsafe { text(g.gr_name) },
        )
    } else {
        nss(
            |r, buf, len, out| unsafe { libc::getpwuid_r(id, r, buf, len, out) },
            |p: &libc::passwd| unsafe { text(p.pw_name) },
        )
    }
}

/// The id of user (or group) `name`; a number is taken as it is.
pub fn id_of(name: &str, group: bool) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    if group {
        let cname = CString::new(name).ok()?;
        nss(
            |r, buf, len, out| unsafe { libc::getgrnam_r(cname.as_ptr(), r, buf, len, out) },
            |g: &libc::group| g.gr_gid,
        )
    } else {
        user(name, |p| p.pw_uid)
    }
}

/// The home directory of user `name`.
pub fn home_of(name: &str) -> Option<String> {
    user(name, |p| unsafe { text(p.pw_dir) })
}

/// What `read` takes from user `name`'s passwd entry.
fn user<R>(name: &str, read: impl FnOnce(&libc::passwd) -> R) -> Option<R> {
    let cname = CString::new(name).ok()?;
    nss(
        |r, buf, len, out| unsafe { libc::getpwnam_r(cname.as_ptr(), r, buf, len, out) },
        read,
    )
}

/// One reentrant NSS lookup (`getpwnam_r` and kin, which `call` makes with
/// the record, a buffer, its size and the result pointer): what `read`
/// takes from the record, when there is one. The record's strings point
/// into the buffer, so `read` is where they can be used.
fn nss<T, R>(
    call: impl FnOnce(*mut T, *mut libc::c_char, libc::size_t, *mut *mut T) -> libc::c_int,
    read: impl FnOnce(&T) -> R,
) -> Option<R> {
    let mut buf = vec![0u8; 16384];
    // SAFETY: `T` is only ever libc's `passwd` or `group`, plain C records
    // for which all zeroes is a valid value.
    let mut record: T = unsafe { std::mem::zeroed() };
    let mut out: *mut T = std::ptr::null_mut();
    call(&mut record, buf.as_mut_ptr().cast(), buf.len(), &mut out);
    (!out.is_null()).then(|| read(&record))
}

/// A record's C string, as text.
///
/// # Safety
/// `p` points to a NUL-terminated string.
unsafe fn text(p: *const libc::c_char) -> String {
    CStr::from_ptr(p).to_string_lossy().into_owned()
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
        assert_eq!(home_of("root").as_deref(), Some("/root"));
    }
}
