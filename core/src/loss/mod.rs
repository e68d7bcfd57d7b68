//! Losses on the softmax output. Each file gives one batch function that
//! returns the summed loss and, on request, writes `∂loss/∂logits` scaled by
//! `scale` (the trainer passes `1 / batch` so gradients are batch means).
//! Adding one = one file + its name in the [`REGISTRY`] line.
//!
//! Targets are one-hot, optionally label-smoothed:
//! `t_k = (1 - ε)·[k = label] + ε / K`.

crate::registry!(LossSpec: mean_squared_error, cross_entropy);

/// Summed loss over the batch; fills `d_logits` (same shape as `probs`) when given.
pub type LossFn = fn(probs: &[f32], labels: &[u32], smoothing: f32, scale: f32, d_logits: Option<&mut [f32]>) -> f32;

#[derive(Debug)]
pub struct LossSpec {
    /// The CLI / config name (`-l`).
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// One line for the CLI's help.
    pub help: &'static str,
    pub loss_and_grad: LossFn,
}

/// Look a loss up by name or alias (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static LossSpec> {
    crate::registry::find(REGISTRY, name)
}

/// Target probability of class `k` for a sample labelled `label`.
#[inline]
pub fn target(k: usize, label: u32, classes: usize, smoothing: f32) -> f32 {
    let hot = if k == label as usize { 1.0 - smoothing } else { 0.0 };
    hot + smoothing / classes as f32
}
