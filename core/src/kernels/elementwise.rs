//! Element-wise kernels shared by the layers and the losses, over blocks of
//! rows ([`MatRef`]/[`MatMut`]): a whole buffer, or the rows or columns a
//! part of a split step owns. A block whose rows follow each other runs as
//! one long row, so a contiguous buffer costs one loop, not one per row.

use crate::exec::Executor;
use crate::kernels::Kernels;
use crate::matrix::{MatMut, MatRef};
use crate::simd_kernel;

simd_kernel! {
    /// Every row of `out` becomes a copy of `bias` (`bias.len()` = `out`'s
    /// columns): the forward product then accumulates onto it, which fuses
    /// the bias add.
    pub fn fill_rows_with_bias(kernels: Kernels, out: MatMut, bias: &[f32]) {
        let mut out = out;
        for r in 0..out.rows() {
            out.row_mut(r).copy_from_slice(bias);
        }
    }
}

simd_kernel! {
    /// `out = factor · src` (same shape): presets a weight gradient to
    /// `wd · w` before the product adds `Xᵀ·dY` onto it.
    pub fn scale_into(kernels: Kernels, out: MatMut, src: MatRef, factor: f32) {
        let flat = out.is_contiguous() && src.is_contiguous();
        let (mut out, src) = (out.flat_if(flat), src.flat_if(flat));
        for r in 0..out.rows() {
            for (o, s) in out.row_mut(r).iter_mut().zip(src.row(r)) {
                *o = factor * *s;
            }
        }
    }
}

simd_kernel! {
    /// `sums[j] = Σ_i rows[i][j]` (`sums.len()` = the block's columns):
    /// bias gradients from the rows of `dY`, added row after row, so every
    /// build and every block of columns adds in the same order.
    pub fn column_sums(kernels: Kernels, sums: &mut [f32], rows: MatRef) {
        sums.fill(0.0);
        for r in 0..rows.rows() {
            for (s, x) in sums.iter_mut().zip(rows.row(r)) {
                *s += *x;
            }
        }
    }
}

simd_kernel! {
    /// `out = a · b`, element by element (same shapes).
    pub fn multiply_into(kernels: Kernels, out: MatMut, a: MatRef, b: MatRef) {
        let flat = out.is_contiguous() && a.is_contiguous() && b.is_contiguous();
        let (mut out, a, b) = (out.flat_if(flat), a.flat_if(flat), b.flat_if(flat));
        for r in 0..out.rows() {
            for ((o, x), y) in out.row_mut(r).iter_mut().zip(a.row(r)).zip(b.row(r)) {
                *o = *x * *y;
            }
        }
    }
}

simd_kernel! {
    /// `values += addends`, element by element (same shapes).
    pub fn add_in_place(kernels: Kernels, values: MatMut, addends: MatRef) {
        let flat = values.is_contiguous() && addends.is_contiguous();
        let (mut values, addends) = (values.flat_if(flat), addends.flat_if(flat));
        for r in 0..values.rows() {
            for (v, a) in values.row_mut(r).iter_mut().zip(addends.row(r)) {
                *v += *a;
            }
        }
    }
}

simd_kernel! {
    /// `out = a + b`, element by element (same shapes).
    pub fn sum_into(kernels: Kernels, out: MatMut, a: MatRef, b: MatRef) {
        let flat = out.is_contiguous() && a.is_contiguous() && b.is_contiguous();
        let (mut out, a, b) = (out.flat_if(flat), a.flat_if(flat), b.flat_if(flat));
        for r in 0..out.rows() {
            for ((o, x), y) in out.row_mut(r).iter_mut().zip(a.row(r)).zip(b.row(r)) {
                *o = *x + *y;
            }
        }
    }
}

simd_kernel! {
    /// `values *= factors`, element by element (same shapes).
    pub fn multiply_in_place(kernels: Kernels, values: MatMut, factors: MatRef) {
        let flat = values.is_contiguous() && factors.is_contiguous();
        let (mut values, factors) = (values.flat_if(flat), factors.flat_if(flat));
        for r in 0..values.rows() {
            for (v, f) in values.row_mut(r).iter_mut().zip(factors.row(r)) {
                *v *= *f;
            }
        }
    }
}

/// Softmax of every row of `values` in place, shifted by the row maximum so
/// `exp` never overflows.
pub fn softmax_rows(kernels: Kernels, values: MatMut) {
    let mut values = values;
    for r in 0..values.rows() {
        let row = values.row_mut(r);
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.iter_mut().for_each(|v| *v -= max);
    }
    // One call for every row when they follow each other: `exp` in SIMD lanes.
    let mut whole = values.rb().flat_if(true);
    for r in 0..whole.rows() {
        super::exp::exp_in_place(kernels, whole.row_mut(r));
    }
    for r in 0..values.rows() {
        let row = values.row_mut(r);
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

simd_kernel! {
    /// `dst[i] = src[i] / 255`: 8-bit pixels scaled to [0, 1], the same bits
    /// as `src[i] as f32 / 255.0` (checked for all 256 values) but through an
    /// `f64` multiply, which vectorises without the divider.
    pub fn scale_bytes(kernels: Kernels, dst: &mut [f32], src: &[u8]) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = (s as f64 * (1.0 / 255.0)) as f32;
        }
    }
}

/// Row `i` of `dst` = row `rows[i]` (`width` bytes) of `src` scaled to
/// [0, 1] by [`scale_bytes`]: the gather that builds a shuffled batch from
/// 8-bit pixels, a quarter of the bytes of the scaled images. Every row's
/// cache lines are requested before the first is read (one row at a time,
/// each waits for memory anew). With an executor of more than one thread,
/// batches of [`GATHER_SPLIT_ROWS`] rows and more are cut into blocks of
/// rows, one per thread.
pub fn gather_scaled_rows(
    kernels: Kernels,
    executor: &dyn Executor,
    dst: &mut [f32],
    src: &[u8],
    rows: &[usize],
    width: usize,
) {
    assert!(dst.len() >= rows.len() * width);
    assert!(rows.iter().all(|&r| (r + 1) * width <= src.len()), "row index out of range");
    let threads = executor.threads();
    if threads < 2 || rows.len() < GATHER_SPLIT_ROWS {
        return scale_rows(kernels, dst, src, rows, width);
    }
    let blocks = crate::shared::SharedMut::new(&mut dst[..rows.len() * width]);
    executor.run(threads, &|part| {
        let block = (rows.len() * part / threads)..(rows.len() * (part + 1) / threads);
        // SAFETY: the parts' row blocks are disjoint, and `run` returns only
        // after every block is gathered, while `dst` is still borrowed.
        let out = unsafe { blocks.slice_mut(block.start * width..block.end * width) };
        scale_rows(kernels, out, src, &rows[block], width);
    });
}

/// The fewest rows [`gather_scaled_rows`] splits between threads: a batch
/// the small-batch plan trains on is gathered by one thread beside the step.
pub const GATHER_SPLIT_ROWS: usize = 65;

fn scale_rows(kernels: Kernels, dst: &mut [f32], src: &[u8], rows: &[usize], width: usize) {
    for &row in rows {
        prefetch(&src[row * width..(row + 1) * width]);
    }
    for (out, &row) in dst.chunks_exact_mut(width).zip(rows) {
        scale_bytes(kernels, out, &src[row * width..(row + 1) * width]);
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
    use crate::exec::{Executor, Serial};
    use crate::kernels::Kernels;
    use std::vec::Vec;

    /// Two "threads" that run their parts in turn: the split path without threads.
    struct TwoInTurn;
    impl Executor for TwoInTurn {
        fn threads(&self) -> usize {
            2
        }
        fn run(&self, parts: usize, job: &(dyn Fn(usize) + Sync)) {
            (0..parts).rev().for_each(job);
        }
        fn run_phases(&self, parts: usize, phases: usize, job: &(dyn Fn(usize, usize) + Sync)) {
            (0..phases).for_each(|phase| (0..parts).for_each(|part| job(phase, part)));
        }
    }

    /// Batches whole and in row blocks: every row is the listed source row,
    /// each byte `b` as `b / 255`.
    #[test]
    fn gather_scaled_rows_scales_the_listed_rows_in_order() {
        // Miri interprets every byte: a narrower image there.
        let width = if cfg!(miri) { 20 } else { 784 };
        let src: Vec<u8> = (0..1000 * width).map(|i| (i % 251) as u8).collect();
        for executor in [&Serial as &dyn Executor, &TwoInTurn] {
            for batch in [1, 5, 16, 64, 65, 256] {
                let rows: Vec<usize> = (0..batch).map(|i| (i * 397 + 11) % 1000).collect();
                let mut dst = std::vec![f32::NAN; batch * width];
                gather_scaled_rows(Kernels::detect(), executor, &mut dst, &src, &rows, width);
                for (i, &row) in rows.iter().enumerate() {
                    let want = src[row * width..(row + 1) * width].iter().map(|&b| (b as f32 / 255.0).to_bits());
                    let got = dst[i * width..(i + 1) * width].iter().map(|x| x.to_bits());
                    assert!(got.eq(want), "batch {batch}, row {i}");
                }
            }
        }
    }
}
