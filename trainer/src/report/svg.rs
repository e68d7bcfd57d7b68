//! Small SVG helpers shared by the charts: escaping, colour maps, scales,
//! tick choice and axes.

use std::fmt::Write;

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Categorical colours (Okabe–Ito, readable by colour-blind readers and in print).
pub const PALETTE: &[&str] = &["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];

pub fn palette(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

fn lerp_stops(stops: &[(u8, u8, u8)], t: f64) -> String {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Viridis (perceptually uniform), sampled at nine points, for "higher is better" values.
pub fn viridis(t: f64) -> String {
    const STOPS: &[(u8, u8, u8)] = &[
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    lerp_stops(STOPS, t)
}

/// White to dark blue, for the share of a class predicted correctly.
pub fn blues(t: f64) -> String {
    lerp_stops(&[(247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)], t)
}

/// White to dark red, for the share of a class lost to another.
pub fn reds(t: f64) -> String {
    lerp_stops(&[(255, 245, 240), (252, 187, 161), (251, 106, 74), (203, 24, 29), (103, 0, 13)], t)
}

/// Text colour that stays readable on a fill of the given darkness (0 light .. 1 dark).
pub fn ink_on(t: f64) -> &'static str {
    if t > 0.55 { "#fff" } else { "#111" }
}

/// A linear map from data `[d0, d1]` to pixels `[r0, r1]`.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let (d0, d1) = if (d1 - d0).abs() < 1e-12 { (d0 - 0.5, d1 + 0.5) } else { (d0, d1) };
        Scale { d0, d1, r0, r1 }
    }

    pub fn map(&self, x: f64) -> f64 {
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// About `count` round tick values covering `[lo, hi]`.
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    let mut ticks = Vec::new();
    let mut k = 0.0;
    while first + k * step <= hi + step * 1e-9 {
        ticks.push(first + k * step);
        k += 1.0;
    }
    ticks
}

/// An `<svg>` opening tag that scales to its container width.
pub fn open(width: f64, height: f64, label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        esc(label)
    )
}

/// The plot area of a chart with its margins.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    pub fn x0(&self) -> f64 {
        self.left
    }
    pub fn x1(&self) -> f64 {
        self.width - self.right
    }
    pub fn y0(&self) -> f64 {
        self.height - self.bottom
    }
    pub fn y1(&self) -> f64 {
        self.top
    }

    /// Grid lines, tick labels and axis titles for the given scales.
    pub fn axes(
        &self,
        x: &Scale,
        y: &Scale,
        x_ticks: &[(f64, String)],
        y_ticks: &[(f64, String)],
        x_title: &str,
        y_title: &str,
    ) -> String {
        let mut s = String::new();
        for (v, label) in y_ticks {
            let py = y.map(*v);
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{py:.1}\" y2=\"{py:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                self.x0(),
                self.x1(),
                self.x0() - 6.0,
                py + 4.0,
                esc(label)
            );
        }
        for (v, label) in x_ticks {
            let px = x.map(*v);
            let _ = write!(
                s,
                "<line class=\"tickmark\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                self.y0(),
                self.y0() + 4.0,
                self.y0() + 17.0,
                esc(label)
            );
        }
        let _ = write!(
            s,
            "<line class=\"axis\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><line class=\"axis\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            self.x0(),
            self.x1(),
            self.y0(),
            self.y0(),
            self.x0(),
            self.x0(),
            self.y0(),
            self.y1()
        );
        let _ = write!(
            s,
            "<text class=\"title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            (self.x0() + self.x1()) / 2.0,
            self.y0() + 33.0,
            esc(x_title)
        );
        let (cx, cy) = (14.0, (self.y0() + self.y1()) / 2.0);
        let _ = write!(
            s,
            "<text class=\"title\" x=\"{cx}\" y=\"{cy:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 {cx} {cy:.1})\">{}</text>",
            esc(y_title)
        );
        s
    }
}

/// Percent tick labels for fractions.
pub fn pct_ticks(values: &[f64]) -> Vec<(f64, String)> {
    values.iter().map(|v| (*v, format!("{}%", super::params::fmt_num(v * 100.0)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let t: Vec<i64> = nice_ticks(0.0, 1.0, 5).iter().map(|v| (v * 10.0).round() as i64).collect();
        assert_eq!(t, vec![0, 2, 4, 6, 8, 10]);
        let t = nice_ticks(0.62, 0.91, 5);
        assert!(t.first().unwrap() >= &0.62 && t.last().unwrap() <= &0.91 && t.len() >= 3);
        assert_eq!(esc("<a & 'b'>"), "&lt;a &amp; &#39;b&#39;&gt;");
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
    }
}
