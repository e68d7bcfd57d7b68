//! The products of a dense layer, each role behind one kernel selection.
//!
//! A dense layer multiplies three ways, each a role: the forward product
//! `X·W`, the weight gradient `Xᵀ·dY` and the input gradient `dY·Wᵀ`.
//! [`select`] picks, for a layer's shape and a role, the kernel that does
//! it fastest on this CPU (the rules and why are all in it); the training
//! code never knows which runs. The kernels:
//!
//! - [`packed`]: matrixmultiply, which packs both operands into panels for
//!   its per-architecture micro-kernel; any CPU, any shape;
//! - [`chain`]: fused multiply-add chains that read `B` where it lies
//!   (AVX-512; forward products and weight gradients of small batches);
//! - [`dot`]: 16-lane dot products of rows (AVX-512; input gradients of
//!   small batches);
//! - [`narrow`]: gathered columns for a depth of at most 16 (AVX-512; the
//!   output layer's input gradient at small batches).
//!
//! Every kernel computes each element of `C` in an order of its own that
//! does not depend on which block of `C` a call computes, so the plans of a
//! training step may hand each part a block and still get the bits of one
//! whole call; the AVX-512 kernels define that order in a `reference`
//! function the tests hold them to. Adding a kernel (another precision,
//! another CPU) is a module with its `product` and `reference`, a variant of
//! [`Gemm`], and its rule in [`select`].

pub mod chain;
pub mod dot;
pub mod narrow;
pub mod packed;

use crate::kernels::Kernels;
use crate::matrix::{MatMut, MatRef};

/// What a product computes in a dense layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `Z = start + X·W` (`batch × fan_in` times `fan_in × fan_out`).
    Forward,
    /// `dW = start + Xᵀ·dY` (`fan_in × batch` times `batch × fan_out`).
    WeightGradient,
    /// `dX = dY·Wᵀ` (`batch × fan_out` times `fan_out × fan_in`), overwritten.
    InputGradient,
}

/// The shape of a dense layer applied to a batch: what the kernel choice
/// depends on (never the block of it a part computes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerShape {
    pub batch: usize,
    pub fan_in: usize,
    pub fan_out: usize,
}

/// Where each element's sum starts.
#[derive(Clone, Copy)]
pub enum Start<'a> {
    Zero,
    /// From the value already in `C` (the bias rows of a forward product).
    Current,
    /// From `decay · w[i, j]`, `w` shaped like `C` (a weight gradient's L2 decay).
    Scaled(MatRef<'a>, f32),
}

impl core::fmt::Debug for Start<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Start::Zero => f.write_str("Zero"),
            Start::Current => f.write_str("Current"),
            Start::Scaled(_, decay) => write!(f, "Scaled({decay})"),
        }
    }
}

/// A product kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gemm {
    Packed,
    Chain,
    Dot,
    Narrow,
}

/// Batches up to this size use the packing-free AVX-512 kernels: packing
/// the weights costs more than it saves when each packed weight serves only
/// a few rows. Above it matrixmultiply is faster (`bench-epoch`: a tie at
/// batch 128, slower at 256; see `benches/RESULTS.md`).
pub const UNPACKED_MAX_BATCH: usize = 64;

/// Input gradients take [`dot`] up to this batch size (and from a depth of
/// 32): at batch 64 the epoch was a tie or slower, and below depth 32 the
/// fold of the lane sums costs more than the products.
const DOT_MAX_BATCH: usize = 32;
const DOT_MIN_DEPTH: usize = 32;

/// The kernel for `role` in a layer of `shape`, on the CPU `kernels` describes.
pub fn select(kernels: Kernels, shape: LayerShape, role: Role) -> Gemm {
    if !chain::available(kernels) || shape.batch > UNPACKED_MAX_BATCH {
        return Gemm::Packed;
    }
    match role {
        Role::Forward | Role::WeightGradient => Gemm::Chain,
        Role::InputGradient if shape.batch <= DOT_MAX_BATCH && shape.fan_out >= DOT_MIN_DEPTH => Gemm::Dot,
        Role::InputGradient if narrow::takes(kernels, shape.fan_out) => Gemm::Narrow,
        Role::InputGradient => Gemm::Packed,
    }
}

impl Gemm {
    /// `C = start + A·B` (`A`: `m×k`, `B`: `k×n`, `C`: `m×n` row-major).
    /// [`Gemm::Dot`] and [`Gemm::Narrow`] take `B = Wᵀ` of a row-major `W`
    /// and only [`Start::Zero`]; [`Gemm::Chain`] takes a row-major `B`.
    ///
    /// # Panics
    /// If the shapes do not match, or the kernel does not take the operands.
    pub fn product(self, kernels: Kernels, a: MatRef, b: MatRef, c: MatMut, start: Start) {
        match self {
            Gemm::Packed => packed::product(kernels, a, b, c, start),
            Gemm::Chain => chain::product(kernels, a, b, c, start),
            Gemm::Dot | Gemm::Narrow => {
                assert!(matches!(start, Start::Zero), "{self:?} overwrites C");
                if self == Gemm::Dot { dot::product(kernels, a, b, c) } else { narrow::product(kernels, a, b, c) }
            }
        }
    }
}
