//! Client-visible unavailability from the load's record (times in seconds
//! on the load's axis): the longest wait between two commits, the time
//! during which clients got errors instead of commits, how soon they wrote
//! again after a given moment.

/// The longest gap between consecutive commits within `[from, to]`, and
/// when it began; `(0, from)` with fewer than two commits.
pub(crate) fn longest_gap(acks: &[f64], from: f64, to: f64) -> (f64, f64) {
    let inside: Vec<f64> = acks
        .iter()
        .copied()
        .filter(|t| *t >= from && *t <= to)
        .collect();
    inside
        .windows(2)
        .map(|w| (w[1] - w[0], w[0]))
        .fold((0.0, from), |best, g| if g.0 > best.0 { g } else { best })
}

/// The gaps of at least `min` seconds between consecutive commits within
/// `[from, to]`, as `(start, end)`.
pub(crate) fn gaps_over(acks: &[f64], from: f64, to: f64, min: f64) -> Vec<(f64, f64)> {
    let inside: Vec<f64> = acks
        .iter()
        .copied()
        .filter(|t| *t >= from && *t <= to)
        .collect();
    inside
        .windows(2)
        .filter(|w| w[1] - w[0] >= min)
        .map(|w| (w[0], w[1]))
        .collect()
}

/// The stretches of `[from, to]` during which a client got errors: each
/// gap between two of its commits (or between an edge of the window and
/// its first or last commit) in which a transaction of it failed.
pub(crate) fn error_intervals(acks: &[f64], fails: &[f64], from: f64, to: f64) -> Vec<(f64, f64)> {
    let mut edges = vec![from];
    edges.extend(acks.iter().copied().filter(|t| *t > from && *t < to));
    edges.push(to);
    edges
        .windows(2)
        .filter(|w| fails.iter().any(|f| *f >= w[0] && *f <= w[1]))
        .map(|w| (w[0], w[1]))
        .collect()
}

/// The total length of the union of `intervals`.
pub(crate) fn union_len(mut intervals: Vec<(f64, f64)>) -> f64 {
    intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut cur: Option<(f64, f64)> = None;
    for (s, e) in intervals {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((s, e)) = cur {
        total += e - s;
    }
    total
}

/// The first commit after `t`.
pub(crate) fn first_after(acks: &[f64], t: f64) -> Option<f64> {
    let i = acks.partition_point(|a| *a <= t);
    acks.get(i).copied()
}

/// The median of `v` (the upper one of an even count), `None` when empty.
pub(crate) fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACKS: [f64; 6] = [0.0, 0.1, 0.2, 0.9, 1.0, 3.0];

    #[test]
    fn gaps_within_a_window() {
        assert_eq!(longest_gap(&ACKS, 0.0, 1.5), (0.7, 0.2));
        let (g, at) = longest_gap(&ACKS, 0.0, 5.0);
        assert!((g - 2.0).abs() < 1e-9 && at == 1.0);
        assert_eq!(longest_gap(&ACKS, 2.0, 2.5), (0.0, 2.0));
        assert_eq!(
            gaps_over(&ACKS, 0.0, 5.0, 0.5),
            vec![(0.2, 0.9), (1.0, 3.0)]
        );
    }

    #[test]
    fn time_with_errors_is_the_gaps_that_hold_a_failure() {
        // A failure at 0.5 (inside 0.2..0.9), one at 3.5 (after the last
        // commit: up to the window's end).
        let e = error_intervals(&ACKS, &[0.5, 3.5], 0.0, 4.0);
        assert_eq!(e, vec![(0.2, 0.9), (3.0, 4.0)]);
        assert!((union_len(e) - 1.7).abs() < 1e-9);
        assert!(error_intervals(&ACKS, &[], 0.0, 4.0).is_empty());
        // Two clients failing at once count once.
        assert!((union_len(vec![(0.0, 1.0), (0.5, 2.0), (3.0, 3.5)]) - 2.5).abs() < 1e-9);
    }

    #[test]
    fn first_commit_after_and_median() {
        assert_eq!(first_after(&ACKS, 0.25), Some(0.9));
        assert_eq!(first_after(&ACKS, 0.9), Some(1.0));
        assert_eq!(first_after(&ACKS, 3.0), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
