//! Momentum, in the course project's form: `u ← m·u + lr·g`, `w ← w − u`.

use super::{OptimizerSpec, Update};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "momentum",
    aliases: &[],
    help: "gradient descent with momentum: u ← m·u + lr·g, w ← w − u",
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
            *v = m * *v + lr * *g;
            *w -= *v;
        }
    }
}
