//! One chaos cycle: the fault, the failover and what the operator does
//! next, the checks (and the one rerun that may mend them, or the reset
//! that counts as a human's), then its measures from the load's and the
//! probes' records over the cycle's stretch of time.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use super::fault::{Fault, Rejoin, Then, SWITCHOVER_STEPS};
use super::health::{parse_role, role_problems};
use super::writers::{self, Role};
use super::Ctx;
use crate::lab::ConvergeRun;
use crate::outcome::{self, LostWal};
use crate::plot;
use crate::progress::Line;
use crate::stats;

/// A converge run of a cycle, with what it said.
#[derive(Debug)]
pub(crate) struct Ran {
    pub purpose: String,
    pub run: ConvergeRun,
    pub failover: Option<outcome::Failover>,
    pub failed_states: Vec<String>,
}

impl Ran {
    pub(crate) fn json(&self) -> Value {
        json!({
            "purpose": self.purpose,
            "args": self.run.args,
            "start_s": self.run.start,
            "wall_ms": self.run.wall() * 1000.0,
            "exit": self.run.code,
            "case": self.failover.as_ref().and_then(|f| f.case.clone()),
            "failover_result": self.failover.as_ref().and_then(|f| f.result),
            "failover_comment": self.failover.as_ref().map(|f| f.comment.clone()),
            "failed_states": self.failed_states,
            "steps": self.run.spans.iter().map(|s| json!({
                "id": s.id, "start_s": s.start, "end_s": s.end, "result": s.word, "depth": s.depth,
            })).collect::<Vec<_>>(),
            "stderr_tail": self.run.stderr.iter().rev().take(40).rev()
                .map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        })
    }
}

/// A goal a cycle is judged by, and the evidence.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Goal {
    pub name: String,
    pub met: bool,
    pub evidence: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Cycle {
    pub n: usize,
    pub fault: Fault,
    pub description: String,
    pub old: String,
    pub new: String,
    pub from: f64,
    pub to: f64,
    #[serde(skip)]
    pub runs: Vec<Ran>,
    pub events: Vec<(f64, String)>,
    /// Longest wait between two commits of one client (s), and when.
    pub longest_pause: f64,
    pub longest_pause_at: f64,
    /// Time during which some client got errors (s).
    pub error_time: f64,
    pub failed: usize,
    /// A few of the clients' errors.
    pub errors: Vec<String>,
    pub lost_rows: usize,
    /// What converge reported lost (`lost_wal_bytes` of a fence step).
    pub reported_lost_wal: Vec<String>,
    /// Crash: from the failover's start to every client's next commit.
    pub write_after_command: Option<f64>,
    /// Killed converge: from the kill to every client's next commit.
    pub back_after_kill: Option<f64>,
    /// Two writers at once: while both were reachable, and while one was
    /// cut off by the fault (s).
    pub two_writers_reachable: f64,
    pub two_writers_isolated: f64,
    /// What the first check found wrong (empty: healthy).
    pub problems: Vec<String>,
    pub mended_by_rerun: bool,
    pub needed_human: bool,
    /// What was still wrong when the lab was reset.
    pub human_because: Vec<String>,
    pub goals: Vec<Goal>,
    pub plot: Option<String>,
}

impl Cycle {
    pub(crate) fn summary(&self) -> String {
        format!(
            "pause {:.0} ms, errors {:.0} ms, failed {}, lost {} (converge: {}), two writers {:.0} ms reachable / {:.0} ms isolated, {}{}",
            self.longest_pause * 1000.0,
            self.error_time * 1000.0,
            self.failed,
            self.lost_rows,
            if self.reported_lost_wal.is_empty() {
                "-".to_string()
            } else {
                self.reported_lost_wal.join(", ")
            },
            self.two_writers_reachable * 1000.0,
            self.two_writers_isolated * 1000.0,
            if self.needed_human {
                format!("NEEDED A HUMAN: {}", self.human_because.join("; "))
            } else if self.mended_by_rerun {
                format!("mended by a rerun ({})", self.problems.join("; "))
            } else {
                "checks ok".into()
            },
            self.goals
                .iter()
                .filter(|g| !g.met)
                .map(|g| format!("; MISSED {}: {}", g.name, g.evidence))
                .collect::<String>(),
        )
    }

    pub(crate) fn json(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("plain data");
        v["runs"] = Value::Array(self.runs.iter().map(Ran::json).collect());
        v
    }
}

impl Ctx {
    fn address(&self, host: &str) -> String {
        self.lab.env.address(host).unwrap_or_default()
    }

    fn failover(
        &self,
        purpose: &str,
        extra: &[&str],
        events: &mut Vec<(f64, String)>,
        hook: impl FnMut(&Line, u32) -> Option<String>,
    ) -> Ran {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["orchestrate", "failover"]);
        self.watched(purpose, &args, events, hook)
    }

    fn watched(
        &self,
        purpose: &str,
        args: &[&str],
        events: &mut Vec<(f64, String)>,
        hook: impl FnMut(&Line, u32) -> Option<String>,
    ) -> Ran {
        let mut all = vec!["--out", "json"];
        all.extend_from_slice(args);
        let run = self
            .lab
            .converge_watched(&all, self.clock, events, hook)
            .unwrap_or_else(|e| ConvergeRun {
                args: args.iter().map(std::string::ToString::to_string).collect(),
                stderr: vec![(self.clock.now(), e)],
                ..ConvergeRun::default()
            });
        Ran {
            purpose: purpose.into(),
            failover: outcome::failover(&run.stdout).ok().flatten(),
            failed_states: outcome::failed_states(&run.stdout)
                .unwrap_or_else(|e| vec![format!("(no report: {e})")]),
            run,
        }
    }

    fn lab_event(&self, events: &mut Vec<(f64, String)>, args: &[&str]) {
        let r = self.lab.lab(args);
        let mut label = args.join(" ");
        if let Err(e) = r {
            label.push_str(&format!(" (failed: {})", e.lines().last().unwrap_or("")));
        }
        events.push((self.clock.now(), label));
    }

    /// Until no PgBouncer is paused (`lab pause-state`), at most `timeout`:
    /// when that was seen, or `None`.
    fn wait_resumed(&self, timeout: Duration) -> Option<f64> {
        let t = Instant::now();
        while t.elapsed() < timeout {
            let all = ["pgdb1", "pgdb2"].iter().all(|h| {
                self.lab
                    .lab(&["pause-state", h])
                    .is_ok_and(|s| s.starts_with("active"))
            });
            if all {
                return Some(self.clock.now());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// What is wrong with the lab for pillar's writer and query host; waits
    /// up to `timeout` for it to come right.
    fn check(&self, timeout: Duration) -> Vec<String> {
        let since = self.clock.now();
        let t = Instant::now();
        loop {
            let mut problems = Vec::new();
            let role = |h: &str| {
                self.lab
                    .lab(&["role", h])
                    .map(|s| parse_role(s.lines().next().unwrap_or("")))
                    .unwrap_or_default()
            };
            let (w, q) = (role(&self.writer), role(&self.query));
            problems.extend(role_problems(
                &self.writer,
                &self.address(&self.writer),
                &w,
                &self.query,
                &q,
            ));
            for h in ["pgdb1", "pgdb2"] {
                match self.lab.lab(&["pause-state", h]) {
                    Ok(s) if s.starts_with("active") => {}
                    Ok(s) => problems.push(format!("{h}'s PgBouncer: {}", s.trim())),
                    Err(e) => problems.push(format!("{h}'s PgBouncer: {e}")),
                }
            }
            if let Err(e) = self.clients_write_since(since, Duration::ZERO) {
                problems.push(format!(
                    "{e} (checked for {:.0} s)",
                    t.elapsed().as_secs_f64()
                ));
            }
            if problems.is_empty() || t.elapsed() > timeout {
                return problems;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Acknowledged rows (since the last reset) the writer lacks that were
    /// not found missing before: `(client, seq, acked at)`.
    fn newly_lost(&mut self) -> Result<Vec<(usize, i64, f64)>, String> {
        let mut writers = self.load.snapshot();
        for w in &mut writers {
            let keep: Vec<bool> = w
                .ack_times
                .iter()
                .map(|t| t.as_secs_f64() >= self.epoch)
                .collect();
            let mut k = keep.iter();
            w.acked.retain(|_| *k.next().unwrap_or(&false));
            w.ack_times.retain(|t| t.as_secs_f64() >= self.epoch);
        }
        let target = format!("{}:5432", self.address(&self.writer));
        let missing = self
            .rt
            .block_on(load::missing_rows(&self.opts, &target, &self.src, &writers))?;
        let mut out = Vec::new();
        for (i, seqs) in missing.iter().enumerate() {
            for s in seqs {
                if self.lost.insert((i, *s)) {
                    let at = writers[i]
                        .acked
                        .iter()
                        .position(|x| x == s)
                        .map_or(0.0, |p| writers[i].ack_times[p].as_secs_f64());
                    out.push((i, *s, at));
                }
            }
        }
        Ok(out)
    }

    pub(crate) fn cycle(&mut self, n: usize, fault: Fault) -> Cycle {
        let (old, new) = (self.writer.clone(), self.query.clone());
        let from = self.clock.now();
        let mut events: Vec<(f64, String)> = Vec::new();
        let mut runs: Vec<Ran> = Vec::new();
        let mut cuts: Vec<(f64, f64)> = Vec::new();
        let mut command_start = None;
        let mut killed_at = None;
        if let Err(e) = self.lab.set_writer(&new, &old) {
            events.push((from, format!("pillar not written: {e}")));
        }
        let guard_wait = Duration::from_secs(self.pause_timeout + 5);
        match fault {
            Fault::Switchover => {
                runs.push(self.failover("failover", &[], &mut events, |_, _| None));
            }
            Fault::WriterCrash => {
                self.lab_event(&mut events, &["kill-pg", &old]);
                let r = self.failover("failover", &[], &mut events, |_, _| None);
                command_start = Some(r.run.start);
                runs.push(r);
            }
            Fault::WriterLost { rejoin } => {
                self.lab_event(&mut events, &["cut", &old]);
                let cut_at = self.clock.now();
                runs.push(self.failover(
                    "failover (writer_lost)",
                    &["--pillar", r#"{"writer_lost": true}"#],
                    &mut events,
                    |_, _| None,
                ));
                self.lab_event(&mut events, &["heal", &old]);
                cuts.push((cut_at, self.clock.now()));
                runs.push(match rejoin {
                    Rejoin::Highstate => self.watched(
                        &format!("highstate {old}"),
                        &["highstate", &old],
                        &mut events,
                        |_, _| None,
                    ),
                    Rejoin::Rerun => self.failover("failover rerun", &[], &mut events, |_, _| None),
                });
            }
            Fault::KillConverge { after, then } => {
                let step = SWITCHOVER_STEPS[after];
                let mut killed = false;
                runs.push(
                    self.failover("failover", &[], &mut events, |l, pid| match l {
                        Line::Finished { id, .. } if id == step && !killed => {
                            killed = true;
                            let _ = nix::sys::signal::kill(
                                nix::unistd::Pid::from_raw(pid as i32),
                                nix::sys::signal::Signal::SIGKILL,
                            );
                            Some(format!("SIGKILL converge after {step}"))
                        }
                        _ => None,
                    }),
                );
                killed_at = events
                    .iter()
                    .find(|e| e.1.starts_with("SIGKILL"))
                    .map(|e| e.0);
                if killed_at.is_some() {
                    if then == Then::RerunAfterGuard {
                        match self.wait_resumed(guard_wait) {
                            Some(t) => events.push((t, "no PgBouncer paused".into())),
                            None => events.push((
                                self.clock.now(),
                                format!("a PgBouncer still paused after {guard_wait:?}"),
                            )),
                        }
                    }
                    runs.push(self.failover("failover rerun", &[], &mut events, |_, _| None));
                }
            }
            Fault::SshLost { after } => {
                let step = SWITCHOVER_STEPS[after];
                let mut stopped = false;
                let lab = &self.lab;
                let old2 = old.clone();
                let r = self.failover("failover", &[], &mut events, |l, _| match l {
                    Line::Finished { id, .. } if id == step && !stopped => {
                        stopped = true;
                        let r = lab.lab(&["stop-sshd", &old2]);
                        Some(format!(
                            "stop-sshd {old2} after {step}{}",
                            if r.is_err() { " (failed)" } else { "" }
                        ))
                    }
                    _ => None,
                });
                runs.push(r);
                if events.iter().any(|e| e.1.starts_with("stop-sshd")) {
                    match self.wait_resumed(guard_wait) {
                        Some(t) => events.push((t, "no PgBouncer paused".into())),
                        None => events.push((
                            self.clock.now(),
                            format!("a PgBouncer still paused after {guard_wait:?}"),
                        )),
                    }
                    self.lab_event(&mut events, &["start-sshd", &old]);
                    runs.push(self.failover("failover rerun", &[], &mut events, |_, _| None));
                }
            }
        }
        // The checks; one rerun of the failover to mend; else a human.
        self.writer = new.clone();
        self.query = old.clone();
        let patience = Duration::from_secs(40);
        let problems = self.check(patience);
        let mut mended = false;
        let mut human_because = Vec::new();
        if !problems.is_empty() {
            events.push((self.clock.now(), "checks failed: rerun".into()));
            runs.push(self.failover("mend: failover rerun", &[], &mut events, |_, _| None));
            let again = self.check(patience);
            if again.is_empty() {
                mended = true;
            } else {
                human_because = again;
            }
        }
        let lost = self.newly_lost();
        if !human_because.is_empty() {
            events.push((self.clock.now(), "lab reset (a human)".into()));
            if let Err(e) = self.lab.reset() {
                human_because.push(format!("the reset failed too: {e}"));
            }
            if let Err(e) = self.rt.block_on(load::prepare(&self.opts)) {
                human_because.push(format!("the load's table: {e}"));
            }
            self.writer = "pgdb1".into();
            self.query = "pgdb2".into();
            self.epoch = self.clock.now();
            self.lost.clear();
            let _ = self.clients_write_since(self.epoch, patience);
        }
        let to = self.clock.now();
        self.measure(Measured {
            n,
            fault,
            old,
            new,
            from,
            to,
            runs,
            events,
            cuts,
            command_start,
            killed_at,
            problems,
            mended,
            human_because,
            lost,
        })
    }

    fn measure(&self, m: Measured) -> Cycle {
        let (from, to) = (m.from, m.to);
        let snap = self.load.snapshot();
        let secs = |v: &[Duration]| v.iter().map(Duration::as_secs_f64).collect::<Vec<f64>>();
        let clients: Vec<(String, Vec<f64>, Vec<f64>)> = snap
            .iter()
            .map(|w| (w.target.clone(), secs(&w.ack_times), secs(&w.fail_times)))
            .collect();
        let (mut longest, mut longest_at) = (0.0, from);
        let mut error_spans = Vec::new();
        let mut failed = 0;
        for (_, acks, fails) in &clients {
            let (g, at) = stats::longest_gap(acks, from, to);
            if g > longest {
                (longest, longest_at) = (g, at);
            }
            error_spans.extend(stats::error_intervals(acks, fails, from, to));
            failed += fails.iter().filter(|f| **f >= from && **f < to).count();
        }
        let errors: Vec<String> = snap
            .iter()
            .flat_map(|w| {
                w.fail_times
                    .iter()
                    .zip(&w.fail_messages)
                    .filter(|(t, _)| t.as_secs_f64() >= from && t.as_secs_f64() < to)
                    .map(|(t, msg)| format!("{} at {:.3}: {msg}", w.target, t.as_secs_f64() - from))
                    .take(3)
                    .collect::<Vec<_>>()
            })
            .collect();
        let after = |t: Option<f64>| {
            t.and_then(|t| {
                clients
                    .iter()
                    .map(|(_, acks, _)| stats::first_after(acks, t).map(|a| a - t))
                    .collect::<Option<Vec<f64>>>()
                    .map(|v| v.into_iter().fold(0.0, f64::max))
            })
        };
        let write_after_command = after(m.command_start);
        let back_after_kill = after(m.killed_at);
        // Two writers at once.
        let samples = self.probe.snapshot();
        let runs_of = |i: usize| {
            let s: Vec<_> = samples[i]
                .iter()
                .filter(|s| s.recv >= from - 1.0 && s.sent <= to)
                .copied()
                .collect();
            writers::primary_runs(&s)
        };
        let both: Vec<(f64, f64)> = writers::overlaps(&runs_of(0), &runs_of(1))
            .into_iter()
            .map(|(a, b)| (a.max(from), b.min(to)))
            .filter(|(a, b)| b > a)
            .collect();
        let total: f64 = both.iter().map(|(a, b)| b - a).sum();
        let reachable: f64 = both
            .iter()
            .map(|(a, b)| writers::outside(*a, *b, &m.cuts))
            .sum();
        let reported: Vec<String> = m
            .runs
            .iter()
            .filter_map(|r| r.failover.as_ref())
            .flat_map(|f| {
                let mut v: Vec<String> = f
                    .lost_wal
                    .iter()
                    .map(|l| match l {
                        LostWal::Bytes { host, bytes } => format!("{host} {bytes} B"),
                        LostWal::Unknown { host, why } => format!("{host} {why}"),
                    })
                    .collect();
                v.extend(
                    f.notes
                        .iter()
                        .filter(|n| n.contains("WAL"))
                        .map(|n| format!("note: {n}")),
                );
                v
            })
            .collect();
        let (lost_rows, lost_list) = match &m.lost {
            Ok(v) => (v.len(), v.clone()),
            Err(_) => (0, vec![]),
        };
        let mut problems = m.problems.clone();
        if let Err(e) = &m.lost {
            problems.push(format!("lost rows not checked: {e}"));
        }
        let mut goals = vec![
            Goal {
                name: "no human".into(),
                met: m.human_because.is_empty(),
                evidence: m.human_because.join("; "),
            },
            Goal {
                name: "one writer".into(),
                met: reachable <= 0.0,
                evidence: format!(
                    "two reachable primaries for {:.0} ms ({})",
                    reachable * 1000.0,
                    both.iter()
                        .map(|(a, b)| format!("{:.2}-{:.2} s", a - from, b - from))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        ];
        match m.fault {
            Fault::Switchover => goals.push(Goal {
                name: "planned: 0 failed, 0 lost, pause < 0.5 s".into(),
                met: failed == 0 && lost_rows == 0 && longest < 0.5,
                evidence: format!(
                    "failed {failed}, lost {lost_rows}, pause {:.0} ms",
                    longest * 1000.0
                ),
            }),
            Fault::WriterCrash => goals.push(Goal {
                name: "crash: writes < 2 s after the command starts".into(),
                met: write_after_command.is_some_and(|t| t < 2.0),
                evidence: format!(
                    "every client wrote {} after the command started",
                    write_after_command.map_or("never".into(), |t| format!("{:.0} ms", t * 1000.0))
                ),
            }),
            Fault::KillConverge { .. } if m.killed_at.is_some() => {
                let limit = self.pause_timeout as f64 + 2.0;
                goals.push(Goal {
                    name: format!("killed: clients back < {limit:.0} s"),
                    met: back_after_kill.is_some_and(|t| t < limit),
                    evidence: format!(
                        "every client wrote {} after the kill",
                        back_after_kill.map_or("never".into(), |t| format!("{:.0} ms", t * 1000.0))
                    ),
                });
            }
            _ => {}
        }
        let plot = self.plot.as_ref().map(|dir| {
            let path = dir.join(format!("cycle-{:02}-{}.svg", m.n, m.fault.kind()));
            let t = self.timeline(&m, &snap, &samples, &lost_list);
            match plot::render(&t, &path) {
                Ok(()) => path.display().to_string(),
                Err(e) => format!("(not written: {e})"),
            }
        });
        Cycle {
            n: m.n,
            fault: m.fault,
            description: m.fault.describe(&m.old),
            old: m.old,
            new: m.new,
            from,
            to,
            runs: m.runs,
            events: m
                .events
                .iter()
                .map(|(t, e)| (t - from, e.clone()))
                .collect(),
            longest_pause: longest,
            longest_pause_at: longest_at - from,
            error_time: stats::union_len(error_spans),
            failed,
            errors,
            lost_rows,
            reported_lost_wal: reported,
            write_after_command,
            back_after_kill,
            two_writers_reachable: reachable.max(0.0),
            two_writers_isolated: (total - reachable).max(0.0),
            problems,
            mended_by_rerun: m.mended,
            needed_human: !m.human_because.is_empty(),
            human_because: m.human_because,
            goals,
            plot,
        }
    }

    fn timeline(
        &self,
        m: &Measured,
        snap: &[load::Writer],
        samples: &[Vec<writers::Sample>],
        lost: &[(usize, i64, f64)],
    ) -> plot::Timeline {
        let secs = |v: &[Duration]| v.iter().map(Duration::as_secs_f64).collect::<Vec<f64>>();
        // The first failover that succeeded (else the first that ran to
        // its end), enlarged when the cycle is much longer.
        let ended = |ok: bool| {
            m.runs.iter().find_map(|r| {
                let s = r.run.span("failover")?;
                if ok && s.word.as_deref() == Some("FAILED") {
                    return None;
                }
                Some((r.run.start - 0.3, s.end? + 0.7))
            })
        };
        let zoom = ended(true)
            .or_else(|| ended(false))
            .filter(|(a, b)| (b - a) < 0.6 * (m.to - m.from));
        plot::Timeline {
            title: format!(
                "cycle {}: {} ({} → {})",
                m.n,
                m.fault.describe(&m.old),
                m.old,
                m.new
            ),
            from: m.from,
            to: m.to,
            clients: snap
                .iter()
                .enumerate()
                .map(|(i, w)| plot::Client {
                    name: format!("client via {}", w.target),
                    acks: secs(&w.ack_times),
                    fails: secs(&w.fail_times),
                    lost: lost.iter().filter(|l| l.0 == i).map(|l| l.2).collect(),
                })
                .collect(),
            runs: m
                .runs
                .iter()
                .map(|r| plot::Run {
                    label: r.purpose.clone(),
                    start: r.run.start,
                    end: r.run.end,
                    spans: r.run.spans.clone(),
                })
                .collect(),
            hosts: self
                .probe
                .hosts
                .iter()
                .zip(samples)
                .map(|(h, s)| plot::Host {
                    name: h.clone(),
                    spans: writers::role_spans(s, m.to)
                        .into_iter()
                        .filter(|(a, b, _)| *b >= m.from && *a <= m.to)
                        .map(|(a, b, r)| {
                            let role = match r {
                                Role::Primary => plot::Role::Primary,
                                Role::Standby => plot::Role::Standby,
                                Role::Down => plot::Role::Down,
                            };
                            (a.max(m.from), b, role)
                        })
                        .collect(),
                })
                .collect(),
            events: m.events.clone(),
            zoom,
        }
    }
}

/// What a cycle gathered, before it is measured.
struct Measured {
    n: usize,
    fault: Fault,
    old: String,
    new: String,
    from: f64,
    to: f64,
    runs: Vec<Ran>,
    events: Vec<(f64, String)>,
    cuts: Vec<(f64, f64)>,
    command_start: Option<f64>,
    killed_at: Option<f64>,
    problems: Vec<String>,
    mended: bool,
    human_because: Vec<String>,
    lost: Result<Vec<(usize, i64, f64)>, String>,
}
