//! The dense (fully connected) layer: `Z = X·W + b` over a batch, and its
//! three gradients. `X` is `batch × fan_in`, `W` is `fan_in × fan_out`
//! (row-major, as it lies in the parameter buffer), `Z` is `batch × fan_out`.
//!
//! Each function works on a block of the layer: some rows of the batch,
//! some of the layer's inputs (the depth of the forward product, the rows of
//! `W`), or some of its outputs. The reference step passes whole blocks, a
//! plan of the step each part's share; the kernels are chosen by the whole
//! layer's shape ([`Dense`]), so a block gets the bits the whole would.

use crate::kernels::Kernels;
use crate::kernels::elementwise::{column_sums, fill_rows_with_bias};
use crate::kernels::gemm::{Gemm, LayerShape, Role, Start, select};
use crate::matrix::{MatMut, MatRef};

/// Shapes of one dense layer applied to one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dense {
    pub batch: usize,
    pub fan_in: usize,
    pub fan_out: usize,
}

impl Dense {
    fn gemm(&self, kernels: Kernels, role: Role) -> Gemm {
        let Dense { batch, fan_in, fan_out } = *self;
        select(kernels, LayerShape { batch, fan_in, fan_out }, role)
    }

    /// `out = bias + X·W` (or `X·W` without a bias) for a block: `x` is some
    /// rows of the batch and some of the layer's inputs, `w` those inputs'
    /// rows of the weights, `out` the rows' outputs. The bias is written
    /// first and the product accumulates onto it.
    pub fn forward_block(&self, kernels: Kernels, x: MatRef, w: MatRef, bias: Option<&[f32]>, out: MatMut) {
        let mut out = out;
        let start = match bias {
            Some(bias) => {
                fill_rows_with_bias(kernels, out.rb(), bias);
                Start::Current
            }
            None => Start::Zero,
        };
        self.gemm(kernels, Role::Forward).product(kernels, x, w, out, start);
    }

    /// `dW = decay·W + Xᵀ·dY` for some of the layer's inputs: `x` is their
    /// columns of the batch, `w` and `d_weights` their rows. L2 decay applies
    /// to weights only; its gradient is the product's start value.
    pub fn weight_gradient(
        &self,
        kernels: Kernels,
        x: MatRef,
        d_output: MatRef,
        w: MatRef,
        weight_decay: f32,
        d_weights: MatMut,
    ) {
        let start = if weight_decay != 0.0 { Start::Scaled(w, weight_decay) } else { Start::Zero };
        self.gemm(kernels, Role::WeightGradient).product(kernels, x.t(), d_output, d_weights, start);
    }

    /// `dX = dY·Wᵀ` for a block: `d_output` some rows of `dY`, `w` some of
    /// the layer's inputs' rows of the weights, `d_input` those rows and
    /// inputs of `dX` (overwritten).
    pub fn input_gradient(&self, kernels: Kernels, d_output: MatRef, w: MatRef, d_input: MatMut) {
        self.gemm(kernels, Role::InputGradient).product(kernels, d_output, w.t(), d_input, Start::Zero);
    }

    /// `db = Σ_rows dY` for some of the layer's outputs (`d_output` their
    /// columns of every row of `dY`), added row after row.
    pub fn bias_gradient(&self, kernels: Kernels, d_output: MatRef, d_bias: &mut [f32]) {
        column_sums(kernels, d_bias, d_output);
    }

    /// `output = input · weights + bias` over whole row-major buffers, with
    /// the kernels this CPU runs best (for callers outside a training step).
    pub fn forward(&self, input: &[f32], weights: &[f32], bias: &[f32], output: &mut [f32]) {
        let Dense { batch, fan_in, fan_out } = *self;
        let x = MatRef::new(input, batch, fan_in, fan_in);
        let w = MatRef::new(weights, fan_in, fan_out, fan_out);
        let out = MatMut::new(output, batch, fan_out, fan_out);
        self.forward_block(Kernels::detect(), x, w, Some(&bias[..fan_out]), out);
    }
}
