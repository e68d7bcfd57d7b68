//! Validation accuracy of every run in folder order, the best one marked, with
//! the running best as a step line (what wandb's sweep panel shows).

use crate::report::observations::pct;
use crate::report::svg::{self, Frame, Scale, esc};
use std::fmt::Write;

pub struct Point {
    pub value: f64,
    pub label: String,
    /// Colour group (the sweep).
    pub group: usize,
}

/// `groups` are the legend names of the colour groups.
pub fn scatter(points: &[Point], groups: &[String], y_title: &str) -> String {
    let legend_rows = groups.len().div_ceil(3);
    let frame = Frame {
        width: 900.0,
        height: 346.0 + 18.0 * legend_rows as f64,
        left: 64.0,
        right: 20.0,
        top: 16.0,
        bottom: 50.0 + 18.0 * legend_rows as f64,
    };
    let n = points.len().max(1);
    let lo = points.iter().map(|p| p.value).fold(1.0f64, f64::min);
    let y_lo = ((lo * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let x = Scale::new(0.5, n as f64 + 0.5, frame.x0() + 6.0, frame.x1() - 6.0);
    let y = Scale::new(y_lo, 1.0, frame.y0(), frame.y1());
    let x_ticks: Vec<(f64, String)> = svg::nice_ticks(1.0, n as f64, 10)
        .into_iter()
        .filter(|v| v.fract() == 0.0)
        .map(|v| (v, format!("{v}")))
        .collect();
    let mut s = svg::open(frame.width, frame.height, y_title);
    s.push_str(&frame.axes(
        &x,
        &y,
        &x_ticks,
        &svg::pct_ticks(&svg::nice_ticks(y_lo, 1.0, 6)),
        "run (in folder order)",
        y_title,
    ));
    let best = points.iter().enumerate().max_by(|a, b| a.1.value.total_cmp(&b.1.value)).map(|(i, _)| i);
    // Running best: a step line that only rises.
    let mut path = String::new();
    let mut running = f64::NEG_INFINITY;
    for (i, p) in points.iter().enumerate() {
        let (px, prev) = (x.map(i as f64 + 1.0), running);
        running = running.max(p.value);
        if i == 0 {
            let _ = write!(path, "M{px:.1},{:.1}", y.map(running));
        } else {
            let _ = write!(path, " L{px:.1},{:.1} L{px:.1},{:.1}", y.map(prev), y.map(running));
        }
    }
    let _ = write!(s, "<path class=\"running-best\" d=\"{path}\"><title>best so far</title></path>");
    for (i, p) in points.iter().enumerate() {
        let (px, py) = (x.map(i as f64 + 1.0), y.map(p.value));
        let title = format!("#{} {} — {}", i + 1, p.label, pct(p.value));
        let _ = write!(
            s,
            "<circle class=\"dot\" cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"4\" fill=\"{}\"><title>{}</title></circle>",
            svg::palette(p.group),
            esc(&title)
        );
    }
    if let Some(b) = best {
        let p = &points[b];
        let (px, py) = (x.map(b as f64 + 1.0), y.map(p.value));
        let anchor = if px > frame.width * 0.6 { "end" } else { "start" };
        let dx = if anchor == "end" { -12.0 } else { 12.0 };
        let _ = write!(
            s,
            "<circle class=\"best\" cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"9\"><title>best: {}</title></circle><text class=\"annot\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">best {} — {}</text>",
            esc(&p.label),
            px + dx,
            (py - 12.0).max(frame.y1() + 12.0),
            pct(p.value),
            esc(&p.label)
        );
    }
    for (g, name) in groups.iter().enumerate() {
        let (col, row) = (g % 3, g / 3);
        let (lx, ly) = (frame.x0() + col as f64 * 270.0, frame.y0() + 56.0 + 18.0 * row as f64);
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"/><text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            lx + 5.0,
            ly - 4.0,
            svg::palette(g),
            lx + 14.0,
            ly,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}
