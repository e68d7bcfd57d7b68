//! Inverted dropout on the hidden layers' outputs while training.

use crate::aligned::AlignedBuffer;
use crate::rng::{Rng, uniform};
use core::ops::Range;

/// Dropout of the next training step: which units it keeps comes from `rng`.
#[derive(Clone, Debug)]
pub(super) struct Dropout {
    pub(super) rate: f32,
    pub(super) rng: Rng,
    /// Per hidden output: `0` (dropped) or `1/(1-rate)` (kept), laid out like
    /// the model's outputs.
    pub(super) masks: AlignedBuffer,
    /// `outputs · masks`: what the next layer reads. The outputs keep the
    /// undropped activations because the activation's derivative needs them.
    pub(super) kept: AlignedBuffer,
}

impl Dropout {
    pub(super) fn new(rate: f32, rng: Rng, len: usize) -> Self {
        Dropout { rate, rng, masks: AlignedBuffer::zeroed(len), kept: AlignedBuffer::zeroed(len) }
    }

    /// Draws the masks of `range` (of `masks`), in order from `rng`.
    pub(super) fn draw_masks(&mut self, range: Range<usize>) {
        let scale = 1.0 / (1.0 - self.rate);
        for mask in &mut self.masks[range] {
            *mask = if uniform(&mut self.rng) < self.rate { 0.0 } else { scale };
        }
    }
}
