//! `C = A·Bᵀ` for small batches as dot products of rows, without packing
//! (the input gradients of hidden layers).
//!
//! A layer's input gradient is `dX = dY · Wᵀ`: every element is the dot
//! product of a row of `dY` (the batch's deltas) and a row of the weights,
//! both contiguous. At small batches matrixmultiply packs both operands on
//! every call; here 4 rows of `A` meet 4 rows of `B` at a time, 16 registers
//! of 16 lane sums that a tree of shuffles folds into one vector of 16
//! results.
//!
//! Every element of `C` is computed the same way, whatever its position or
//! the block of `C` a call computes: lane `l` of `A[i, :]·B[j, :]` is the
//! fused multiply-add chain over `kk ≡ l (mod 16)` in `kk` order, and the 16
//! lanes are then added as `((x0+x2)+(x1+x3)) + …` in the fixed tree of
//! [`lane_sum`]. [`reference()`] computes the same bits one element at a time
//! (the tests hold the kernel to it). Only AVX-512 has a build.

use crate::kernels::Kernels;
use crate::matrix::{MatMut, MatRef};

const LANES: usize = 16;

/// Panics unless `A` is `m×k` with unit column stride, `Bᵀ` (`b`, `k×n`) has
/// rows of `B` with unit stride, and `C` is `m×n`: the operands of every
/// `C = A·Bᵀ` kernel here and in [`super::narrow`], which names itself as `kernel`.
pub(super) fn check_a_bt(kernel: &str, a: &MatRef, b: &MatRef, c: &MatMut) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert!(b.rows() == k && c.rows() == m && c.cols() == n, "{kernel}: shapes differ");
    assert!(a.col_stride() == 1 && b.row_stride() == 1, "{kernel}: rows of A and B must be contiguous");
}

/// `C[i, j] = Σ_kk A[i, kk] · B[kk, j]` where `b` is `Wᵀ` for a row-major `W`
/// (`b.t()` has unit column stride); `C` is overwritten.
///
/// # Panics
/// If AVX-512 is not available or the shapes do not match.
pub fn product(kernels: Kernels, a: MatRef, b: MatRef, c: MatMut) {
    check_a_bt("dot product", &a, &b, &c);
    assert!(super::chain::available(kernels), "the dot product needs AVX-512");
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        let (m, n, k) = (a.rows(), b.cols(), a.cols());
        let mut c = c;
        let (lda, ldb, ldc) = (a.row_stride(), b.col_stride(), c.row_stride());
        // SAFETY: AVX-512 is present (asserted), and each view covers what its
        // shape reaches.
        unsafe { avx512::run(m, n, k, (a.as_ptr(), lda), (b.as_ptr(), ldb), (c.as_mut_ptr(), ldc)) }
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    let _ = c;
}

/// The 16 lane sums of one dot product added in the kernel's order.
pub fn lane_sum(x: &[f32; LANES]) -> f32 {
    let block = |l: usize| (x[4 * l] + x[4 * l + 2]) + (x[4 * l + 1] + x[4 * l + 3]);
    (block(0) + block(1)) + (block(2) + block(3))
}

/// The same bits as [`product`], one element at a time (tests, and the
/// definition of what the kernel computes).
pub fn reference(a: MatRef, b: MatRef, c: MatMut) {
    check_a_bt("dot product", &a, &b, &c);
    let mut c = c;
    for i in 0..a.rows() {
        for j in 0..b.cols() {
            let mut lanes = [0.0f32; LANES];
            for kk in 0..a.cols() {
                lanes[kk % LANES] = crate::math::fma(a.at(i, kk), b.at(kk, j), lanes[kk % LANES]);
            }
            c.row_mut(i)[j] = lane_sum(&lanes);
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::LANES;
    use core::arch::x86_64::*;

    /// Rows of `A` and of `B` in one block: 4 × 4 dot products fill the 16
    /// accumulators, and each chunk of `k` loads 8 vectors for 16 FMAs.
    const SIDE: usize = 4;

    /// # Safety
    /// AVX-512F present; `A` is `m` rows of `k` (`lda` apart), `B` `n` rows
    /// of `k` (`ldb` apart), `C` `m` rows of `n` (`ldc` apart), all valid.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn run(
        m: usize,
        n: usize,
        k: usize,
        (a, lda): (*const f32, usize),
        (b, ldb): (*const f32, usize),
        (c, ldc): (*mut f32, usize),
    ) {
        for i in (0..m).step_by(SIDE) {
            let rows_a = (m - i).min(SIDE);
            for j in (0..n).step_by(SIDE) {
                let rows_b = (n - j).min(SIDE);
                // SAFETY: rows `i..i + rows_a` of `A`, `j..j + rows_b` of `B`
                // and the outputs between them are in bounds (caller's contract).
                unsafe {
                    let sums = block((a.add(i * lda), lda), (b.add(j * ldb), ldb), k, rows_a, rows_b);
                    // Lanes `SIDE·r..SIDE·(r + 1)` are row `i + r`'s outputs `j..j + rows_b`.
                    for r in 0..rows_a {
                        let lanes = mask(rows_b) << (SIDE * r);
                        let row = c.add((i + r) * ldc + j).wrapping_sub(SIDE * r);
                        _mm512_mask_storeu_ps(row, lanes, sums);
                    }
                }
            }
        }
    }

    fn mask(lanes: usize) -> __mmask16 {
        ((1u32 << lanes) - 1) as __mmask16
    }

    /// Lane `SIDE·r + s` of the result: `a[r] · b[s]` for the first `rows_a`
    /// rows of `a` and `rows_b` of `b` (rows of `k` values).
    ///
    /// # Safety
    /// AVX-512F present; those rows are in bounds.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block(
        (a, lda): (*const f32, usize),
        (b, ldb): (*const f32, usize),
        k: usize,
        rows_a: usize,
        rows_b: usize,
    ) -> __m512 {
        let mut acc = [_mm512_setzero_ps(); LANES];
        let full = k / LANES * LANES;
        let chunk = |acc: &mut [__m512; LANES], at: usize, lanes: __mmask16| {
            // SAFETY: in bounds by the caller's contract: masked-off lanes are
            // never read, and a missing row's lanes are all masked off.
            let (x, y): ([__m512; SIDE], [__m512; SIDE]) = unsafe {
                (
                    core::array::from_fn(|r| {
                        let lanes = if r < rows_a { lanes } else { 0 };
                        _mm512_maskz_loadu_ps(lanes, a.wrapping_add(r * lda + at))
                    }),
                    core::array::from_fn(|s| {
                        let lanes = if s < rows_b { lanes } else { 0 };
                        _mm512_maskz_loadu_ps(lanes, b.wrapping_add(s * ldb + at))
                    }),
                )
            };
            multiply_add(acc, x, y);
        };
        if rows_a == SIDE && rows_b == SIDE {
            for at in (0..full).step_by(LANES) {
                // SAFETY: whole rows and chunks, in bounds by the caller's contract.
                let (x, y): ([__m512; SIDE], [__m512; SIDE]) = unsafe {
                    (
                        core::array::from_fn(|r| _mm512_loadu_ps(a.add(r * lda + at))),
                        core::array::from_fn(|s| _mm512_loadu_ps(b.add(s * ldb + at))),
                    )
                };
                multiply_add(&mut acc, x, y);
            }
        } else {
            for at in (0..full).step_by(LANES) {
                chunk(&mut acc, at, 0xFFFF);
            }
        }
        if full < k {
            chunk(&mut acc, full, mask(k - full));
        }
        fold(acc)
    }

    /// `acc[SIDE·r + s] += x[r] · y[s]`, lane by lane.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn multiply_add(acc: &mut [__m512; LANES], x: [__m512; SIDE], y: [__m512; SIDE]) {
        for r in 0..SIDE {
            for s in 0..SIDE {
                acc[SIDE * r + s] = _mm512_fmadd_ps(x[r], y[s], acc[SIDE * r + s]);
            }
        }
    }

    /// Lane `r` = `super::lane_sum` of `acc[r]`'s lanes.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn fold(acc: [__m512; LANES]) -> __m512 {
        let q: [__m512; 4] =
            core::array::from_fn(|g| quads(pairs(acc[4 * g], acc[4 * g + 1]), pairs(acc[4 * g + 2], acc[4 * g + 3])));
        halves(halves(q[0], q[1]), halves(q[2], q[3]))
    }

    /// Per 128-bit block, lanes (0+2, 1+3) of each register, interleaved `[x, y, x, y]`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn pairs(x: __m512, y: __m512) -> __m512 {
        _mm512_add_ps(_mm512_unpacklo_ps(x, y), _mm512_unpackhi_ps(x, y))
    }

    /// Per block, the sums of the four registers behind two `pairs`: `[a, b, c, d]`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn quads(x: __m512, y: __m512) -> __m512 {
        _mm512_add_ps(_mm512_shuffle_ps::<0x44>(x, y), _mm512_shuffle_ps::<0xEE>(x, y))
    }

    /// Blocks `(0+1, 2+3)` of `x`, then of `y`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn halves(x: __m512, y: __m512) -> __m512 {
        _mm512_add_ps(_mm512_shuffle_f32x4::<0x88>(x, y), _mm512_shuffle_f32x4::<0xDD>(x, y))
    }
}
