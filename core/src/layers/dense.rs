//! The dense (fully connected) layer: `Y = X·W + b` over a batch.
//! `X` is `batch × fan_in`, `W` is `fan_in × fan_out`, `Y` is `batch × fan_out`.

use crate::kernels::elementwise::{column_sums, fill_rows_with_bias, scale_into};
use crate::kernels::gemm::{matmul, matmul_a_bt, matmul_at_b};

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
        // L2 decay applies to weights only: its gradient `wd·W` is the GEMM's start value.
        let beta = if weight_decay != 0.0 {
            scale_into(d_weights, weights, weight_decay);
            1.0
        } else {
            0.0
        };
        matmul_at_b(self.fan_in, self.batch, self.fan_out, input, d_output, d_weights, beta);
        column_sums(d_bias, d_output);
        if let Some(d_input) = d_input {
            matmul_a_bt(self.batch, self.fan_out, self.fan_in, d_output, weights, d_input, 0.0);
        }
    }
}
