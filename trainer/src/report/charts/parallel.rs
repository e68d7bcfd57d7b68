//! Parallel coordinates: one vertical axis per varied hyper-parameter and a
//! last one for the metric; each run is a line coloured by its metric. Each
//! line carries its axis positions (`data-p`) so the page's brushing script
//! can filter runs without knowing anything else.
//!
//! The chart fits a laptop screen whatever the number of axes: at most
//! [`MAX_WIDTH`] wide (the page lets it reach past the text column), axes
//! closer together as they multiply, axis names in two staggered rows when
//! they would touch, tick labels that would reach the next axis abbreviated
//! (with a legend), and round tick values (1-2-5 steps on log axes).

use super::ticks::{fit, round_ticks, text_width};
use crate::report::observations::pct;
use crate::report::params::{Axis, Cell, Param, Table, fmt_num};
use crate::report::svg::{self, esc};
use std::fmt::Write;

/// 1366 px (a common laptop width) less the page's margins and a scroll bar.
pub const MAX_WIDTH: f64 = 1300.0;
const MIN_WIDTH: f64 = 600.0;
const PREFERRED_GAP: f64 = 150.0;
/// Room for the first axis's tick labels (left of it) and the metric's (right of it).
const LEFT: f64 = 66.0;
const RIGHT: f64 = 60.0;
const HEIGHT: f64 = 460.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 40.0;
const TICK_PX: f64 = 11.0;
const NAME_PX: f64 = 12.0;
/// Space kept free between a tick label and the axis (left of it) and the previous axis.
const TICK_PAD: f64 = 6.0;

/// A spread of ±3 px on discrete axes so that runs sharing a level stay countable.
fn jitter(run: usize, axis: usize) -> f64 {
    let h = (run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (axis as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    ((h >> 40) % 1000) as f64 / 1000.0 * 6.0 - 3.0
}

/// `(position, label)` of an axis's ticks.
fn ticks(p: &Param) -> Vec<(f64, String)> {
    match &p.axis {
        Axis::Numeric { distinct, log } if !p.is_discrete() => {
            let (lo, hi) = (distinct[0], distinct[distinct.len() - 1]);
            round_ticks(lo, hi, *log).into_iter().map(|v| (p.position(&Cell::Num(v)), fmt_num(v))).collect()
        }
        _ => p.ticks(),
    }
}

pub fn parallel(table: &Table, metric_title: &str) -> String {
    let n_axes = table.params.len() + 1;
    let spans = (n_axes - 1).max(1) as f64;
    let width = (LEFT + RIGHT + PREFERRED_GAP * spans).clamp(MIN_WIDTH, MAX_WIDTH);
    let gap = (width - LEFT - RIGHT) / spans;
    let ax = |i: usize| LEFT + gap * i as f64;
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
                Cell::Num(x) => format!("{}={}", p.name, fmt_num(*x)),
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

    let titles: Vec<String> =
        (0..n_axes).map(|i| table.params.get(i).map_or(metric_title.to_string(), |p| p.name.clone())).collect();
    // Two rows of names when neighbours would touch.
    let widest = titles.iter().map(|t| text_width(t, NAME_PX, true)).fold(0.0, f64::max);
    let staggered = widest + 8.0 > gap;
    let tick_room = gap - 2.0 * TICK_PAD;
    let mut abbreviated: Vec<(String, String)> = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let x = ax(i);
        let last = i + 1 == n_axes;
        let ticks = match table.params.get(i) {
            Some(p) => ticks(p),
            None => svg::nice_ticks(lo, hi, 5).into_iter().map(|v| (metric_pos(v), pct(v))).collect(),
        };
        let name_y = if staggered && (n_axes - 1 - i) % 2 == 1 { y1 - 30.0 } else { y1 - 14.0 };
        let half = text_width(title, NAME_PX, true) / 2.0;
        let name_x = x.clamp(half + 2.0, width - half - 2.0);
        let _ = write!(
            s,
            "<line class=\"pc-axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y1:.1}\" y2=\"{y0:.1}\"/><text class=\"axis-name\" x=\"{name_x:.1}\" y=\"{name_y:.1}\" text-anchor=\"middle\">{}</text>",
            esc(title)
        );
        // Tick labels left of an axis (right of the metric's), short enough
        // to stay clear of the neighbouring axis.
        let (anchor, dx) = if last { ("start", TICK_PAD) } else { ("end", -TICK_PAD) };
        let room = if last {
            RIGHT - TICK_PAD - 2.0
        } else if i == 0 {
            LEFT - TICK_PAD - 2.0
        } else {
            tick_room
        };
        for (pos, label) in ticks {
            let shown = fit(&label, TICK_PX, room);
            if shown != label && !abbreviated.iter().any(|(a, _)| *a == shown) {
                abbreviated.push((shown.clone(), label.clone()));
            }
            let _ = write!(
                s,
                "<text class=\"pc-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}{}</text>",
                x + dx,
                py(pos) + 4.0,
                esc(&shown),
                if shown == label { String::new() } else { format!("<title>{}</title>", esc(&label)) }
            );
        }
        let _ = write!(
            s,
            "<rect class=\"sel\" data-axis=\"{i}\" x=\"{:.1}\" y=\"{y1:.1}\" width=\"16\" height=\"0\"/><rect class=\"brush\" data-axis=\"{i}\" data-top=\"{y1:.1}\" data-bottom=\"{y0:.1}\" x=\"{:.1}\" y=\"{:.1}\" width=\"28\" height=\"{:.1}\"><title>drag to filter on {}</title></rect>",
            x - 8.0,
            x - 14.0,
            y1 - 4.0,
            y0 - y1 + 8.0,
            esc(title)
        );
    }
    if !abbreviated.is_empty() {
        let legend: Vec<String> = abbreviated.iter().map(|(short, long)| format!("{short} = {long}")).collect();
        let _ = write!(
            s,
            "<text class=\"legend\" x=\"{LEFT:.1}\" y=\"{:.1}\">{}</text>",
            HEIGHT - 8.0,
            esc(&legend.join(" · "))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    /// Sixteen axes, as the committed sweeps give: within the width limit,
    /// every level label narrower than the space to the previous axis.
    #[test]
    fn sixteen_axes_fit_the_width_limit() {
        let mut configs = Vec::new();
        for k in 0..12usize {
            let f = k as f64;
            let pick = |levels: &[&str]| levels[k % levels.len()].to_string();
            let num = |levels: &[f64]| levels[k % levels.len()];
            configs.push(json!({
                "epochs": 5 + 2 * k,
                "batch_size": num(&[16.0, 32.0, 64.0, 128.0, 256.0]),
                "loss": pick(&["cross_entropy", "mean_squared_error"]),
                "optimizer": pick(&["sgd", "momentum", "nag", "rmsprop", "adam", "nadam"]),
                "learning_rate": 1e-4 * 1.35f64.powf(f),
                "weight_decay": 0.05 * f,
                "weight_init": pick(&["random", "Xavier"]),
                "num_layers": 1 + k % 5,
                "hidden_size": num(&[32.0, 64.0, 128.0, 256.0, 512.0, 768.0, 1024.0]),
                "activation": pick(&["sigmoid", "tanh", "ReLU"]),
                "lr_schedule": pick(&["constant", "cosine"]),
                "warmup": 0.01 * f,
                "label_smoothing": 0.01 * f,
                "dropout": num(&[0.0, 0.1, 0.2, 0.3]),
                "seed": 1 + k % 3,
            }));
        }
        let maps: Vec<&Map<String, Value>> = configs.iter().map(|c| c.as_object().unwrap()).collect();
        let metric: Vec<f64> = (0..12).map(|k| 0.1 + 0.07 * f64::from(k)).collect();
        let table = Table::new(&maps, metric, (0..12).map(|k| format!("r{k}")).collect());
        assert_eq!(table.params.len(), 15);
        let svg = parallel(&table, "val_accuracy");
        let width: f64 = svg.split("viewBox=\"0 0 ").nth(1).and_then(|t| t.split(' ').next()).unwrap().parse().unwrap();
        assert!(width <= MAX_WIDTH, "{width}");
        let axes: Vec<f64> = svg
            .split("class=\"pc-axis\" x1=\"")
            .skip(1)
            .map(|t| t.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(axes.len(), 16);
        assert!(axes[15] + RIGHT <= width + 0.5, "the metric axis and its labels are inside the chart");
        let gap = axes[1] - axes[0];
        for label in svg.split("class=\"pc-tick\"").skip(1) {
            let text = label.split('>').nth(1).unwrap().split('<').next().unwrap();
            assert!(text_width(text, TICK_PX, false) <= gap - 2.0 * TICK_PAD, "{text:?} is wider than the gap {gap}");
        }
        assert!(svg.contains(">MSE<") && svg.contains("MSE = mean_squared_error"));
    }
}
