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
