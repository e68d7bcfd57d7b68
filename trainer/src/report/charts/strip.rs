//! Distribution of a metric per group: every run as a jittered dot over a
//! box (quartiles, median line, whiskers to the extremes).

use crate::report::observations::pct;
use crate::report::stats::quantile;
use crate::report::svg::{self, Frame, Scale, esc};
use std::fmt::Write;

const BAND: f64 = 74.0;

pub struct Group {
    pub label: String,
    pub color: String,
    /// `(value, run name)`.
    pub values: Vec<(f64, String)>,
}

pub fn strip(groups: &[Group], x_title: &str) -> String {
    let frame = Frame {
        width: 900.0,
        height: 60.0 + BAND * groups.len() as f64,
        left: 170.0,
        right: 24.0,
        top: 12.0,
        bottom: 48.0,
    };
    let lo = groups.iter().flat_map(|g| g.values.iter().map(|v| v.0)).fold(1.0f64, f64::min);
    let x_lo = ((lo * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let x = Scale::new(x_lo, 1.0, frame.x0(), frame.x1());
    let band = Scale::new(0.0, groups.len().max(1) as f64, frame.y1(), frame.y0());
    let mut s = svg::open(frame.width, frame.height, x_title);
    s.push_str(&frame.axes(&x, &band, &svg::pct_ticks(&svg::nice_ticks(x_lo, 1.0, 8)), &[], x_title, ""));
    for (g, group) in groups.iter().enumerate() {
        let mid = band.map(g as f64 + 0.5);
        let values: Vec<f64> = group.values.iter().map(|v| v.0).collect();
        let _ = write!(
            s,
            "<text class=\"cm-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} ({} runs)</text>",
            frame.x0() - 8.0,
            mid + 4.0,
            esc(&group.label),
            values.len()
        );
        if let (Some(q0), Some(q1), Some(q2), Some(q3), Some(q4)) = (
            quantile(&values, 0.0),
            quantile(&values, 0.25),
            quantile(&values, 0.5),
            quantile(&values, 0.75),
            quantile(&values, 1.0),
        ) {
            let _ = write!(
                s,
                "<line class=\"whisker\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{mid:.1}\" y2=\"{mid:.1}\"/><rect class=\"box\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" stroke=\"{}\"><title>{}: quartiles {} – {}, median {}</title></rect><line class=\"median\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\"/>",
                x.map(q0),
                x.map(q4),
                x.map(q1),
                mid - BAND * 0.3,
                (x.map(q3) - x.map(q1)).max(1.0),
                BAND * 0.6,
                group.color,
                esc(&group.label),
                pct(q1),
                pct(q3),
                pct(q2),
                x.map(q2),
                x.map(q2),
                mid - BAND * 0.3,
                mid + BAND * 0.3,
                group.color
            );
        }
        for (k, (v, name)) in group.values.iter().enumerate() {
            // Deterministic jitter: the same report every time for the same runs.
            let j = ((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44) as f64 / (1u64 << 20) as f64 - 0.5;
            let _ = write!(
                s,
                "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{}\"><title>{} — {}</title></circle>",
                x.map(*v),
                mid + j * BAND * 0.5,
                group.color,
                esc(name),
                pct(*v)
            );
        }
    }
    s.push_str("</svg>");
    s
}
