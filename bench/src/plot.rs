//! A failover's timeline as an SVG (plotters' SVG backend: text stays SVG
//! text, so no font is needed to write it): each client's commits as
//! ticks on a lane of its own, the gaps between them shaded with their
//! length, its errors and any lost row marked; converge's steps as bars on
//! the same time axis (from its progress lines); the faults the benchmark
//! injected as vertical lines; each host's role as the writer probe saw
//! it. A second panel zooms on one stretch (the orchestration) when asked.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::progress::Span;

/// A client's lane: times on the load's axis, in seconds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Client {
    pub name: String,
    pub acks: Vec<f64>,
    pub fails: Vec<f64>,
    /// When each acknowledged row that was later found missing was acked.
    pub lost: Vec<f64>,
}

/// A converge run's lane.
#[derive(Clone, Debug, Default)]
pub(crate) struct Run {
    pub label: String,
    pub start: f64,
    pub end: f64,
    pub spans: Vec<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Primary,
    Standby,
    Down,
}

/// A host's lane: its role over time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Host {
    pub name: String,
    pub spans: Vec<(f64, f64, Role)>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    pub title: String,
    pub from: f64,
    pub to: f64,
    pub clients: Vec<Client>,
    pub runs: Vec<Run>,
    pub hosts: Vec<Host>,
    pub events: Vec<(f64, String)>,
    /// A stretch to show again, enlarged, under the whole.
    pub zoom: Option<(f64, f64)>,
}

/// Gaps shorter than this are not shaded.
pub(crate) const GAP_SHADED: f64 = 0.05;

/// One horizontal band of the plot.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lane {
    Events,
    Run(usize),
    Client(usize),
    Host(usize),
}

/// Lanes from top to bottom, with their names.
pub(crate) fn lanes(t: &Timeline) -> Vec<(Lane, String)> {
    let mut v = vec![(Lane::Events, "faults".to_string())];
    v.extend(
        t.runs
            .iter()
            .enumerate()
            .map(|(i, r)| (Lane::Run(i), r.label.clone())),
    );
    v.extend(
        t.clients
            .iter()
            .enumerate()
            .map(|(i, c)| (Lane::Client(i), c.name.clone())),
    );
    v.extend(
        t.hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (Lane::Host(i), format!("{} role", h.name))),
    );
    v
}

/// How many rows a lane takes (a run's step labels need room).
pub(crate) fn lane_rows(l: &Lane) -> f64 {
    match l {
        Lane::Run(_) => 2.0,
        _ => 1.0,
    }
}

/// The steps drawn for a run: its innermost level when it has nested
/// steps (a failover's), else its top level; each clipped to the run.
pub(crate) fn step_bars(r: &Run) -> Vec<(f64, f64, String, Option<String>)> {
    let depth = if r.spans.iter().any(|s| s.depth >= 1) {
        1
    } else {
        0
    };
    r.spans
        .iter()
        .filter(|s| s.depth == depth || (depth == 1 && s.depth == 0 && s.id != "failover"))
        .map(|s| {
            (
                s.start,
                s.end.unwrap_or(r.end).max(s.start),
                s.id.clone(),
                s.word.clone(),
            )
        })
        .collect()
}

/// The gaps to shade in a lane: `(start, end)` of those at least
/// `GAP_SHADED` long within `[from, to]`.
pub(crate) fn shaded_gaps(c: &Client, from: f64, to: f64) -> Vec<(f64, f64)> {
    crate::stats::gaps_over(&c.acks, from, to, GAP_SHADED)
}

const LANE_H: u32 = 46;
const STEP: RGBColor = RGBColor(74, 144, 217);
const OK: RGBColor = RGBColor(110, 190, 120);
const FAILED: RGBColor = RGBColor(208, 2, 27);
const OPEN: RGBColor = RGBColor(160, 160, 160);
const ACK: RGBColor = RGBColor(60, 90, 140);
const GAP: RGBColor = RGBColor(255, 176, 64);
const LOST: RGBColor = RGBColor(150, 40, 200);
const PRIMARY: RGBColor = RGBColor(232, 116, 59);
const STANDBY: RGBColor = RGBColor(91, 143, 249);
const DOWN: RGBColor = RGBColor(190, 190, 190);
const FAULT: RGBColor = RGBColor(200, 0, 0);

/// Write the timeline to `path` as SVG.
pub(crate) fn render(t: &Timeline, path: &Path) -> Result<(), String> {
    let lanes = lanes(t);
    let rows: f64 = lanes.iter().map(|l| lane_rows(&l.0)).sum();
    let panel_h = (f64::from(LANE_H) * rows) as u32 + 90;
    let height = panel_h * if t.zoom.is_some() { 2 } else { 1 };
    let root = SVGBackend::new(path, (1500, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    if let Some((z0, z1)) = t.zoom {
        let (top, bottom) = root.split_vertically(panel_h);
        panel(t, &lanes, &top, t.from, t.to, &t.title)?;
        let title = format!("zoom: {:.2} s to {:.2} s", z0 - t.from, z1 - t.from);
        panel(t, &lanes, &bottom, z0, z1, &title)?;
    } else {
        panel(t, &lanes, &root, t.from, t.to, &t.title)?;
    }
    root.present().map_err(|e| e.to_string())
}

fn panel(
    t: &Timeline,
    lanes: &[(Lane, String)],
    area: &DrawingArea<SVGBackend, Shift>,
    from: f64,
    to: f64,
    title: &str,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    let n: f64 = lanes.iter().map(|l| lane_rows(&l.0)).sum();
    // x: seconds since the timeline's start; y: lanes, the first on top.
    let (x0, x1) = (from - t.from, (to - t.from).max(from - t.from + 1e-3));
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .margin_left(160)
        .x_label_area_size(28)
        .build_cartesian_2d(x0..x1, 0f64..n)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("seconds")
        .x_labels(16)
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;
    let x = |s: f64| s - t.from;
    let inside = |a: f64, b: f64| b >= from && a <= to;
    let font = ("sans-serif", 11).into_font();
    let small = ("sans-serif", 10).into_font();
    let mut top = n;
    for (lane, name) in lanes {
        // A lane spans y in [top - 1, top], its labels above in a run's.
        let h = lane_rows(lane);
        // The chart maps to the whole image; the area draws from its own corner.
        let (px, py) = chart.backend_coord(&(x0, top - h / 2.0));
        let (bx, by) = area.get_base_pixel();
        let (px, py) = (px - bx, py - by);
        top -= h - 1.0;
        area.draw(&Text::new(
            name.clone(),
            (px - 155, py - 6),
            ("sans-serif", 12).into_font(),
        ))
        .map_err(e)?;
        let band = |a: f64, b: f64, lo: f64, hi: f64, c: ShapeStyle| {
            Rectangle::new(
                [
                    (x(a).max(x0), top - 1.0 + lo),
                    (x(b).min(x1), top - 1.0 + hi),
                ],
                c,
            )
        };
        match lane {
            Lane::Events => {
                for (k, (at, label)) in t.events.iter().enumerate() {
                    if *at < from || *at > to {
                        continue;
                    }
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x(*at), 0.0), (x(*at), top - 0.15)],
                            FAULT.mix(0.6).stroke_width(1),
                        )))
                        .map_err(e)?;
                    let y = top - 0.25 - 0.3 * (k % 3) as f64;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            label.clone(),
                            (x(*at), y),
                            font.clone().color(&FAULT),
                        )))
                        .map_err(e)?;
                }
            }
            Lane::Run(r) => {
                let run = &t.runs[*r];
                if inside(run.start, run.end) {
                    chart
                        .draw_series(std::iter::once(band(
                            run.start,
                            run.end,
                            0.1,
                            0.2,
                            OPEN.filled(),
                        )))
                        .map_err(e)?;
                }
                for (k, (a, b, id, word)) in step_bars(run).into_iter().enumerate() {
                    if !inside(a, b) {
                        continue;
                    }
                    let c = match word.as_deref() {
                        Some("FAILED") => FAILED,
                        Some("ok") => OK,
                        Some(_) => STEP,
                        None => OPEN,
                    };
                    chart
                        .draw_series(std::iter::once(band(a, b, 0.25, 0.5, c.filled())))
                        .map_err(e)?;
                    let ms = (b - a) * 1000.0;
                    let y = top + 0.95 - 0.3 * (k % 5) as f64;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!("{id} {ms:.0}"),
                            (x(a).max(x0), y),
                            small.clone(),
                        )))
                        .map_err(e)?;
                }
            }
            Lane::Client(c) => {
                let cl = &t.clients[*c];
                for (a, b) in shaded_gaps(cl, from, to) {
                    chart
                        .draw_series(std::iter::once(band(
                            a,
                            b,
                            0.1,
                            0.9,
                            GAP.mix(0.45).filled(),
                        )))
                        .map_err(e)?;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!("{:.0} ms", (b - a) * 1000.0),
                            (x(a).max(x0), top - 0.12),
                            small.clone(),
                        )))
                        .map_err(e)?;
                }
                let ticks = cl
                    .acks
                    .iter()
                    .filter(|a| **a >= from && **a <= to)
                    .map(|a| {
                        PathElement::new(
                            vec![(x(*a), top - 0.75), (x(*a), top - 0.35)],
                            ACK.stroke_width(1),
                        )
                    });
                chart.draw_series(ticks).map_err(e)?;
                let fails = cl
                    .fails
                    .iter()
                    .filter(|a| **a >= from && **a <= to)
                    .map(|a| {
                        PathElement::new(
                            vec![(x(*a), top - 0.95), (x(*a), top - 0.2)],
                            FAILED.stroke_width(2),
                        )
                    });
                chart.draw_series(fails).map_err(e)?;
                let lost = cl
                    .lost
                    .iter()
                    .filter(|a| **a >= from && **a <= to)
                    .map(|a| Circle::new((x(*a), top - 0.55), 4, LOST.filled()));
                chart.draw_series(lost).map_err(e)?;
            }
            Lane::Host(h) => {
                for &(a, b, role) in &t.hosts[*h].spans {
                    if !inside(a, b) {
                        continue;
                    }
                    let c = match role {
                        Role::Primary => PRIMARY,
                        Role::Standby => STANDBY,
                        Role::Down => DOWN,
                    };
                    chart
                        .draw_series(std::iter::once(band(a, b, 0.3, 0.7, c.filled())))
                        .map_err(e)?;
                }
            }
        }
        top -= 1.0;
    }
    // The key, under the title.
    let key = [
        ("commit", ACK),
        ("gap >= 50 ms", GAP),
        ("error", FAILED),
        ("lost row", LOST),
        ("step: changed", STEP),
        ("ok", OK),
        ("failed", FAILED),
        ("cut short", OPEN),
        ("primary", PRIMARY),
        ("standby", STANDBY),
        ("down", DOWN),
    ];
    let mut kx = 170;
    for (label, c) in key {
        area.draw(&Rectangle::new([(kx, 24), (kx + 10, 34)], c.filled()))
            .map_err(e)?;
        area.draw(&Text::new(
            label,
            (kx + 14, 24),
            ("sans-serif", 11).into_font(),
        ))
        .map_err(e)?;
        kx += 24 + (label.len() as i32) * 7;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, depth: usize, start: f64, end: Option<f64>, word: &str) -> Span {
        Span {
            id: id.into(),
            function: "f".into(),
            start,
            end,
            word: Some(word.into()),
            comment: String::new(),
            depth,
        }
    }

    fn timeline() -> Timeline {
        Timeline {
            title: "t".into(),
            from: 10.0,
            to: 12.0,
            clients: vec![Client {
                name: "pgdb1:6432".into(),
                acks: vec![10.0, 10.005, 10.01, 10.4, 10.405, 11.0],
                fails: vec![10.2],
                lost: vec![10.005],
            }],
            runs: vec![Run {
                label: "orchestrate failover".into(),
                start: 10.0,
                end: 11.0,
                spans: vec![
                    span("failover", 0, 10.01, Some(10.9), "changed"),
                    span("pause_pgbouncer", 1, 10.02, Some(10.1), "changed"),
                    span("stop_old_writer", 1, 10.1, None, "changed"),
                    span("wal_status", 0, 10.9, Some(10.95), "ok"),
                ],
            }],
            hosts: vec![Host {
                name: "pgdb1".into(),
                spans: vec![(10.0, 10.5, Role::Primary), (10.5, 12.0, Role::Down)],
            }],
            events: vec![(10.3, "kill-pg pgdb1".into())],
            zoom: Some((10.0, 10.5)),
        }
    }

    #[test]
    fn lanes_steps_and_gaps_of_a_timeline() {
        let t = timeline();
        let names: Vec<String> = lanes(&t).into_iter().map(|l| l.1).collect();
        assert_eq!(
            names,
            ["faults", "orchestrate failover", "pgdb1:6432", "pgdb1 role"]
        );
        let bars = step_bars(&t.runs[0]);
        let ids: Vec<&str> = bars.iter().map(|b| b.2.as_str()).collect();
        // The failover's own steps, and the top-level states beside it.
        assert_eq!(ids, ["pause_pgbouncer", "stop_old_writer", "wal_status"]);
        // A step that never ended is drawn to the run's end.
        assert_eq!(bars[1].1, 11.0);
        let gaps = shaded_gaps(&t.clients[0], 10.0, 12.0);
        assert_eq!(gaps.len(), 2);
        assert!((gaps[0].0 - 10.01).abs() < 1e-9 && (gaps[0].1 - 10.4).abs() < 1e-9);
    }

    #[test]
    fn the_svg_holds_the_lanes_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.svg");
        render(&timeline(), &p).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.starts_with("<svg"));
        for s in [
            "pgdb1:6432",
            "kill-pg pgdb1",
            "pause_pgbouncer",
            "390 ms",
            "zoom",
        ] {
            assert!(svg.contains(s), "{s} missing");
        }
        // Lane names on both panels, each inside the image.
        let height: i32 = svg
            .split("height=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|h| h.parse().ok())
            .unwrap();
        let lines: Vec<&str> = svg.lines().collect();
        let ys: Vec<i32> = lines
            .windows(2)
            .filter(|w| w[1] == "pgdb1 role")
            .filter_map(|w| w[0].split(" y=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect();
        assert_eq!(ys.len(), 2, "{ys:?}");
        assert!(
            ys.iter().all(|y| *y > 0 && *y < height),
            "{ys:?} in {height}"
        );
        assert!(ys[1] > height / 2, "{ys:?}");
    }
}
