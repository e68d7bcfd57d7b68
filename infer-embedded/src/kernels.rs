//! The inner loops: one output's dot product over weights read in place.
//!
//! Every loop is a `zip` over the two operands, so a short operand (which a
//! validated model never has) shortens the sum instead of panicking, and no
//! bounds check is left in the hot loop.

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

/// `Σ q[i]·x[i]` with int8 weights and int8 activations (both as two's-complement
/// bytes), accumulated in i32 (the loader bounds `fan_in` so this cannot overflow).
#[cfg(not(ffn_dsp))]
#[inline(always)]
pub fn dot_i8(weights: &[u8], x: &[u8]) -> i32 {
    weights.iter().zip(x).fold(0i32, |acc, (&w, &x)| acc + (w as i8 as i32) * (x as i8 as i32))
}

/// `Σ q[i]·x[i]` with int8 weights and unsigned `0..=255` inputs (8-bit images fed directly).
#[cfg(not(ffn_dsp))]
#[inline(always)]
pub fn dot_i8_unsigned(weights: &[u8], x: &[u8]) -> i32 {
    weights.iter().zip(x).fold(0i32, |acc, (&w, &x)| acc + (w as i8 as i32) * (x as i32))
}

#[cfg(ffn_dsp)]
pub use dsp::{dot_i8, dot_i8_unsigned};

/// The int8 dot products with the Armv7E-M DSP extension (Cortex-M4/M7): four
/// bytes per word load, widened pairwise to 16 bits (`SXTB16`/`UXTB16`), two
/// multiply-accumulates per `SMLAD`. Stable Rust has no intrinsics for these
/// (`core::arch::arm`'s DSP functions are unstable), hence the inline assembly.
/// Results are bit-identical to the portable loops (integer arithmetic), which
/// the QEMU parity test checks against the host.
#[cfg(ffn_dsp)]
#[allow(unsafe_code)]
mod dsp {
    use core::arch::asm;

    macro_rules! unary {
        ($name:ident, $insn:literal) => {
            #[inline(always)]
            fn $name(x: u32) -> u32 {
                let r: u32;
                // SAFETY: a register-to-register instruction: no memory, stack or flags touched.
                unsafe { asm!($insn, r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
                r
            }
        };
    }
    unary!(sxtb16, "sxtb16 {r}, {x}");
    unary!(sxtb16_ror8, "sxtb16 {r}, {x}, ror #8");
    unary!(uxtb16, "uxtb16 {r}, {x}");
    unary!(uxtb16_ror8, "uxtb16 {r}, {x}, ror #8");

    /// `acc + a.lo·b.lo + a.hi·b.hi` on signed halfwords.
    #[inline(always)]
    fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        let r: i32;
        // SAFETY: register-only; SMLAD may set the sticky Q flag on overflow, which
        // nothing reads (and the loader's fan_in bound rules overflow out).
        unsafe {
            asm!("smlad {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a, b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack))
        };
        r
    }

    /// One little-endian word from a 4-byte chunk: a single (unaligned) `LDR`.
    #[inline(always)]
    fn word(bytes: &[u8]) -> u32 {
        u32::from_le_bytes(bytes.try_into().unwrap_or([0; 4]))
    }

    /// Four multiply-accumulates: one word of weights, one word of activations.
    #[inline(always)]
    fn mac4(acc: i32, w: u32, x: u32, unsigned_x: bool) -> i32 {
        let (x_even, x_odd) = if unsigned_x { (uxtb16(x), uxtb16_ror8(x)) } else { (sxtb16(x), sxtb16_ror8(x)) };
        smlad(sxtb16_ror8(w), x_odd, smlad(sxtb16(w), x_even, acc))
    }

    #[inline(always)]
    fn dot(weights: &[u8], x: &[u8], unsigned_x: bool) -> i32 {
        // Equal lengths up front let one loop counter serve both operands.
        let n = weights.len().min(x.len());
        let (weights, x) = (weights.get(..n).unwrap_or(&[]), x.get(..n).unwrap_or(&[]));
        let mut acc = 0i32;
        // 16 bytes per iteration: the loop overhead is paid once per 16 MACs.
        let mut w16 = weights.chunks_exact(16);
        let mut x16 = x.chunks_exact(16);
        for (w, x) in (&mut w16).zip(&mut x16) {
            for (w, x) in w.chunks_exact(4).zip(x.chunks_exact(4)) {
                acc = mac4(acc, word(w), word(x), unsigned_x);
            }
        }
        let (w_rest, x_rest) = (w16.remainder(), x16.remainder());
        let mut w4 = w_rest.chunks_exact(4);
        let mut x4 = x_rest.chunks_exact(4);
        for (w, x) in (&mut w4).zip(&mut x4) {
            acc = mac4(acc, word(w), word(x), unsigned_x);
        }
        for (&w, &x) in w4.remainder().iter().zip(x4.remainder()) {
            let x = if unsigned_x { x as i32 } else { x as i8 as i32 };
            acc += w as i8 as i32 * x;
        }
        acc
    }

    #[inline(always)]
    pub fn dot_i8(weights: &[u8], x: &[u8]) -> i32 {
        dot(weights, x, false)
    }

    #[inline(always)]
    pub fn dot_i8_unsigned(weights: &[u8], x: &[u8]) -> i32 {
        dot(weights, x, true)
    }
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
