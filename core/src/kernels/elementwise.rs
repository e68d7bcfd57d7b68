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

simd_kernel! {
    /// `out[i] = a[i] * b[i]`.
    pub fn multiply_into(out: &mut [f32], a: &[f32], b: &[f32]) {
        for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
            *o = *x * *y;
        }
    }
}

simd_kernel! {
    /// `values[i] += addends[i]`.
    pub fn add_in_place(values: &mut [f32], addends: &[f32]) {
        for (v, a) in values.iter_mut().zip(addends) {
            *v += *a;
        }
    }
}

simd_kernel! {
    /// `out[i] = a[i] + b[i]`.
    pub fn sum_into(out: &mut [f32], a: &[f32], b: &[f32]) {
        for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
            *o = *x + *y;
        }
    }
}

simd_kernel! {
    /// `values[i] *= factors[i]`.
    pub fn multiply_in_place(values: &mut [f32], factors: &[f32]) {
        for (v, f) in values.iter_mut().zip(factors) {
            *v *= *f;
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

crate::simd_kernel! {
    /// `dst[i] = src[i] / 255`: 8-bit pixels scaled to [0, 1], the same bits
    /// as `src[i] as f32 / 255.0` (checked for all 256 values) but through an
    /// `f64` multiply, which vectorises without the divider.
    pub fn scale_bytes(dst: &mut [f32], src: &[u8]) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = (s as f64 * (1.0 / 255.0)) as f32;
        }
    }
}

/// Copies `src` rows `rows[i]` (each `width` long) into row `i` of `dst`: the
/// gather that builds a shuffled batch. With `std`, large batches are copied
/// by all threads of the pool, each its own block of rows (the copy is bound
/// by memory traffic, which two cores move faster than one).
pub fn gather_rows(dst: &mut [f32], src: &[f32], rows: &[usize], width: usize) {
    assert!(dst.len() >= rows.len() * width);
    assert!(rows.iter().all(|&r| (r + 1) * width <= src.len()), "row index out of range");
    #[cfg(feature = "std")]
    {
        // Below this many values one core copies faster than two can be handed the work.
        const SPLIT_MIN_VALUES: usize = 64 * 1024;
        const SMALL_SPLIT_MIN_VALUES: usize = 4 * 1024;
        let threads = super::parallel::threads();
        if threads > 1
            && rows.len() <= crate::model::SPLIT_STEP_MAX_BATCH
            && rows.len() * width >= SMALL_SPLIT_MIN_VALUES
        {
            // A batch for the split training step: each part copies the columns
            // that part reads there, so they are in its core's cache. Copying
            // 16 random images from memory took 12 µs on one core.
            let address = dst.as_mut_ptr() as usize;
            let copy_columns = |part: usize| {
                let columns = super::split::half(width, part);
                for (i, &row) in rows.iter().enumerate() {
                    let at = i * width + columns.start;
                    // SAFETY: the two parts' column ranges are disjoint, inside
                    // `dst` (asserted above), and `run` returns only after both are copied.
                    let out = unsafe { core::slice::from_raw_parts_mut((address as *mut f32).add(at), columns.len()) };
                    out.copy_from_slice(&src[row * width + columns.start..row * width + columns.end]);
                }
            };
            super::parallel::run(2, &copy_columns);
            return;
        }
        if threads > 1 && rows.len() * width >= SPLIT_MIN_VALUES {
            let address = dst.as_mut_ptr() as usize;
            let copy_block = |part: usize| {
                let block = super::split::piece_range(rows.len(), threads, part);
                // SAFETY: row blocks are disjoint, inside `dst` (asserted above),
                // and `run` returns only after every block is copied.
                let out = unsafe {
                    core::slice::from_raw_parts_mut((address as *mut f32).add(block.start * width), block.len() * width)
                };
                copy_rows(out, src, &rows[block], width);
            };
            super::parallel::run(threads, &copy_block);
            return;
        }
    }
    copy_rows(dst, src, rows, width);
}

fn copy_rows(dst: &mut [f32], src: &[f32], rows: &[usize], width: usize) {
    for (out, &row) in dst.chunks_exact_mut(width).zip(rows) {
        out.copy_from_slice(&src[row * width..(row + 1) * width]);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::gather_rows;
    use std::vec::Vec;

    /// Batches of every size the three copy paths take: one core, two
    /// cores by column halves (small batches), two cores by row blocks.
    #[test]
    fn gather_rows_copies_the_listed_rows_in_order() {
        let width = 784;
        let src: Vec<f32> = (0..1000 * width).map(|i| i as f32).collect();
        for batch in [1, 5, 16, 64, 65, 256] {
            let rows: Vec<usize> = (0..batch).map(|i| (i * 397 + 11) % 1000).collect();
            let mut dst = std::vec![0.0; batch * width];
            gather_rows(&mut dst, &src, &rows, width);
            for (i, &row) in rows.iter().enumerate() {
                assert_eq!(dst[i * width..(i + 1) * width], src[row * width..(row + 1) * width], "batch {batch}");
            }
        }
    }
}
