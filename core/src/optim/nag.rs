//! Nesterov accelerated gradient. The course project evaluates the gradient at
//! the look-ahead point `w − m·u`; with the usual change of variables (Sutskever
//! et al. 2013, as in PyTorch) that is, on the stored point:
//! `u ← m·u + lr·g`, `w ← w − (m·u + lr·g)`.

use super::{OptimizerSpec, Update};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "nag",
    aliases: &["nesterov"],
    help: "Nesterov accelerated gradient (momentum evaluated at the look-ahead point)",
    hyper: &["learning_rate", "momentum"],
    state_buffers: 1,
    begin_step: None,
    update,
};

fn update(u: &mut Update) {
    let [velocity] = u.state.buffers();
    kernel(u.kernels, u.params, u.grads, velocity, u.hyper.learning_rate, u.hyper.momentum);
}

crate::simd_kernel! {
    fn kernel(kernels: Kernels, params: &mut [f32], grads: &[f32], velocity: &mut [f32], lr: f32, m: f32) {
        for ((w, g), v) in params.iter_mut().zip(grads).zip(velocity.iter_mut()) {
            let step = lr * *g;
            *v = m * *v + step;
            *w -= m * *v + step;
        }
    }
}
