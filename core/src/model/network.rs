//! The owning model: parameters, gradients and every scratch buffer, sized
//! once for a maximum batch, so a training step allocates nothing.

use super::dropout::Dropout;
use super::order::SMALL_BATCH;
use crate::activation::ActivationSpec;
use crate::aligned::AlignedBuffer;
use crate::init::Init;
use crate::kernels::Kernels;
use crate::layout::Layout;
use crate::rng::{Rng, rng_for};
use alloc::vec::Vec;
use core::ops::Range;

/// Seed stream of the initial weights (other streams: shuffling, splits).
pub const INIT_STREAM: u64 = 1;

#[derive(Clone, Debug)]
pub struct Model {
    /// `[input, hidden…, outputs]`.
    pub sizes: Vec<usize>,
    /// The activation of every hidden layer (the output layer is softmax).
    pub activation: &'static ActivationSpec,
    /// All weights and biases, laid out by [`Layout`].
    pub params: AlignedBuffer,
    /// `∂loss/∂params`, same layout.
    pub grads: AlignedBuffer,
    /// The kernels the model's steps run with (detected by the constructors;
    /// set it to pin a level).
    pub kernels: Kernels,
    pub(super) max_batch: usize,
    /// Layer `l`'s outputs (`max_batch × sizes[l+1]`) for every layer, end to end;
    /// the last block holds the softmax probabilities after a forward pass.
    pub(super) outputs: AlignedBuffer,
    /// `∂loss/∂(pre-activation)` of every layer, same shape as `outputs`.
    pub(super) deltas: AlignedBuffer,
    /// Each layer's forward product in its two depth blocks (see `order`),
    /// each block's region laid out like `outputs` for up to [`SMALL_BATCH`] rows.
    pub(super) partials: AlignedBuffer,
    pub(super) dropout: Option<Dropout>,
}

/// What one training step measured on its batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    /// Summed (not averaged) loss over the batch, without the weight-decay term.
    pub loss_sum: f32,
    pub correct: usize,
}

impl core::ops::Add for StepStats {
    type Output = StepStats;
    fn add(self, other: StepStats) -> StepStats {
        StepStats { loss_sum: self.loss_sum + other.loss_sum, correct: self.correct + other.correct }
    }
}

/// Where layer `layer`'s `batch` rows sit in a buffer laid out like the
/// outputs for `rows` rows per layer.
pub(super) fn block(sizes: &[usize], rows: usize, layer: usize, batch: usize) -> Range<usize> {
    let start: usize = sizes[1..=layer].iter().sum::<usize>() * rows;
    start..start + batch * sizes[layer + 1]
}

impl Model {
    /// A model with freshly initialised weights. `sizes` must have at least two
    /// non-zero entries (the caller validates user input).
    pub fn new(sizes: &[usize], activation: &'static ActivationSpec, init: Init, seed: u64, max_batch: usize) -> Self {
        let layout = Layout::new(sizes).expect("sizes: at least input and output, all non-zero");
        let mut params = AlignedBuffer::zeroed(layout.len());
        let mut rng = rng_for(seed, INIT_STREAM);
        for layer in 0..layout.num_layers() {
            init.fill(&mut params[layout.weights(layer)], layout.fan_in(layer), layout.fan_out(layer), &mut rng);
        }
        Self::with_params(sizes, activation, params, max_batch)
    }

    /// A model around existing parameters (a loaded file or checkpoint).
    pub fn from_params(
        sizes: &[usize],
        activation: &'static ActivationSpec,
        params: impl AsRef<[f32]>,
        max_batch: usize,
    ) -> Self {
        Self::with_params(sizes, activation, AlignedBuffer::from_slice(params.as_ref()), max_batch)
    }

    fn with_params(
        sizes: &[usize],
        activation: &'static ActivationSpec,
        params: AlignedBuffer,
        max_batch: usize,
    ) -> Self {
        let layout = Layout::new(sizes).expect("sizes: at least input and output, all non-zero");
        assert_eq!(params.len(), layout.len(), "parameter count does not match the layer sizes");
        let max_batch = max_batch.max(1);
        let per_row: usize = sizes[1..].iter().sum();
        Model {
            sizes: sizes.to_vec(),
            activation,
            grads: AlignedBuffer::zeroed(params.len()),
            params,
            kernels: Kernels::detect(),
            max_batch,
            outputs: AlignedBuffer::zeroed(per_row * max_batch),
            deltas: AlignedBuffer::zeroed(per_row * max_batch),
            partials: AlignedBuffer::zeroed(2 * per_row * max_batch.min(SMALL_BATCH)),
            dropout: None,
        }
    }

    /// Drops each hidden unit with probability `rate` in the following training
    /// steps (evaluation never drops), drawing the masks from `rng`. Callers that
    /// want resumable runs reseed it per step, e.g. from (seed, step).
    /// `rate` 0 turns dropout off.
    pub fn set_dropout(&mut self, rate: f32, rng: Rng) {
        assert!((0.0..1.0).contains(&rate), "dropout rate must be in [0, 1)");
        if rate == 0.0 {
            self.dropout = None;
            return;
        }
        match &mut self.dropout {
            Some(d) => {
                d.rate = rate;
                d.rng = rng;
            }
            None => self.dropout = Some(Dropout::new(rate, rng, self.outputs.len())),
        }
    }

    pub fn layout(&self) -> Layout<'_> {
        Layout::new(&self.sizes).expect("validated at construction")
    }

    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    pub fn num_classes(&self) -> usize {
        *self.sizes.last().expect("validated at construction")
    }

    /// The masks of every hidden layer for a batch of `batch` rows, drawn in
    /// layer order before the step, so a plan's parts can read them in any order.
    pub(super) fn draw_dropout_masks(&mut self, batch: usize) {
        let Some(d) = self.dropout.as_mut() else { return };
        for layer in 0..self.sizes.len() - 2 {
            d.draw_masks(block(&self.sizes, self.max_batch, layer, batch));
        }
    }
}
