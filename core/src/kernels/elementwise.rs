//! Element-wise kernels shared by the layers and the losses.

use crate::simd_kernel;

simd_kernel! {
    /// Every row of `out` (`rows × bias.len()`) becomes a copy of `bias`: the
    /// GEMM then accumulates onto it (beta = 1), which fuses the bias add.
    pub fn fill_rows_with_bias(out: &mut [f32], bias: &[f32]) {
        for row in out.chunks_exact_mut(bias.len()) {
            row.copy_from_slice(bias);
        }
    }
}

simd_kernel! {
    /// `out[i] = factor * src[i]`: presets a weight gradient to `wd * w` before
    /// the GEMM adds `Xᵀ·dZ` onto it.
    pub fn scale_into(out: &mut [f32], src: &[f32], factor: f32) {
        for (o, s) in out.iter_mut().zip(src) {
            *o = factor * *s;
        }
    }
}

simd_kernel! {
    /// `sums[j] = Σ_i rows[i][j]`: bias gradients from the rows of `dZ`.
    /// Summed row after row, so every build adds in the same order.
    pub fn column_sums(sums: &mut [f32], rows: &[f32]) {
        sums.fill(0.0);
        for row in rows.chunks_exact(sums.len()) {
            for (s, r) in sums.iter_mut().zip(row) {
                *s += *r;
            }
        }
    }
}

/// Row-wise softmax in place over rows of `width`, shifted by the row maximum so
/// `exp` never overflows.
pub fn softmax_rows(values: &mut [f32], width: usize) {
    for row in values.chunks_exact_mut(width) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0.0;
        for v in row.iter_mut() {
            *v = crate::math::exp(*v - max);
            total += *v;
        }
        let inv = 1.0 / total;
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}
