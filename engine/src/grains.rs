//! Grains: what a host is, read in one round trip (a probe command and a
//! parser for its output), named as Salt names them.

use serde_json::{json, Map, Value};

use crate::transport::{Exec, Transport, TransportError};

/// The probe: `key=value` lines, `/etc/os-release` prefixed with `osrel_`.
///
/// Run on every host at every run, so it starts as few programs as it can
/// (`uname`, `hostname -f`, `ip`): the rest is bash builtins reading files.
/// Each program costs the host about a millisecond of CPU; the first probe
/// started a dozen, more than the rest of a small no-change run.
/// `num_cpus` counts the online CPUs, as Salt's does (`os.cpu_count()`).
pub const PROBE: &str = r#"read -r kernel nodename kernelrelease cpuarch _ < <(uname -snrm)
fqdn=$(hostname -f 2>/dev/null)
printf 'nodename=%s\nhost=%s\nfqdn=%s\n' "$nodename" "${nodename%%.*}" "${fqdn:-$nodename}"
printf 'kernel=%s\nkernelrelease=%s\ncpuarch=%s\n' "$kernel" "$kernelrelease" "$cpuarch"
n=0
if IFS=, read -ra cpus 2>/dev/null < /sys/devices/system/cpu/online; then
  for c in "${cpus[@]}"; do case $c in *-*) n=$((n + ${c#*-} - ${c%-*} + 1));; ?*) n=$((n + 1));; esac; done
fi
((n > 0)) || n=$(nproc 2>/dev/null || echo 1)
printf 'num_cpus=%s\n' "$n"
if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysvinit; fi
if [ -r /etc/os-release ]; then
  while IFS= read -r l || [ -n "$l" ]; do case $l in [A-Z_]*=*) printf 'osrel_%s\n' "$l";; esac; done < /etc/os-release
fi
if command -v ip >/dev/null 2>&1; then while read -r _ _ _ a _; do printf 'ipv4=%s\n' "${a%/*}"; done < <(ip -o -4 addr show 2>/dev/null)
else for a in 127.0.0.1 $(hostname -I 2>/dev/null); do case $a in *:*) ;; *) printf 'ipv4=%s\n' "$a";; esac; done; fi
"#;

pub async fn gather(id: &str, transport: &dyn Transport) -> Result<Value, TransportError> {
    let out = transport.exec(&Exec::new(PROBE)).await?;
    Ok(parse(id, &out.stdout))
}

/// Salt's names for the probe's answers.
pub fn parse(id: &str, out: &str) -> Value {
    let mut g = Map::new();
    let mut ipv4 = Vec::new();
    let mut osrel = Map::new();
    for line in out.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        match k {
            "ipv4" => ipv4.push(json!(v)),
            k if k.starts_with("osrel_") => {
                osrel.insert(k["osrel_".len()..].to_string(), json!(v));
            }
            "num_cpus" => {
                g.insert(k.into(), json!(v.parse::<u64>().unwrap_or(1)));
            }
            k => {
                g.insert(k.into(), json!(v));
            }
        }
    }
    let get = |k: &str| {
        osrel
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let os_id = get("ID");
    let (os, family) = os_names(&os_id, &get("ID_LIKE"));
    let release = get("VERSION_ID");
    g.insert("id".into(), json!(id));
    g.insert("os".into(), json!(os));
    g.insert("os_family".into(), json!(family));
    g.insert("osrelease".into(), json!(release));
    if let Some(major) = release
        .split('.')
        .next()
        .and_then(|m| m.parse::<u64>().ok())
    {
        g.insert("osmajorrelease".into(), json!(major));
    }
    g.insert("oscodename".into(), json!(get("VERSION_CODENAME")));
    g.insert("osfullname".into(), json!(get("NAME")));
    let fqdn = g
        .get("fqdn")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let domain = fqdn
        .split_once('.')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    g.insert("domain".into(), json!(domain));
    ipv4.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    g.insert("ipv4".into(), Value::Array(ipv4));
    Value::Object(g)
}

/// Salt's `os` and `os_family` for an os-release `ID` (and `ID_LIKE`).
fn os_names(id: &str, like: &str) -> (String, String) {
    let os = match id {
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "centos" => "CentOS",
        "rhel" => "RedHat",
        "fedora" => "Fedora",
        "rocky" => "Rocky",
        "almalinux" => "AlmaLinux",
        "opensuse-leap" | "opensuse" => "openSUSE",
        "sles" => "SUSE",
        "arch" => "Arch",
        "alpine" => "Alpine",
        other => {
            return (
                capitalize(other),
                family_of(like).unwrap_or_else(|| capitalize(other)),
            )
        }
    };
    let family = match id {
        "debian" | "ubuntu" => "Debian",
        "centos" | "rhel" | "fedora" | "rocky" | "almalinux" => "RedHat",
        "opensuse-leap" | "opensuse" | "sles" => "Suse",
        "arch" => "Arch",
        _ => "Alpine",
    };
    (os.to_string(), family.to_string())
}

fn family_of(like: &str) -> Option<String> {
    like.split_whitespace().find_map(|l| match l {
        "debian" | "ubuntu" => Some("Debian".to_string()),
        "rhel" | "fedora" | "centos" => Some("RedHat".to_string()),
        "suse" => Some("Suse".to_string()),
        _ => None,
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "nodename=pgdb1\nhost=pgdb1\nfqdn=pgdb1.lab\nkernel=Linux\nkernelrelease=6.1.0\ncpuarch=x86_64\nnum_cpus=2\ninit=sysvinit\nosrel_PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nosrel_NAME=\"Debian GNU/Linux\"\nosrel_VERSION_ID=\"12\"\nosrel_VERSION_CODENAME=bookworm\nosrel_ID=debian\nipv4=127.0.0.1\nipv4=10.77.0.11\n";

    #[test]
    fn debian_host() {
        let g = parse("pgdb1", DEBIAN);
        assert_eq!(g["id"], "pgdb1");
        assert_eq!(g["host"], "pgdb1");
        assert_eq!(g["fqdn"], "pgdb1.lab");
        assert_eq!(g["domain"], "lab");
        assert_eq!(g["os"], "Debian");
        assert_eq!(g["os_family"], "Debian");
        assert_eq!(g["osrelease"], "12");
        assert_eq!(g["osmajorrelease"], 12);
        assert_eq!(g["oscodename"], "bookworm");
        assert_eq!(g["kernel"], "Linux");
        assert_eq!(g["num_cpus"], 2);
        assert_eq!(g["init"], "sysvinit");
        assert_eq!(g["ipv4"], json!(["10.77.0.11", "127.0.0.1"]));
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
        assert!(!g["cpuarch"].as_str().unwrap().is_empty(), "{g}");
    }
}
