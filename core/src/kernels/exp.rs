//! `exp` over a slice in SIMD lanes, with the bits of `libm::expf`.
//!
//! Softmax calls `exp` once per class and row: 160 times in the serial part
//! of a batch-16 step and 60 000 times in a validation pass, one libm call
//! at a time. [`exp_in_place`] runs libm's own algorithm (FreeBSD's `expf`:
//! `x = k·ln 2 + r`, a rational approximation of `eʳ`, then `·2ᵏ`) with its
//! branches turned into selects, so the compiler can put 16 lanes in a
//! register (what that gained: `benches/RESULTS.md`); the tests hold it to
//! `libm::expf` bit for bit. Slices with an
//! argument where libm takes another path (|x| ≥ 87.34, where `2ᵏ` needs two
//! scalings, or NaN) go through libm whole.

use crate::simd_kernel;

// libm's constants, by their bits (as its source gives them).
const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);
const INV_LN2: f32 = f32::from_bits(0x3fb8_aa3b);
const P1: f32 = f32::from_bits(0x3e2a_aa8f);
const P2: f32 = f32::from_bits(0xbb35_5215);

/// |x| from here on (and NaN) takes libm's special cases.
const LIBM_SPECIAL: u32 = 0x42ae_ac50;

simd_kernel! {
    /// `values[i] = libm::expf(values[i])`, the same bits.
    pub fn exp_in_place(kernels: Kernels, values: &mut [f32]) {
        let special = values.iter().fold(false, |any, v| any | (v.to_bits() & 0x7fff_ffff >= LIBM_SPECIAL));
        if special {
            values.iter_mut().for_each(|v| *v = libm::expf(*v));
        } else {
            values.iter_mut().for_each(|v| *v = exp_below_special(*v));
        }
    }
}

/// libm's `expf` for |x| < 87.34, branch-free.
#[inline(always)]
fn exp_below_special(x: f32) -> f32 {
    let bits = x.to_bits();
    let magnitude = bits & 0x7fff_ffff;
    let negative = bits >> 31 == 1;
    // Beyond ½ ln 2: x = k·ln2_hi + (hi − k·ln2_hi) − k·ln2_lo, k the nearest
    // integer to x / ln 2 (±1 up to 1.5 ln 2).
    let reduced = magnitude > 0x3eb1_7218;
    let half = if negative { -0.5 } else { 0.5 };
    let far = (INV_LN2 * x + half) as i32;
    let near = if negative { -1 } else { 1 };
    let k = if !reduced {
        0
    } else if magnitude > 0x3f85_1592 {
        far
    } else {
        near
    };
    let kf = k as f32;
    let hi = if reduced { x - kf * LN2_HI } else { x };
    let lo = if reduced { kf * LN2_LO } else { 0.0 };
    // Unreduced, `hi − lo` is `x − 0`: `x` itself.
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * P2);
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    // k ≥ −126 here, so 2ᵏ is a normal float and one multiply scales.
    let scaled = if k == 0 { y } else { y * f32::from_bits(((0x7f + k) as u32) << 23) };
    // Below 2⁻¹⁴ libm returns 1 + x.
    if magnitude > 0x3900_0000 { scaled } else { 1.0 + x }
}

#[cfg(test)]
mod tests {
    use super::exp_in_place;
    use crate::kernels::Kernels;
    use std::vec::Vec;

    /// Every 61st float from −∞ to +∞ (70 M values; under Miri, which
    /// interprets each, every 61·4099th), including both sides of every
    /// branch and the special cases, in slices of 1 000.
    #[test]
    fn gives_the_bits_of_libm_expf() {
        let mut checked = 0u64;
        let stride = if cfg!(miri) { 61 * 4099 } else { 61 };
        let values: Vec<f32> = (0..=u32::MAX / stride).map(|i| f32::from_bits(i * stride)).collect();
        for chunk in values.chunks(1000) {
            let mut got = chunk.to_vec();
            exp_in_place(Kernels::detect(), &mut got);
            for (x, y) in chunk.iter().zip(&got) {
                let want = libm::expf(*x);
                assert!(
                    y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan()),
                    "exp({x:e}) = {y:e}, libm {want:e}"
                );
                checked += 1;
            }
        }
        // The branch edges themselves, alone in a slice (so no special value sends it to libm).
        for edge in [0x3eb1_7218u32, 0x3f85_1592, 0x3900_0000, 0x42ae_ac4f] {
            for bits in [edge - 1, edge, edge + 1, edge | 0x8000_0000, (edge + 1) | 0x8000_0000] {
                let mut got = [f32::from_bits(bits)];
                exp_in_place(Kernels::detect(), &mut got);
                assert_eq!(got[0].to_bits(), libm::expf(f32::from_bits(bits)).to_bits(), "bits {bits:#x}");
            }
        }
        assert!(checked > u64::from(u32::MAX / stride));
    }
}
