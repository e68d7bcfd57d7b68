//! `C = A·Bᵀ` for a shallow depth (the output layer's input gradient).
//!
//! The output layer's input gradient is `dX = dY · Wᵀ` with a depth of one
//! per class (10): too shallow for [`super::dot`]'s 16-lane dot products,
//! and matrixmultiply packs both operands on every call for a product of a
//! few thousand multiply-adds. Here 16 rows of `B` are gathered into one
//! vector per depth step, `k` vectors in all, and each row of `A` runs its
//! fused multiply-add chain over them.
//!
//! Every element of `C` is the chain `fma(a[i,k-1], b[j,k-1], … fma(a[i,0],
//! b[j,0], 0))` in `k` order, as [`reference()`] computes it one element at a
//! time. matrixmultiply's AVX-512 kernel sums the same way (one accumulator
//! per element, `k` in order): switching to this kernel left the weights
//! digests unchanged on the machine it was tuned on. Only AVX-512 has a build.

use super::dot::check_a_bt;
use crate::kernels::Kernels;
use crate::matrix::{MatMut, MatRef};

/// The deepest product this kernel takes: one register per depth step.
pub const MAX_DEPTH: usize = 16;

/// Whether the kernel takes depth `k` with `kernels`: 1..=[`MAX_DEPTH`], AVX-512.
pub fn takes(kernels: Kernels, k: usize) -> bool {
    (1..=MAX_DEPTH).contains(&k) && super::chain::available(kernels)
}

/// `C[i, j] = Σ_kk A[i, kk] · B[kk, j]` where `b` is `Wᵀ` for a row-major `W`
/// (as [`super::dot::product`]); `C` is overwritten.
///
/// # Panics
/// If [`takes`] is false for the depth or the shapes do not match.
pub fn product(kernels: Kernels, a: MatRef, b: MatRef, c: MatMut) {
    check_a_bt("narrow product", &a, &b, &c);
    let (m, n, k) = (a.rows(), b.cols(), a.cols());
    assert!(takes(kernels, k), "the narrow product needs AVX-512 and a depth of 1..={MAX_DEPTH}");
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        let mut c = c;
        let (lda, ldb, ldc) = (a.row_stride(), b.col_stride(), c.row_stride());
        assert!(ldb <= i32::MAX as usize / 16, "narrow product: B's rows too far apart for a gather");
        // SAFETY: AVX-512 is present and k ≤ MAX_DEPTH (asserted), and each
        // view covers what its shape reaches.
        unsafe { avx512::run(m, n, k, (a.as_ptr(), lda), (b.as_ptr(), ldb), (c.as_mut_ptr(), ldc)) }
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    let _ = (m, n, c);
}

/// The same bits as [`product`], one element at a time (tests, and the
/// definition of what the kernel computes).
pub fn reference(a: MatRef, b: MatRef, c: MatMut) {
    check_a_bt("narrow product", &a, &b, &c);
    let mut c = c;
    for i in 0..a.rows() {
        for j in 0..b.cols() {
            c.row_mut(i)[j] = (0..a.cols()).fold(0.0, |acc, kk| crate::math::fma(a.at(i, kk), b.at(kk, j), acc));
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::MAX_DEPTH;
    use core::arch::x86_64::*;

    /// # Safety
    /// AVX-512F present; `k ≤ MAX_DEPTH`; `A` is `m` rows of `k` (`lda`
    /// apart), `B` `n` rows of `k` (`ldb` apart, which fits an `i32`), `C`
    /// `m` rows of `n` (`ldc` apart), all valid.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn run(
        m: usize,
        n: usize,
        k: usize,
        (a, lda): (*const f32, usize),
        (b, ldb): (*const f32, usize),
        (c, ldc): (*mut f32, usize),
    ) {
        // Lane `l` of a gather reads row `j + l` of `B`: element offsets `l·ldb + kk`.
        let rows = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            _mm512_set1_epi32(ldb as i32),
        );
        for j in (0..n).step_by(16) {
            let lanes = ((1u32 << (n - j).min(16)) - 1) as __mmask16;
            let mut columns = [_mm512_setzero_ps(); MAX_DEPTH];
            for (kk, column) in columns.iter_mut().enumerate().take(k) {
                // SAFETY: the unmasked lanes read rows `j..n` of `B`, elements `kk < k`.
                *column = unsafe {
                    _mm512_mask_i32gather_ps::<4>(
                        _mm512_setzero_ps(),
                        lanes,
                        _mm512_add_epi32(rows, _mm512_set1_epi32(kk as i32)),
                        b.add(j * ldb).cast(),
                    )
                };
            }
            for i in 0..m {
                let mut acc = _mm512_setzero_ps();
                for (kk, column) in columns.iter().enumerate().take(k) {
                    // SAFETY: row `i < m` of `A`, element `kk < k`.
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(unsafe { *a.add(i * lda + kk) }), *column, acc);
                }
                // SAFETY: row `i` of `C`, the unmasked columns `j..n`.
                unsafe { _mm512_mask_storeu_ps(c.add(i * ldc + j), lanes, acc) };
            }
        }
    }
}
