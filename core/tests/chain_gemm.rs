//! The packing-free small-batch GEMM (`kernels::chain_gemm`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! tile shape, tail and start value, and the reference is a correct product.

mod common;

use common::{assert_same_bits, test_rng, uniform_vec};
use ffn_core::kernels::chain_gemm::{Start, available, chain_matmul, reference};

/// Row counts around the 8-row tile, column counts around the 16/32-lane
/// tile (10 = the output layer), depths including the batch sizes used.
const MS: [usize; 7] = [1, 3, 8, 9, 16, 17, 33];
const NS: [usize; 8] = [1, 10, 16, 17, 31, 32, 33, 130];
const KS: [usize; 4] = [1, 7, 16, 40];

#[test]
fn chain_kernel_matches_the_reference_bit_for_bit_and_the_reference_is_a_product() {
    let mut rng = test_rng(21);
    let mut cases = 0;
    let mut worst = 0.0f64;
    for m in MS {
        for n in NS {
            for k in KS {
                let a = uniform_vec(&mut rng, m * (2 * k + 1), -1.0, 1.0);
                let b = uniform_vec(&mut rng, k * n, -1.0, 1.0);
                let w = uniform_vec(&mut rng, m * n, -1.0, 1.0);
                let c0 = uniform_vec(&mut rng, m * n, -1.0, 1.0);
                // A row-major (m×k), A stored transposed (k×m) as the weight gradient
                // reads it, and neither stride 1 (each has its own loop in the kernel).
                let layouts = [(k, 1), (1, m), (2 * k + 1, 2)];
                for (rsa, csa) in layouts {
                    for start in [Start::Current, Start::Zero, Start::Scaled(&w, 0.3)] {
                        let mut expected = c0.clone();
                        reference(m, k, n, (&a, rsa, csa), &b, &mut expected, start);
                        for i in 0..m {
                            for j in 0..n {
                                let mut exact = match start {
                                    Start::Current => c0[i * n + j] as f64,
                                    Start::Zero => 0.0,
                                    Start::Scaled(w, d) => d as f64 * w[i * n + j] as f64,
                                };
                                for kk in 0..k {
                                    exact += a[i * rsa + kk * csa] as f64 * b[kk * n + j] as f64;
                                }
                                let error = (expected[i * n + j] as f64 - exact).abs();
                                worst = worst.max(error);
                                assert!(error <= 1e-5 * (k as f64 + 1.0), "reference {m}×{k}×{n}: {error:e}");
                            }
                        }
                        if available() {
                            let mut got = c0.clone();
                            chain_matmul(m, k, n, (&a, rsa, csa), &b, &mut got, start);
                            assert_same_bits(
                                &format!("{m}×{k}×{n}, strides ({rsa}, {csa}), {start:?}"),
                                &got,
                                &expected,
                            );
                        }
                        cases += 1;
                    }
                }
            }
        }
    }
    println!("{cases} cases; AVX-512 kernel compared: {}; worst reference error {worst:.2e}", available());
    assert_eq!(cases, MS.len() * NS.len() * KS.len() * 9);
}

/// The layer shapes of a batch-16 step, large enough to be split over the
/// threads: the same bits on one thread and on all.
#[test]
fn split_calls_give_the_reference_bits_on_any_thread_count() {
    use ffn_core::kernels::parallel;
    if !available() {
        println!("no AVX-512 on this CPU: the kernel cannot run here (the reference is checked above)");
        return;
    }
    let mut rng = test_rng(22);
    let all = parallel::set_threads(usize::MAX);
    // Forward (16 × 784 · 784 × 128, split along columns) and weight gradient
    // (784 × 16 · 16 × 128 stored transposed, split along rows).
    for (m, k, n, transposed) in [(16, 784, 128, false), (784, 16, 128, true), (128, 16, 128, true)] {
        let a = uniform_vec(&mut rng, m * k, -1.0, 1.0);
        let b = uniform_vec(&mut rng, k * n, -1.0, 1.0);
        let w = uniform_vec(&mut rng, m * n, -1.0, 1.0);
        let a = if transposed { (&a[..], 1, m) } else { (&a[..], k, 1) };
        let mut expected = vec![0.0; m * n];
        reference(m, k, n, a, &b, &mut expected, Start::Scaled(&w, 5e-4));
        for threads in [1, all] {
            parallel::set_threads(threads);
            let mut got = vec![f32::NAN; m * n];
            chain_matmul(m, k, n, a, &b, &mut got, Start::Scaled(&w, 5e-4));
            assert_same_bits(&format!("{m}×{k}×{n} on {threads} threads"), &got, &expected);
        }
    }
    parallel::set_threads(all);
}
