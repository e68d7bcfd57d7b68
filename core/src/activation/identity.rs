//! `f(x) = x`.

#[inline(always)]
fn value(x: f32) -> f32 {
    x
}

#[inline(always)]
fn slope_from_output(_y: f32) -> f32 {
    1.0
}

crate::activation_kernels!("identity", "f(x) = x: no non-linearity (the layers stay one linear map)", aliases: ["linear"]);
