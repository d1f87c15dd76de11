//! The faults a chaos cycle draws from, each ending in a failover that
//! swaps the writer: what is broken, when, and how the operator follows up.

use serde::Serialize;

use super::rng::Rng;

/// A switchover's steps, in the order converge runs them (the points at
/// which a cycle may kill converge or cut ssh).
pub(super) const SWITCHOVER_STEPS: [&str; 11] = [
    "prepare_pgbouncer",
    "pause_pgbouncer",
    "stop_old_writer",
    "new_writer_has_all_wal",
    "commit",
    "promote_new_writer",
    "repoint_pgbouncer",
    "resume_pgbouncer",
    "checkpoint_new_writer",
    "settle_new_writer",
    "old_writer_to_standby",
];

/// How a writer cut off the network is brought back once healed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rejoin {
    /// `converge highstate OLD`
    Highstate,
    /// `converge orchestrate failover` again
    Rerun,
}

/// After converge is killed: rerun at once, or once the pause guards have
/// resumed the PgBouncers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Then {
    RerunAtOnce,
    RerunAfterGuard,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Fault {
    /// No fault: a planned switchover.
    Switchover,
    /// The writer's postmaster SIGKILLed, then the failover.
    WriterCrash,
    /// The writer's link cut, the failover with `writer_lost`, the link
    /// healed, the old writer rejoined.
    WriterLost { rejoin: Rejoin },
    /// converge SIGKILLed right after a switchover's step, then rerun.
    KillConverge { after: usize, then: Then },
    /// The old writer's sshd stopped right after a switchover's step,
    /// started again once converge has returned, and the failover rerun.
    SshLost { after: usize },
}

/// The kinds, by name (as `--faults` takes them).
pub(super) const KINDS: [&str; 5] = [
    "switchover",
    "writer-crash",
    "writer-lost",
    "kill-converge",
    "ssh-lost",
];

impl Fault {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Fault::Switchover => KINDS[0],
            Fault::WriterCrash => KINDS[1],
            Fault::WriterLost { .. } => KINDS[2],
            Fault::KillConverge { .. } => KINDS[3],
            Fault::SshLost { .. } => KINDS[4],
        }
    }

    /// One of `kinds` (names from `KINDS`), its details drawn too.
    pub(crate) fn draw(rng: &mut Rng, kinds: &[&str]) -> Fault {
        match kinds[rng.below(kinds.len())] {
            "switchover" => Fault::Switchover,
            "writer-crash" => Fault::WriterCrash,
            "writer-lost" => Fault::WriterLost {
                rejoin: if rng.below(2) == 0 {
                    Rejoin::Highstate
                } else {
                    Rejoin::Rerun
                },
            },
            "kill-converge" => Fault::KillConverge {
                after: rng.below(SWITCHOVER_STEPS.len()),
                then: if rng.below(2) == 0 {
                    Then::RerunAtOnce
                } else {
                    Then::RerunAfterGuard
                },
            },
            // Mid-switchover: after one of the steps up to the resume.
            _ => Fault::SshLost {
                after: rng.below(SWITCHOVER_STEPS.len() - 1),
            },
        }
    }

    /// In words, with the old writer's name.
    pub(crate) fn describe(&self, old: &str) -> String {
        match self {
            Fault::Switchover => "planned switchover".into(),
            Fault::WriterCrash => format!("{old}'s postmaster killed, failover"),
            Fault::WriterLost { rejoin } => format!(
                "{old} cut off, failover with writer_lost, healed, {}",
                match rejoin {
                    Rejoin::Highstate => format!("highstate {old}"),
                    Rejoin::Rerun => "failover rerun".into(),
                }
            ),
            Fault::KillConverge { after, then } => format!(
                "converge killed after {}, rerun {}",
                SWITCHOVER_STEPS[*after],
                match then {
                    Then::RerunAtOnce => "at once",
                    Then::RerunAfterGuard => "after the guards",
                }
            ),
            Fault::SshLost { after } => format!(
                "{old}'s sshd stopped after {}, restarted, rerun",
                SWITCHOVER_STEPS[*after]
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_only_the_kinds_asked_and_ssh_is_lost_mid_switchover() {
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let f = Fault::draw(&mut rng, &["kill-converge", "ssh-lost"]);
            match f {
                Fault::KillConverge { after, .. } => assert!(after < SWITCHOVER_STEPS.len()),
                // Never after the last step: ssh must be lost mid-switchover.
                Fault::SshLost { after } => assert!(after < SWITCHOVER_STEPS.len() - 1),
                other => panic!("{other:?}"),
            }
        }
        let f = Fault::WriterLost {
            rejoin: Rejoin::Rerun,
        };
        assert_eq!(f.kind(), "writer-lost");
        assert_eq!(
            f.describe("pgdb1"),
            "pgdb1 cut off, failover with writer_lost, healed, failover rerun"
        );
        assert_eq!(
            serde_json::to_value(f).unwrap(),
            serde_json::json!({"kind": "writer_lost", "rejoin": "rerun"})
        );
    }
}
