//! The packing-free product of small batches (forward products and weight
//! gradients): reads the row-major operand `B` where it lies.
//!
//! At small batches matrixmultiply spends a large share of a training step
//! repacking the weight matrix into its panel layout on every call, for a
//! product that then uses each packed weight only a batch's worth of times.
//! This kernel streams `B` straight from the parameter buffer instead: an
//! 8-row × 32-column tile of `C` stays in 16 AVX-512 registers while `k`
//! runs, each step loading two vectors of one row of `B` and broadcasting
//! eight elements of `A`.
//!
//! Every element of `C` is one fused multiply-add chain in `k` order,
//! `c = fma(a[i,k-1], b[k-1,j], … fma(a[i,0], b[0,j], start))`, so the result
//! does not depend on the tiling, on which block of `C` a call computes, or
//! on the vector width: [`reference()`] computes the same bits one element at
//! a time (the tests hold the kernel to it). The start value is what a layer
//! needs: the bias already in `C`, zero, or `decay·w` for a weight gradient
//! with L2 decay, which saves a separate pass over the weights.
//!
//! Only AVX-512 has a build ([`available`]); `select` uses matrixmultiply
//! elsewhere.

use super::Start;
use crate::kernels::{Kernels, Level};
use crate::matrix::{MatMut, MatRef};

/// Whether the kernel may run with `kernels` (an AVX-512 level).
pub fn available(kernels: Kernels) -> bool {
    cfg!(all(feature = "std", target_arch = "x86_64")) && kernels.level() == Level::Avx512
}

fn check(a: &MatRef, b: &MatRef, c: &MatMut, start: &Start) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert!(b.rows() == k && c.rows() == m && c.cols() == n, "chain product: shapes differ");
    assert!(b.col_stride() == 1, "chain product: B's rows must be contiguous");
    if let Start::Scaled(w, _) = start {
        assert!(w.rows() == m && w.cols() == n && w.col_stride() == 1, "chain product: decay source shape");
    }
}

/// `C = start + A·B` (`A` any strides, `B` and `C` row-major), as fma chains.
///
/// # Panics
/// If [`available`] is false or the shapes do not match.
pub fn product(kernels: Kernels, a: MatRef, b: MatRef, c: MatMut, start: Start) {
    check(&a, &b, &c, &start);
    assert!(available(kernels), "the chain product needs AVX-512");
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        let mut c = c;
        let operands = avx512::Operands::new(a, b, &mut c, start);
        // SAFETY: AVX-512 is present (`available`), and `check` matched every
        // shape to its view, each of which covers what it reaches.
        unsafe { operands.block(0..a.rows(), 0..b.cols()) }
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    let _ = (c, start);
}

/// The same bits as [`product`], one element at a time (tests, and the
/// definition of what the kernel computes).
pub fn reference(a: MatRef, b: MatRef, c: MatMut, start: Start) {
    check(&a, &b, &c, &start);
    let mut c = c;
    for i in 0..a.rows() {
        for j in 0..b.cols() {
            let mut acc = match start {
                Start::Current => c.row(i)[j],
                Start::Zero => 0.0,
                Start::Scaled(w, decay) => decay * w.at(i, j),
            };
            for kk in 0..a.cols() {
                acc = crate::math::fma(a.at(i, kk), b.at(kk, j), acc);
            }
            c.row_mut(i)[j] = acc;
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::Start;
    use crate::matrix::{MatMut, MatRef};
    use core::arch::x86_64::*;
    use core::ops::Range;

    /// Rows of a tile (two 16-lane columns of accumulators per row).
    pub const MR: usize = 8;
    pub const NR: usize = 32;

    /// One call's operands.
    pub struct Operands {
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        c: *mut f32,
        ldc: usize,
        k: usize,
        start: Init,
    }

    impl Operands {
        pub fn new(a: MatRef, b: MatRef, c: &mut MatMut, start: Start) -> Self {
            let start = match start {
                Start::Current => Init::Current,
                Start::Zero => Init::Zero,
                Start::Scaled(w, decay) => Init::Scaled(w.as_ptr(), w.row_stride(), decay),
            };
            Operands {
                a: a.as_ptr(),
                rsa: a.row_stride(),
                csa: a.col_stride(),
                b: b.as_ptr(),
                ldb: b.row_stride(),
                c: c.as_mut_ptr(),
                ldc: c.row_stride(),
                k: a.cols(),
                start,
            }
        }

        /// Computes `C[rows, cols]`.
        ///
        /// # Safety
        /// AVX-512F present; the operands checked by [`super::check`] and
        /// still borrowed.
        #[target_feature(enable = "avx512f")]
        pub unsafe fn block(&self, rows: Range<usize>, cols: Range<usize>) {
            let tile = |i: usize, j: usize| {
                let width = (cols.end - j).min(NR);
                let masks = [lane_mask(width.min(16)), lane_mask(width.saturating_sub(16))];
                let start = match self.start {
                    Init::Scaled(w, ldw, decay) => Init::Scaled(w.wrapping_add(i * ldw + j), ldw, decay),
                    other => other,
                };
                let tile = Tile {
                    a: self.a.wrapping_add(i * self.rsa),
                    rsa: self.rsa,
                    csa: self.csa,
                    b: self.b.wrapping_add(j),
                    ldb: self.ldb,
                    k: self.k,
                    c: self.c.wrapping_add(i * self.ldc + j),
                    ldc: self.ldc,
                };
                // SAFETY: the tile's rows and masked columns lie inside the operands.
                unsafe { tile.dispatch((rows.end - i).min(MR), width > 16, start, masks) }
            };
            // A tall block (a weight gradient: the layer's rows × its outputs)
            // goes along the rows of C, each row tile across every column: the
            // weights it starts from and the gradient it writes are then read
            // and written page by page, not a 128-byte strip of every row at a
            // time.
            if rows.len() > cols.len() {
                for i in rows.clone().step_by(MR) {
                    cols.clone().step_by(NR).for_each(|j| tile(i, j));
                }
            } else {
                for j in cols.clone().step_by(NR) {
                    rows.clone().step_by(MR).for_each(|i| tile(i, j));
                }
            }
        }
    }

    /// Where the chains start; a scaled start points at the tile's first
    /// decay source element, rows `ldw` apart.
    #[derive(Clone, Copy)]
    enum Init {
        Current,
        Zero,
        Scaled(*const f32, usize, f32),
    }

    fn lane_mask(lanes: usize) -> __mmask16 {
        ((1u32 << lanes) - 1) as __mmask16
    }

    /// One `ROWS × NR` block of `C` and the operands it reads.
    struct Tile {
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        k: usize,
        /// The block's first element in `C`.
        c: *mut f32,
        ldc: usize,
    }

    /// `Tile::run::<ROWS, VECS>` for a run-time row count and width.
    macro_rules! by_rows {
        ($tile:ident, $rows:expr, $vecs:literal, $($arg:expr),*) => {
            match $rows {
                8 => $tile.run::<8, $vecs>($($arg),*),
                7 => $tile.run::<7, $vecs>($($arg),*),
                6 => $tile.run::<6, $vecs>($($arg),*),
                5 => $tile.run::<5, $vecs>($($arg),*),
                4 => $tile.run::<4, $vecs>($($arg),*),
                3 => $tile.run::<3, $vecs>($($arg),*),
                2 => $tile.run::<2, $vecs>($($arg),*),
                _ => $tile.run::<1, $vecs>($($arg),*),
            }
        };
    }

    impl Tile {
        /// # Safety
        /// As [`Tile::run`].
        #[target_feature(enable = "avx512f")]
        #[inline]
        unsafe fn dispatch(&self, rows: usize, wide: bool, start: Init, masks: [__mmask16; 2]) {
            // SAFETY: forwarded; a narrow tile (≤ 16 columns) skips the second vector,
            // whose mask is empty then.
            unsafe { if wide { by_rows!(self, rows, 2, start, masks) } else { by_rows!(self, rows, 1, start, masks) } }
        }

        /// # Safety
        /// AVX-512F present; `ROWS` rows and the masked columns in bounds.
        #[target_feature(enable = "avx512f")]
        #[inline]
        unsafe fn run<const ROWS: usize, const VECS: usize>(&self, start: Init, [m0, m1]: [__mmask16; 2]) {
            // SAFETY: the caller keeps the rows and the masked columns in bounds;
            // masked-off lanes are never read or written.
            unsafe {
                let mut acc0 = [_mm512_setzero_ps(); ROWS];
                let mut acc1 = [_mm512_setzero_ps(); ROWS];
                let c = self.c;
                for r in 0..ROWS {
                    let at = r * self.ldc;
                    match start {
                        Init::Current => {
                            acc0[r] = _mm512_maskz_loadu_ps(m0, c.add(at));
                            if VECS == 2 {
                                acc1[r] = _mm512_maskz_loadu_ps(m1, c.wrapping_add(at + 16));
                            }
                        }
                        Init::Zero => {}
                        Init::Scaled(w, ldw, decay) => {
                            let w = w.add(r * ldw);
                            let decay = _mm512_set1_ps(decay);
                            acc0[r] = _mm512_mul_ps(decay, _mm512_maskz_loadu_ps(m0, w));
                            if VECS == 2 {
                                acc1[r] = _mm512_mul_ps(decay, _mm512_maskz_loadu_ps(m1, w.wrapping_add(16)));
                            }
                        }
                    }
                }
                // One step of `k`: a row of B's tile times each row's element of A.
                // With unit row stride (`Xᵀ` in a weight gradient) the rows are read
                // at fixed offsets from one pointer; stepping a pointer row by row
                // there cost a chain of dependent adds per step (a quarter of the
                // first layer's weight gradient at small batches; RESULTS.md).
                let mut b = self.b;
                let mut step = |x: &dyn Fn(usize) -> f32, b: *const f32| {
                    let b0 = _mm512_maskz_loadu_ps(m0, b);
                    let b1 = if VECS == 2 { _mm512_maskz_loadu_ps(m1, b.wrapping_add(16)) } else { b0 };
                    for r in 0..ROWS {
                        let x = _mm512_set1_ps(x(r));
                        acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
                        if VECS == 2 {
                            acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
                        }
                    }
                };
                let mut a = self.a;
                for _ in 0..self.k {
                    if self.rsa == 1 {
                        step(&|r| *a.add(r), b);
                    } else {
                        step(&|r| *a.add(r * self.rsa), b);
                    }
                    a = a.wrapping_add(self.csa);
                    b = b.wrapping_add(self.ldb);
                }
                for r in 0..ROWS {
                    let at = r * self.ldc;
                    _mm512_mask_storeu_ps(c.add(at), m0, acc0[r]);
                    if VECS == 2 {
                        _mm512_mask_storeu_ps(c.wrapping_add(at + 16), m1, acc1[r]);
                    }
                }
            }
        }
    }
}
