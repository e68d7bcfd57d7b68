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

/// `sums[j] = Σ_i rows[i][j]`: bias gradients from the rows of `dZ` (whole
/// rows of `sums.len()`; a shorter tail is left out).
pub fn column_sums(sums: &mut [f32], rows: &[f32]) {
    let width = sums.len();
    column_sums_strided(sums, &rows[..rows.len() / width * width], width);
}

simd_kernel! { rows:
    /// [`column_sums`] of the rows of a block: row `r` is
    /// `rows[r·stride .. r·stride + sums.len()]`. Summed row after row, so
    /// every build adds in the same order.
    pub fn column_sums_strided(sums: &mut [f32], rows: &[f32], stride: usize) {
        sums.fill(0.0);
        let width = sums.len();
        for row in rows.chunks(stride) {
            for (s, r) in sums.iter_mut().zip(&row[..width]) {
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
    let rows = values.len() / width.max(1) * width;
    for row in values[..rows].chunks_exact_mut(width) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.iter_mut().for_each(|v| *v -= max);
    }
    // One call for every row: `exp` in SIMD lanes (see `exp_in_place`).
    super::exp::exp_in_place(&mut values[..rows]);
    for row in values[..rows].chunks_exact_mut(width) {
        let total = row.iter().fold(0.0, |total, v| total + *v);
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

/// Row `i` of `dst` = row `rows[i]` (`width` bytes) of `src` scaled to
/// [0, 1] by [`scale_bytes`]: the gather that builds a shuffled batch from
/// 8-bit pixels, a quarter of the bytes of the scaled images. Every row's
/// cache lines are requested before the first is read (one row at a time,
/// each waiting for memory anew, 16 random images took 7.4–9.4 µs, against
/// 2.7 µs). With `std`, batches above the split step's size are cut into
/// blocks of rows, one per thread of the pool (256 images: 76 µs on one
/// core); smaller ones are gathered alongside the step before, on one thread.
pub fn gather_scaled_rows(dst: &mut [f32], src: &[u8], rows: &[usize], width: usize) {
    assert!(dst.len() >= rows.len() * width);
    assert!(rows.iter().all(|&r| (r + 1) * width <= src.len()), "row index out of range");
    #[cfg(feature = "std")]
    {
        let threads = super::parallel::threads();
        if threads > 1 && rows.len() > crate::model::SPLIT_STEP_MAX_BATCH {
            let address = dst.as_mut_ptr() as usize;
            let gather_block = |part: usize| {
                let block = super::split::piece_range(rows.len(), threads, part);
                // SAFETY: row blocks are disjoint, inside `dst` (asserted above),
                // and `run` returns only after every block is gathered.
                let out = unsafe {
                    core::slice::from_raw_parts_mut((address as *mut f32).add(block.start * width), block.len() * width)
                };
                scale_rows(out, src, &rows[block], width);
            };
            super::parallel::run(threads, &gather_block);
            return;
        }
    }
    scale_rows(dst, src, rows, width);
}

fn scale_rows(dst: &mut [f32], src: &[u8], rows: &[usize], width: usize) {
    for &row in rows {
        prefetch(&src[row * width..(row + 1) * width]);
    }
    for (out, &row) in dst.chunks_exact_mut(width).zip(rows) {
        scale_bytes(out, &src[row * width..(row + 1) * width]);
    }
}

/// Asks for every cache line of `bytes` without waiting for any.
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: a prefetch of an address inside a live slice; it never faults
        // and changes no memory.
        unsafe { core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::gather_scaled_rows;
    use std::vec::Vec;

    /// Batches on one core and in row blocks over the pool: every row is the
    /// listed source row, each byte `b` as `b / 255`.
    #[test]
    fn gather_scaled_rows_scales_the_listed_rows_in_order() {
        let width = 784;
        let src: Vec<u8> = (0..1000 * width).map(|i| (i % 251) as u8).collect();
        for batch in [1, 5, 16, 64, 65, 256] {
            let rows: Vec<usize> = (0..batch).map(|i| (i * 397 + 11) % 1000).collect();
            let mut dst = std::vec![f32::NAN; batch * width];
            gather_scaled_rows(&mut dst, &src, &rows, width);
            for (i, &row) in rows.iter().enumerate() {
                let want = src[row * width..(row + 1) * width].iter().map(|&b| (b as f32 / 255.0).to_bits());
                let got = dst[i * width..(i + 1) * width].iter().map(|x| x.to_bits());
                assert!(got.eq(want), "batch {batch}, row {i}");
            }
        }
    }
}
