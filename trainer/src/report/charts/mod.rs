//! The report's charts, each a function from numbers to one inline `<svg>`.

pub mod bars;
pub mod gallery;
pub mod heatmap;
pub mod lines;
pub mod parallel;
pub mod scatter;
pub mod strip;
pub mod ticks;
