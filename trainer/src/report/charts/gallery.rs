//! A grid of small images with captions, drawn pixel-exact (no smoothing).

use crate::report::svg::{self, esc};
use std::fmt::Write;

pub struct Tile {
    /// A PNG data URI.
    pub href: String,
    pub caption: String,
    pub title: String,
}

pub fn gallery(tiles: &[Tile], columns: usize, size: f64, label: &str) -> String {
    let columns = columns.max(1);
    let (cell_w, cell_h) = (size + 16.0, size + 26.0);
    let rows = tiles.len().div_ceil(columns);
    let mut s = svg::open(cell_w * columns.min(tiles.len().max(1)) as f64, cell_h * rows.max(1) as f64, label);
    for (k, tile) in tiles.iter().enumerate() {
        let (x, y) = (cell_w * (k % columns) as f64 + 8.0, cell_h * (k / columns) as f64 + 4.0);
        let _ = write!(
            s,
            "<image class=\"px\" href=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{size}\" height=\"{size}\"><title>{}</title></image><text class=\"caption\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            tile.href,
            esc(&tile.title),
            x + size / 2.0,
            y + size + 15.0,
            esc(&tile.caption)
        );
    }
    s.push_str("</svg>");
    s
}
