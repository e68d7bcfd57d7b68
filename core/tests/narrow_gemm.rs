//! The shallow input-gradient product (`kernels::narrow_gemm`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! depth it takes and every tail of 16 rows, and the reference is a correct product.

mod common;

use common::{ABtProduct, check_a_bt_case, test_rng};
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
                let kernel = pays(k).then_some(narrow_matmul_here as ABtProduct);
                compared += kernel.is_some() as usize;
                check_a_bt_case(&mut rng, (m, n, k), reference, kernel);
            }
        }
    }
    println!("AVX-512 kernel compared in {compared} cases");
    assert!(!pays(0) && !pays(MAX_DEPTH + 1), "depths the kernel does not take");
}
