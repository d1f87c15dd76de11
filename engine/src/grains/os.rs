//! The OS grains from `/etc/os-release` (and `/etc/lsb-release`), as
//! Salt 3008 derives them (`salt/grains/core.py`: `_os_release_to_grains`,
//! `_derive_os_grain`, `_osrelease_data`, `_osarch`).

use serde_json::{json, Map, Value};

/// Salt's `_OS_NAME_MAP`: the first ten characters (no spaces, lowercased)
/// of the distribution's name, without "Linux", to the `os` grain.
const OS_NAME_MAP: &[(&str, &str)] = &[
    ("redhatente", "RedHat"),
    ("gentoobase", "Gentoo"),
    ("archarm", "Arch ARM"),
    ("arch", "Arch"),
    ("debian", "Debian"),
    ("Junos", "Junos"),
    ("raspbian", "Raspbian"),
    ("fedoraremi", "Fedora"),
    ("chapeau", "Chapeau"),
    ("korora", "Korora"),
    ("amazonami", "Amazon"),
    ("alt", "ALT"),
    ("enterprise", "OEL"),
    ("oracleserv", "OEL"),
    ("cloudserve", "CloudLinux"),
    ("cloudlinux", "CloudLinux"),
    ("virtuozzo", "Virtuozzo"),
    ("almalinux", "AlmaLinux"),
    ("almalinuxk", "AlmaLinux"),
    ("pidora", "Fedora"),
    ("scientific", "ScientificLinux"),
    ("synology", "Synology"),
    ("nilrt", "NILinuxRT"),
    ("poky", "Poky"),
    ("manjaro", "Manjaro"),
    ("manjarolin", "Manjaro"),
    ("univention", "Univention"),
    ("antergos", "Antergos"),
    ("sles", "SUSE"),
    ("void", "Void"),
    ("slesexpand", "RES"),
    ("linuxmint", "Mint"),
    ("neon", "KDE neon"),
    ("pop", "Pop"),
    ("rocky", "Rocky"),
    ("alibabaclo", "Alinux"),
    ("mendel", "Mendel"),
    ("photon", "VMware Photon OS"),
];

/// Salt's `_OS_FAMILY_MAP`: the `os` grain to `os_family`.
const OS_FAMILY_MAP: &[(&str, &str)] = &[
    ("Ubuntu", "Debian"),
    ("Fedora", "RedHat"),
    ("Chapeau", "RedHat"),
    ("Korora", "RedHat"),
    ("FedBerry", "RedHat"),
    ("CentOS", "RedHat"),
    ("CentOS Stream", "RedHat"),
    ("GoOSe", "RedHat"),
    ("Scientific", "RedHat"),
    ("Amazon", "RedHat"),
    ("CloudLinux", "RedHat"),
    ("Virtuozzo", "RedHat"),
    ("AlmaLinux", "RedHat"),
    ("AlmaLinux Kitten", "RedHat"),
    ("OVS", "RedHat"),
    ("OEL", "RedHat"),
    ("XCP", "RedHat"),
    ("XCP-ng", "RedHat"),
    ("XenServer", "RedHat"),
    ("RES", "RedHat"),
    ("Sangoma", "RedHat"),
    ("VMware Photon OS", "RedHat"),
    ("Mandrake", "Mandriva"),
    ("Mint", "Debian"),
    ("VMwareESX", "VMware"),
    ("Bluewhite64", "Bluewhite"),
    ("Slamd64", "Slackware"),
    ("SLES", "Suse"),
    ("SUSE Enterprise Server", "Suse"),
    ("SUSE  Enterprise Server", "Suse"),
    ("SLED", "Suse"),
    ("openSUSE", "Suse"),
    ("SUSE", "Suse"),
    ("openSUSE Leap", "Suse"),
    ("openSUSE Tumbleweed", "Suse"),
    ("SLES_SAP", "Suse"),
    ("alfaLinux", "Suse"),
    ("alfaLinux Rise", "Suse"),
    ("AlterOS", "RedHat"),
    ("RED OS", "RedHat"),
    ("Arch ARM", "Arch"),
    ("Manjaro", "Arch"),
    ("Manjaro ARM", "Arch"),
    ("Antergos", "Arch"),
    ("EndeavourOS", "Arch"),
    ("ALT", "RedHat"),
    ("Trisquel", "Debian"),
    ("GCEL", "Debian"),
    ("Linaro", "Debian"),
    ("elementary OS", "Debian"),
    ("elementary", "Debian"),
    ("Univention", "Debian"),
    ("ScientificLinux", "RedHat"),
    ("Raspbian", "Debian"),
    ("Devuan", "Debian"),
    ("antiX", "Debian"),
    ("Kali", "Debian"),
    ("Parrot OS", "Debian"),
    ("neon", "Debian"),
    ("Cumulus", "Debian"),
    ("Deepin", "Debian"),
    ("NILinuxRT", "NILinuxRT"),
    ("KDE neon", "Debian"),
    ("Void", "Void"),
    ("IDMS", "Debian"),
    ("Funtoo", "Gentoo"),
    ("TurnKey", "Debian"),
    ("Pop", "Debian"),
    ("Rocky", "RedHat"),
    ("AstraLinuxCE", "Debian"),
    ("AstraLinuxSE", "Debian"),
    ("Alinux", "RedHat"),
    ("Mendel", "Debian"),
    ("OSMC", "Debian"),
    ("openEuler", "RedHat"),
];

/// Distributions for which Salt reads os-release alone; the others go
/// through its legacy heuristics (here: os-release and lsb-release).
const OS_RELEASE_ONLY: &[&str] = &[
    "almalinux",
    "astra",
    "debian",
    "linuxmint",
    "mendel",
    "pop",
    "rocky",
    "ubuntu",
];

fn lookup(map: &[(&str, &str)], key: &str) -> Option<String> {
    map.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

/// Salt's `_derive_os_grain`.
pub(super) fn derive_os(fullname: &str, id: Option<&str>) -> String {
    match (id, fullname) {
        (Some("astra"), "Astra Linux (Orel)") => return "AstraLinuxCE".into(),
        (Some("astra"), "Astra Linux (Smolensk)") => return "AstraLinuxSE".into(),
        (Some("pop"), "Pop!_OS") => return "Pop".into(),
        _ => {}
    }
    let distro = strip_linux(fullname);
    let short: String = distro
        .replace(' ', "")
        .to_lowercase()
        .chars()
        .take(10)
        .collect();
    lookup(OS_NAME_MAP, &short).unwrap_or(distro)
}

/// `re.sub(r"\W(?:gnu/)?linux", "", name, flags=re.I).strip()`.
fn strip_linux(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut out = String::new();
    let mut i = 0;
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    while i < chars.len() {
        let (at, c) = chars[i];
        if !(c.is_alphanumeric() || c == '_') {
            let rest = &lower[at + c.len_utf8()..];
            let skip = if rest.starts_with("gnu/linux") {
                Some(9)
            } else if rest.starts_with("linux") {
                Some(5)
            } else {
                None
            };
            if let Some(n) = skip {
                let end = at + c.len_utf8() + n;
                while i < chars.len() && chars[i].0 < end {
                    i += 1;
                }
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out.trim().to_string()
}

/// Salt's `_family_id` then `_prettify_os_family`.
fn family(id: &str, id_like: &str) -> String {
    let family_id = if id_like.is_empty() {
        id.to_string()
    } else {
        let ids: Vec<&str> = std::iter::once(id)
            .chain(id_like.split_whitespace())
            .collect();
        if ids.contains(&"debian") || ids.contains(&"ubuntu") {
            "debian".into()
        } else {
            ids.last().copied().unwrap_or(id).to_string()
        }
    };
    if family_id == "fedora" {
        return "RedHat".into();
    }
    let mut c = family_id.chars();
    c.next()
        .map(|f| {
            f.to_uppercase()
                .chain(c.flat_map(char::to_lowercase))
                .collect()
        })
        .unwrap_or_default()
}

/// `KEY=value` lines (quotes removed), as in os-release and lsb-release.
pub(super) fn key_values(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let k = k.trim();
            if k.is_empty() || k.starts_with('#') {
                return None;
            }
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// os, os_family, osfullname, osrelease, oscodename, osrelease_info,
/// osmajorrelease, osfinger, osarch and lsb_distrib_* into `g`.
pub(super) fn grains(
    os_release: &str,
    lsb_release: &str,
    cpuarch: &str,
    g: &mut Map<String, Value>,
) {
    let rel = key_values(os_release);
    let get = |k: &str| {
        rel.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let lsb = key_values(lsb_release);
    let lsb_get = |k: &str| {
        lsb.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let id = get("ID").unwrap_or("linux");
    let name = get("NAME").unwrap_or("Linux").trim().to_string();
    let mut os = derive_os(&name, Some(id));
    let modern = OS_RELEASE_ONLY.contains(&id);
    let mut os_family = family(id, get("ID_LIKE").unwrap_or(""));
    let mut fullname = name.clone();
    let codename_quirk = || -> Option<String> {
        match id {
            "astra" => get("VARIANT_ID").map(str::to_string),
            "almalinux" | "rocky" => {
                let v = get("VERSION")?;
                let open = v.find('(')?;
                Some(v[open + 1..v.rfind(')')?].to_string())
            }
            _ => None,
        }
    };
    let (release, codename);
    // lsb_distrib_*: from lsb-release, else (as Salt's legacy path) os-release
    let lsb_id = lsb_get("DISTRIB_ID").unwrap_or_else(|| name.clone());
    let lsb_release_v = lsb_get("DISTRIB_RELEASE").or(get("VERSION_ID").map(str::to_string));
    let lsb_codename = lsb_get("DISTRIB_CODENAME")
        .or(get("VERSION_CODENAME").map(str::to_string))
        .or(get("PRETTY_NAME").map(str::to_string));
    if modern {
        release = get("VERSION_ID").map(str::to_string);
        codename = get("VERSION_CODENAME")
            .map(str::to_string)
            .or_else(codename_quirk);
    } else {
        release = lsb_release_v.clone();
        let mut c = lsb_codename.clone().unwrap_or_default();
        if c.contains("Red Hat") || c.is_empty() {
            c = get("VERSION_CODENAME")
                .map(str::to_string)
                .or_else(codename_quirk)
                .unwrap_or_default();
        }
        codename = Some(c);
        if get("CPE_NAME").is_some_and(|c| {
            let vendor = c
                .split(':')
                .nth(if c.starts_with("cpe:2.3:") { 3 } else { 2 })
                .unwrap_or("");
            vendor.eq_ignore_ascii_case("suse") || vendor.eq_ignore_ascii_case("opensuse")
        }) {
            os = "SUSE".into();
            if name == "openSUSE Leap" {
                fullname = "Leap".into();
            } else if get("VERSION") == Some("Tumbleweed") {
                fullname = "Tumbleweed".into();
            }
        }
        os_family = lookup(OS_FAMILY_MAP, &os).unwrap_or_else(|| os.clone());
    }
    if let Some(c) = &lsb_codename {
        g.insert("lsb_distrib_codename".into(), json!(c));
    }
    g.insert("lsb_distrib_id".into(), json!(lsb_id));
    if let Some(r) = &lsb_release_v {
        g.insert("lsb_distrib_release".into(), json!(r));
    }
    if let Some(d) = lsb_get("DISTRIB_DESCRIPTION") {
        g.insert("lsb_distrib_description".into(), json!(d));
    }
    let release = release.unwrap_or_default();
    g.insert("os".into(), json!(os));
    g.insert("os_family".into(), json!(os_family));
    g.insert("osfullname".into(), json!(fullname));
    g.insert("osrelease".into(), json!(release));
    g.insert("oscodename".into(), json!(codename.unwrap_or_default()));
    // _osrelease_data
    let info: Vec<Value> = release
        .split('.')
        .map(|p| match p.parse::<i64>() {
            Ok(n) if p.chars().all(|c| c.is_ascii_digit()) => json!(n),
            _ => json!(p),
        })
        .collect();
    if let Some(major) = info.first().and_then(Value::as_i64) {
        g.insert("osmajorrelease".into(), json!(major));
    }
    let finger_name = if [
        "Debian",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Mac",
        "Raspbian",
        "AlmaLinux",
    ]
    .contains(&os.as_str())
    {
        os.clone()
    } else {
        fullname.clone()
    };
    let finger_ver = if ["Ubuntu", "Pop", "NixOS"].contains(&os.as_str()) {
        release.clone()
    } else {
        match info.first() {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    };
    g.insert(
        "osfinger".into(),
        json!(format!("{finger_name}-{finger_ver}")),
    );
    g.insert("osrelease_info".into(), Value::Array(info));
    g.insert("osarch".into(), json!(osarch(&os_family, cpuarch)));
}

/// Salt's `osarch`: the package manager's name for the architecture (what
/// `dpkg --print-architecture` or rpm would answer), from the kernel's.
fn osarch(family: &str, cpuarch: &str) -> String {
    match family {
        "Debian" => match cpuarch {
            "x86_64" => "amd64",
            "aarch64" | "arm64" => "arm64",
            "i386" | "i486" | "i586" | "i686" => "i386",
            "armv7l" | "armv6l" => "armhf",
            "ppc64le" => "ppc64el",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            "mips64" => "mips64el",
            other => other,
        }
        .to_string(),
        "RedHat" | "Suse" => match cpuarch {
            "i486" | "i586" | "i686" => "i686",
            "armv7l" => "armv7hl",
            other => other,
        }
        .to_string(),
        _ => cpuarch.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(release: &str, arch: &str) -> Map<String, Value> {
        let mut g = Map::new();
        grains(release, "", arch, &mut g);
        g
    }

    #[test]
    fn names_as_salt() {
        assert_eq!(derive_os("Debian GNU/Linux", Some("debian")), "Debian");
        assert_eq!(
            derive_os("Red Hat Enterprise Linux", Some("rhel")),
            "RedHat"
        );
        assert_eq!(derive_os("CentOS Stream", Some("centos")), "CentOS Stream");
        assert_eq!(derive_os("Fedora Linux", Some("fedora")), "Fedora");
        assert_eq!(derive_os("Ubuntu", Some("ubuntu")), "Ubuntu");
        assert_eq!(derive_os("Arch Linux", Some("arch")), "Arch");
    }

    #[test]
    fn ubuntu_and_rocky() {
        let g = os("NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n", "aarch64");
        assert_eq!(g["os"], "Ubuntu");
        assert_eq!(g["os_family"], "Debian");
        assert_eq!(g["osfinger"], "Ubuntu-22.04");
        assert_eq!(g["osrelease_info"], json!([22, 4]));
        assert_eq!(g["osarch"], "arm64");
        let g = os("NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n", "x86_64");
        assert_eq!(g["os"], "Rocky");
        assert_eq!(g["os_family"], "RedHat");
        assert_eq!(g["oscodename"], "Blue Onyx");
        assert_eq!(g["osmajorrelease"], 9);
        assert_eq!(g["osfinger"], "Rocky Linux-9");
        assert_eq!(g["osarch"], "x86_64");
    }
}
