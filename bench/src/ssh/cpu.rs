//! Where a run's CPU time goes: the hosts' side (each lab host's sshd and
//! everything it started for us: the agent, the probe, the commands), the
//! controller's side (converge, and the ssh processes that carry the
//! connections), and the machine as a whole.
//!
//! The lab's hosts share this machine's cores with the controller, so a
//! run over many of them cannot take less than all their CPU time divided
//! by the cores; on real hosts only the controller's share is spent in one
//! place. Counting both tells which of the two bounds a run.
//!
//! Times are read from /proc (in clock ticks: a process's own time and
//! that of the children it reaped) before and after a run, and from
//! `getrusage` for this program's children (converge, and the `ssh` that
//! logged in, which converge reaps).

use std::collections::HashMap;

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeVal;
use nix::unistd::{sysconf, SysconfVar};

/// The hosts to watch: each one's pid namespace.
pub(super) struct Cpu {
    hosts: Vec<(String, String)>,
    tick: f64,
}

/// CPU seconds used so far, by part.
#[derive(Clone, Debug, Default)]
pub(super) struct Sample {
    hosts: HashMap<String, f64>,
    masters: HashMap<u32, f64>,
    children: f64,
    machine: f64,
}

/// CPU seconds a run used.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Used {
    /// On the targeted hosts: their sshd and what it started.
    pub hosts: f64,
    /// converge, its ssh login, and the ssh masters (here).
    pub controller: f64,
    /// The whole machine, other sessions' work included.
    pub machine: f64,
}

impl Cpu {
    /// `hosts`: (id, PID 1 of the host); a host whose namespace cannot be
    /// read is left out.
    pub(super) fn new(hosts: &[(String, Option<u32>)]) -> Cpu {
        let hosts = hosts
            .iter()
            .filter_map(|(id, pid1)| Some((namespace((*pid1)?)?, id.clone())))
            .collect();
        let tick = sysconf(SysconfVar::CLK_TCK).ok().flatten();
        Cpu {
            hosts,
            tick: tick.filter(|&t| t > 0).map_or(100.0, |t| t as f64),
        }
    }

    pub(super) fn sample(&self, masters: &[u32]) -> Sample {
        let mut by_ns: HashMap<&str, Vec<Proc>> = HashMap::new();
        let mut out = Sample {
            machine: machine_busy() / self.tick,
            children: children(),
            ..Sample::default()
        };
        let Ok(proc) = std::fs::read_dir("/proc") else {
            return out;
        };
        for pid in proc
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        {
            if masters.contains(&pid) {
                if let Some(p) = stat(pid) {
                    out.masters.insert(pid, p.ticks as f64 / self.tick);
                }
                continue;
            }
            let Some(ns) = namespace(pid) else { continue };
            if let Some((ns, _)) = self.hosts.iter().find(|(n, _)| *n == ns) {
                if let Some(p) = stat(pid) {
                    by_ns.entry(ns.as_str()).or_default().push(p);
                }
            }
        }
        for (ns, id) in &self.hosts {
            let procs = by_ns.get(ns.as_str()).map_or(&[][..], Vec::as_slice);
            out.hosts
                .insert(id.clone(), sshd_ticks(procs) as f64 / self.tick);
        }
        out
    }
}

impl Sample {
    /// What was used between `self` and `after`, on `hosts` (ids).
    pub(super) fn used(&self, after: &Sample, hosts: &[String]) -> Used {
        let on = |s: &Sample| -> f64 { hosts.iter().filter_map(|h| s.hosts.get(h)).sum() };
        let masters: f64 = after
            .masters
            .iter()
            .map(|(pid, t)| t - self.masters.get(pid).copied().unwrap_or(0.0))
            .sum();
        Used {
            hosts: (on(after) - on(self)).max(0.0),
            controller: (after.children - self.children).max(0.0) + masters.max(0.0),
            machine: (after.machine - self.machine).max(0.0),
        }
    }
}

struct Proc {
    pid: u32,
    ppid: u32,
    sshd: bool,
    /// Its own time and its reaped children's.
    ticks: u64,
}

/// The time of every sshd and all below it: the listener's reaped
/// sessions, the live sessions and what they started. Other daemons on
/// the host (PostgreSQL on pgdb1) are not ours.
fn sshd_ticks(procs: &[Proc]) -> u64 {
    let parent: HashMap<u32, &Proc> = procs.iter().map(|p| (p.pid, p)).collect();
    let under_sshd = |p: &Proc| {
        let mut cur = Some(p);
        for _ in 0..64 {
            match cur {
                Some(c) if c.sshd => return true,
                Some(c) => cur = parent.get(&c.ppid).copied(),
                None => return false,
            }
        }
        false
    };
    // A process under sshd whose parent is also counted is already in that
    // parent's reaped time only once it has ended, so both are summed.
    procs
        .iter()
        .filter(|p| under_sshd(p))
        .map(|p| p.ticks)
        .sum()
}

fn namespace(pid: u32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid"))
        .ok()
        .map(|l| l.to_string_lossy().into_owned())
}

fn stat(pid: u32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(pid, &text)
}

/// `/proc/PID/stat`: `pid (comm) state ppid ...`, utime, stime, cutime and
/// cstime being fields 14 to 17.
fn parse_stat(pid: u32, text: &str) -> Option<Proc> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = &text[open + 1..close];
    let f: Vec<&str> = text[close + 2..].split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Proc {
        pid,
        ppid: num(1)? as u32,
        sshd: comm == "sshd",
        ticks: num(11)? + num(12)? + num(13)? + num(14)?,
    })
}

/// Ticks the machine's CPUs were busy: /proc/stat's first line less idle
/// and iowait.
fn machine_busy() -> f64 {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let v: Vec<u64> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    (total - v.get(3).copied().unwrap_or(0) - v.get(4).copied().unwrap_or(0)) as f64
}

/// User and system seconds of this program's reaped children.
fn children() -> f64 {
    let Ok(usage) = getrusage(UsageWho::RUSAGE_CHILDREN) else {
        return 0.0;
    };
    let s = |t: TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    s(usage.user_time()) + s(usage.system_time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_comm_with_spaces() {
        let line = "42 (ssh (x) y) S 7 42 42 0 -1 4194560 100 0 0 0 3 4 5 6 20 0 1 0 1 0 0";
        let p = parse_stat(42, line).unwrap();
        assert_eq!((p.ppid, p.sshd, p.ticks), (7, false, 18));
    }

    #[test]
    fn only_sshd_and_what_it_started_count() {
        let p = |pid, ppid, sshd, ticks| Proc {
            pid,
            ppid,
            sshd,
            ticks,
        };
        let procs = [
            p(1, 0, false, 1),     // the host's init
            p(10, 1, true, 100),   // the listener (with its reaped sessions)
            p(11, 10, true, 5),    // a session
            p(12, 11, false, 7),   // the agent
            p(20, 1, false, 1000), // postgres
        ];
        assert_eq!(sshd_ticks(&procs), 112);
    }
}
