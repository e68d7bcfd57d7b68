//! Horizontal bars, optionally stacked: run counts per sweep by state, test
//! accuracy per MNIST configuration.

use crate::report::svg::{self, esc};
use std::fmt::Write;

const ROW: f64 = 30.0;

pub struct Segment {
    pub value: f64,
    pub color: String,
    pub title: String,
}

pub struct Bar {
    pub label: String,
    pub segments: Vec<Segment>,
    /// Shown after the bar.
    pub note: String,
}

/// Bars scaled from `min` to `max` (`min` > 0 zooms in on close values).
/// `label_width` and `note_width` are the room left and right of the bars.
pub fn bars(rows: &[Bar], min: f64, max: f64, label_width: f64, note_width: f64) -> String {
    let width = 900.0;
    let height = 10.0 + ROW * rows.len() as f64;
    let (x0, x1) = (label_width, width - note_width);
    let scale = svg::Scale::new(min, max, x0, x1);
    let mut s = svg::open(width, height, "bars");
    for (r, bar) in rows.iter().enumerate() {
        let y = 5.0 + ROW * r as f64;
        let _ = write!(
            s,
            "<text class=\"cm-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 8.0,
            y + ROW / 2.0 + 2.0,
            esc(&bar.label)
        );
        let mut at = min;
        for seg in &bar.segments {
            let (a, b) = (scale.map(at), scale.map(at + seg.value));
            let _ = write!(
                s,
                "<rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}</title></rect>",
                y + 4.0,
                (b - a).max(0.0),
                ROW - 10.0,
                seg.color,
                esc(&seg.title)
            );
            at += seg.value;
        }
        let _ = write!(
            s,
            "<text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            scale.map(at) + 6.0,
            y + ROW / 2.0 + 2.0,
            esc(&bar.note)
        );
    }
    s.push_str("</svg>");
    s
}
