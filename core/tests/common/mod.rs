//! Helpers shared by the integration tests: seeded random inputs.
// Each test binary uses a different subset of these.
#![allow(dead_code)]

use ffn_core::rng::{Rng, below, rng_for, uniform};

/// A generator for test data, on a stream no model code uses.
pub fn test_rng(seed: u64) -> Rng {
    rng_for(seed, 0x7E57)
}

/// `n` values uniform in `[lo, hi)`.
pub fn uniform_vec(rng: &mut Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| lo + (hi - lo) * uniform(rng)).collect()
}

/// `n` labels in `0..classes`.
pub fn random_labels(rng: &mut Rng, n: usize, classes: usize) -> Vec<u8> {
    (0..n).map(|_| below(rng, classes) as u8).collect()
}

/// `x` and `y` are the same bits (so `-0.0 ≠ 0.0` and NaNs compare by payload).
pub fn assert_same_bits(what: &str, x: &[f32], y: &[f32]) {
    assert_eq!(x.len(), y.len(), "{what}: lengths differ");
    for (i, (a, b)) in x.iter().zip(y).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "{what}: element {i} differs: {a:e} vs {b:e}");
    }
}
