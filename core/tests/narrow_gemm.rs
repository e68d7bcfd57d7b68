//! The shallow input-gradient product (`kernels::narrow_gemm`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! depth it takes and every tail of 16 rows, and the reference is a correct product.

mod common;

use common::{assert_same_bits, test_rng, uniform_vec};
use ffn_core::kernels::narrow_gemm::{MAX_DEPTH, narrow_matmul_here, pays, reference};

/// Batch rows; rows of `B` around the 16-row gather (64 = half a hidden
/// layer); every depth the kernel takes (10 = the output layer).
const MS: [usize; 4] = [1, 5, 16, 64];
const NS: [usize; 6] = [1, 7, 16, 17, 64, 130];

#[test]
fn narrow_kernel_matches_the_reference_bit_for_bit_and_the_reference_is_a_product() {
    let mut rng = test_rng(37);
    let mut compared = 0;
    for m in MS {
        for n in NS {
            for k in 1..=MAX_DEPTH {
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
                if pays(k) {
                    let mut got = fill.clone();
                    narrow_matmul_here(m, n, k, &a, &b, &mut got, ldc);
                    assert_same_bits(&format!("{m}×{n}×{k}"), &got, &expected);
                    compared += 1;
                }
            }
        }
    }
    println!("AVX-512 kernel compared in {compared} cases");
    assert!(!pays(0) && !pays(MAX_DEPTH + 1), "depths the kernel does not take");
}
