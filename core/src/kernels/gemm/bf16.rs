//! The products in bf16 with f32 accumulation ([`crate::kernels::bf16`]:
//! AMX tiles, AVX512-BF16, or their f32 model), as one more kernel behind
//! [`super::select`]: it takes the same f32 views as the other kernels and
//! rounds them to bf16 as it packs them, except a weight operand that the
//! step packed once (see [`Operand::Packed`]).
//!
//! What is rounded where, in a training step at `--precision bf16`:
//!
//! - rounded to bf16 (nearest, ties to even, subnormals to zero), at
//!   packing: the left operand of every product (a layer's input `X` for
//!   `X·W`, `Xᵀ` for `Xᵀ·dY`, the delta `dY` for `dY·Wᵀ`), and the right one
//!   (`W` and `Wᵀ`, packed once per step from the f32 master weights, and
//!   `dY` for `Xᵀ·dY`);
//! - f32: each product's accumulation and result (the outputs before their
//!   activation, `dW`, `dX`), the start values (bias rows, the L2 decay term
//!   `decay·W` of `dW`), and everything else: activations, dropout,
//!   softmax, the loss, the bias gradient, the master weights, the
//!   optimizer's state and update.
//!
//! Every element of `C` is the same sequence of operations whichever block
//! of it a call computes, so the plans' parts give the reference step's
//! bits; the AMX and AVX512-BF16 levels sum pairs in different orders and
//! so give different bits from each other (the f32 level gives the
//! AVX512-BF16 bits on any CPU).

use crate::matrix::MatRef;
#[cfg(feature = "alloc")]
use {
    super::Start,
    crate::kernels::Kernels,
    crate::kernels::bf16::{self, PackedA, PackedB},
    crate::kernels::elementwise::scale_into,
    crate::matrix::MatMut,
};

/// A product's right operand.
#[derive(Clone, Copy)]
pub enum Operand<'a> {
    /// f32, where it lies (any kernel).
    Lies(MatRef<'a>),
    /// Already rounded and packed for the bf16 kernel (a layer's weights,
    /// packed once per step by the caller).
    #[cfg(feature = "alloc")]
    Packed(&'a PackedB),
}

impl core::fmt::Debug for Operand<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Operand::Lies(m) => write!(f, "Lies({}×{})", m.rows(), m.cols()),
            #[cfg(feature = "alloc")]
            Operand::Packed(p) => write!(f, "Packed({}×{})", p.k(), p.n()),
        }
    }
}

/// The buffers one thread packs its products' operands into, reused from
/// product to product (they grow to the largest operand, then stay).
/// Empty without `alloc`, where no product runs in bf16.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    #[cfg(feature = "alloc")]
    a: PackedA,
    #[cfg(feature = "alloc")]
    b: PackedB,
    /// `C` when the caller's is not whole rows (another part writes between them).
    #[cfg(feature = "alloc")]
    c: alloc::vec::Vec<f32>,
}

#[cfg(feature = "alloc")]
/// The raw elements a view reaches, as a slice.
fn elements<'a>(m: MatRef<'a>) -> &'a [f32] {
    let (rows, cols) = (m.rows(), m.cols());
    let len = if rows == 0 || cols == 0 { 0 } else { (rows - 1) * m.row_stride() + (cols - 1) * m.col_stride() + 1 };
    // SAFETY: a view covers every element its shape and strides reach, for its lifetime.
    unsafe { core::slice::from_raw_parts(m.as_ptr(), len) }
}

#[cfg(feature = "alloc")]
/// Rounds `m` into `packed` (any strides).
pub fn pack_a(kernels: bf16::Kernels, m: MatRef, packed: &mut PackedA) {
    packed.pack(kernels, m.rows(), m.cols(), (elements(m), m.row_stride(), m.col_stride()));
}

#[cfg(feature = "alloc")]
/// Rounds `m` into `packed` (any strides).
pub fn pack_b(kernels: bf16::Kernels, m: MatRef, packed: &mut PackedB) {
    packed.pack(kernels, m.rows(), m.cols(), (elements(m), m.row_stride(), m.col_stride()));
}

#[cfg(feature = "alloc")]
/// `C = start + A·B` with `A` and (unless packed) `B` rounded to bf16 into
/// `scratch`; `kernels` must carry a bf16 level.
///
/// # Panics
/// If the shapes do not match, or `kernels` has no bf16 level.
pub fn product(kernels: Kernels, a: MatRef, b: Operand, c: MatMut, start: Start, scratch: &mut Scratch) {
    let level = kernels.bf16().expect("the bf16 product needs a bf16 level");
    let Scratch { a: packed_a, b: packed_b, c: copy } = scratch;
    let mut c = c;
    let (m, n) = (c.rows(), c.cols());
    pack_a(level, a, packed_a);
    let b = match b {
        Operand::Lies(b) => {
            pack_b(level, b, packed_b);
            &*packed_b
        }
        Operand::Packed(b) => b,
    };
    assert!(b.k() == a.cols() && b.n() == n && a.rows() == m, "bf16 product: shapes differ");
    let start = match start {
        Start::Zero => bf16::Start::Zero,
        Start::Current => bf16::Start::Current,
        Start::Scaled(w, decay) => {
            scale_into(kernels, c.rb(), w, decay);
            bf16::Start::Current
        }
    };
    if m == 0 || n == 0 {
        return;
    }
    if c.row_stride() == n || m == 1 {
        // SAFETY: `c` is borrowed exclusively and is one run of `m·n` elements.
        let whole = unsafe { core::slice::from_raw_parts_mut(c.as_mut_ptr(), (m - 1) * c.row_stride() + n) };
        return level.gemm(packed_a, b, (whole, c.row_stride()), start);
    }
    // A block of columns: the kernel takes a slice, which must not span the
    // elements between its rows (another part may write them meanwhile), so
    // it runs on a copy of the block.
    copy.resize(m * n, 0.0);
    if start == bf16::Start::Current {
        (0..m).for_each(|i| copy[i * n..(i + 1) * n].copy_from_slice(c.row(i)));
    }
    level.gemm(packed_a, b, (copy, n), start);
    (0..m).for_each(|i| c.row_mut(i).copy_from_slice(&copy[i * n..(i + 1) * n]));
}
