//! bf16 products with f32 accumulation, on the CPU's matrix units when it has
//! them: the kernels of `--precision bf16` (issue 22).
//!
//! # What is computed
//!
//! `C = start + A·B` where every element of `A` and `B` is first rounded to
//! bf16 as `VCVTNE2PS2BF16` does ([`convert::to_bf16`]: nearest, ties to even;
//! subnormals to zero) and every product and sum is an f32 fused multiply-add
//! rounded to nearest even, with subnormal inputs read as zero and subnormal
//! results flushed to zero (`flush` below), as both instructions do whatever
//! MXCSR says. The pairs `(a₂ₚ, a₂ₚ₊₁)·(b₂ₚ, b₂ₚ₊₁)` of `k` (an odd `k` gets a
//! zero partner) are summed in one of two orders, and so the levels give
//! different bits:
//!
//! - **`VDPBF16PS`** (levels [`Level::Avx512Bf16`] and [`Level::F32`]), pair
//!   by pair into the accumulator, the odd product first:
//!   `c ← flush(fma(a₂ₚ₊₁, b₂ₚ₊₁, c)); c ← flush(fma(a₂ₚ, b₂ₚ, c))` for
//!   `p = 0, 1, …`. The order and the flushing are checked against the
//!   instruction by the tests (4 M random lanes, half of them in the subnormal
//!   range).
//! - **`TDPBF16PS`** ([`Level::Amx`]), 16 pairs (32 `k`) per instruction: the
//!   even products in one chain and the odd ones in another, both from zero,
//!   `e ← flush(fma(a₂ₚ, b₂ₚ, e)), o ← flush(fma(a₂ₚ₊₁, b₂ₚ₊₁, o))`, then
//!   `c ← flush(c + flush(e + o))`, block after block of 32 `k` from `k = 0`
//!   (the last block padded with zero pairs). This is the Intel SDM's
//!   pseudocode; the machine these kernels were written on (an AMD Zen 4)
//!   has no AMX, so the hardware has not been compared with it yet: the
//!   tests do so wherever AMX is granted, and run the AMX driver with its
//!   tile instructions modelled everywhere else ([`amx::modelled_block`]).
//!
//! [`mod@reference`] computes both, one element at a time, from the f32 operands.
//!
//! # Levels and selection
//!
//! [`Kernels::detect`] picks the best level this CPU and OS allow: AMX (the
//! CPU bits, the OS's tile state, and Linux's `XTILEDATA` permission, asked
//! once: [`detect`]), else AVX512-BF16, else [`Level::F32`], which runs the
//! `VDPBF16PS` model in f32 fused multiply-adds and so gives the AVX512-BF16
//! bits on any CPU. [`Kernels::force`] pins a level (lowered to what the CPU
//! allows), for tests and for a run that must reproduce another machine's
//! bits. A [`Kernels`] value is the proof of the check: the kernels' entry
//! points are its methods, so no instruction runs that was not allowed.
//! There is no global state: the caller keeps the value (and records its
//! [`Level::name`] in the run's `config.json`).
//!
//! # Operands and calls
//!
//! A product reads a [`PackedA`] and a [`PackedB`] (layouts in [`packed`]),
//! which the caller owns and refills; packing rounds f32 to bf16, in any
//! strides, so the three products of a dense layer's step are
//! `X·W` (`A` = `X`, `B` = `W`), `Xᵀ·dY` (`A` = `X` read with strides
//! `(1, fan_in)`, `B` = `dY`) and `dY·Wᵀ` (`A` = `dY`, `B` = `W` read with
//! strides `(1, fan_out)`). [`Kernels::gemm_block`] computes a block of `C`
//! whose corner is on a multiple of 32 rows and columns, on the calling
//! thread: a caller splits a product over threads by blocks. Every element of
//! `C` is the same sequence of operations whatever the block, so the result
//! does not depend on the split, nor on the thread count. [`DenseProducts`]
//! keeps the six packed operands of one dense layer and names its three
//! products.
//!
//! # In the training step
//!
//! `train --precision bf16` puts a [`Kernels`] level into the caller's
//! [`crate::kernels::Kernels`] ([`crate::kernels::Kernels::with_bf16`]);
//! [`crate::kernels::gemm::select`] then picks
//! [`crate::kernels::gemm::Gemm::Bf16`] for every product of the training
//! step, which is the same reference step and plans as in f32
//! ([`crate::kernels::gemm::bf16`] says which tensors are rounded where):
//!
//! - **W packed once per step**, at the start of the step (the weights
//!   change only in its update): `W` and `Wᵀ` by the order's depth blocks,
//!   the two on the two parts of a plan (`model/bf16.rs`). `X` and `dY` are
//!   packed by the product that reads them, into the part's own buffers,
//!   except `dY` as the weight gradient's operand: once per layer and part,
//!   for all the blocks of weight rows the part computes that gradient in.
//! - **f32**: every product's accumulation and result, the start values
//!   (bias rows, weight decay), activations, dropout, softmax and the loss,
//!   the master weights, the optimizer's state and update, and every forward
//!   pass for evaluation and prediction (so `export`, int8 quantisation and
//!   `predict` see the f32 master weights as they would after an f32 run).
//! - **Determinism**: the same seed gives the same bits for any thread count
//!   at one level; the AMX and AVX512-BF16 levels differ from each other
//!   (the f32 level gives the AVX512-BF16 bits), and `--precision f32` does
//!   not use this module at all, so it keeps the f32 bits on every machine.
//! - Where the time of a bf16 epoch goes: `benches/RESULTS.md` ("bf16
//!   training").

pub mod amx;
#[cfg(target_arch = "x86_64")]
pub mod avx512;
pub mod convert;
pub mod dense;
pub mod detect;
pub mod emulated;
#[cfg(target_arch = "x86_64")]
pub mod pack_avx512;
pub mod packed;
pub mod reference;

use core::ops::Range;
pub use dense::DenseProducts;
pub use packed::{PackedA, PackedB, Strided};

/// One call's operands and the block of `C` it computes:
/// `C[rows, cols] = start + A[rows]·B[.., cols]`, with `C` given from its
/// element `(rows.start, cols.start)` on and `rsc` apart from row to row.
#[derive(Clone, Debug)]
pub struct Block<'a> {
    pub a: &'a PackedA,
    pub b: &'a PackedB,
    pub rows: Range<usize>,
    pub cols: Range<usize>,
    /// Row stride of `C`.
    pub rsc: usize,
    pub start: Start,
}

impl<'a> Block<'a> {
    /// All of `C` (`a.rows() × b.n()`).
    pub fn whole(a: &'a PackedA, b: &'a PackedB, rsc: usize, start: Start) -> Self {
        Block { a, b, rows: 0..a.rows(), cols: 0..b.n(), rsc, start }
    }
}

/// Where each element of `C` starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// From the value in `C` (a bias, or a sum to continue).
    Current,
    Zero,
}

/// The instruction set a bf16 product runs on, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// f32 fused multiply-adds modelling `VDPBF16PS` (any CPU).
    F32,
    /// `VDPBF16PS` (AVX512-BF16).
    Avx512Bf16,
    /// `TDPBF16PS` on AMX tiles.
    Amx,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::F32, Level::Avx512Bf16, Level::Amx];

    /// The name recorded in a run's configuration.
    pub fn name(self) -> &'static str {
        match self {
            Level::F32 => "f32",
            Level::Avx512Bf16 => "avx512_bf16",
            Level::Amx => "amx",
        }
    }

    /// How this level sums pairs (what [`mod@reference`] must model).
    pub fn order(self) -> reference::Order {
        match self {
            Level::Amx => reference::Order::Tiles,
            Level::F32 | Level::Avx512Bf16 => reference::Order::PairByPair,
        }
    }
}

/// A bf16 kernel level checked to be usable on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels {
    level: Level,
}

impl Kernels {
    /// The best level here (asks Linux for AMX's tile state on first use).
    pub fn detect() -> Self {
        Self::force(Level::Amx)
    }

    /// The best level here that is not above `wanted`.
    pub fn force(wanted: Level) -> Self {
        let level = Level::ALL.into_iter().rev().find(|&l| l <= wanted && detect::available(l)).unwrap_or(Level::F32);
        Kernels { level }
    }

    pub fn level(self) -> Level {
        self.level
    }

    /// `C = start + A·B` for all of `C` (`a.rows() × b.n()`, row stride `rsc`).
    pub fn gemm(self, a: &PackedA, b: &PackedB, (c, rsc): (&mut [f32], usize), start: Start) {
        self.gemm_block(&Block::whole(a, b, rsc, start), c);
    }

    /// The block of `C` that `block` describes, into `c` (which starts at its corner).
    ///
    /// # Panics
    /// If `A` and `B` disagree on `k`, the block is not inside `A`'s rows and
    /// `B`'s columns, its corner is not on a multiple of 32 ([`packed::BLOCK`]),
    /// or `c` is too short.
    pub fn gemm_block(self, block: &Block, c: &mut [f32]) {
        check(block, c);
        if block.rows.is_empty() || block.cols.is_empty() {
            return;
        }
        match self.level {
            Level::F32 => emulated::block(block, c),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernels` exists only for levels `detect` allowed; checked above.
            Level::Avx512Bf16 => unsafe { avx512::block(block, c.as_mut_ptr()) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above (AMX granted to this process).
            Level::Amx => unsafe { amx::block(&mut amx::Hardware, block, c.as_mut_ptr()) },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("only the f32 level is detected off x86_64"),
        }
    }
}

/// The validation every entry point does once, after which the kernels'
/// pointer arithmetic stays inside the operands.
fn check(Block { a, b, rows, cols, rsc, .. }: &Block, c: &[f32]) {
    let rsc = *rsc;
    assert_eq!(a.k(), b.k(), "bf16 gemm: A has k = {} but B has k = {}", a.k(), b.k());
    assert!(rows.start <= rows.end && rows.end <= a.rows(), "bf16 gemm: rows {rows:?} outside A's {}", a.rows());
    assert!(cols.start <= cols.end && cols.end <= b.n(), "bf16 gemm: columns {cols:?} outside B's {}", b.n());
    assert!(
        rows.start.is_multiple_of(packed::BLOCK) && cols.start.is_multiple_of(packed::BLOCK),
        "bf16 gemm: a block starts on multiples of {}",
        packed::BLOCK
    );
    if !rows.is_empty() && !cols.is_empty() {
        assert!(rsc >= cols.len() || rows.len() == 1, "bf16 gemm: row stride {rsc} below the block's width");
        assert!(c.len() > (rows.len() - 1) * rsc + cols.len() - 1, "bf16 gemm: C too short");
    }
}
