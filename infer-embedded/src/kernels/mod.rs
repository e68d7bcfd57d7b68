//! The inner loops: dot products over weights read in place, and softmax.
//!
//! Every loop is a `zip` over the operands, so a short operand (which a
//! validated model never has) shortens the sum instead of panicking, and no
//! bounds check is left in the hot loop; the assembly kernels check their
//! bounds once before the loop.

use crate::format::le_f32s;

/// `Σ w[i]·x[i]` with `w` as little-endian f32 bytes, summed in index order.
/// Weights at an aligned address (a model file placed aligned: its arrays
/// are) are read as `f32`s, which lets the compiler load them straight into
/// FPU registers; otherwise byte by byte. The same values in the same order
/// either way, so the same bits.
#[inline(always)]
pub fn dot_f32(weights: &[u8], x: &[f32]) -> f32 {
    #[cfg(target_endian = "little")]
    if let Ok(weights) = bytemuck::try_cast_slice::<u8, f32>(weights) {
        return weights.iter().zip(x).fold(0.0, |acc, (&w, &x)| acc + w * x);
    }
    le_f32s(weights).zip(x).fold(0.0, |acc, (w, &x)| acc + w * x)
}

// The int8 kernels, one selection per target (build.rs sets the cfgs): each
// module has `dot_i8` (one row) and `dot_i8_rows` (four rows sharing each
// input load), generic over whether the inputs are unsigned bytes.
#[cfg(ffn_dsp)]
mod dsp;
mod portable;
#[cfg(ffn_dsp)]
pub use dsp::{dot_i8, dot_i8_rows};
#[cfg(ffn_armv6m)]
mod armv6m;
#[cfg(ffn_armv6m)]
pub use armv6m::{dot_i8, dot_i8_rows};
#[cfg(not(any(ffn_dsp, ffn_armv6m)))]
pub use portable::dot_i8;

/// Rows the int8 layers compute at once ([`dot_i8_rows`]).
pub const ROWS: usize = 4;

/// The four rows of a block of `ROWS` rows `stride` bytes apart, each to
/// the end of the block (the kernels read only as many bytes as there are inputs).
#[inline(always)]
fn rows4(block: &[u8], stride: usize) -> [&[u8]; 4] {
    core::array::from_fn(|r| block.get(r.saturating_mul(stride)..).unwrap_or(&[]))
}

/// The portable four-row kernel kept out of line: the assembly kernels'
/// rare paths (a block that does not fit, the columns after the last full
/// iteration) share one copy instead of growing the firmware at every call.
#[cfg(any(ffn_dsp, ffn_armv6m))]
#[inline(never)]
fn rows4_portable<const UNSIGNED: bool>(block: &[u8], stride: usize, x: &[u8]) -> [i32; 4] {
    portable::dot_i8_rows::<UNSIGNED>(rows4(block, stride), x)
}

/// Four rows at once on targets without an assembly kernel.
#[cfg(not(any(ffn_dsp, ffn_armv6m)))]
#[inline(always)]
pub fn dot_i8_rows<const UNSIGNED: bool>(block: &[u8], stride: usize, x: &[u8]) -> [i32; 4] {
    portable::dot_i8_rows::<UNSIGNED>(rows4(block, stride), x)
}

/// Softmax in place, shifted by the maximum like ffn-core so `exp` never overflows.
pub fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0;
    for v in values.iter_mut() {
        *v = libm::expf(*v - max);
        total += *v;
    }
    let inv = 1.0 / total;
    for v in values.iter_mut() {
        *v *= inv;
    }
}
