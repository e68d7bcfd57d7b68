//! The confusion matrix as a row-normalised heat map: hits in blue by the
//! share of the class recognised, errors in red scaled to the worst
//! confusion (so the few cells that matter stand out), counts in every cell,
//! recall at the end of each row and precision under each column.

use crate::report::svg::{self, esc};
use crate::run::metrics::Confusion;
use std::fmt::Write;

const CELL: f64 = 50.0;
const LEFT: f64 = 120.0;
const TOP: f64 = 96.0;

pub fn heatmap(c: &Confusion) -> String {
    let n = c.classes.len();
    let width = LEFT + CELL * n as f64 + 90.0;
    let height = TOP + CELL * n as f64 + 56.0;
    let rows: Vec<u64> = c.matrix.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..n).map(|j| c.matrix.iter().map(|r| r[j]).sum()).collect();
    let share = |i: usize, j: usize| if rows[i] > 0 { c.matrix[i][j] as f64 / rows[i] as f64 } else { 0.0 };
    let worst_error = (0..n)
        .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| share(i, j))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let mut s = svg::open(width, height, "confusion matrix");
    for (j, name) in c.classes.iter().enumerate() {
        let x = LEFT + CELL * (j as f64 + 0.5);
        let _ = write!(
            s,
            "<text class=\"cm-label\" x=\"{x:.1}\" y=\"{:.1}\" transform=\"rotate(-40 {x:.1} {:.1})\">{}</text>",
            TOP - 8.0,
            TOP - 8.0,
            esc(name)
        );
    }
    let _ = write!(
        s,
        "<text class=\"title\" x=\"{:.1}\" y=\"14\" text-anchor=\"middle\">predicted class</text>",
        LEFT + CELL * n as f64 / 2.0
    );
    let _ = write!(
        s,
        "<text class=\"title\" x=\"14\" y=\"{0:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {0:.1})\">true class</text>",
        TOP + CELL * n as f64 / 2.0
    );
    for i in 0..n {
        let y = TOP + CELL * i as f64;
        let _ = write!(
            s,
            "<text class=\"cm-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 8.0,
            y + CELL / 2.0 + 4.0,
            esc(&c.classes[i])
        );
        for j in 0..n {
            let x = LEFT + CELL * j as f64;
            let f = share(i, j);
            let (fill, dark) = if i == j { (svg::blues(f), f) } else { (svg::reds(f / worst_error), f / worst_error) };
            let count = c.matrix[i][j];
            let title = format!(
                "true {} → predicted {}: {count} ({:.1}% of {})",
                c.classes[i],
                c.classes[j],
                f * 100.0,
                c.classes[i]
            );
            let _ = write!(
                s,
                "<rect class=\"cm-cell\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"{fill}\"><title>{}</title></rect>",
                esc(&title)
            );
            if count > 0 {
                let ink = svg::ink_on(dark);
                let _ = write!(
                    s,
                    "<text class=\"cm-count\" x=\"{:.1}\" y=\"{:.1}\" fill=\"{ink}\" text-anchor=\"middle\">{count}</text>",
                    x + CELL / 2.0,
                    y + CELL / 2.0 + (if f >= 0.005 { 0.0 } else { 4.0 })
                );
                if f >= 0.005 {
                    let _ = write!(
                        s,
                        "<text class=\"cm-share\" x=\"{:.1}\" y=\"{:.1}\" fill=\"{ink}\" text-anchor=\"middle\">{:.0}%</text>",
                        x + CELL / 2.0,
                        y + CELL / 2.0 + 14.0,
                        f * 100.0
                    );
                }
            }
        }
        let recall = share(i, i);
        let _ = write!(
            s,
            "<text class=\"cm-margin\" x=\"{:.1}\" y=\"{:.1}\">{:.1}%</text>",
            LEFT + CELL * n as f64 + 8.0,
            y + CELL / 2.0 + 4.0,
            recall * 100.0
        );
    }
    let _ = write!(
        s,
        "<text class=\"cm-margin-title\" x=\"{:.1}\" y=\"{:.1}\">recall</text>",
        LEFT + CELL * n as f64 + 8.0,
        TOP - 8.0
    );
    let y = TOP + CELL * n as f64 + 20.0;
    for (j, &predicted) in cols.iter().enumerate() {
        let precision = if predicted > 0 { c.matrix[j][j] as f64 / predicted as f64 } else { 0.0 };
        let _ = write!(
            s,
            "<text class=\"cm-margin\" x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"middle\">{:.1}%</text>",
            LEFT + CELL * (j as f64 + 0.5),
            precision * 100.0
        );
    }
    let _ = write!(
        s,
        "<text class=\"cm-margin-title\" x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\">precision</text>",
        LEFT - 8.0
    );
    s.push_str("</svg>");
    s
}
