//! Network grains from `ip addr show`, `getent ahosts`, `/proc/net/route`,
//! `/proc/net/ipv6_route` and `/etc/resolv.conf`, in Salt's shapes.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{json, Map, Value};

/// One interface of `ip addr show`.
#[derive(Default)]
struct Iface {
    name: String,
    hwaddr: Option<String>,
    inet: Vec<String>,
    inet6: Vec<String>,
}

fn interfaces(ip: &str) -> Vec<Iface> {
    let mut out: Vec<Iface> = Vec::new();
    for line in ip.lines() {
        if !line.starts_with(' ') {
            // `3: eth0@if5: <...>`
            let mut parts = line.splitn(3, ": ");
            let (Some(_), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            out.push(Iface {
                name: name.split('@').next().unwrap_or(name).to_string(),
                ..Iface::default()
            });
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [kind, addr, ..] if kind.starts_with("link/") && *kind != "link/none" => {
                cur.hwaddr = Some(addr.to_string());
            }
            ["inet", addr, ..] => cur
                .inet
                .push(addr.split('/').next().unwrap_or(addr).to_string()),
            ["inet6", addr, ..] => cur
                .inet6
                .push(addr.split('/').next().unwrap_or(addr).to_string()),
            _ => {}
        }
    }
    out
}

/// Salt sorts addresses as addresses (`9.x` before `10.x`).
fn sorted_unique(mut v: Vec<String>) -> Vec<String> {
    v.sort_by_key(|a| (a.parse::<std::net::IpAddr>().ok(), a.clone()));
    v.dedup();
    v
}

/// ipv4, ipv6, ip4_interfaces, ip6_interfaces, ip_interfaces,
/// hwaddr_interfaces from `ip addr show` (or, without `ip`, the addresses
/// of `hostname -I`).
pub(super) fn addresses(ip: Option<&str>, hostname_i: Option<&str>, g: &mut Map<String, Value>) {
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    if let Some(ip) = ip {
        let (mut i4, mut i6, mut iall, mut hw) = (Map::new(), Map::new(), Map::new(), Map::new());
        for i in interfaces(ip) {
            v4.extend(i.inet.iter().cloned());
            v6.extend(i.inet6.iter().cloned());
            i4.insert(i.name.clone(), json!(i.inet));
            i6.insert(i.name.clone(), json!(i.inet6));
            let all: Vec<&String> = i.inet.iter().chain(&i.inet6).collect();
            iall.insert(i.name.clone(), json!(all));
            if let Some(h) = i.hwaddr {
                hw.insert(i.name, json!(h));
            }
        }
        g.insert("ip4_interfaces".into(), Value::Object(i4));
        g.insert("ip6_interfaces".into(), Value::Object(i6));
        g.insert("ip_interfaces".into(), Value::Object(iall));
        g.insert("hwaddr_interfaces".into(), Value::Object(hw));
    } else {
        v4.push("127.0.0.1".into());
        for a in hostname_i.unwrap_or("").split_whitespace() {
            if a.contains(':') {
                v6.push(a.to_string());
            } else {
                v4.push(a.to_string());
            }
        }
    }
    g.insert("ipv4".into(), json!(sorted_unique(v4)));
    g.insert("ipv6".into(), json!(sorted_unique(v6)));
}

/// fqdn, domain, fqdn_ip4, fqdn_ip6 from `getent ahosts <nodename>`: its
/// first line's name is the canonical one (what `hostname -f` prints).
pub(super) fn fqdn(
    getent: Option<&str>,
    fallback: Option<&str>,
    nodename: &str,
    g: &mut Map<String, Value>,
) {
    let (mut ip4, mut ip6): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut canonical = None;
    for line in getent.unwrap_or("").lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(addr) = words.first() else { continue };
        if canonical.is_none() {
            canonical = words.get(2).map(|s| s.to_string());
        }
        let list = if addr.contains(':') {
            &mut ip6
        } else {
            &mut ip4
        };
        if !list.iter().any(|a| a == addr) {
            list.push(addr.to_string());
        }
    }
    let fqdn = canonical
        .or_else(|| fallback.map(str::to_string))
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| nodename.to_string());
    let domain = fqdn
        .split_once('.')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    g.insert("fqdn".into(), json!(fqdn));
    g.insert("domain".into(), json!(domain));
    // Salt leaves fqdn_ipN empty when the host has no address of that kind
    let has = |k: &str| {
        g.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    if !has("ipv4") {
        ip4.clear();
    }
    if !has("ipv6") {
        ip6.clear();
    }
    g.insert("fqdn_ip4".into(), json!(ip4));
    g.insert("fqdn_ip6".into(), json!(ip6));
}

/// ip4_gw, ip6_gw (the default routes' gateways, else false) and ip_gw.
pub(super) fn gateways(route: &str, route6: &str, g: &mut Map<String, Value>) {
    let gw4 = route.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.get(1) != Some(&"00000000") {
            return None;
        }
        let hex = u32::from_str_radix(f.get(2)?, 16)
            .ok()
            .filter(|&h| h != 0)?;
        Some(Ipv4Addr::from(hex.swap_bytes()).to_string())
    });
    let gw6 = route6.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.first() != Some(&"00000000000000000000000000000000") || f.get(1) != Some(&"00") {
            return None;
        }
        let hop = u128::from_str_radix(f.get(4)?, 16)
            .ok()
            .filter(|&h| h != 0)?;
        Some(Ipv6Addr::from(hop).to_string())
    });
    g.insert("ip_gw".into(), json!(gw4.is_some() || gw6.is_some()));
    g.insert("ip4_gw".into(), gw4.map_or(json!(false), |a| json!(a)));
    g.insert("ip6_gw".into(), gw6.map_or(json!(false), |a| json!(a)));
}

/// The `dns` grain from resolv.conf.
pub(super) fn dns(resolv: &str, g: &mut Map<String, Value>) {
    let (mut ns, mut ns4, mut ns6, mut search, mut options, mut sortlist) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut domain = String::new();
    for line in resolv.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("");
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                if let Some(a) = words.next() {
                    if a.parse::<Ipv4Addr>().is_ok() {
                        ns4.push(a.to_string());
                    } else if a.parse::<Ipv6Addr>().is_ok() {
                        ns6.push(a.to_string());
                    } else {
                        continue;
                    }
                    ns.push(a.to_string());
                }
            }
            Some("domain") => domain = words.next().unwrap_or_default().to_string(),
            Some("search") => search = words.map(str::to_string).collect(),
            Some("options") => options.extend(words.map(str::to_string)),
            Some("sortlist") => sortlist.extend(words.map(str::to_string)),
            _ => {}
        }
    }
    g.insert(
        "dns".into(),
        json!({"nameservers": ns, "ip4_nameservers": ns4, "ip6_nameservers": ns6,
               "sortlist": sortlist, "domain": domain, "search": search, "options": options}),
    );
}
