//! Scalar models of the two bf16 dot-product instructions and, built on them,
//! the reference product of each level: what the kernels must give, bit for
//! bit. They read the f32 operands and round them with [`to_bf16`] themselves,
//! so the tests hold the packing code to them as well as the kernels.
//!
//! Both instructions multiply bf16 values exactly (8-bit significands: the
//! product fits an f32) inside fused multiply-adds that round to nearest even,
//! treat a subnormal input as zero and flush a subnormal result to zero
//! ([`flush`]), whatever MXCSR says. They differ in how a pair is summed (the
//! module doc of [`super`] has the formulas).

use super::Start;
use super::convert::{from_bf16, to_bf16};
use super::packed::Strided;
use crate::math::fma;

/// A subnormal becomes a zero of its sign (the instructions' DAZ and FTZ).
#[inline(always)]
pub fn flush(x: f32) -> f32 {
    let bits = x.to_bits();
    if bits & 0x7F80_0000 == 0 { f32::from_bits(bits & 0x8000_0000) } else { x }
}

/// The two bf16 halves of a pair word, as f32: `[low (even k), high (odd k)]`.
#[inline(always)]
pub fn halves(pair: u32) -> [f32; 2] {
    [from_bf16(pair as u16), from_bf16((pair >> 16) as u16)]
}

/// One lane of `VDPBF16PS`: the odd product first, then the even one, each a
/// fused multiply-add into the accumulator (Intel SDM; checked against the
/// instruction by the tests).
#[inline(always)]
pub fn vdpbf16ps(acc: f32, a: u32, b: u32) -> f32 {
    let ([a0, a1], [b0, b1]) = (halves(a), halves(b));
    let acc = flush(fma(a1, b1, flush(acc)));
    flush(fma(a0, b0, acc))
}

/// One element of `TDPBF16PS` over one tile row (up to 16 pairs): the even
/// products summed in one chain and the odd ones in another, both from zero,
/// then their sum added to the accumulator (Intel SDM's pseudocode).
#[inline(always)]
pub fn tdpbf16ps(acc: f32, a: &[u32], b: &[u32]) -> f32 {
    let (mut even, mut odd) = (0.0f32, 0.0f32);
    for (&a, &b) in a.iter().zip(b) {
        let ([a0, a1], [b0, b1]) = (halves(a), halves(b));
        even = flush(fma(a0, b0, even));
        odd = flush(fma(a1, b1, odd));
    }
    flush(flush(acc) + flush(even + odd))
}

/// How a level sums the pairs of `k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// `VDPBF16PS`, one pair at a time into the accumulator (the AVX512-BF16
    /// and f32 levels).
    PairByPair,
    /// `TDPBF16PS`, 16 pairs per instruction (the AMX level).
    Tiles,
}

/// `C = start + A·B` with `A` (`m×k`) and `B` (`k×n`) rounded to bf16 and
/// summed in `order`, one element at a time; `C` is row-major with row stride
/// `rsc`.
#[allow(clippy::too_many_arguments)]
pub fn reference(
    order: Order,
    m: usize,
    k: usize,
    n: usize,
    (a, rsa, csa): Strided,
    (b, rsb, csb): Strided,
    (c, rsc): (&mut [f32], usize),
    start: Start,
) {
    // Pairs of `k`; an odd `k` gets a zero partner, and the AMX level's last
    // tile row zero pairs up to 16, as in the packed operands (a zero pair can
    // turn a chain's -0 into +0, so it is part of the result's definition).
    let pairs = match order {
        Order::PairByPair => k.div_ceil(2),
        Order::Tiles => k.div_ceil(2).next_multiple_of(16),
    };
    let a_at = |i: usize, kk: usize| if kk < k { to_bf16(a[i * rsa + kk * csa]) as u32 } else { 0 };
    let b_at = |kk: usize, j: usize| if kk < k { to_bf16(b[kk * rsb + j * csb]) as u32 } else { 0 };
    let mut a_row = alloc::vec![0u32; pairs];
    let mut b_col = alloc::vec![0u32; pairs];
    for i in 0..m {
        for (p, word) in a_row.iter_mut().enumerate() {
            *word = a_at(i, 2 * p) | a_at(i, 2 * p + 1) << 16;
        }
        for j in 0..n {
            for (p, word) in b_col.iter_mut().enumerate() {
                *word = b_at(2 * p, j) | b_at(2 * p + 1, j) << 16;
            }
            let cell = &mut c[i * rsc + j];
            let mut acc = match start {
                Start::Current => *cell,
                Start::Zero => 0.0,
            };
            match order {
                Order::PairByPair => {
                    for (&a, &b) in a_row.iter().zip(&b_col) {
                        acc = vdpbf16ps(acc, a, b);
                    }
                }
                Order::Tiles => {
                    for (a, b) in a_row.chunks(16).zip(b_col.chunks(16)) {
                        acc = tdpbf16ps(acc, a, b);
                    }
                }
            }
            *cell = acc;
        }
    }
}
