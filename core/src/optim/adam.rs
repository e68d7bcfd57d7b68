//! Adam (Kingma & Ba 2015): `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
//! `w ← w − lr·m̂ / (√v̂ + ε)` with `m̂ = m/(1−β1ᵗ)`, `v̂ = v/(1−β2ᵗ)`.

use super::{OptimizerSpec, Update, bias_correction};
use crate::math::{reciprocal, sqrt};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "adam",
    aliases: &[],
    help: "Adam: bias-corrected first and second moments (beta1, beta2)",
    hyper: &["learning_rate", "beta1", "beta2", "epsilon"],
    state_buffers: 2,
    begin_step: None,
    update,
};

fn update(u: &mut Update) {
    let h = u.hyper;
    let [m, v] = u.state.buffers();
    let c1 = bias_correction(h.beta1, u.step);
    let c2 = bias_correction(h.beta2, u.step);
    kernel(u.kernels, u.params, u.grads, m, v, [h.learning_rate, h.beta1, h.beta2, h.epsilon, c1, c2]);
}

crate::simd_kernel! {
    /// `k = [lr, β1, β2, ε, 1/(1−β1ᵗ), 1/(1−β2ᵗ)]`.
    pub(crate) fn kernel(kernels: Kernels, params: &mut [f32], grads: &[f32], m: &mut [f32], v: &mut [f32], k: [f32; 6]) {
        let [lr, b1, b2, eps, c1, c2] = k;
        for (((w, g), m), v) in params.iter_mut().zip(grads).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m = b1 * *m + (1.0 - b1) * *g;
            *v = b2 * *v + (1.0 - b2) * *g * *g;
            *w -= lr * (*m * c1) * reciprocal(sqrt(*v * c2) + eps);
        }
    }
}
