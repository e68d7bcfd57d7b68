//! Eve (Koushik & Hayashi 2016, "Improving Stochastic Gradient Descent with
//! Feedback"): Adam whose step is divided by `d`, a smoothed measure of how
//! much the (clipped) loss changes between steps. With `β3 = 0.999`,
//! `k = 0.1`, `K = 10` (the paper's values) and `f̂` the clipped loss:
//! `c = clip(f / f̂, bounds)`, `f̂ ← c·f̂`, `r = |f̂ − f̂_prev| / min(f̂, f̂_prev)`,
//! `d ← β3·d + (1−β3)·r`, then `w ← w − lr·m̂ / (d·√v̂ + ε)`.
//! It reuses Adam's moments; only the scalar feedback is new.

use super::{Hyper, OptimizerSpec, Update, bias_correction};

pub const SPEC: OptimizerSpec = OptimizerSpec {
    name: "eve",
    aliases: &[],
    help: "Eve: Adam whose step shrinks while the loss changes a lot between steps",
    hyper: &["learning_rate", "beta1", "beta2", "epsilon"],
    state_buffers: 2,
    begin_step: Some(begin_step),
    update,
};

const BETA3: f64 = 0.999;
const SMALL: f64 = 0.1;
const LARGE: f64 = 10.0;
// Scalar slots.
const D: usize = 0;
const F_HAT: usize = 1;

/// The loss feedback `d`, once per step.
fn begin_step(s: &mut [f64; 4], _: &Hyper, step: u64, loss: f32) {
    let loss = loss as f64;
    if step == 1 || s[F_HAT] <= 0.0 {
        s[D] = 1.0;
        s[F_HAT] = loss.max(f64::MIN_POSITIVE);
    } else {
        let previous = s[F_HAT];
        let (low, high) =
            if loss >= previous { (SMALL + 1.0, LARGE + 1.0) } else { (1.0 / (LARGE + 1.0), 1.0 / (SMALL + 1.0)) };
        let c = (loss / previous).clamp(low, high);
        // `r = |f̂ − f̂_prev| / min(f̂, f̂_prev)` depends on `c` alone; computed from `c`,
        // and with `f̂` floored, a long run of zero losses cannot underflow `f̂` to 0
        // and make `d` infinite (which turned zero-gradient weights into NaN).
        s[F_HAT] = (c * previous).max(f64::MIN_POSITIVE);
        let r = (c - 1.0).abs() / c.min(1.0);
        s[D] = BETA3 * s[D] + (1.0 - BETA3) * r;
    }
}

fn update(u: &mut Update) {
    let h = u.hyper;
    let d = u.scalars[D] as f32;
    let [m, v] = u.state.buffers();
    let c1 = bias_correction(h.beta1, u.step);
    // Folding `d` into the Adam kernel: lr·m̂/(d·√v̂ + ε) = (lr/d)·m̂/(√v̂ + ε/d).
    let c2 = bias_correction(h.beta2, u.step);
    super::adam::kernel(u.kernels, u.params, u.grads, m, v, [h.learning_rate / d, h.beta1, h.beta2, h.epsilon / d, c1, c2]);
}
