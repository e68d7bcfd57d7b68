//! Seeded randomness: every random choice in ffn (initial weights, shuffles,
//! the validation split) comes from one `Xoshiro256PlusPlus` stream per use,
//! so the same seed gives the same bits on every machine.

use rand_core::{RngCore, SeedableRng};
pub use rand_xoshiro::Xoshiro256PlusPlus as Rng;

/// A generator for `seed`, independent of any other `stream` from the same seed.
pub fn rng_for(seed: u64, stream: u64) -> Rng {
    let mut rng = Rng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // Decorrelate nearby seeds before first use.
    rng.next_u64();
    rng
}

/// Uniform in [0, 1) with 24 bits of precision (every value exactly representable).
#[inline]
pub fn uniform(rng: &mut Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Standard normal by the Box–Muller transform (one value per call; simple over fast:
/// it only runs at initialisation).
pub fn normal(rng: &mut Rng) -> f32 {
    let u1 = 1.0 - uniform(rng); // (0, 1]: keeps ln finite
    let u2 = uniform(rng);
    crate::math::sqrt(-2.0 * libm::logf(u1)) * libm::cosf(core::f32::consts::TAU * u2)
}

/// Uniform integer in `0..n` (Lemire's multiply-shift; bias below 2^-32 for ffn's sizes).
#[inline]
pub fn below(rng: &mut Rng, n: usize) -> usize {
    (((rng.next_u64() >> 32) * n as u64) >> 32) as usize
}

/// Fisher–Yates shuffle.
pub fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}
