//! The small-batch input-gradient product (`kernels::gemm::dot`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! block shape and tail, and the reference is a correct product.

mod common;

use common::{ABtProduct, check_a_bt_case, test_rng};
use ffn_core::kernels::Kernels;
use ffn_core::kernels::gemm::chain::available;
use ffn_core::kernels::gemm::dot::{product, reference};
use ffn_core::matrix::{MatMut, MatRef};

fn kernel(a: MatRef, b: MatRef, c: MatMut) {
    product(Kernels::detect(), a, b, c)
}

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
                let kernel = available(Kernels::detect()).then_some(kernel as ABtProduct);
                check_a_bt_case(&mut rng, (m, n, k), reference, kernel);
                cases += 1;
            }
        }
    }
    println!("{cases} cases; AVX-512 kernel compared: {}", available(Kernels::detect()));
    assert_eq!(cases, MS.len() * NS.len() * KS.len());
}
