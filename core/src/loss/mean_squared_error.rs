//! Squared error between the softmax output and the target, `Σ_k (p_k - t_k)²`
//! per sample, as the course project defined it. Through the softmax Jacobian
//! its logit gradient is `p_j (g_j - Σ_k g_k p_k)` with `g = 2 (p - t)`.

use super::{LossSpec, target};

pub const SPEC: LossSpec = LossSpec {
    name: "mean_squared_error",
    aliases: &["mse"],
    help: "squared error between the softmax output and the (smoothed) one-hot target",
    loss_and_grad,
};

fn loss_and_grad(probs: &[f32], labels: &[u32], smoothing: f32, scale: f32, mut d_logits: Option<&mut [f32]>) -> f32 {
    let classes = probs.len() / labels.len().max(1);
    let mut total = 0.0f32;
    for (i, (row, &label)) in probs.chunks_exact(classes).zip(labels).enumerate() {
        let mut g_dot_p = 0.0f32;
        for (k, &p) in row.iter().enumerate() {
            let diff = p - target(k, label, classes, smoothing);
            total += diff * diff;
            g_dot_p += 2.0 * diff * p;
        }
        if let Some(d) = d_logits.as_deref_mut() {
            for (k, &p) in row.iter().enumerate() {
                let g = 2.0 * (p - target(k, label, classes, smoothing));
                d[i * classes + k] = p * (g - g_dot_p) * scale;
            }
        }
    }
    total
}
