//! Cross-entropy `-Σ_k t_k ln p_k`; with softmax its logit gradient is `p - t`.

use super::{LossSpec, target};

pub const SPEC: LossSpec = LossSpec {
    name: "cross_entropy",
    aliases: &["ce"],
    help: "cross-entropy of the softmax output against the (smoothed) one-hot target",
    loss_and_grad,
};

/// Keeps `ln` finite when a probability underflows to 0.
const MIN_PROB: f32 = 1e-12;

fn loss_and_grad(probs: &[f32], labels: &[u32], smoothing: f32, scale: f32, mut d_logits: Option<&mut [f32]>) -> f32 {
    let classes = probs.len() / labels.len().max(1);
    let mut total = 0.0f32;
    for (i, (row, &label)) in probs.chunks_exact(classes).zip(labels).enumerate() {
        for (k, &p) in row.iter().enumerate() {
            let t = target(k, label, classes, smoothing);
            if t > 0.0 {
                // `f32::max` would turn a NaN probability into MIN_PROB and hide a
                // diverged network behind a finite loss.
                let p = if p.is_nan() { p } else { p.max(MIN_PROB) };
                total -= t * crate::math::ln(p);
            }
            if let Some(d) = d_logits.as_deref_mut() {
                d[i * classes + k] = (p - t) * scale;
            }
        }
    }
    total
}
