//! The AVX512-BF16 level: `VDPBF16PS`, an 8-row × 32-column tile of `C` in
//! 16 registers while the pairs of `k` run, each step loading one panel row
//! of `B` (two vectors of 16 pairs) and broadcasting one pair of each row of
//! `A` from memory.

use super::packed::BLOCK;
use super::{Block, Start};
use core::arch::x86_64::*;

/// Rows of a tile; divides [`BLOCK`], so a tile never reads past `A`'s padding.
const MR: usize = 8;

/// Computes `block`; `c` points at its corner in `C`.
///
/// # Safety
/// AVX-512F, AVX-512BW and AVX512-BF16 are present; the block was checked by
/// `check` (in `bf16`) (starts on multiples of [`BLOCK`], inside `A` and `B`) and
/// `c` is valid for the block's rows and columns, `rsc` apart.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
pub unsafe fn block(block: &Block, c: *mut f32) {
    let Block { a, b, rows, cols, rsc, start } = block.clone();
    let pairs = a.k().div_ceil(2);
    let (lda, a_data) = (a.stride(), a.data().as_ptr());
    for j0 in cols.clone().step_by(BLOCK) {
        let panel = b.panel(j0 / BLOCK).as_ptr();
        let width = (cols.end - j0).min(BLOCK);
        let masks = [lane_mask(width.min(16)), lane_mask(width.saturating_sub(16))];
        for i0 in rows.clone().step_by(MR) {
            let live = (rows.end - i0).min(MR);
            let corner = c.wrapping_add((i0 - rows.start) * rsc + (j0 - cols.start));
            // SAFETY: rows `i0..i0 + MR` lie inside `A`'s padding (MR divides
            // BLOCK), the panel holds `pairs` rows, and only the `live` rows
            // and masked columns of `C` are read and written.
            unsafe { tile(a_data.add(i0 * lda), lda, panel, pairs, corner, rsc, live, masks, start) }
        }
    }
}

fn lane_mask(lanes: usize) -> __mmask16 {
    ((1u32 << lanes) - 1) as __mmask16
}

/// # Safety
/// As [`block`], for one tile.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
unsafe fn tile(
    a: *const u16,
    lda: usize,
    b: *const u16,
    pairs: usize,
    c: *mut f32,
    rsc: usize,
    live: usize,
    [m0, m1]: [__mmask16; 2],
    start: Start,
) {
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    if let Start::Current = start {
        for (r, acc) in acc.iter_mut().enumerate().take(live) {
            let row = c.wrapping_add(r * rsc);
            // SAFETY: masked lanes are neither read nor faulted on.
            unsafe {
                acc[0] = _mm512_maskz_loadu_ps(m0, row);
                acc[1] = _mm512_maskz_loadu_ps(m1, row.wrapping_add(16));
            }
        }
    }
    for p in 0..pairs {
        // SAFETY: pair row `p` of the panel is 32 pairs (two vectors); each
        // row of `A` holds `2·pairs` elements or more.
        unsafe {
            let b0: __m512bh = core::mem::transmute(_mm512_loadu_si512(b.add(p * 2 * BLOCK).cast()));
            let b1: __m512bh = core::mem::transmute(_mm512_loadu_si512(b.add(p * 2 * BLOCK + BLOCK).cast()));
            for (r, acc) in acc.iter_mut().enumerate() {
                let pair = a.add(r * lda + 2 * p).cast::<i32>().read_unaligned();
                let a: __m512bh = core::mem::transmute(_mm512_set1_epi32(pair));
                acc[0] = _mm512_dpbf16_ps(acc[0], a, b0);
                acc[1] = _mm512_dpbf16_ps(acc[1], a, b1);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate().take(live) {
        let row = c.wrapping_add(r * rsc);
        // SAFETY: masked lanes are not written.
        unsafe {
            _mm512_mask_storeu_ps(row, m0, acc[0]);
            _mm512_mask_storeu_ps(row.wrapping_add(16), m1, acc[1]);
        }
    }
}
