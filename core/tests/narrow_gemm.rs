//! The shallow input-gradient product (`kernels::gemm::narrow`): the AVX-512
//! kernel gives exactly the bits of the element-at-a-time reference for every
//! depth it takes and every tail of 16 rows, and the reference is a correct product.

mod common;

use common::{ABtProduct, check_a_bt_case, test_rng};
use ffn_core::kernels::Kernels;
use ffn_core::kernels::gemm::narrow::{MAX_DEPTH, product, reference, takes};
use ffn_core::matrix::{MatMut, MatRef};

fn kernel(a: MatRef, b: MatRef, c: MatMut) {
    product(Kernels::detect(), a, b, c)
}

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
                let kernel = takes(Kernels::detect(), k).then_some(kernel as ABtProduct);
                compared += kernel.is_some() as usize;
                check_a_bt_case(&mut rng, (m, n, k), reference, kernel);
            }
        }
    }
    println!("AVX-512 kernel compared in {compared} cases");
    assert!(
        !takes(Kernels::detect(), 0) && !takes(Kernels::detect(), MAX_DEPTH + 1),
        "depths the kernel does not take"
    );
}
