//! The inner loops: one output's dot product over weights read in place.
//!
//! Every loop is a `zip` over the two operands, so a short operand (which a
//! validated model never has) shortens the sum instead of panicking, and no
//! bounds check is left in the hot loop.

use crate::format::le_f32s;

/// `Σ w[i]·x[i]` with `w` as little-endian f32 bytes.
#[inline(always)]
pub fn dot_f32(weights: &[u8], x: &[f32]) -> f32 {
    le_f32s(weights).zip(x).fold(0.0, |acc, (w, &x)| acc + w * x)
}

/// `Σ w[i]·p[i]` with raw pixels (the caller divides by 255 once per output,
/// not once per weight).
#[inline(always)]
pub fn dot_f32_pixels(weights: &[u8], pixels: &[u8]) -> f32 {
    le_f32s(weights).zip(pixels).fold(0.0, |acc, (w, &p)| acc + w * p as f32)
}

/// `Σ q[i]·x[i]` with int8 weights and int8 activations, accumulated in i32
/// (the loader bounds `fan_in` so this cannot overflow).
#[inline(always)]
pub fn dot_i8(weights: &[u8], x: &[i8]) -> i32 {
    weights.iter().zip(x).fold(0i32, |acc, (&w, &x)| acc + (w as i8 as i32) * (x as i32))
}

/// `Σ q[i]·p[i]` with int8 weights and raw `0..=255` pixels.
#[inline(always)]
pub fn dot_i8_pixels(weights: &[u8], pixels: &[u8]) -> i32 {
    weights.iter().zip(pixels).fold(0i32, |acc, (&w, &p)| acc + (w as i8 as i32) * (p as i32))
}

/// Softmax in place (max-subtracted, like ffn-core), then the index of the
/// largest value (the first on ties; NaN never wins).
pub fn softmax_argmax(values: &mut [f32]) -> usize {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0;
    for v in values.iter_mut() {
        *v = libm::expf(*v - max);
        total += *v;
    }
    let inv = 1.0 / total;
    let mut best = 0;
    let mut best_value = f32::NEG_INFINITY;
    for (i, v) in values.iter_mut().enumerate() {
        *v *= inv;
        if *v > best_value {
            best_value = *v;
            best = i;
        }
    }
    best
}
