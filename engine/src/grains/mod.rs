//! Grains: what a host is, read in one round trip (a probe command and a
//! parser for its output), named and typed as Salt's core grains are.
//!
//! The probe (`probe.sh`) prints `key=value` lines, then raw sections
//! (`@@name`: os-release, `ip addr show`, /proc/cpuinfo's first block...);
//! everything Salt derives from them is derived here, in Rust, where it is
//! tested on recorded output (`testdata/`: this machine's probe output
//! beside `salt-call grains.items` run at the same moment).

mod net;
mod os;

use serde_json::{json, Map, Value};

use crate::transport::{Exec, Transport, TransportError};

/// The probe. It runs on every host at every run, so it starts as few
/// programs as it can (`uname`, `getent`, `ip`): the rest is bash builtins
/// reading files. Each program costs the host about a millisecond of CPU.
pub(crate) const PROBE: &str = include_str!("probe.sh");

/// The Salt whose grains converge reports (formulas compare
/// `saltversioninfo` to choose what a state may use): the release whose
/// behaviour converge reproduces.
const SALT_VERSION: (u64, u64) = (3008, 4);
/// The Python of that Salt, for formulas that read `pythonversion`.
const PYTHON_VERSION: (u64, u64, u64) = (3, 11, 7);

pub(crate) async fn gather(id: &str, transport: &dyn Transport) -> Result<Value, TransportError> {
    let out = transport.exec(&Exec::new(PROBE)).await?;
    Ok(parse(id, &out.stdout))
}

/// The probe's output split into its `key=value` lines and its sections.
struct Probe<'a> {
    values: Vec<(&'a str, &'a str)>,
    sections: Vec<(&'a str, String)>,
}

impl<'a> Probe<'a> {
    fn read(out: &'a str) -> Probe<'a> {
        let mut values = Vec::new();
        let mut sections: Vec<(&str, String)> = Vec::new();
        for line in out.lines() {
            if let Some(name) = line.strip_prefix("@@") {
                sections.push((name, String::new()));
            } else if let Some((_, text)) = sections.last_mut() {
                text.push_str(line);
                text.push('\n');
            } else if let Some((k, v)) = line.split_once('=') {
                values.push((k, v));
            }
        }
        Probe { values, sections }
    }

    fn value(&self, key: &str) -> Option<&'a str> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn section(&self, name: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.as_str())
    }
}

/// Salt's names and types for the probe's answers.
pub(crate) fn parse(id: &str, out: &str) -> Value {
    let p = Probe::read(out);
    let mut g = Map::new();
    let text = |k: &str| p.value(k).unwrap_or_default().to_string();
    g.insert("id".into(), json!(id));
    for k in [
        "kernel",
        "nodename",
        "kernelrelease",
        "kernelversion",
        "cpuarch",
        "init",
        "shell",
        "path",
        "username",
        "groupname",
    ] {
        if let Some(v) = p.value(k) {
            g.insert(k.into(), json!(v));
        }
    }
    let nodename = text("nodename");
    g.insert(
        "host".into(),
        json!(nodename.split('.').next().unwrap_or_default()),
    );
    g.insert("localhost".into(), json!(nodename));
    g.insert(
        "num_cpus".into(),
        json!(p
            .value("num_cpus")
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(1)),
    );
    for k in ["uid", "gid"] {
        if let Some(n) = p.value(k).and_then(|v| v.parse::<i64>().ok()) {
            g.insert(k.into(), json!(n));
        }
    }
    g.insert(
        "systempath".into(),
        json!(text("path")
            .split(':')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()),
    );
    if let Some(m) = p.value("machine_id") {
        g.insert("machine_id".into(), json!(m));
    }
    os::grains(
        p.section("os-release").unwrap_or_default(),
        p.section("lsb-release").unwrap_or_default(),
        &text("cpuarch"),
        &mut g,
    );
    net::addresses(p.section("ip"), p.section("hostname-i"), &mut g);
    net::fqdn(p.section("getent"), p.value("fqdn"), &nodename, &mut g);
    net::gateways(
        p.section("route").unwrap_or_default(),
        p.section("route6").unwrap_or_default(),
        &mut g,
    );
    net::dns(p.section("resolv").unwrap_or_default(), &mut g);
    cpu(p.section("cpuinfo").unwrap_or_default(), &mut g);
    memory(p.section("meminfo").unwrap_or_default(), &mut g);
    g.insert(
        "kernelparams".into(),
        kernelparams(p.section("cmdline").unwrap_or_default()),
    );
    g.insert(
        "locale_info".into(),
        locale(p.value("locale"), p.value("timezone")),
    );
    virtual_grains(&p, &mut g);
    if p.value("selinux_tools").is_some() {
        let enforced = match p.value("selinux_enforce") {
            Some("1") => "Enforcing",
            Some("0") => "Permissive",
            _ => "Disabled",
        };
        g.insert(
            "selinux".into(),
            json!({"enabled": p.value("selinux_enforce").is_some(), "enforced": enforced}),
        );
    }
    if let Some(v) = p.value("systemd_version") {
        // Salt also reports systemd's compile-time features, which only
        // `systemctl --version` prints: not worth a program on every run.
        g.insert("systemd".into(), json!({"version": v}));
    }
    g.insert("efi".into(), json!(p.value("efi").is_some()));
    g.insert(
        "transactional".into(),
        json!(p.value("transactional").is_some()),
    );
    if g.get("kernel").and_then(Value::as_str) == Some("Linux") {
        g.insert("ps".into(), json!("ps -efHww"));
    }
    let (major, minor) = SALT_VERSION;
    g.insert("saltversion".into(), json!(format!("{major}.{minor}")));
    g.insert("saltversioninfo".into(), json!([major, minor]));
    let (a, b, c) = PYTHON_VERSION;
    g.insert("pythonversion".into(), json!([a, b, c, "final", 0]));
    Value::Object(g)
}

/// cpu_model and cpu_flags from /proc/cpuinfo's first block, by Salt's
/// `_linux_cpudata` keys (x86, ARM, POWER).
fn cpu(cpuinfo: &str, g: &mut Map<String, Value>) {
    for line in cpuinfo.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "model name" | "cpu" => {
                g.insert("cpu_model".into(), json!(v));
            }
            "Processor" => {
                g.insert(
                    "cpu_model".into(),
                    json!(v.split('-').next().unwrap_or(v).trim()),
                );
            }
            "flags" | "Features" => {
                g.insert(
                    "cpu_flags".into(),
                    json!(v.split_whitespace().collect::<Vec<_>>()),
                );
            }
            _ => {}
        }
    }
}

/// mem_total and swap_total in MiB (integers), as Salt.
fn memory(meminfo: &str, g: &mut Map<String, Value>) {
    for line in meminfo.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let key = match k {
            "MemTotal" => "mem_total",
            "SwapTotal" => "swap_total",
            _ => continue,
        };
        if let Some(kb) = v
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
        {
            g.insert(key.into(), json!(kb / 1024));
        }
    }
}

/// `/proc/cmdline` as Salt's kernelparams: `[name, value or None]` pairs.
fn kernelparams(cmdline: &str) -> Value {
    Value::Array(
        cmdline
            .split_whitespace()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => json!([k, v.trim_matches('"')]),
                None => json!([w, null]),
            })
            .collect(),
    )
}

/// Salt's locale_info: Python's `locale.getdefaultlocale()` of the
/// environment's locale (`C.UTF-8` is `en_US`, as Python's alias table
/// has it), and the local time zone's abbreviation.
fn locale(locale: Option<&str>, timezone: Option<&str>) -> Value {
    let (lang, enc) = match locale.filter(|l| !l.is_empty()) {
        None | Some("C" | "POSIX") => (Value::Null, Value::Null),
        Some(l) => {
            let (lang, enc) = l.split_once('.').map_or((l, None), |(a, b)| (a, Some(b)));
            let enc = enc.map(|e| e.split('@').next().unwrap_or(e));
            let lang = if lang == "C" { "en_US" } else { lang };
            let enc = match enc {
                Some(e) if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => {
                    json!("UTF-8")
                }
                Some(e) => json!(e),
                None => json!("ISO8859-1"),
            };
            (json!(lang), enc)
        }
    };
    json!({"defaultlanguage": lang, "defaultencoding": enc, "detectedencoding": "utf-8",
           "timezone": timezone.unwrap_or("unknown")})
}

/// virtual (and virtual_subtype): a container by its marks, else a
/// hypervisor by the DMI product and vendor names, else physical. Salt
/// asks more tools (virt-what, systemd-detect-virt); these files answer
/// for the common cases without starting any.
fn virtual_grains(p: &Probe, g: &mut Map<String, Value>) {
    let cgroup = p.section("cgroup").unwrap_or_default();
    let (virt, sub) = if p.value("dockerenv").is_some() {
        ("container", Some("Docker"))
    } else if p.value("containerenv").is_some() {
        ("container", Some("Podman"))
    } else if let Some(c) = p.value("container") {
        match c {
            "docker" => ("container", Some("Docker")),
            "podman" => ("container", Some("Podman")),
            "lxc" | "lxc-libvirt" => ("LXC", None),
            "systemd-nspawn" => ("systemd-nspawn", None),
            _ => ("container", None),
        }
    } else if cgroup.contains("/docker") {
        ("container", Some("Docker"))
    } else if cgroup.contains("/lxc") {
        ("LXC", None)
    } else if cgroup.contains("kubepods") {
        ("container", Some("Kubernetes"))
    } else {
        let product = p.value("dmi_product").unwrap_or_default();
        let vendor = p.value("dmi_vendor").unwrap_or_default();
        let hv = p.value("hypervisor").unwrap_or_default();
        if product.contains("VirtualBox") {
            ("VirtualBox", None)
        } else if product.contains("VMware") || vendor.contains("VMware") {
            ("VMware", None)
        } else if product.contains("KVM")
            || vendor.contains("QEMU")
            || product.contains("Standard PC")
        {
            ("kvm", None)
        } else if vendor.contains("Google") {
            ("kvm", Some("gce"))
        } else if vendor.contains("Amazon EC2") {
            ("kvm", Some("Amazon EC2"))
        } else if vendor.contains("Microsoft") && product.contains("Virtual Machine") {
            ("VirtualPC", None)
        } else if hv == "xen" || vendor.contains("Xen") {
            ("xen", None)
        } else if vendor.contains("Parallels") {
            ("Parallels", None)
        } else {
            ("physical", None)
        }
    };
    g.insert("virtual".into(), json!(virt));
    if let Some(s) = sub {
        g.insert("virtual_subtype".into(), json!(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBE_OUT: &str = include_str!("testdata/probe-debian12.txt");
    const SALT_GRAINS: &str = include_str!("testdata/salt-3008.4-debian12.json");

    /// The grains converge reports with Salt's values, checked against what
    /// Salt 3008.4 reported on the same machine at the same moment.
    #[test]
    fn this_machine_as_salt_sees_it() {
        let ours = parse("saltref", PROBE_OUT);
        let salt: Value = serde_json::from_str(SALT_GRAINS).unwrap();
        let same = [
            "id",
            "kernel",
            "nodename",
            "kernelrelease",
            "kernelversion",
            "cpuarch",
            "host",
            "localhost",
            "fqdn",
            "domain",
            "fqdn_ip4",
            "fqdn_ip6",
            "num_cpus",
            "cpu_model",
            "cpu_flags",
            "mem_total",
            "swap_total",
            "os",
            "os_family",
            "osfullname",
            "osrelease",
            "oscodename",
            "osmajorrelease",
            "osrelease_info",
            "osfinger",
            "osarch",
            "lsb_distrib_id",
            "lsb_distrib_release",
            "lsb_distrib_codename",
            "init",
            "ipv4",
            "ipv6",
            "ip4_interfaces",
            "ip6_interfaces",
            "ip_interfaces",
            "hwaddr_interfaces",
            "ip_gw",
            "ip4_gw",
            "ip6_gw",
            "dns",
            "kernelparams",
            "uid",
            "gid",
            "username",
            "groupname",
            "shell",
            "machine_id",
            "virtual",
            "virtual_subtype",
            "efi",
            "transactional",
            "ps",
            "saltversion",
            "saltversioninfo",
            "pythonversion",
        ];
        let mut differ = Vec::new();
        for k in same {
            if ours.get(k) != salt.get(k) {
                differ.push(format!(
                    "{k}: ours {:?}, Salt's {:?}",
                    ours.get(k),
                    salt.get(k)
                ));
            }
        }
        assert!(differ.is_empty(), "{}", differ.join("\n"));
        // Salt ran in another environment than the probe (its own PATH,
        // LANG): compare the shape, and the parts that do not depend on it.
        assert_eq!(
            ours["locale_info"]["timezone"],
            salt["locale_info"]["timezone"]
        );
        assert!(ours["systempath"].as_array().is_some_and(|p| !p.is_empty()));
        assert_eq!(ours["systemd"]["version"], salt["systemd"]["version"]);
    }

    #[test]
    fn the_probe_runs_here() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let g = rt
            .block_on(gather("me", &crate::transport::local::Local::new(10)))
            .unwrap();
        assert_eq!(g["kernel"], "Linux");
        assert!(
            g["ipv4"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "127.0.0.1"),
            "{g}"
        );
        assert!(!g["host"].as_str().unwrap().is_empty());
        assert!(g["num_cpus"].as_u64().unwrap() >= 1, "{g}");
        assert!(g["osmajorrelease"].is_u64(), "{g}");
        assert!(g["mem_total"].as_u64().unwrap() > 0, "{g}");
        assert!(!g["cpuarch"].as_str().unwrap().is_empty(), "{g}");
    }

    #[test]
    fn locale_as_python_reads_it() {
        assert_eq!(
            locale(Some("C.UTF-8"), Some("UTC"))["defaultlanguage"],
            "en_US"
        );
        assert_eq!(locale(Some("de_DE.utf8"), None)["defaultencoding"], "UTF-8");
        assert_eq!(locale(None, None)["defaultlanguage"], Value::Null);
    }
}
