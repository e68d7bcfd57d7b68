//! Plain gradient descent: `w ← w − lr·g`.

use super::{OptimizerSpec, Update};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "sgd",
    aliases: &[],
    help: "plain gradient descent: w ← w − lr·g",
    hyper: &["learning_rate"],
    state_buffers: 0,
    begin_step: None,
    update,
};

fn update(u: &mut Update) {
    let [] = u.state.buffers();
    kernel(u.kernels, u.params, u.grads, u.hyper.learning_rate);
}

crate::simd_kernel! {
    fn kernel(kernels: Kernels, params: &mut [f32], grads: &[f32], lr: f32) {
        for (w, g) in params.iter_mut().zip(grads) {
            *w -= lr * *g;
        }
    }
}
