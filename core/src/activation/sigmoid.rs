//! `f(x) = 1 / (1 + e^-x)`, `f' = y (1 - y)`.

#[inline(always)]
fn value(x: f32) -> f32 {
    1.0 / (1.0 + crate::math::exp(-x))
}

#[inline(always)]
fn slope_from_output(y: f32) -> f32 {
    y * (1.0 - y)
}

crate::activation_kernels!("sigmoid", "f(x) = 1 / (1 + e^-x), the logistic function", aliases: ["logistic"]);
