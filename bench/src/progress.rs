//! converge's progress lines on stderr (`HH:MM:SS.ffffff ... step (fn)`
//! as a step starts, `HH:MM:SS.ffffff changed step in N ms: comment` as it
//! ends), read back into spans on the load's time axis, so that a
//! benchmark can mark the orchestration's steps beside the clients'
//! commits and act right after a given step (kill converge, cut ssh).

/// One progress line.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Line {
    Started {
        /// Seconds since midnight (the time zone converge ran in).
        tod: f64,
        id: String,
        function: String,
    },
    Finished {
        tod: f64,
        /// `ok`, `changed`, `FAILED` or `would change`.
        word: String,
        id: String,
        ms: f64,
        comment: String,
    },
}

/// `HH:MM:SS.ffffff` as seconds since midnight.
pub(crate) fn time_of_day(s: &str) -> Option<f64> {
    let (hms, frac) = s.split_once('.')?;
    let mut parts = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || h > 23 || m > 59 || sec > 60 || frac.is_empty() {
        return None;
    }
    let frac: f64 = format!("0.{frac}").parse().ok()?;
    Some(f64::from(h * 3600 + m * 60 + sec) + frac)
}

/// A progress line, or `None` for anything else converge printed.
pub(crate) fn parse(line: &str) -> Option<Line> {
    let (ts, rest) = line.split_once(' ')?;
    let tod = time_of_day(ts)?;
    let rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix("... ") {
        let (id, f) = r.rsplit_once(" (")?;
        return Some(Line::Started {
            tod,
            id: id.to_string(),
            function: f.strip_suffix(')')?.to_string(),
        });
    }
    let (word, r) = ["would change", "changed", "ok", "FAILED"]
        .iter()
        .find_map(|w| Some((*w, rest.strip_prefix(w)?.strip_prefix(' ')?)))?;
    let (id, r) = r.split_once(" in ")?;
    let (ms, comment) = r.split_once(" ms")?;
    Some(Line::Finished {
        tod,
        word: word.to_string(),
        id: id.to_string(),
        ms: ms.parse().ok()?,
        comment: comment.strip_prefix(": ").unwrap_or(comment).to_string(),
    })
}

/// A step from its start to its end, in seconds on the load's axis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Span {
    pub id: String,
    pub function: String,
    pub start: f64,
    /// `None`: it never ended (converge was killed, or is still running).
    pub end: Option<f64>,
    pub word: Option<String>,
    pub comment: String,
    /// How many spans enclose it (the failover's own steps are nested in
    /// the `failover` state).
    pub depth: usize,
}

/// Maps converge's time of day to the load's axis: `anchor_tod` is the
/// time of day when the load's clock read `anchor_at`. A line within 12
/// hours either side of the anchor is placed on the right day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Anchor {
    pub tod: f64,
    pub at: f64,
}

impl Anchor {
    pub(crate) fn place(&self, tod: f64) -> f64 {
        let mut d = tod - self.tod;
        if d > 43_200.0 {
            d -= 86_400.0;
        } else if d < -43_200.0 {
            d += 86_400.0;
        }
        self.at + d
    }
}

/// The spans of a run's lines, in the order they started.
pub(crate) fn spans(lines: &[Line], anchor: Anchor) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for l in lines {
        match l {
            Line::Started { tod, id, function } => {
                open.push(out.len());
                out.push(Span {
                    id: id.clone(),
                    function: function.clone(),
                    start: anchor.place(*tod),
                    end: None,
                    word: None,
                    comment: String::new(),
                    depth: open.len() - 1,
                });
            }
            Line::Finished {
                tod,
                word,
                id,
                comment,
                ..
            } => {
                // The innermost open span of that id; those opened inside
                // it and never closed are left open.
                if let Some(pos) = open.iter().rposition(|&i| out[i].id == *id) {
                    let i = open[pos];
                    open.truncate(pos);
                    out[i].end = Some(anchor.place(*tod));
                    out[i].word = Some(word.clone());
                    out[i].comment = comment.clone();
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "\
16:42:35.437904 ... failover (postgres.failover)
16:42:35.546129 ... pause_pgbouncer (pgbouncer.paused)
16:42:35.667190 changed pause_pgbouncer in 121 ms: PgBouncer paused on pgdb1, pgdb2: clients wait, none fails
16:42:35.729463 ... new_writer_has_all_wal (postgres.caught_up)
16:42:35.814638      ok new_writer_has_all_wal in 85 ms: pgdb2 holds all of pgdb1's WAL: received 0/3009E80 past its shutdown checkpoint at 0/3009E08
16:43:55.626194  FAILED commit in 0 ms: not promoting: pgdb2: Connection lost
converge: error: something else
16:42:36.751328 changed failover in 1313 ms: planned switchover: Switchover is due and safe
16:42:36.751365 ... wal_status (postgres.status)
";

    fn lines() -> Vec<Line> {
        RUN.lines().filter_map(parse).collect()
    }

    #[test]
    fn progress_lines_are_read_and_the_rest_skipped() {
        let l = lines();
        assert_eq!(l.len(), 8);
        assert_eq!(
            l[0],
            Line::Started {
                tod: 16.0 * 3600.0 + 42.0 * 60.0 + 35.437904,
                id: "failover".into(),
                function: "postgres.failover".into()
            }
        );
        let Line::Finished {
            word,
            id,
            ms,
            comment,
            ..
        } = &l[4]
        else {
            panic!("{:?}", l[4])
        };
        assert_eq!(
            (word.as_str(), id.as_str(), *ms),
            ("ok", "new_writer_has_all_wal", 85.0)
        );
        assert!(comment.starts_with("pgdb2 holds all"));
        let Line::Finished { word, id, .. } = &l[5] else {
            panic!()
        };
        assert_eq!((word.as_str(), id.as_str()), ("FAILED", "commit"));
        assert!(parse("16:42:35.4 would change x in 3 ms: y").is_some());
        assert!(parse("25:00:00.1 ... x (a.b)").is_none());
        assert!(parse("warning: nothing").is_none());
    }

    #[test]
    fn spans_nest_and_one_left_open_has_no_end() {
        let anchor = Anchor {
            tod: 16.0 * 3600.0 + 42.0 * 60.0 + 35.0,
            at: 100.0,
        };
        let s = spans(&lines(), anchor);
        let ids: Vec<&str> = s.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "failover",
                "pause_pgbouncer",
                "new_writer_has_all_wal",
                "wal_status"
            ]
        );
        assert_eq!(s[0].depth, 0);
        assert_eq!(s[1].depth, 1);
        assert!((s[1].start - 100.546129).abs() < 1e-9);
        assert!((s[1].end.unwrap() - 100.667190).abs() < 1e-9);
        assert_eq!(s[0].word.as_deref(), Some("changed"));
        assert_eq!(s[3].end, None);
        assert_eq!(s[3].depth, 0);
    }

    #[test]
    fn the_anchor_places_lines_across_midnight() {
        let a = Anchor {
            tod: 86_399.5,
            at: 10.0,
        };
        assert!((a.place(0.25) - 10.75).abs() < 1e-9);
        let b = Anchor { tod: 0.5, at: 10.0 };
        assert!((b.place(86_399.75) - 9.25).abs() < 1e-9);
    }
}
