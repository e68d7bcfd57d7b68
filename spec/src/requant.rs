//! Integer requantisation between int8 layers: a real multiplier
//! `M = s_in · s_w[j] / s_out` (input, weight and output scales) becomes a
//! fixed-point `multiplier · 2^(shift − 31)` with `multiplier` in
//! `[2^30, 2^31)`, as TensorFlow Lite stores it (`QuantizeMultiplier`), and
//! the device scales an `i32` accumulator by it with one rounding
//! (TFLite's `MultiplyByQuantizedMultiplier` under `TFLITE_SINGLE_ROUNDING`,
//! CMSIS-NN's `arm_nn_requantize` with `CMSIS_NN_USE_SINGLE_ROUNDING`):
//! `round(acc · multiplier / 2^(31 − shift))`, ties towards +∞.

/// The smallest valid multiplier (`0.5` in Q31).
pub const MULTIPLIER_MIN: i32 = 1 << 30;
/// Shifts a file may hold: `31 − shift` stays in `1..=62`, so the 64-bit
/// product plus its rounding term never overflows.
pub const SHIFT_MIN: i8 = -31;
pub const SHIFT_MAX: i8 = 30;

/// Whether `(multiplier, shift)` is in the normalised form the device expects.
pub const fn is_valid(multiplier: i32, shift: i8) -> bool {
    multiplier >= MULTIPLIER_MIN && shift >= SHIFT_MIN && shift <= SHIFT_MAX
}

/// `round(acc · multiplier · 2^(shift − 31))`, ties towards +∞. Exact for
/// every `acc` when `(multiplier, shift)` [is valid](is_valid): the product
/// fits 62 bits and the result is returned unsaturated (the caller clamps it
/// to its int8 range).
#[inline(always)]
pub fn requantize(acc: i32, multiplier: i32, shift: i8) -> i64 {
    let total_shift = (31 - shift as i32).clamp(1, 62) as u32;
    let round = 1i64 << (total_shift - 1);
    (acc as i64 * multiplier as i64 + round) >> total_shift
}

/// [`requantize`] saturated to `±2^30` (which no int8 clamp after adding a
/// zero point can tell apart from the exact value), computed in 32-bit
/// halves when the total shift is 32 or more (`shift < 0`, multipliers
/// below 0.5: the usual case), where the i64 shift and rounding would cost
/// a Cortex-M several times more. Equal to
/// `requantize(..).clamp(-2^30, 2^30)` for every `acc` and shift, with any
/// multiplier in `0..2^31` (so every valid one; tested).
#[inline(always)]
pub fn requantize_i32(acc: i32, multiplier: i32, shift: i8) -> i32 {
    const LIMIT: i64 = 1 << 30;
    if shift >= 0 {
        return requantize(acc, multiplier, shift).clamp(-LIMIT, LIMIT) as i32;
    }
    // round(p / 2^t) with ties up = (p >> t) + bit t−1 of p, for p = acc·multiplier
    // and t = 31 − shift = 32 + k (at most 62): p >> t is the high word shifted by
    // k, and bit t−1 is bit k of p's bits 31..62. |p| < 2^62: the result fits 30 bits.
    let product = acc as i64 * multiplier as i64;
    let (high, low) = ((product >> 32) as i32, product as u32);
    let k = ((-1 - shift as i32) as u32).min(30);
    let round = (((high as u32) << 1 | low >> 31) >> k) & 1;
    (high >> k) + round as i32
}

/// The fixed-point form of a real multiplier, or `None` when it is not a
/// positive finite number whose form fits [`SHIFT_MIN`]`..=`[`SHIFT_MAX`].
pub fn quantize_multiplier(real: f64) -> Option<(i32, i8)> {
    if !(real.is_finite() && real > 0.0) {
        return None;
    }
    // real = fraction · 2^exponent with fraction in [0.5, 1).
    let (fraction, mut exponent) = libm::frexp(real);
    let mut q = libm::round(fraction * (1u64 << 31) as f64) as i64;
    if q == 1 << 31 {
        q /= 2;
        exponent += 1;
    }
    let shift = i8::try_from(exponent).ok()?;
    let multiplier = i32::try_from(q).ok()?;
    is_valid(multiplier, shift).then_some((multiplier, shift))
}

/// The int8 input stage: `round((x − center) · scale) + zero_point`,
/// saturated to int8, rounding half to even. The value is clamped to ±512
/// first (far outside int8 either way), where adding and subtracting
/// `1.5 · 2^23` rounds an `f32` to an integer in two IEEE additions: the
/// same bits on every target, cheaper than a library `round`.
#[inline(always)]
pub fn quantize_input(x: f32, center: f32, scale: f32, zero_point: i8) -> i8 {
    const ROUND: f32 = 12_582_912.0;
    let v = ((x - center) * scale).clamp(-512.0, 512.0);
    let rounded = (v + ROUND) - ROUND;
    (rounded as i32 + zero_point as i32).clamp(-128, 127) as i8
}

/// The real number `multiplier · 2^(shift − 31)`.
pub fn multiplier_value(multiplier: i32, shift: i8) -> f64 {
    libm::ldexp(multiplier as f64, shift as i32 - 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requantize_i32_is_requantize_saturated() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let edges = [0, 1, -1, 2, -2, 127, -128, 1 << 20, -(1 << 20), i32::MAX, i32::MIN, i32::MIN + 1];
        let mut accs = [0i32; 312];
        for (i, acc) in accs.iter_mut().enumerate() {
            *acc = edges.get(i).copied().unwrap_or_else(|| next() as i32 >> (next() % 32));
        }
        let edges = [0, 1, MULTIPLIER_MIN, MULTIPLIER_MIN + 1, i32::MAX, i32::MAX - 1];
        let mut multipliers = [0i32; 46];
        for (i, m) in multipliers.iter_mut().enumerate() {
            *m = edges.get(i).copied().unwrap_or_else(|| (next() as u32 >> 1) as i32);
        }
        for shift in i8::MIN..=i8::MAX {
            for &m in &multipliers {
                for &acc in &accs {
                    let expected = requantize(acc, m, shift).clamp(-(1 << 30), 1 << 30) as i32;
                    assert_eq!(requantize_i32(acc, m, shift), expected, "acc {acc} multiplier {m} shift {shift}");
                }
            }
        }
    }

    #[test]
    fn quantize_multiplier_keeps_31_bits() {
        for real in [1e-9, 0.000123, 0.25, 0.5, 0.7123, 0.99999999999, 1.0, 3.5, 1000.0] {
            let (m, shift) = quantize_multiplier(real).unwrap();
            assert!(is_valid(m, shift), "{real}: {m} {shift}");
            let back = multiplier_value(m, shift);
            assert!(((back - real) / real).abs() < 1e-9, "{real} -> {back}");
        }
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-12, 1e12] {
            assert_eq!(quantize_multiplier(bad), None, "{bad}");
        }
    }

    #[test]
    fn input_quantisation_rounds_half_to_even_and_saturates() {
        assert_eq!(quantize_input(2.5, 0.0, 1.0, 0), 2);
        assert_eq!(quantize_input(3.5, 0.0, 1.0, 0), 4);
        assert_eq!(quantize_input(-2.5, 0.0, 1.0, 0), -2);
        assert_eq!(quantize_input(10.0, 4.0, 0.5, -128), -125);
        assert_eq!(quantize_input(1e30, 0.0, 1.0, 0), 127);
        assert_eq!(quantize_input(-1e30, 1e30, 1e30, 5), -128);
        assert_eq!(quantize_input(0.49999997, 0.0, 1.0, 0), 0);
    }

    #[test]
    fn requantize_rounds_like_the_real_product() {
        let reals = [0.0003, 0.0123, 0.37, 0.5, 0.999, 1.75, 40.0];
        let accs = [0, 1, -1, 7, -7, 1000, -1000, 123_456, -123_456, i32::MAX, i32::MIN];
        for real in reals {
            let (m, shift) = quantize_multiplier(real).unwrap();
            let exact = multiplier_value(m, shift);
            for acc in accs {
                let want = libm::floor(acc as f64 * exact + 0.5);
                let got = requantize(acc, m, shift) as f64;
                // The f64 reference itself rounds the product once: a difference of one step at most.
                assert!((got - want).abs() <= 1.0, "{acc} × {real}: {got} vs {want}");
            }
        }
        // Ties go up, as TFLite's single rounding does.
        let (m, shift) = quantize_multiplier(0.5).unwrap();
        assert_eq!(requantize(3, m, shift), 2);
        assert_eq!(requantize(-3, m, shift), -1);
    }
}
