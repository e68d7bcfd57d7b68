//! Losses on the softmax output. Each file gives one batch function that
//! returns the summed loss and, on request, writes `∂loss/∂logits` scaled by
//! `scale` (the trainer passes `1 / batch` so gradients are batch means).
//! Adding one = one file + one line in [`REGISTRY`].
//!
//! Targets are one-hot, optionally label-smoothed:
//! `t_k = (1 - ε)·[k = label] + ε / K`.

mod cross_entropy;
mod mean_squared_error;

/// Summed loss over the batch; fills `d_logits` (same shape as `probs`) when given.
pub type LossFn = fn(probs: &[f32], labels: &[u32], smoothing: f32, scale: f32, d_logits: Option<&mut [f32]>) -> f32;

#[derive(Debug)]
pub struct LossSpec {
    /// The CLI / config name (`-l`).
    pub name: &'static str,
    pub loss_and_grad: LossFn,
}

pub const REGISTRY: &[&LossSpec] = &[&mean_squared_error::SPEC, &cross_entropy::SPEC];

/// Look a loss up by name (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static LossSpec> {
    REGISTRY.iter().copied().find(|spec| spec.name.eq_ignore_ascii_case(name))
}

/// Target probability of class `k` for a sample labelled `label`.
#[inline]
pub fn target(k: usize, label: u32, classes: usize, smoothing: f32) -> f32 {
    let hot = if k == label as usize { 1.0 - smoothing } else { 0.0 };
    hot + smoothing / classes as f32
}
