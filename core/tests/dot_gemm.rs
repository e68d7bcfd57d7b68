//! The small-batch input-gradient product (`kernels::dot_gemm`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! block shape and tail, and the reference is a correct product.

mod common;

use common::{assert_same_bits, test_rng, uniform_vec};
use ffn_core::kernels::chain_gemm::available;
use ffn_core::kernels::dot_gemm::{dot_matmul_here, reference};

/// Batch rows; rows of `B` around the 16-row block (64 = half a hidden
/// layer); depths around the 16-lane chunk (10 = the output layer, 128 = a
/// hidden layer).
const MS: [usize; 4] = [1, 5, 16, 64];
const NS: [usize; 6] = [1, 7, 16, 17, 64, 130];
const KS: [usize; 7] = [0, 1, 10, 16, 17, 128, 131];

#[test]
fn dot_kernel_matches_the_reference_bit_for_bit_and_the_reference_is_a_product() {
    let mut rng = test_rng(31);
    let mut cases = 0;
    for m in MS {
        for n in NS {
            for k in KS {
                let a = uniform_vec(&mut rng, m * k, -1.0, 1.0);
                let b = uniform_vec(&mut rng, n * k, -1.0, 1.0);
                // A row stride wider than `n`, as when a part writes its columns of `dX`.
                let ldc = n + 3;
                let fill = uniform_vec(&mut rng, m * ldc, -1.0, 1.0);
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
                if available() {
                    let mut got = fill.clone();
                    dot_matmul_here(m, n, k, &a, &b, &mut got, ldc);
                    assert_same_bits(&format!("{m}×{n}×{k}"), &got, &expected);
                }
                cases += 1;
            }
        }
    }
    println!("{cases} cases; AVX-512 kernel compared: {}", available());
    assert_eq!(cases, MS.len() * NS.len() * KS.len());
}
