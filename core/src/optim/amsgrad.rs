//! AMSGrad (Reddi, Kale & Kumar 2018, "On the Convergence of Adam and
//! Beyond"): Adam whose second moment never shrinks, `v̂max ← max(v̂max, v)`,
//! so a rare large gradient keeps damping the step. In PyTorch's
//! bias-corrected form: `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
//! `v̂max ← max(v̂max, v)`, `w ← w − lr·m̂ / (√(v̂max/(1−β2ᵗ)) + ε)` with
//! `m̂ = m/(1−β1ᵗ)`. Three state buffers: `m`, `v`, `v̂max`.

use super::{OptimizerSpec, Update, bias_correction};
use crate::math::{reciprocal, sqrt};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "amsgrad",
    aliases: &[],
    help: "AMSGrad: Adam whose second moment is the running maximum (steps never grow back)",
    hyper: &["learning_rate", "beta1", "beta2", "epsilon"],
    state_buffers: 3,
    begin_step: None,
    update,
};

fn update(u: &mut Update) {
    let h = u.hyper;
    let [m, v, v_max] = u.state.buffers();
    let c1 = bias_correction(h.beta1, u.step);
    let c2 = bias_correction(h.beta2, u.step);
    kernel(u.kernels, u.params, u.grads, [m, v, v_max], [h.learning_rate, h.beta1, h.beta2, h.epsilon, c1, c2]);
}

crate::simd_kernel! {
    /// `k = [lr, β1, β2, ε, 1/(1−β1ᵗ), 1/(1−β2ᵗ)]`.
    fn kernel(kernels: Kernels, params: &mut [f32], grads: &[f32], state: [&mut [f32]; 3], k: [f32; 6]) {
        let [lr, b1, b2, eps, c1, c2] = k;
        let [m, v, v_max] = state;
        let moments = m.iter_mut().zip(v.iter_mut()).zip(v_max.iter_mut());
        for ((w, g), ((m, v), v_max)) in params.iter_mut().zip(grads).zip(moments) {
            *m = b1 * *m + (1.0 - b1) * *g;
            *v = b2 * *v + (1.0 - b2) * *g * *g;
            *v_max = v_max.max(*v);
            *w -= lr * (*m * c1) * reciprocal(sqrt(*v_max * c2) + eps);
        }
    }
}
