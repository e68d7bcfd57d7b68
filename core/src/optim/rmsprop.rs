//! RMSprop: `v ← β·v + (1−β)·g²`, `w ← w − lr·g / (√v + ε)`.

use super::{OptimizerSpec, Update};
use crate::math::{reciprocal, sqrt};

pub const SPEC: OptimizerSpec =
    OptimizerSpec { name: "rmsprop", aliases: &[], state_buffers: 1, begin_step: None, update };

fn update(u: &mut Update) {
    let h = u.hyper;
    kernel(u.params, u.grads, u.state[0], h.learning_rate, h.beta, h.epsilon);
}

crate::simd_kernel! {
    fn kernel(params: &mut [f32], grads: &[f32], mean_square: &mut [f32], lr: f32, beta: f32, eps: f32) {
        for ((w, g), v) in params.iter_mut().zip(grads).zip(mean_square.iter_mut()) {
            *v = beta * *v + (1.0 - beta) * *g * *g;
            *w -= lr * *g * reciprocal(sqrt(*v) + eps);
        }
    }
}
