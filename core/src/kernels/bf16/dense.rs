//! The three products of a dense layer's training step in bf16, with the six
//! packed operands they read kept together, so that a step can say what it
//! does in the layer's words: pack the weights after each update, pack the
//! layer's input in the forward pass and its delta in the backward pass, and
//! compute blocks of `Y`, `dW` and `dX` (whole, or a block of rows per thread).
//!
//! Shapes: `X` is `batch × fan_in`, `W` is `fan_in × fan_out`, `Y` and `dY`
//! are `batch × fan_out`, all row-major f32; `dW` is `fan_in × fan_out` and
//! `dX` is `batch × fan_in`.

use super::{Block, Kernels, PackedA, PackedB, Start};
use core::ops::Range;

/// The packed operands of one layer (the caller keeps one per layer; the
/// buffers are reused from step to step).
#[derive(Clone, Debug, Default)]
pub struct DenseProducts {
    /// `W`, the right operand of `X·W`.
    weights: PackedB,
    /// `Wᵀ`, the right operand of `dY·Wᵀ`.
    weights_t: PackedB,
    /// `X`, the left operand of `X·W`.
    input: PackedA,
    /// `Xᵀ`, the left operand of `Xᵀ·dY`.
    input_t: PackedA,
    /// `dY`, the left operand of `dY·Wᵀ`.
    delta_a: PackedA,
    /// `dY`, the right operand of `Xᵀ·dY`.
    delta_b: PackedB,
}

impl DenseProducts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rounds `W` in both layouts: once per step, after the optimizer's update
    /// (and before the first step).
    pub fn pack_weights(&mut self, kernels: Kernels, w: &[f32], fan_in: usize, fan_out: usize) {
        self.weights.pack(kernels, fan_in, fan_out, (w, fan_out, 1));
        self.weights_t.pack(kernels, fan_out, fan_in, (w, 1, fan_out));
    }

    /// Rounds the layer's input `X` for the forward product and the weight gradient.
    pub fn pack_input(&mut self, kernels: Kernels, x: &[f32], batch: usize, fan_in: usize) {
        self.input.pack(kernels, batch, fan_in, (x, fan_in, 1));
        self.input_t.pack(kernels, fan_in, batch, (x, 1, fan_in));
    }

    /// Rounds the layer's output delta `dY` for the weight and input gradients.
    pub fn pack_delta(&mut self, kernels: Kernels, dy: &[f32], batch: usize, fan_out: usize) {
        self.delta_b.pack(kernels, batch, fan_out, (dy, fan_out, 1));
        self.delta_a.pack(kernels, batch, fan_out, (dy, fan_out, 1));
    }

    /// Rows `rows` of `Y += X·W` (`Y` holding the bias rows); `y` starts at row `rows.start`.
    pub fn forward(&self, kernels: Kernels, rows: Range<usize>, y: &mut [f32]) {
        let (a, b) = (&self.input, &self.weights);
        kernels.gemm_block(&Block { a, b, rows, cols: 0..b.n(), rsc: b.n(), start: Start::Current }, y);
    }

    /// Rows `rows` (inputs of the layer) of `dW = start + Xᵀ·dY`; `dw` starts at row `rows.start`.
    pub fn weight_gradient(&self, kernels: Kernels, rows: Range<usize>, dw: &mut [f32], start: Start) {
        let (a, b) = (&self.input_t, &self.delta_b);
        kernels.gemm_block(&Block { a, b, rows, cols: 0..b.n(), rsc: b.n(), start }, dw);
    }

    /// Rows `rows` (batch rows) of `dX = dY·Wᵀ`; `dx` starts at row `rows.start`.
    pub fn input_gradient(&self, kernels: Kernels, rows: Range<usize>, dx: &mut [f32]) {
        let (a, b) = (&self.delta_a, &self.weights_t);
        kernels.gemm_block(&Block { a, b, rows, cols: 0..b.n(), rsc: b.n(), start: Start::Zero }, dx);
    }
}
