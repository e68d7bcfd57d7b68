//! Which configuration runs next, for each `method`.

use super::config::{Method, SweepConfig};
use super::space::{Config, Rng};
use super::tpe::{Observation, Tpe, same_config};
use rand_core::SeedableRng;

/// What the search knows when it picks run `index`.
pub struct History<'a> {
    /// Every configuration already started (finished, failed, running, queued).
    pub started: &'a [Config],
    /// Finished and stopped runs with their loss (metric in loss form; `+inf` when failed).
    pub done: &'a [Observation],
    /// Runs still going.
    pub pending: &'a [Config],
}

/// The configuration of run `index`, or `None` when the search is exhausted (grid).
pub fn next(cfg: &SweepConfig, history: &History, index: usize, seed: u64) -> Option<Config> {
    // One generator per run index: a resumed sweep draws what the first attempt would have.
    let mut rng = Rng::seed_from_u64(seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    match cfg.method {
        Method::Grid => {
            let grid = cfg.space.grid().ok()?;
            let size = cfg.space.grid_size()?;
            (0..size)
                .map(|i| cfg.space.grid_point(&grid, i))
                .find(|c| !history.started.iter().any(|s| same_config(s, c)))
        }
        Method::Random => Some(cfg.space.sample(&mut rng)),
        Method::Bayes => Some(Tpe::default().suggest(&cfg.space, history.done, history.pending, &mut rng)),
    }
}

/// How many runs the sweep makes at most: `--count`, `run_cap`, and for a grid its size.
pub fn budget(cfg: &SweepConfig, count: Option<usize>) -> Option<usize> {
    let grid = match cfg.method {
        Method::Grid => cfg.space.grid_size(),
        _ => None,
    };
    [count, cfg.run_cap, grid].into_iter().flatten().min()
}
