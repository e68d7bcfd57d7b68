//! Learning curves: metric per epoch, one line per series (train solid,
//! validation dashed by convention of the callers).

use crate::report::params::fmt_num;
use crate::report::svg::{self, Frame, Scale, esc};
use std::fmt::Write;

pub struct Series {
    pub label: String,
    pub color: String,
    pub dashed: bool,
    /// `(epoch, value)`; non-finite values are left out (a diverged epoch).
    pub points: Vec<(f64, f64)>,
}

/// What the y axis holds: fractions shown as percentages, or plain values.
#[derive(Clone, Copy, PartialEq)]
pub enum YKind {
    Percent,
    Plain,
}

pub fn lines(series: &[Series], title: &str, y_title: &str, kind: YKind, width: f64) -> String {
    let legend_rows = series.len().div_ceil(2);
    let frame = Frame {
        width,
        height: 256.0 + 16.0 * legend_rows as f64,
        left: 58.0,
        right: 14.0,
        top: 26.0,
        bottom: 46.0 + 16.0 * legend_rows as f64,
    };
    let finite: Vec<(f64, f64)> =
        series.iter().flat_map(|s| s.points.iter().copied()).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in &finite {
        x_lo = x_lo.min(*x);
        x_hi = x_hi.max(*x);
        y_lo = y_lo.min(*y);
        y_hi = y_hi.max(*y);
    }
    if finite.is_empty() {
        (x_lo, x_hi, y_lo, y_hi) = (1.0, 2.0, 0.0, 1.0);
    }
    if kind == YKind::Percent {
        y_hi = (y_hi + 0.02).min(1.0);
    } else {
        y_lo = y_lo.min(0.0);
    }
    let pad = (y_hi - y_lo).max(1e-6) * 0.05;
    let (y_lo, y_hi) = (if kind == YKind::Percent { (y_lo - pad).max(0.0) } else { y_lo }, y_hi + pad);
    let x = Scale::new(x_lo, x_hi.max(x_lo + 1.0), frame.x0(), frame.x1());
    let y = Scale::new(y_lo, y_hi, frame.y0(), frame.y1());
    let x_ticks: Vec<(f64, String)> =
        svg::nice_ticks(x.d0, x.d1, 8).into_iter().filter(|v| v.fract() == 0.0).map(|v| (v, format!("{v}"))).collect();
    let y_values = svg::nice_ticks(y_lo, y_hi, 5);
    let y_ticks = match kind {
        YKind::Percent => svg::pct_ticks(&y_values),
        YKind::Plain => y_values.iter().map(|v| (*v, fmt_num(*v))).collect(),
    };
    let mut s = svg::open(frame.width, frame.height, title);
    let _ = write!(s, "<text class=\"chart-title\" x=\"{:.1}\" y=\"16\">{}</text>", frame.x0(), esc(title));
    s.push_str(&frame.axes(&x, &y, &x_ticks, &y_ticks, "epoch", y_title));
    for serie in series {
        let pts: Vec<String> = serie
            .points
            .iter()
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| format!("{:.1},{:.1}", x.map(*a), y.map(*b)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let dash = if serie.dashed { " stroke-dasharray=\"6 4\"" } else { "" };
        let _ = write!(
            s,
            "<polyline class=\"curve\" points=\"{}\" stroke=\"{}\"{dash}><title>{}</title></polyline>",
            pts.join(" "),
            serie.color,
            esc(&serie.label)
        );
        for (p, (a, b)) in pts.iter().zip(serie.points.iter().filter(|(a, b)| a.is_finite() && b.is_finite())) {
            let (cx, cy) = p.split_once(',').unwrap_or(("0", "0"));
            let value = if kind == YKind::Percent { format!("{:.2}%", b * 100.0) } else { fmt_num(*b) };
            let _ = write!(
                s,
                "<circle class=\"pt\" cx=\"{cx}\" cy=\"{cy}\" r=\"2.5\" fill=\"{}\"><title>{} — epoch {a}: {value}</title></circle>",
                serie.color,
                esc(&serie.label)
            );
        }
    }
    for (i, serie) in series.iter().enumerate() {
        let (col, row) = (i % 2, i / 2);
        let lx = frame.x0() + col as f64 * (frame.x1() - frame.x0()) / 2.0;
        let ly = frame.y0() + 52.0 + 16.0 * row as f64;
        let dash = if serie.dashed { " stroke-dasharray=\"6 4\"" } else { "" };
        let _ = write!(
            s,
            "<line x1=\"{lx:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"2\"{dash}/><text class=\"legend\" x=\"{:.1}\" y=\"{ly:.1}\">{}</text>",
            lx + 24.0,
            ly - 4.0,
            ly - 4.0,
            serie.color,
            lx + 30.0,
            esc(&serie.label)
        );
    }
    s.push_str("</svg>");
    s
}
