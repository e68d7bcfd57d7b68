//! RMSprop: `v ← β·v + (1−β)·g²`, `w ← w − lr·g / (√v + ε)`.

use super::{OptimizerSpec, Update};
use crate::math::sqrt;

pub const SPEC: OptimizerSpec = OptimizerSpec { name: "rmsprop", aliases: &[], state_buffers: 1, update };

fn update(u: &mut Update) {
    let h = u.hyper;
    kernel(u.params, u.grads, u.state, h.learning_rate, h.beta, h.epsilon);
}

crate::simd_kernel! {
    fn kernel(params: &mut [f32], grads: &[f32], mean_square: &mut [f32], lr: f32, beta: f32, eps: f32) {
        for ((w, g), v) in params.iter_mut().zip(grads).zip(mean_square.iter_mut()) {
            *v = beta * *v + (1.0 - beta) * *g * *g;
            *w -= lr * *g / (sqrt(*v) + eps);
        }
    }
}
