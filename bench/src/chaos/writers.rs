//! Who was a writer when: the probes' samples of each host's PostgreSQL
//! (`pg_is_in_recovery()` every few tens of milliseconds) turned into role
//! spans for the plots and into the stretches where two hosts were
//! writers at once.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Role {
    Primary,
    Standby,
    /// No answer (stopped, starting, crashed, replaced).
    Down,
}

/// One probe: the query went out at `sent` and was answered (or failed)
/// at `recv`, seconds on the load's axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Sample {
    pub sent: f64,
    pub recv: f64,
    pub role: Role,
}

/// The stretches a host was certainly a primary: for each run of
/// consecutive primary samples, from the first one's answer to the last
/// one's question (a single sample proves no stretch).
pub(super) fn primary_runs(samples: &[Sample]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut run: Option<(f64, f64)> = None;
    for s in samples {
        if s.role == Role::Primary {
            run = Some(match run {
                Some((a, _)) => (a, s.sent),
                None => (s.recv, s.recv),
            });
        } else if let Some((a, b)) = run.take() {
            if b > a {
                out.push((a, b));
            }
        }
    }
    if let Some((a, b)) = run {
        if b > a {
            out.push((a, b));
        }
    }
    out
}

/// Where stretches of `a` and of `b` overlap.
pub(super) fn overlaps(a: &[(f64, f64)], b: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for &(a0, a1) in a {
        for &(b0, b1) in b {
            let (s, e) = (a0.max(b0), a1.min(b1));
            if e > s {
                out.push((s, e));
            }
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

/// The part of `(s, e)` outside every interval of `cuts`.
pub(super) fn outside(s: f64, e: f64, cuts: &[(f64, f64)]) -> f64 {
    let mut inside = Vec::new();
    for &(c0, c1) in cuts {
        let (a, b) = (s.max(c0), e.min(c1));
        if b > a {
            inside.push((a, b));
        }
    }
    (e - s) - crate::stats::union_len(inside)
}

/// A host's roles over time: each sample's answer holds until the next
/// one's (the last until `to`), equal neighbours merged.
pub(super) fn role_spans(samples: &[Sample], to: f64) -> Vec<(f64, f64, Role)> {
    let mut out: Vec<(f64, f64, Role)> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let end = samples.get(i + 1).map_or(to, |n| n.recv).max(s.recv);
        match out.last_mut() {
            Some(last) if last.2 == s.role => last.1 = end,
            _ => out.push((s.recv, end, s.role)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    fn s(t: f64, role: Role) -> Sample {
        Sample {
            sent: t,
            recv: t + 0.01,
            role,
        }
    }

    #[test]
    fn a_switchover_has_no_overlap_and_a_split_brain_has_one() {
        // pgdb1 primary until 1.0, stopped; pgdb2 primary from 1.3.
        let a = [
            s(0.0, Primary),
            s(0.5, Primary),
            s(1.0, Primary),
            s(1.05, Down),
        ];
        let b = [
            s(0.0, Standby),
            s(1.25, Standby),
            s(1.3, Primary),
            s(1.35, Primary),
        ];
        let (ra, rb) = (primary_runs(&a), primary_runs(&b));
        assert_eq!(ra, vec![(0.01, 1.0)]);
        assert_eq!(rb, vec![(1.31, 1.35)]);
        assert!(overlaps(&ra, &rb).is_empty());
        // pgdb1 cut off and still primary while pgdb2 is promoted.
        let a2 = [s(0.0, Primary), s(2.0, Primary), s(3.0, Primary)];
        let o = overlaps(&primary_runs(&a2), &rb);
        assert_eq!(o, vec![(1.31, 1.35)]);
        // A single primary answer proves no stretch.
        assert!(primary_runs(&[s(0.0, Primary), s(0.05, Down)]).is_empty());
    }

    #[test]
    fn overlaps_inside_a_cut_are_told_apart() {
        assert!((outside(1.0, 3.0, &[(0.0, 2.0)]) - 1.0).abs() < 1e-9);
        assert!(outside(1.0, 3.0, &[(0.0, 5.0)]).abs() < 1e-9);
        assert!((outside(1.0, 3.0, &[]) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn role_spans_merge_equal_neighbours() {
        let v = [
            s(0.0, Primary),
            s(0.05, Primary),
            s(0.1, Down),
            s(0.2, Standby),
        ];
        let r = role_spans(&v, 1.0);
        assert_eq!(r.len(), 3);
        let near = |a: (f64, f64, Role), b: (f64, f64, Role)| {
            (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9 && a.2 == b.2
        };
        assert!(near(r[0], (0.01, 0.11, Primary)), "{r:?}");
        assert!(near(r[1], (0.11, 0.21, Down)), "{r:?}");
        assert!(near(r[2], (0.21, 1.0, Standby)), "{r:?}");
    }
}
