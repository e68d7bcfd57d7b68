//! Nadam (Dozat 2016): Adam with a Nesterov look-ahead on the first moment,
//! `w ← w − lr / (√v̂ + ε) · (β1·m̂ + (1−β1)·g / (1−β1ᵗ))`.

use super::{OptimizerSpec, Update, bias_correction};
use crate::math::{reciprocal, sqrt};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "nadam",
    aliases: &[],
    help: "Nadam: Adam with a Nesterov look-ahead on the first moment",
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
    fn kernel(kernels: Kernels, params: &mut [f32], grads: &[f32], m: &mut [f32], v: &mut [f32], k: [f32; 6]) {
        let [lr, b1, b2, eps, c1, c2] = k;
        for (((w, g), m), v) in params.iter_mut().zip(grads).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m = b1 * *m + (1.0 - b1) * *g;
            *v = b2 * *v + (1.0 - b2) * *g * *g;
            let m_hat = b1 * (*m * c1) + (1.0 - b1) * *g * c1;
            *w -= lr * m_hat * reciprocal(sqrt(*v * c2) + eps);
        }
    }
}
