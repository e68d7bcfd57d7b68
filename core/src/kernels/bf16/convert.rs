//! f32 → bf16 rounding, bit for bit as `VCVTNE2PS2BF16` does it.
//!
//! The instruction ignores MXCSR: round to nearest even on the upper 16 bits,
//! a subnormal input becomes a zero of its sign, a NaN stays a quiet NaN with
//! its upper payload bits. So every bf16 value a product sees is normal, zero,
//! infinite or NaN, and the products' "denormal inputs are zero" rule never
//! applies to converted data. Written as integer arithmetic, the formula gives
//! the same bits in every build; the tests check it against the instruction on
//! a stride of all 2³² floats.

/// The bf16 bits nearest to `x` (ties to even), as `VCVTNE2PS2BF16`.
#[inline(always)]
pub fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    let nan = (bits & 0x7FFF_FFFF) > 0x7F80_0000;
    let tiny = bits & 0x7F80_0000 == 0;
    let rounded = (bits.wrapping_add(0x7FFF + ((bits >> 16) & 1)) >> 16) as u16;
    // Selects rather than branches, so that a loop over a slice vectorises.
    let quiet = ((bits >> 16) as u16) | 0x0040;
    let zero = ((bits >> 16) as u16) & 0x8000;
    if nan {
        quiet
    } else if tiny {
        zero
    } else {
        rounded
    }
}

/// The f32 with the same value as the bf16 bits `h`.
#[inline(always)]
pub fn from_bf16(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// `x` rounded to bf16 and back: the value a bf16 product uses for `x`.
#[inline(always)]
pub fn round(x: f32) -> f32 {
    from_bf16(to_bf16(x))
}

/// Two values rounded to bf16 and packed as one 32-bit pair, `lo` in the low
/// half: the unit the dot-product instructions multiply.
#[inline(always)]
pub fn pair(lo: f32, hi: f32) -> u32 {
    to_bf16(lo) as u32 | (to_bf16(hi) as u32) << 16
}
