//! Optimizers: each file is one update rule, one pass over the parameter
//! buffer. Adding one = one file + one line in [`REGISTRY`].
//!
//! An update sees the whole parameter buffer, its gradient (weight decay is
//! already in it), `state_buffers` per-parameter state buffers of the same
//! length laid end to end, a few `f64` scalars that persist between steps,
//! the hyper-parameters, the 1-based step count and the batch loss.

mod adam;
mod eve;
mod momentum;
mod nadam;
mod nag;
mod rmsprop;
mod sgd;

/// The course project's hyper-parameters (CLI `-lr -m -beta -beta1 -beta2 -eps -w_d`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    pub learning_rate: f32,
    pub momentum: f32,
    pub beta: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub epsilon: f32,
    /// L2 weight decay: the model adds `weight_decay · w` to every weight
    /// gradient (biases excluded) before the update.
    pub weight_decay: f32,
}

impl Default for Hyper {
    fn default() -> Self {
        Hyper {
            learning_rate: 1e-3,
            momentum: 0.9,
            beta: 0.9,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// Everything one update step may read or change.
pub struct Update<'a> {
    pub params: &'a mut [f32],
    pub grads: &'a [f32],
    /// `state_buffers × params.len()` values, zero at the start.
    pub state: &'a mut [f32],
    /// Scalars kept between steps (zero at the start).
    pub scalars: &'a mut [f64; 4],
    pub hyper: &'a Hyper,
    /// 1 on the first update.
    pub step: u64,
    /// The batch-mean loss that produced `grads` (for loss-aware rules like Eve).
    pub loss: f32,
}

#[derive(Debug)]
pub struct OptimizerSpec {
    /// The CLI / config name (`-o`).
    pub name: &'static str,
    /// Other accepted names (`nesterov` for `nag`).
    pub aliases: &'static [&'static str],
    pub state_buffers: usize,
    pub update: fn(&mut Update),
}

pub const REGISTRY: &[&OptimizerSpec] =
    &[&sgd::SPEC, &momentum::SPEC, &nag::SPEC, &rmsprop::SPEC, &adam::SPEC, &nadam::SPEC, &eve::SPEC];

/// Look an optimizer up by name or alias (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static OptimizerSpec> {
    REGISTRY
        .iter()
        .copied()
        .find(|spec| spec.name.eq_ignore_ascii_case(name) || spec.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
}

/// `1 / (1 - beta^step)`: Adam-style bias correction, in f64 so late steps stay exact.
pub fn bias_correction(beta: f32, step: u64) -> f32 {
    (1.0 / (1.0 - crate::math::powi(beta as f64, step))) as f32
}

#[cfg(feature = "alloc")]
mod owned;
#[cfg(feature = "alloc")]
pub use owned::Optimizer;
