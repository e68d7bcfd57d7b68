//! A progress bar with samples/s on a terminal; nothing extra otherwise (the
//! per-epoch lines are printed either way).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    enabled: bool,
}

impl Progress {
    pub fn new() -> Self {
        Progress { enabled: std::io::stderr().is_terminal() }
    }

    pub fn epoch_bar(&self, epoch: usize, epochs: usize, steps: usize) -> Option<ProgressBar> {
        if !self.enabled {
            return None;
        }
        let bar = ProgressBar::new(steps as u64);
        let style = ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} steps {msg} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("{epoch}/{epochs}"));
        Some(bar)
    }

    pub fn advance(&self, bar: &Option<ProgressBar>, step: usize, samples: usize, seconds: f64) {
        if let Some(bar) = bar {
            bar.set_position(step as u64);
            bar.set_message(format!("{:.0} samples/s", samples as f64 / seconds.max(1e-9)));
        }
    }

    pub fn finish(&self, bar: Option<ProgressBar>) {
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}
