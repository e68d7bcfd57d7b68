//! `f(x) = tanh x`, `f' = 1 - y²`.

#[inline(always)]
fn value(x: f32) -> f32 {
    crate::math::tanh(x)
}

#[inline(always)]
fn slope_from_output(y: f32) -> f32 {
    1.0 - y * y
}

crate::activation_kernels!("tanh", "f(x) = tanh x, the hyperbolic tangent");
