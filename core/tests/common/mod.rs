//! Helpers shared by the integration tests: seeded random inputs.
// Each test binary uses a different subset of these.
#![allow(dead_code)]

use ffn_core::exec::Executor;
use ffn_core::matrix::{MatMut, MatRef};
use ffn_core::rng::{Rng, below, rng_for, uniform};

/// Pixels per image (28 × 28) of the MNIST-style data the tests model.
pub const INPUT_SIZE: usize = 784;
/// Classes per image of that data.
pub const NUM_CLASSES: usize = 10;

/// An executor of two "threads" that runs the parts of every phase in
/// turn, the last part first: the plans of a step run, deterministically and
/// without threads, in an order no pool would choose.
pub struct InTurn;

impl Executor for InTurn {
    fn threads(&self) -> usize {
        2
    }

    fn run(&self, parts: usize, job: &(dyn Fn(usize) + Sync)) {
        (0..parts).rev().for_each(job);
    }

    fn run_phases(&self, parts: usize, phases: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        (0..phases).for_each(|phase| (0..parts).rev().for_each(|part| job(phase, part)));
    }
}

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

/// A `C = A·Bᵀ` kernel's signature: `(a, b, c)` with `b` = `Wᵀ` of a row-major `W`.
pub type ABtProduct = fn(MatRef, MatRef, MatMut);

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
    let views = |c: &mut Vec<f32>, run: ABtProduct| {
        let (a, w) = (MatRef::new(&a, m, k, k), MatRef::new(&b, n, k, k));
        run(a, w.t(), MatMut::new(c, m, n, ldc));
    };
    let mut expected = fill.clone();
    views(&mut expected, reference);
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
        views(&mut got, kernel);
        assert_same_bits(&format!("{m}×{n}×{k}"), &got, &expected);
    }
}
