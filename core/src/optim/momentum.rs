//! Momentum, in the course project's form: `u ← m·u + lr·g`, `w ← w − u`.

use super::{OptimizerSpec, Update};

pub const SPEC: OptimizerSpec =
    OptimizerSpec { name: "momentum", aliases: &[], state_buffers: 1, begin_step: None, update };

fn update(u: &mut Update) {
    kernel(u.params, u.grads, u.state[0], u.hyper.learning_rate, u.hyper.momentum);
}

crate::simd_kernel! {
    fn kernel(params: &mut [f32], grads: &[f32], velocity: &mut [f32], lr: f32, m: f32) {
        for ((w, g), v) in params.iter_mut().zip(grads).zip(velocity.iter_mut()) {
            *v = m * *v + lr * *g;
            *w -= *v;
        }
    }
}
