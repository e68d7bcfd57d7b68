//! The packing-free small-batch GEMM (`kernels::gemm::chain`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! tile shape, tail and start value, and the reference is a correct product.

mod common;

use common::{assert_same_bits, test_rng, uniform_vec};
use ffn_core::kernels::Kernels;
use ffn_core::kernels::gemm::Start;
use ffn_core::kernels::gemm::chain::{available, product, reference};
use ffn_core::matrix::{MatMut, MatRef};

/// Row counts around the 8-row tile, column counts around the 16/32-lane
/// tile (10 = the output layer), depths including the batch sizes used.
const MS: [usize; 7] = [1, 3, 8, 9, 16, 17, 33];
const NS: [usize; 8] = [1, 10, 16, 17, 31, 32, 33, 130];
const KS: [usize; 4] = [1, 7, 16, 40];

#[test]
fn chain_kernel_matches_the_reference_bit_for_bit_and_the_reference_is_a_product() {
    let kernels = Kernels::detect();
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
                    let a_view = MatRef::strided(&a, m, k, rsa, csa);
                    let b_view = MatRef::new(&b, k, n, n);
                    let w_view = MatRef::new(&w, m, n, n);
                    for start in [Start::Current, Start::Zero, Start::Scaled(w_view, 0.3)] {
                        let mut expected = c0.clone();
                        reference(a_view, b_view, MatMut::new(&mut expected, m, n, n), start);
                        for i in 0..m {
                            for j in 0..n {
                                let mut exact = match start {
                                    Start::Current => c0[i * n + j] as f64,
                                    Start::Zero => 0.0,
                                    Start::Scaled(_, d) => d as f64 * w[i * n + j] as f64,
                                };
                                for kk in 0..k {
                                    exact += a[i * rsa + kk * csa] as f64 * b[kk * n + j] as f64;
                                }
                                let error = (expected[i * n + j] as f64 - exact).abs();
                                worst = worst.max(error);
                                assert!(error <= 1e-5 * (k as f64 + 1.0), "reference {m}×{k}×{n}: {error:e}");
                            }
                        }
                        if available(kernels) {
                            let mut got = c0.clone();
                            product(kernels, a_view, b_view, MatMut::new(&mut got, m, n, n), start);
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
    println!("{cases} cases; AVX-512 kernel compared: {}; worst reference error {worst:.2e}", available(kernels));
    assert_eq!(cases, MS.len() * NS.len() * KS.len() * 9);
}

/// The layer shapes of a batch-16 step, computed as the plans cut them (a
/// block of rows, a block of columns, a row block of a wider `C`): every
/// block has the bits of the whole product.
#[test]
fn blocks_of_c_have_the_bits_of_the_whole_product() {
    let kernels = Kernels::detect();
    let mut rng = test_rng(22);
    // Forward (16 × 784 · 784 × 128) and weight gradients (784 × 16 · 16 × 128
    // and 128 × 16 · 16 × 128, A stored transposed).
    for (m, k, n, transposed) in [(16, 784, 128, false), (784, 16, 128, true), (128, 16, 128, true)] {
        let a = uniform_vec(&mut rng, m * k, -1.0, 1.0);
        let b = uniform_vec(&mut rng, k * n, -1.0, 1.0);
        let w = uniform_vec(&mut rng, m * n, -1.0, 1.0);
        let a = if transposed { MatRef::strided(&a, m, k, 1, m) } else { MatRef::new(&a, m, k, k) };
        let (b, w) = (MatRef::new(&b, k, n, n), MatRef::new(&w, m, n, n));
        let mut expected = vec![0.0; m * n];
        reference(a, b, MatMut::new(&mut expected, m, n, n), Start::Scaled(w, 5e-4));
        let run = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>, c: &mut Vec<f32>| {
            let block = MatMut::new(c, m, n, n).into_block(rows.clone(), cols.clone());
            let start = Start::Scaled(w.block(rows.clone(), cols.clone()), 5e-4);
            if available(kernels) {
                product(kernels, a.rows_of(rows), b.cols_of(cols), block, start);
            } else {
                reference(a.rows_of(rows), b.cols_of(cols), block, start);
            }
        };
        let mut by_rows = vec![f32::NAN; m * n];
        run(0..m / 2, 0..n, &mut by_rows);
        run(m / 2..m, 0..n, &mut by_rows);
        assert_same_bits(&format!("{m}×{k}×{n} by rows"), &by_rows, &expected);
        let mut by_cols = vec![f32::NAN; m * n];
        run(0..m, 0..48, &mut by_cols);
        run(0..m, 48..n, &mut by_cols);
        assert_same_bits(&format!("{m}×{k}×{n} by columns"), &by_cols, &expected);
    }
}
