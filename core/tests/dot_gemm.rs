//! The small-batch input-gradient product (`kernels::dot_gemm`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! block shape and tail, and the reference is a correct product.

mod common;

use common::{ABtProduct, check_a_bt_case, test_rng};
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
                check_a_bt_case(&mut rng, (m, n, k), reference, available().then_some(dot_matmul_here as ABtProduct));
                cases += 1;
            }
        }
    }
    println!("{cases} cases; AVX-512 kernel compared: {}", available());
    assert_eq!(cases, MS.len() * NS.len() * KS.len());
}
