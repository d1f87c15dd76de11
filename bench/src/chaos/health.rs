//! Is the lab as pillar says, and fit for the next cycle? Read from the
//! lab's own commands (`lab role`, `lab pause-state`), which need no ssh.

/// One line of `lab role HOST`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct RoleLine {
    /// `primary`, `standby` or `down`.
    pub kind: String,
    pub timeline: Option<u32>,
    pub receiver: Option<String>,
    pub received_tli: Option<u32>,
    pub upstream: Option<String>,
}

pub(super) fn parse_role(line: &str) -> RoleLine {
    let mut words = line.split_whitespace();
    let mut r = RoleLine {
        kind: words.next().unwrap_or_default().to_string(),
        ..RoleLine::default()
    };
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        match k {
            "timeline" => r.timeline = v.parse().ok(),
            "receiver" => r.receiver = Some(v.to_string()),
            "received_tli" => r.received_tli = v.parse().ok(),
            "upstream" => r.upstream = Some(v.to_string()),
            _ => {}
        }
    }
    r
}

/// What is wrong with the pair, given `lab role` of the writer and of the
/// query host (empty: the writer is a primary and the query host streams
/// from it on its timeline).
pub(super) fn role_problems(
    writer: &str,
    writer_addr: &str,
    w: &RoleLine,
    query: &str,
    q: &RoleLine,
) -> Vec<String> {
    let mut out = Vec::new();
    if w.kind != "primary" {
        out.push(format!("{writer} (writer) is {}", w.kind));
    }
    if q.kind != "standby" {
        out.push(format!("{query} (query) is {}", q.kind));
    } else if q.receiver.as_deref() != Some("streaming") {
        out.push(format!(
            "{query} does not stream (receiver {})",
            q.receiver.as_deref().unwrap_or("none")
        ));
    } else {
        if q.received_tli != w.timeline || w.timeline.is_none() {
            out.push(format!(
                "{query} receives timeline {:?}, {writer} writes {:?}",
                q.received_tli, w.timeline
            ));
        }
        let up = q.upstream.as_deref().unwrap_or_default();
        if up != writer && up != writer_addr {
            out.push(format!("{query} streams from {up:?}, not {writer}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_lines_as_the_lab_prints_them() {
        let p = parse_role("primary timeline=2");
        assert_eq!((p.kind.as_str(), p.timeline), ("primary", Some(2)));
        let s = parse_role("standby timeline=1 receiver=streaming received_tli=2 upstream=pgdb1");
        assert_eq!(s.received_tli, Some(2));
        assert_eq!(s.upstream.as_deref(), Some("pgdb1"));
        assert!(role_problems("pgdb1", "10.77.3.11", &p, "pgdb2", &s).is_empty());
        let d = parse_role("down state=\"in production\" timeline=1");
        assert_eq!(d.kind, "down");
        let none = parse_role("standby timeline=1 receiver=none");
        let pr = role_problems("pgdb1", "10.77.3.11", &p, "pgdb2", &none);
        assert_eq!(pr, vec!["pgdb2 does not stream (receiver none)"]);
        let behind =
            parse_role("standby timeline=1 receiver=streaming received_tli=1 upstream=10.77.3.11");
        let pr = role_problems("pgdb1", "10.77.3.11", &p, "pgdb2", &behind);
        assert_eq!(
            pr,
            vec!["pgdb2 receives timeline Some(1), pgdb1 writes Some(2)"]
        );
        assert_eq!(
            role_problems("pgdb1", "x", &d, "pgdb2", &p),
            vec!["pgdb1 (writer) is down", "pgdb2 (query) is primary"]
        );
    }
}
