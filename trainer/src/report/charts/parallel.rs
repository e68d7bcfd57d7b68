//! Parallel coordinates: one vertical axis per varied hyper-parameter and a
//! last one for the metric; each run is a line coloured by its metric. Each
//! line carries its axis positions (`data-p`) so the page's brushing script
//! can filter runs without knowing anything else.

use crate::report::observations::pct;
use crate::report::params::{Cell, Table};
use crate::report::svg::{self, esc};
use std::fmt::Write;

const AXIS_GAP: f64 = 118.0;
const HEIGHT: f64 = 440.0;
const TOP: f64 = 46.0;
const BOTTOM: f64 = 22.0;

/// A spread of ±3 px on discrete axes so that runs sharing a level stay countable.
fn jitter(run: usize, axis: usize) -> f64 {
    let h = (run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (axis as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    ((h >> 40) % 1000) as f64 / 1000.0 * 6.0 - 3.0
}

pub fn parallel(table: &Table, metric_title: &str) -> String {
    let n_axes = table.params.len() + 1;
    let (left, right) = (130.0, 70.0);
    let width = (left + right + AXIS_GAP * (n_axes - 1) as f64).max(900.0);
    let gap = (width - left - right) / (n_axes - 1).max(1) as f64;
    let ax = |i: usize| left + gap * i as f64;
    let (y0, y1) = (HEIGHT - BOTTOM, TOP);
    let py = |pos: f64| y0 - pos * (y0 - y1);
    let (lo, hi) = table.metric.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| (a.min(y), b.max(y)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let metric_pos = |y: f64| if hi > lo { (y - lo) / span } else { 0.5 };

    let mut s =
        svg::open(width, HEIGHT, "parallel coordinates").replacen("class=\"chart\"", "class=\"chart parcoords\"", 1);
    let mut order: Vec<usize> = (0..table.len()).collect();
    // Best runs drawn last, on top.
    order.sort_by(|&a, &b| table.metric[a].total_cmp(&table.metric[b]));
    s.push_str("<g class=\"lines\">");
    for &r in &order {
        let mut positions: Vec<f64> = table.params.iter().zip(&table.cells[r]).map(|(p, c)| p.position(c)).collect();
        positions.push(metric_pos(table.metric[r]));
        let points: Vec<String> = positions
            .iter()
            .enumerate()
            .map(|(i, &pos)| {
                let discrete = table.params.get(i).is_some_and(|p| p.is_discrete());
                let j = if discrete { jitter(r, i) } else { 0.0 };
                format!("{:.1},{:.1}", ax(i), py(pos) + j)
            })
            .collect();
        let data: Vec<String> = positions.iter().map(|p| format!("{p:.4}")).collect();
        let values: Vec<String> = table
            .params
            .iter()
            .zip(&table.cells[r])
            .map(|(p, c)| match c {
                Cell::Num(x) => format!("{}={}", p.name, crate::report::params::fmt_num(*x)),
                Cell::Cat(v) => format!("{}={v}", p.name),
            })
            .collect();
        let _ = write!(
            s,
            "<polyline class=\"pc\" points=\"{}\" stroke=\"{}\" data-p=\"{}\"><title>{} — {}\n{}</title></polyline>",
            points.join(" "),
            svg::viridis(metric_pos(table.metric[r])),
            data.join(","),
            esc(&table.names[r]),
            pct(table.metric[r]),
            esc(&values.join(", "))
        );
    }
    s.push_str("</g>");
    for i in 0..n_axes {
        let x = ax(i);
        let (title, ticks) = match table.params.get(i) {
            Some(p) => (p.name.clone(), p.ticks()),
            None => {
                let ticks = svg::nice_ticks(lo, hi, 5).into_iter().map(|v| (metric_pos(v), pct(v))).collect();
                (metric_title.to_string(), ticks)
            }
        };
        let _ = write!(
            s,
            "<line class=\"pc-axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y1:.1}\" y2=\"{y0:.1}\"/><text class=\"axis-name\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y1 - 22.0,
            esc(&title)
        );
        let anchor = if i + 1 == n_axes { ("start", 6.0) } else { ("end", -6.0) };
        for (pos, label) in ticks {
            let _ = write!(
                s,
                "<text class=\"pc-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{}</text>",
                x + anchor.1,
                py(pos) + 4.0,
                anchor.0,
                esc(&label)
            );
        }
        let _ = write!(
            s,
            "<rect class=\"sel\" data-axis=\"{i}\" x=\"{:.1}\" y=\"{y1:.1}\" width=\"16\" height=\"0\"/><rect class=\"brush\" data-axis=\"{i}\" data-top=\"{y1:.1}\" data-bottom=\"{y0:.1}\" x=\"{:.1}\" y=\"{:.1}\" width=\"28\" height=\"{:.1}\"><title>drag to filter on {}</title></rect>",
            x - 8.0,
            x - 14.0,
            y1 - 4.0,
            y0 - y1 + 8.0,
            esc(&title)
        );
    }
    s.push_str("</svg>");
    s
}
