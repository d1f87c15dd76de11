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
    let mut buf = vec![0u8; 16384];
    unsafe {
        if group {
            let mut grp: libc::group = std::mem::zeroed();
            let mut out: *mut libc::group = std::ptr::null_mut();
            libc::getgrgid_r(id, &mut grp, buf.as_mut_ptr().cast(), buf.len(), &mut out);
            (!out.is_null()).then(|| CStr::from_ptr(grp.gr_name).to_string_lossy().into_owned())
        } else {
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut out: *mut libc::passwd = std::ptr::null_mut();
            libc::getpwuid_r(id, &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut out);
            (!out.is_null()).then(|| CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned())
        }
    }
}

/// The id of user (or group) `name`; a number is taken as it is.
pub fn id_of(name: &str, group: bool) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0u8; 16384];
    unsafe {
        if group {
            let mut grp: libc::group = std::mem::zeroed();
            let mut out: *mut libc::group = std::ptr::null_mut();
            libc::getgrnam_r(
                cname.as_ptr(),
                &mut grp,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut out,
            );
            (!out.is_null()).then_some(grp.gr_gid)
        } else {
            let mut pwd: libc::passwd = std::mem::zeroed();
            let mut out: *mut libc::passwd = std::ptr::null_mut();
            libc::getpwnam_r(
                cname.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut out,
            );
            (!out.is_null()).then_some(pwd.pw_uid)
        }
    }
}

/// The home directory of user `name`.
pub fn home_of(name: &str) -> Option<String> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0u8; 16384];
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut out,
        );
        (!out.is_null()).then(|| CStr::from_ptr(pwd.pw_dir).to_string_lossy().into_owned())
    }
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
