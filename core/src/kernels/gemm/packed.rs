//! The product through `matrixmultiply::sgemm`, which packs both operands
//! into panels for its per-architecture micro-kernel (AVX-512, AVX2/FMA,
//! SSE, or portable), chosen by matrixmultiply at run time. Any strides:
//! transposes never copy.
//!
//! Every element of `C` is summed by the same micro-kernel in the same `k`
//! order, in the same depth blocks, whatever block of `C` a call computes
//! (alpha is 1 and beta 0 or 1 here, which every matrixmultiply path, masked
//! or not, rounds the same way): so the parts of a plan may each compute a
//! block of rows or columns and get the bits of one whole call.

use super::Start;
use crate::kernels::Kernels;
use crate::kernels::elementwise::scale_into;
use crate::matrix::{MatMut, MatRef};

/// `C = start + A·B` for `A` (`m×k`) and `B` (`k×n`) with any strides and
/// `C` row-major.
///
/// # Panics
/// If the shapes do not match.
pub fn product(kernels: Kernels, a: MatRef, b: MatRef, c: MatMut, start: Start) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert!(b.rows() == k && c.rows() == m && c.cols() == n, "packed product: shapes differ");
    let mut c = c;
    let beta = match start {
        Start::Zero => 0.0,
        Start::Current => 1.0,
        Start::Scaled(w, decay) => {
            scale_into(kernels, c.rb(), w, decay);
            1.0
        }
    };
    if m == 0 || n == 0 {
        return;
    }
    let [rsa, csa, rsb, csb] = [a.row_stride(), a.col_stride(), b.row_stride(), b.col_stride()].map(|s| s as isize);
    let rsc = c.row_stride() as isize;
    // SAFETY: each view covers every element its shape and strides reach,
    // and `c` is borrowed exclusively.
    unsafe {
        matrixmultiply::sgemm(m, k, n, 1.0, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, beta, c.as_mut_ptr(), rsc, 1)
    }
}
