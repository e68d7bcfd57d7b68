//! Scalar maths that must give the same bits with and without `std`.
//!
//! `sqrt` is correctly rounded by IEEE 754 in both `libm` and the hardware
//! instruction, so using the instruction under `std` (where LLVM can vectorise
//! it) changes no result.

#[inline(always)]
pub fn sqrt(x: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        x.sqrt()
    }
    #[cfg(not(feature = "std"))]
    {
        libm::sqrtf(x)
    }
}

/// `a·b + c` with one rounding (IEEE 754 fusedMultiplyAdd): the FMA
/// instruction in the AVX2 and AVX-512 builds of a kernel, the C library's
/// (or `libm`'s) exact `fmaf` in the portable one, so every build gives the
/// same bits.
#[inline(always)]
pub fn fma(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(feature = "std")]
    {
        a.mul_add(b, c)
    }
    #[cfg(not(feature = "std"))]
    {
        libm::fmaf(a, b, c)
    }
}

/// `1/x` for a positive normal `x`, within 2 ulp of the correctly rounded
/// quotient, from multiplies and subtractions alone: a bit-level first guess
/// (5 % off at worst) and three Newton steps `y ← y·(2 − x·y)`, each of which
/// squares the relative error. The optimizers divide by `√v + ε` once per
/// parameter and step; the hardware divider takes a zmm vector every ~10
/// cycles, these ten operations (one integer subtraction, three Newton steps
/// of three) about five on the two FMA ports, in parallel with the square root. Only IEEE multiplies and subtractions, never
/// fused, so every build (scalar, AVX2, AVX-512) gives the same bits.
#[inline(always)]
pub fn reciprocal(x: f32) -> f32 {
    let mut y = f32::from_bits(0x7EF3_11C7u32.wrapping_sub(x.to_bits()));
    for _ in 0..3 {
        y = y * (2.0 - x * y);
    }
    y
}

#[inline(always)]
pub fn exp(x: f32) -> f32 {
    libm::expf(x)
}

#[inline(always)]
pub fn ln(x: f32) -> f32 {
    libm::logf(x)
}

#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    libm::tanhf(x)
}

#[inline(always)]
pub fn powi(base: f64, exp: u64) -> f64 {
    libm::pow(base, exp as f64)
}
