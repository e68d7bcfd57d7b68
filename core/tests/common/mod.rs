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
pub fn random_labels(rng: &mut Rng, n: usize, classes: usize) -> Vec<u32> {
    (0..n).map(|_| below(rng, classes) as u32).collect()
}

/// `x` and `y` are the same bits (so `-0.0 ≠ 0.0` and NaNs compare by payload).
pub fn assert_same_bits(what: &str, x: &[f32], y: &[f32]) {
    assert_eq!(x.len(), y.len(), "{what}: lengths differ");
    for (i, (a, b)) in x.iter().zip(y).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "{what}: element {i} differs: {a:e} vs {b:e}");
    }
}

/// A `C = A·Bᵀ` kernel's signature: `(m, n, k, a, b, c, ldc)`.
pub type ABtProduct = fn(usize, usize, usize, &[f32], &[f32], &mut [f32], usize);

/// One `m×n×k` case of a `C = A·Bᵀ` kernel and its element-at-a-time
/// reference, with a row stride of `C` wider than `n` (as when a part writes
/// its columns of `dX`): the reference writes no element outside `C`, is the
/// product within f32 rounding, and `kernel`, when given, has its bits.
pub fn check_a_bt_case(
    rng: &mut Rng,
    (m, n, k): (usize, usize, usize),
    reference: ABtProduct,
    kernel: Option<ABtProduct>,
) {
    let a = uniform_vec(rng, m * k, -1.0, 1.0);
    let b = uniform_vec(rng, n * k, -1.0, 1.0);
    let ldc = n + 3;
    let fill = uniform_vec(rng, m * ldc, -1.0, 1.0);
    let mut expected = fill.clone();
    reference(m, n, k, &a, &b, &mut expected, ldc);
    for i in 0..m {
        for j in 0..ldc {
            let at = i * ldc + j;
            if j >= n {
                assert_eq!(expected[at].to_bits(), fill[at].to_bits(), "reference wrote outside C");
                continue;
            }
            let exact: f64 = (0..k).map(|kk| a[i * k + kk] as f64 * b[j * k + kk] as f64).sum();
            let error = (expected[at] as f64 - exact).abs();
            assert!(error <= 1e-6 * (k as f64 + 1.0), "reference {m}×{n}×{k}: {error:e}");
        }
    }
    if let Some(kernel) = kernel {
        let mut got = fill.clone();
        kernel(m, n, k, &a, &b, &mut got, ldc);
        assert_same_bits(&format!("{m}×{n}×{k}"), &got, &expected);
    }
}
