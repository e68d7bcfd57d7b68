//! `C = A·Bᵀ` for a shallow depth (the output layer's input gradient).
//!
//! The output layer's input gradient is `dX = dY · Wᵀ` with a depth of one
//! per class (10): too shallow for [`super::dot_gemm`]'s 16-lane dot
//! products, and matrixmultiply packs both operands on every call for a
//! product of 20 K multiply-adds (at batch 16 both halves and the slope after
//! them took 2.65 µs of the caller's serial window, 1.2–1.4 µs with this
//! kernel; rdtsc in the step). Here 16 rows of `B`
//! are gathered into one vector per depth step, `k` vectors in all, and each
//! row of `A` runs its fused multiply-add chain over them.
//!
//! Every element of `C` is the chain `fma(a[i,k-1], b[j,k-1], … fma(a[i,0],
//! b[j,0], 0))` in `k` order, as [`reference`](fn@reference) computes it one element at a
//! time. matrixmultiply's AVX-512 kernel sums the same way (one accumulator
//! per element, `k` in order): switching to this kernel left `bench-epoch`'s
//! weights digests unchanged on the machine it was tuned on. Only AVX-512 has a build: callers ask
//! [`pays`] and use matrixmultiply otherwise.

use super::dot_gemm::check_a_bt;

/// The deepest product this kernel takes: one register per depth step.
pub const MAX_DEPTH: usize = 16;

/// Whether [`narrow_matmul_here`] may run and beats matrixmultiply: depth
/// 1..=[`MAX_DEPTH`] on an AVX-512 CPU.
pub fn pays(k: usize) -> bool {
    (1..=MAX_DEPTH).contains(&k) && super::chain_gemm::available()
}

/// `C[i, j] = Σ_kk A[i, kk] · B[j, kk]` for `A` row-major `m×k`, `B` row-major
/// `n×k` and `C` with row stride `ldc`, on the calling thread; `C` is overwritten.
///
/// # Panics
/// If [`pays`] is false for `k` or an operand is too short.
pub fn narrow_matmul_here(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    check_a_bt("narrow_matmul", m, n, k, a, b, c, ldc);
    assert!(pays(k), "narrow_matmul needs AVX-512 and a depth of 1..={MAX_DEPTH}");
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    // SAFETY: AVX-512 is present and k ≤ MAX_DEPTH (asserted), and `check` covered every index.
    unsafe {
        avx512::run(m, n, k, a.as_ptr(), b.as_ptr(), c.as_mut_ptr(), ldc)
    }
}

/// The same bits as [`narrow_matmul_here`], one element at a time (tests, and
/// the definition of what the kernel computes).
pub fn reference(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    check_a_bt("narrow_matmul", m, n, k, a, b, c, ldc);
    for i in 0..m {
        for j in 0..n {
            c[i * ldc + j] = (0..k).fold(0.0, |acc, kk| libm::fmaf(a[i * k + kk], b[j * k + kk], acc));
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::MAX_DEPTH;
    use core::arch::x86_64::*;

    /// # Safety
    /// AVX-512F present; `k ≤ MAX_DEPTH`; the operands as [`super::check`] accepted them.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn run(m: usize, n: usize, k: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize) {
        // Lane `l` of a gather reads row `j + l` of `B`: element offsets `l·k + kk`.
        let rows = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            _mm512_set1_epi32(k as i32),
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
                        b.add(j * k).cast(),
                    )
                };
            }
            for i in 0..m {
                let mut acc = _mm512_setzero_ps();
                for (kk, column) in columns.iter().enumerate().take(k) {
                    // SAFETY: row `i < m` of `A`, element `kk < k`.
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(unsafe { *a.add(i * k + kk) }), *column, acc);
                }
                // SAFETY: row `i` of `C`, the unmasked columns `j..n`.
                unsafe { _mm512_mask_storeu_ps(c.add(i * ldc + j), lanes, acc) };
            }
        }
    }
}
