//! RMSprop: `v ← β·v + (1−β)·g²`, `w ← w − lr·g / (√v + ε)`.

use super::{OptimizerSpec, Update};
use crate::math::{fma, reciprocal, sqrt};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "rmsprop",
    aliases: &[],
    help: "RMSprop: steps scaled by a running mean of squared gradients (beta)",
    hyper: &["learning_rate", "beta", "epsilon"],
    state_buffers: 1,
    begin_step: None,
    update,
};

fn update(u: &mut Update) {
    let h = u.hyper;
    let [mean_square] = u.state.buffers();
    kernel(u.kernels, u.params, u.grads, mean_square, h.learning_rate, h.beta, h.epsilon);
}

crate::simd_kernel! {
    fn kernel(kernels: Kernels, params: &mut [f32], grads: &[f32], mean_square: &mut [f32], lr: f32, beta: f32, eps: f32) {
        // `β·v + (1−β)·g²` as `v + (1−β)·(g² − v)` and the step as one fused
        // multiply-subtract: four operations fewer per parameter than plain
        // multiplies and adds, so a faster update (the square root dominates
        // it; figures in benches/RESULTS.md) that rounds less. `v` stays
        // ≥ 0: the fused sum `v + (1−β)·t` with `t ≥ −v` and
        // 0 ≤ 1−β ≤ 1 is non-negative before rounding.
        let keep = 1.0 - beta;
        for ((w, g), v) in params.iter_mut().zip(grads).zip(mean_square.iter_mut()) {
            *v = fma(keep, fma(*g, *g, -*v), *v);
            *w = fma(-lr * *g, reciprocal(sqrt(*v) + eps), *w);
        }
    }
}
