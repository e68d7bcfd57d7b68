//! Weight initialisers. Biases always start at 0.

use crate::rng::{Rng, normal, uniform};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// `w ~ N(0, 0.01²)`: the classic "small random numbers" (`randn * 0.01`).
    /// Deep stacks shrink their signal with it, which is what the course
    /// project's sweep showed.
    Random,
    /// Glorot/Xavier uniform: `w ~ U(-a, a)` with `a = sqrt(6 / (fan_in + fan_out))`.
    Xavier,
}

/// Every initialiser, in the CLI's order (`-w_i`).
pub const REGISTRY: &[&Init] = &[&Init::Random, &Init::Xavier];

impl Init {
    pub const ALL: [Init; 2] = [Init::Random, Init::Xavier];

    pub fn name(self) -> &'static str {
        match self {
            Init::Random => "random",
            Init::Xavier => "Xavier",
        }
    }

    /// Case-insensitive; `glorot` is accepted for `Xavier`.
    pub fn by_name(name: &str) -> Option<Init> {
        crate::registry::find(REGISTRY, name).copied()
    }

    /// Fills a `fan_in × fan_out` weight block.
    pub fn fill(self, weights: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut Rng) {
        match self {
            Init::Random => weights.iter_mut().for_each(|w| *w = 0.01 * normal(rng)),
            Init::Xavier => {
                let limit = crate::math::sqrt(6.0 / (fan_in + fan_out) as f32);
                weights.iter_mut().for_each(|w| *w = limit * (2.0 * uniform(rng) - 1.0));
            }
        }
    }
}

impl crate::registry::Choice for Init {
    fn name(&self) -> &'static str {
        Init::name(*self)
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self {
            Init::Random => &[],
            Init::Xavier => &["glorot"],
        }
    }
    fn help(&self) -> &'static str {
        match self {
            Init::Random => "weights ~ N(0, 0.01²), the classic small random numbers; biases 0",
            Init::Xavier => "Glorot/Xavier uniform: weights ~ U(±√(6 / (fan_in + fan_out))); biases 0",
        }
    }
}
