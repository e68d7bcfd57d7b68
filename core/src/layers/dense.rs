//! The dense (fully connected) layer: `Y = X·W + b` over a batch.
//! `X` is `batch × fan_in`, `W` is `fan_in × fan_out`, `Y` is `batch × fan_out`.

use crate::kernels::chain_gemm::{self, Start, chain_matmul};
use crate::kernels::elementwise::{column_sums, fill_rows_with_bias, scale_into};
use crate::kernels::gemm::{matmul, matmul_a_bt, matmul_at_b};

/// Up to this batch size the forward product and the weight gradient run as
/// [`chain_gemm`] kernels (no packing) where the CPU has them. Measured with
/// `bench-epoch` (4 × 128, 2 threads): batch 16 0.76 → 0.61 s and batch 64
/// 0.38 → 0.34 s per epoch; batch 128 a tie, batch 256 4 % slower. (Training
/// steps at these batches now go through `model::split_step`, which calls the
/// chain kernels itself; `Dense` serves evaluation and larger batches.)
pub const CHAIN_MAX_BATCH: usize = 64;

/// Shapes of one dense layer applied to one batch.
#[derive(Clone, Copy, Debug)]
pub struct Dense {
    pub batch: usize,
    pub fan_in: usize,
    pub fan_out: usize,
}

impl Dense {
    /// `output = input · weights + bias` (the bias is written first and the GEMM
    /// accumulates onto it).
    pub fn forward(&self, input: &[f32], weights: &[f32], bias: &[f32], output: &mut [f32]) {
        let output = &mut output[..self.batch * self.fan_out];
        fill_rows_with_bias(output, bias);
        if self.chain() {
            let input = (input, self.fan_in, 1);
            return chain_matmul(self.batch, self.fan_in, self.fan_out, input, weights, output, Start::Current);
        }
        matmul(self.batch, self.fan_in, self.fan_out, input, weights, output, 1.0);
    }

    /// From `d_output = ∂L/∂Y`: `d_weights = Xᵀ·dY + weight_decay·W`,
    /// `d_bias = Σ_rows dY`, and `d_input = dY·Wᵀ` when asked for (the first
    /// layer does not need it).
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        input: &[f32],
        weights: &[f32],
        d_output: &[f32],
        d_weights: &mut [f32],
        d_bias: &mut [f32],
        d_input: Option<&mut [f32]>,
        weight_decay: f32,
    ) {
        let d_output = &d_output[..self.batch * self.fan_out];
        if self.chain() {
            let start = if weight_decay != 0.0 { Start::Scaled(weights, weight_decay) } else { Start::Zero };
            let input = (input, 1, self.fan_in);
            chain_matmul(self.fan_in, self.batch, self.fan_out, input, d_output, d_weights, start);
        } else {
            self.weight_gradient(input, weights, d_output, d_weights, weight_decay);
        }
        column_sums(d_bias, d_output);
        if let Some(d_input) = d_input {
            matmul_a_bt(self.batch, self.fan_out, self.fan_in, d_output, weights, d_input, 0.0);
        }
    }

    fn chain(&self) -> bool {
        self.batch <= CHAIN_MAX_BATCH && chain_gemm::available()
    }

    /// `d_weights = Xᵀ·dY + weight_decay·W` through matrixmultiply.
    fn weight_gradient(
        &self,
        input: &[f32],
        weights: &[f32],
        d_output: &[f32],
        d_weights: &mut [f32],
        weight_decay: f32,
    ) {
        // L2 decay applies to weights only: its gradient `wd·W` is the GEMM's start value.
        let beta = if weight_decay != 0.0 {
            scale_into(d_weights, weights, weight_decay);
            1.0
        } else {
            0.0
        };
        matmul_at_b(self.fan_in, self.batch, self.fan_out, input, d_output, d_weights, beta);
    }
}
