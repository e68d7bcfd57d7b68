//! `f(x) = max(0, x)`; the slope at 0 is taken as 0.

#[inline(always)]
fn value(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

#[inline(always)]
fn slope_from_output(y: f32) -> f32 {
    if y > 0.0 { 1.0 } else { 0.0 }
}

crate::activation_kernels!("ReLU", "f(x) = max(0, x), rectified linear unit");
