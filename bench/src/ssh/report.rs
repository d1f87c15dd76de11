//! What the ssh benchmark found: tables for people, the same as JSON, and
//! the verdicts (goals, and logins as they should be).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::args::SshArgs;
use super::cell::Cell;
use crate::engine::report::{cpus, revision};

/// The shipped tree's host.
pub(super) const PGDB_HOST: &str = "pgdb1";

/// Goal: a no-change highstate of one host, warm, under this.
pub(super) const ONE_HOST_GOAL_MS: f64 = 150.0;

/// Goal: the most hosts in under this many times one host's time.
pub(super) const SCALE_GOAL: f64 = 2.0;

pub(super) struct Pgdb {
    pub states: usize,
    pub cold: Cell,
    pub warm: Cell,
}

pub(super) struct Small {
    pub hosts: usize,
    pub jobs: usize,
    /// In `KEYS` order.
    pub cells: [Cell; 4],
}

impl Small {
    pub(super) const KEYS: [&'static str; 4] = [
        "first_cold",
        "first_warm",
        "no_change_cold",
        "no_change_warm",
    ];
    pub(super) const LABELS: [&'static str; 4] = [
        "first run, cold",
        "first run, warm",
        "no-change, cold",
        "no-change, warm",
    ];
    const NO_CHANGE_WARM: usize = 3;

    fn cold(k: usize) -> bool {
        matches!(k, 0 | 2)
    }
}

pub(super) struct Salt {
    pub version: String,
    pub host: String,
    pub deploy_seconds: f64,
    pub deployed: bool,
    pub deploy_logins: usize,
    pub first: Cell,
    pub no_change: Cell,
}

pub(super) struct Report {
    pub reps: usize,
    pub converge_binary: PathBuf,
    pub ssh_options: Vec<String>,
    pub pgdb: Option<Pgdb>,
    pub pgdb_skipped: Option<String>,
    pub small: Vec<Small>,
    pub salt: Option<Salt>,
    pub salt_skipped: Option<String>,
    /// The load average before and after.
    pub load: Vec<f64>,
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.0}", v * 1e3))
}

fn logins(c: &Cell) -> String {
    match c.logins_range() {
        None => "-".into(),
        Some((a, b)) if a == b => a.to_string(),
        Some((a, b)) => format!("{a}-{b}"),
    }
}

impl Report {
    pub(super) fn new(args: &SshArgs, converge: &Path) -> Report {
        Report {
            reps: args.reps.max(1),
            converge_binary: converge.to_path_buf(),
            ssh_options: args.ssh_options.clone(),
            pgdb: None,
            pgdb_skipped: None,
            small: Vec::new(),
            salt: None,
            salt_skipped: None,
            load: Vec::new(),
        }
    }

    /// Every cold run logged in once per host, every warm run not at all.
    fn logins_ok(&self) -> bool {
        let pgdb = self
            .pgdb
            .as_ref()
            .is_none_or(|p| p.cold.logins_are(1) && p.warm.logins_are(0));
        let small = self.small.iter().all(|s| {
            s.cells
                .iter()
                .enumerate()
                .all(|(k, c)| c.logins_are(if Small::cold(k) { 1 } else { 0 }))
        });
        pgdb && small
    }

    pub(super) fn ok(&self) -> bool {
        self.logins_ok()
    }

    /// The small tree's median for `hosts` at its best `-j`, per cell.
    fn best(&self, hosts: usize, k: usize) -> Option<(&Small, f64)> {
        self.small
            .iter()
            .filter(|s| s.hosts == hosts)
            .filter_map(|s| Some((s, s.cells[k].median_ms()?)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn host_counts(&self) -> (Option<usize>, Option<usize>) {
        let counts = self.small.iter().map(|s| s.hosts);
        (counts.clone().min(), counts.max())
    }

    pub(super) fn text(&self) -> String {
        let mut s = String::new();
        writeln!(
            s,
            "ssh: {} ({}), {} cpus, load {}, {} reps; wall time in ms (min / median); logins per host per run; \
             CPU ms per run (mean): the hosts' (their sshd and all it started), the controller's (converge and ssh here)",
            self.converge_binary.display(),
            revision().unwrap_or_else(|| "?".into()),
            cpus(),
            self.load.iter().map(|l| format!("{l:.2}")).collect::<Vec<_>>().join(" → "),
            self.reps,
        )
        .unwrap();
        self.pgdb_text(&mut s);
        self.small_text(&mut s);
        self.salt_text(&mut s);
        let verdict = if self.logins_ok() {
            "as expected in every run"
        } else {
            "NOT as expected (see the tables)"
        };
        writeln!(
            s,
            "\nlogins: 1 per host per cold run, 0 per warm run: {verdict}"
        )
        .unwrap();
        s
    }

    fn pgdb_text(&self, s: &mut String) {
        writeln!(s).unwrap();
        let Some(p) = &self.pgdb else {
            let why = self.pgdb_skipped.as_deref().unwrap_or("not run");
            writeln!(s, "shipped tree on {PGDB_HOST}: skipped ({why})").unwrap();
            return;
        };
        writeln!(
            s,
            "shipped tree: `converge highstate {PGDB_HOST}`, {} states, no change",
            p.states
        )
        .unwrap();
        writeln!(
            s,
            "  {:<8} {:>6} {:>7} {:>7} {:>10} {:>10}",
            "", "min", "median", "logins", "cpu hosts", "cpu ctl"
        )
        .unwrap();
        for (label, c) in [("cold", &p.cold), ("warm", &p.warm)] {
            let cpu = c.cpu_mean();
            writeln!(
                s,
                "  {:<8} {:>6} {:>7} {:>7} {:>10.0} {:>10.0}",
                label,
                ms(c.samples.min()),
                ms(c.samples.median()),
                logins(c),
                cpu.hosts * 1e3,
                cpu.controller * 1e3,
            )
            .unwrap();
        }
        if let Some(m) = p.warm.median_ms() {
            let verdict = if m < ONE_HOST_GOAL_MS {
                "met"
            } else {
                "NOT met"
            };
            writeln!(
                s,
                "goal: one host, warm, under {ONE_HOST_GOAL_MS:.0} ms: {verdict} ({m:.0} ms median)"
            )
            .unwrap();
        }
    }

    fn small_text(&self, s: &mut String) {
        if self.small.is_empty() {
            return;
        }
        writeln!(s).unwrap();
        writeln!(
            s,
            "small tree: 5 file.managed + 1 cmd.run (onlyif) per host, on bare lab hosts node01..{}",
            if self.ssh_options.is_empty() {
                String::new()
            } else {
                format!("; ssh_options {}", self.ssh_options.join(" "))
            }
        )
        .unwrap();
        writeln!(
            s,
            "  {:>5} {:>3}  {:<16} {:>6} {:>7} {:>7} {:>10} {:>8} {:>12}",
            "hosts", "-j", "run", "min", "median", "logins", "cpu hosts", "cpu ctl", "cpu machine"
        )
        .unwrap();
        for sm in &self.small {
            for (k, c) in sm.cells.iter().enumerate() {
                let cpu = c.cpu_mean();
                let (h, j) = if k == 0 {
                    (sm.hosts.to_string(), sm.jobs.to_string())
                } else {
                    (String::new(), String::new())
                };
                writeln!(
                    s,
                    "  {:>5} {:>3}  {:<16} {:>6} {:>7} {:>7} {:>10.0} {:>8.0} {:>12.0}",
                    h,
                    j,
                    Small::LABELS[k],
                    ms(c.samples.min()),
                    ms(c.samples.median()),
                    logins(c),
                    cpu.hosts * 1e3,
                    cpu.controller * 1e3,
                    cpu.machine * 1e3,
                )
                .unwrap();
            }
        }
        let (Some(one), Some(most)) = self.host_counts() else {
            return;
        };
        if one == most {
            return;
        }
        let ratios: Vec<String> = (0..4)
            .filter_map(|k| {
                let (_, a) = self.best(one, k)?;
                let (_, b) = self.best(most, k)?;
                Some(format!("{} {:.1}x", Small::LABELS[k], b / a))
            })
            .collect();
        let k = Small::NO_CHANGE_WARM;
        if let (Some((_, a)), Some((big, b))) = (self.best(one, k), self.best(most, k)) {
            let verdict = if b < SCALE_GOAL * a { "met" } else { "NOT met" };
            writeln!(
                s,
                "goal: {most} hosts in under {SCALE_GOAL:.0}x the time of {one} (no-change, warm): {verdict} \
                 ({most} hosts {b:.0} ms with -j {}, {one}: {a:.0} ms, {:.1}x)",
                big.jobs,
                b / a
            )
            .unwrap();
            writeln!(s, "  {most} hosts / {one}: {}", ratios.join(", ")).unwrap();
            let cpu = big.cells[k].cpu_mean();
            let floor = (cpu.hosts + cpu.controller) / cpus() as f64 * 1e3;
            writeln!(
                s,
                "  CPU of that run: the hosts {:.0} ms ({:.1} ms each), the controller {:.0} ms ({:.1} ms per host): \
                 the lab's hosts share this machine's {} cores, so it cannot take less than {floor:.0} ms here; \
                 on real hosts only the controller's share is spent in one place",
                cpu.hosts * 1e3,
                cpu.hosts * 1e3 / most as f64,
                cpu.controller * 1e3,
                cpu.controller * 1e3 / most as f64,
                cpus(),
            )
            .unwrap();
        }
    }

    fn salt_text(&self, s: &mut String) {
        writeln!(s).unwrap();
        let Some(salt) = &self.salt else {
            let why = self.salt_skipped.as_deref().unwrap_or("not run");
            writeln!(s, "salt-ssh: skipped ({why})").unwrap();
            return;
        };
        writeln!(
            s,
            "salt-ssh ({}) on {}, the same tree: {} {:.1} s ({} logins)",
            salt.version,
            salt.host,
            if salt.deployed {
                "thin copy deployed (test.ping) in"
            } else {
                "thin copy already there; test.ping"
            },
            salt.deploy_seconds,
            salt.deploy_logins
        )
        .unwrap();
        writeln!(
            s,
            "  {:<16} {:>7} {:>7} {:>7} {:>10} {:>8} {:>15} {:>15}",
            "", "min", "median", "logins", "cpu hosts", "cpu ctl", "converge cold", "converge warm"
        )
        .unwrap();
        let one = self.small.iter().find(|sm| sm.hosts == 1);
        for (label, c, k) in [
            ("first run", &salt.first, 0),
            ("no-change run", &salt.no_change, 2),
        ] {
            let cpu = c.cpu_mean();
            let theirs = c.median_ms();
            let ratio = |k: usize| {
                let ours = one.and_then(|sm| sm.cells[k].median_ms());
                match (ours, theirs) {
                    (Some(o), Some(t)) => format!("{o:.0} ({:.0}x)", t / o),
                    _ => "-".into(),
                }
            };
            writeln!(
                s,
                "  {:<16} {:>7} {:>7} {:>7} {:>10.0} {:>8.0} {:>15} {:>15}",
                label,
                ms(c.samples.min()),
                ms(c.samples.median()),
                logins(c),
                cpu.hosts * 1e3,
                cpu.controller * 1e3,
                ratio(k),
                ratio(k + 1),
            )
            .unwrap();
        }
        writeln!(
            s,
            "  (converge's medians on 1 host, and salt-ssh's median over each)"
        )
        .unwrap();
    }

    pub(super) fn json(&self) -> Value {
        let small: Vec<Value> = self
            .small
            .iter()
            .map(|sm| {
                let mut o = serde_json::Map::new();
                o.insert("hosts".into(), json!(sm.hosts));
                o.insert("jobs".into(), json!(sm.jobs));
                for (k, c) in sm.cells.iter().enumerate() {
                    o.insert(Small::KEYS[k].into(), c.json());
                }
                Value::Object(o)
            })
            .collect();
        json!({
            "benchmark": "ssh",
            "reps": self.reps,
            "cpus": cpus(),
            "loadavg_before_after": self.load,
            "unix_time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            "converge_binary": self.converge_binary.display().to_string(),
            "converge_revision": revision(),
            "ssh_options": self.ssh_options,
            "pgdb": self.pgdb.as_ref().map(|p| json!({
                "host": PGDB_HOST,
                "states": p.states,
                "cold": p.cold.json(),
                "warm": p.warm.json(),
            })),
            "pgdb_skipped": self.pgdb_skipped,
            "small": small,
            "salt_ssh": self.salt.as_ref().map(|s| json!({
                "version": s.version,
                "host": s.host,
                "thin_deployed": s.deployed,
                "test_ping_ms": (s.deploy_seconds * 1e6).round() / 1e3,
                "test_ping_logins": s.deploy_logins,
                "first": s.first.json(),
                "no_change": s.no_change.json(),
            })),
            "salt_skipped": self.salt_skipped,
            "logins_as_expected": self.logins_ok(),
        })
    }
}
