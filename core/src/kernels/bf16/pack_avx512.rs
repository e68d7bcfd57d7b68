//! Packing with AVX-512 (the AVX512-BF16 and AMX levels): `VCVTNE2PS2BF16`
//! rounds 32 floats at a time (the bits of [`super::convert::to_bf16`], as the
//! tests check), 16-bit permutes interleave the pairs, and a 16 × 16 transpose
//! of pair words turns a column-major source into rows. Every element of the
//! packed buffer is written, padding included: masked loads read the lanes
//! past `k`, the rows and the columns as zeros.

use core::arch::x86_64::*;

const ZERO_PAIRS: usize = 16;

fn mask(valid: usize) -> __mmask16 {
    if valid >= 16 { 0xFFFF } else { ((1u32 << valid) - 1) as __mmask16 }
}

/// 32 bf16: `lo`'s 16 values, then `hi`'s.
#[inline(always)]
unsafe fn round32(lo: __m512, hi: __m512) -> __m512i {
    // SAFETY: the caller's target features include AVX512-BF16.
    unsafe { core::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo)) }
}

/// 16 floats from `at` (lanes at or past `valid` read as zero, never touched).
#[inline(always)]
unsafe fn load16(at: *const f32, valid: usize) -> __m512 {
    // SAFETY: masked-off lanes are neither read nor faulted on; the caller
    // keeps the `valid` lanes inside the source.
    unsafe { _mm512_maskz_loadu_ps(mask(valid), at) }
}

/// Transposes a 16 × 16 block of 32-bit words held one row per register.
#[inline(always)]
unsafe fn transpose16(r: &mut [__m512i; 16]) {
    // SAFETY: register shuffles only.
    unsafe {
        let mut t = [_mm512_setzero_si512(); 16];
        for i in 0..8 {
            t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
        }
        // s[4i + c], 128-bit lane L: column 4L + c of rows 4i..4i+4.
        let mut s = [_mm512_setzero_si512(); 16];
        for i in 0..4 {
            s[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
            s[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
            s[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
            s[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
        }
        for c in 0..4 {
            let u0 = _mm512_shuffle_i32x4::<0x44>(s[c], s[4 + c]);
            let u1 = _mm512_shuffle_i32x4::<0xEE>(s[c], s[4 + c]);
            let v0 = _mm512_shuffle_i32x4::<0x44>(s[8 + c], s[12 + c]);
            let v1 = _mm512_shuffle_i32x4::<0xEE>(s[8 + c], s[12 + c]);
            r[c] = _mm512_shuffle_i32x4::<0x88>(u0, v0);
            r[4 + c] = _mm512_shuffle_i32x4::<0xDD>(u0, v0);
            r[8 + c] = _mm512_shuffle_i32x4::<0x88>(u1, v1);
            r[12 + c] = _mm512_shuffle_i32x4::<0xDD>(u1, v1);
        }
    }
}

/// `A` from a row-major source (`A(i, kk) = src[i·rs + kk]`) into rows of
/// `stride` elements; `out` holds whole padded rows.
///
/// # Safety
/// AVX-512F/BW and AVX512-BF16 present; `src` covers `rows × k` with row stride
/// `rs`; `stride` is a multiple of 32 and at least `k`.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
pub unsafe fn a_from_rows(src: &[f32], rows: usize, k: usize, rs: usize, out: &mut [u16], stride: usize) {
    for (i, row) in out.chunks_exact_mut(stride).enumerate() {
        let from = src.as_ptr().wrapping_add(i * rs);
        for q in (0..stride).step_by(32) {
            let valid = if i < rows { k.saturating_sub(q) } else { 0 };
            // SAFETY: the valid lanes lie in row `i` of the source; 32 elements
            // of `row` from `q` exist (`stride` is a multiple of 32).
            unsafe {
                let words = round32(
                    load16(from.wrapping_add(q), valid),
                    load16(from.wrapping_add(q + 16), valid.saturating_sub(16)),
                );
                _mm512_storeu_si512(row.as_mut_ptr().add(q).cast(), words);
            }
        }
    }
}

/// `A` from a column-major source (`A(i, kk) = src[kk·cs + i]`, e.g. `Xᵀ`):
/// 16 pairs of 16 rows at a time, interleaved into pair words and transposed.
///
/// # Safety
/// As [`a_from_rows`], the source covering `k` rows of `rows` elements, `cs` apart.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
pub unsafe fn a_from_columns(src: &[f32], rows: usize, k: usize, cs: usize, out: &mut [u16], stride: usize) {
    let padded_rows = out.len() / stride;
    // Word `t` of the result: (element t, element 16 + t) of a rounded pair of rows.
    let spread = pair_spread();
    for i0 in (0..padded_rows).step_by(16) {
        let live = rows.saturating_sub(i0);
        for p0 in (0..stride / 2).step_by(ZERO_PAIRS) {
            let mut v = [_mm512_setzero_si512(); 16];
            for (t, v) in v.iter_mut().enumerate() {
                let kk = 2 * (p0 + t);
                let valid = |kk: usize| if kk < k { live } else { 0 };
                let at = |kk: usize| src.as_ptr().wrapping_add(kk * cs + i0);
                // SAFETY: the valid lanes are elements `i0..rows` of source rows below `k`.
                unsafe {
                    let even = load16(at(kk), valid(kk));
                    let odd = load16(at(kk + 1), valid(kk + 1));
                    *v = _mm512_permutexvar_epi16(spread, round32(even, odd));
                }
            }
            // SAFETY: register shuffles; each stored row segment (16 pairs from
            // pair `p0`) lies inside row `i0 + r` of the padded buffer.
            unsafe {
                transpose16(&mut v);
                for (r, v) in v.iter().enumerate() {
                    _mm512_storeu_si512(out.as_mut_ptr().add((i0 + r) * stride + 2 * p0).cast(), *v);
                }
            }
        }
    }
}

/// `[0, 16, 1, 17, …, 15, 31]`: interleaves the two halves of 32 bf16.
#[inline(always)]
fn pair_spread() -> __m512i {
    indices(|e| (e / 2) + 16 * (e % 2))
}

/// A vector of 32 16-bit permute indices.
#[inline(always)]
fn indices(index: impl Fn(usize) -> usize) -> __m512i {
    let words: [i16; 32] = core::array::from_fn(|e| index(e) as i16);
    // SAFETY: plain data of the same size.
    unsafe { core::mem::transmute::<[i16; 32], __m512i>(words) }
}

/// `B` from a row-major source (`B(kk, j) = src[kk·rs + j]`): two rows of a
/// panel rounded and interleaved per pair.
///
/// # Safety
/// AVX-512F/BW and AVX512-BF16 present; `src` covers `k × n` with row stride
/// `rs`; `out` holds `ceil(n/32)` panels of `pairs` rows of 64 elements and
/// `pairs ≥ ceil(k/2)`.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
pub unsafe fn b_from_rows(src: &[f32], k: usize, n: usize, rs: usize, out: &mut [u16], pairs: usize) {
    // Columns 0..16, then 16..32, of the two rows, alternating.
    let lo_index = indices(|e| (e / 2) + 32 * (e % 2));
    let hi_index = indices(|e| 16 + (e / 2) + 32 * (e % 2));
    for (panel, dst) in out.chunks_exact_mut(pairs * 64).enumerate() {
        let j0 = panel * 32;
        let width = n - j0;
        let row = |kk: usize| {
            let valid = if kk < k { width } else { 0 };
            let at = src.as_ptr().wrapping_add(kk * rs + j0);
            // SAFETY: the valid lanes are columns `j0..n` of a source row below `k`.
            unsafe { round32(load16(at, valid), load16(at.wrapping_add(16), valid.saturating_sub(16))) }
        };
        for p in 0..pairs {
            let (even, odd) = (row(2 * p), row(2 * p + 1));
            // SAFETY: pair row `p` of the panel is 64 elements.
            unsafe {
                let at = dst.as_mut_ptr().add(p * 64);
                _mm512_storeu_si512(at.cast(), _mm512_permutex2var_epi16(even, lo_index, odd));
                _mm512_storeu_si512(at.add(32).cast(), _mm512_permutex2var_epi16(even, hi_index, odd));
            }
        }
    }
}

/// `B` from a column-major source (`B(kk, j) = src[j·cs + kk]`, e.g. `Wᵀ`):
/// 16 pairs of 16 columns at a time, rounded in order and transposed.
///
/// # Safety
/// As [`b_from_rows`], the source covering `n` columns of `k` elements, `cs` apart;
/// `pairs` a multiple of 16.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
pub unsafe fn b_from_columns(src: &[f32], k: usize, n: usize, cs: usize, out: &mut [u16], pairs: usize) {
    for (panel, dst) in out.chunks_exact_mut(pairs * 64).enumerate() {
        for half in 0..2 {
            let j0 = panel * 32 + half * 16;
            for p0 in (0..pairs).step_by(ZERO_PAIRS) {
                let mut v = [_mm512_setzero_si512(); 16];
                let valid = k.saturating_sub(2 * p0);
                for (t, v) in v.iter_mut().enumerate().take(n.saturating_sub(j0)) {
                    let at = src.as_ptr().wrapping_add((j0 + t) * cs + 2 * p0);
                    // SAFETY: the valid lanes are elements `2·p0..k` of source column `j0 + t < n`.
                    unsafe { *v = round32(load16(at, valid), load16(at.wrapping_add(16), valid.saturating_sub(16))) }
                }
                // SAFETY: register shuffles; each 16-column half row lies in the panel.
                unsafe {
                    transpose16(&mut v);
                    for (p, v) in v.iter().enumerate() {
                        _mm512_storeu_si512(dst.as_mut_ptr().add((p0 + p) * 64 + half * 32).cast(), *v);
                    }
                }
            }
        }
    }
}
