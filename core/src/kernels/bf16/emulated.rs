//! The f32 level: the bf16 operands multiplied with f32 fused multiply-adds,
//! through the same model of `VDPBF16PS` the reference uses, so it gives the
//! AVX512-BF16 level's bits on any CPU. Written once as plain loops over a
//! 4-row × 32-column tile; with `std` on x86_64 the body is also compiled with
//! AVX-512 and with AVX2+FMA, which LLVM vectorises across the 32 columns.

use super::packed::BLOCK;
use super::reference::vdpbf16ps;
use super::{Block, Start};

const MR: usize = 4;

/// Computes `block` into `c` (from its corner on); the block was checked by `check` (in `bf16`).
pub fn block(block: &Block, c: &mut [f32]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        if std::is_x86_feature_detected!("avx512f") {
            #[target_feature(enable = "avx512f,fma")]
            unsafe fn wide(block: &Block, c: &mut [f32]) {
                body(block, c)
            }
            // SAFETY: the CPU has AVX-512F (and so FMA).
            return unsafe { wide(block, c) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn wide(block: &Block, c: &mut [f32]) {
                body(block, c)
            }
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { wide(block, c) };
        }
    }
    body(block, c)
}

#[inline(always)]
fn body(block: &Block, c: &mut [f32]) {
    let Block { a, b, rows, cols, rsc, start } = block.clone();
    let pairs = a.k().div_ceil(2);
    let (lda, a_data) = (a.stride(), a.data());
    let word = |data: &[u16], at: usize| data[at] as u32 | (data[at + 1] as u32) << 16;
    for j0 in cols.clone().step_by(BLOCK) {
        let panel = b.panel(j0 / BLOCK);
        let width = (cols.end - j0).min(BLOCK);
        for i0 in rows.clone().step_by(MR) {
            let live = (rows.end - i0).min(MR);
            let at = |r: usize| (i0 - rows.start + r) * rsc + (j0 - cols.start);
            let mut acc = [[0.0f32; BLOCK]; MR];
            if let Start::Current = start {
                for (r, acc) in acc.iter_mut().enumerate().take(live) {
                    acc[..width].copy_from_slice(&c[at(r)..at(r) + width]);
                }
            }
            for p in 0..pairs {
                let mut b_pairs = [0u32; BLOCK];
                for (j, pair) in b_pairs.iter_mut().enumerate() {
                    *pair = word(panel, (p * BLOCK + j) * 2);
                }
                for (r, acc) in acc.iter_mut().enumerate() {
                    let a_pair = word(a_data, (i0 + r) * lda + 2 * p);
                    for (acc, &b_pair) in acc.iter_mut().zip(&b_pairs) {
                        *acc = vdpbf16ps(*acc, a_pair, b_pair);
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate().take(live) {
                c[at(r)..at(r) + width].copy_from_slice(&acc[..width]);
            }
        }
    }
}
