//! Optimizers: each file is one update rule, one pass over the parameter
//! buffer. Adding one = one file + one line in [`REGISTRY`].
//!
//! An update sees a range of the parameter buffer (the whole buffer, or the
//! part one core owns in a split training step), its gradient (weight decay
//! is already in it), the rule's `state_buffers` per-parameter state buffers
//! cut to the same range, a few `f64` scalars, the hyper-parameters and the
//! 1-based step count. It must treat parameters element by element, so that
//! updating a buffer in ranges gives the same bits as updating it whole. A
//! rule with per-step scalars (Eve's loss feedback) sets them in `begin_step`,
//! which runs once per step before any range is updated.

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

/// The most per-parameter state buffers a rule may have.
pub const MAX_STATE_BUFFERS: usize = 2;

/// Everything one update of a range of parameters may read or change.
pub struct Update<'a> {
    pub params: &'a mut [f32],
    pub grads: &'a [f32],
    /// The rule's state buffers for these parameters (the first
    /// `state_buffers` are as long as `params`, the rest empty), zero at the start.
    pub state: [&'a mut [f32]; MAX_STATE_BUFFERS],
    /// Scalars kept between steps, as `begin_step` left them for this step.
    pub scalars: &'a [f64; 4],
    pub hyper: &'a Hyper,
    /// 1 on the first update.
    pub step: u64,
}

/// The once-per-step part of a rule: `(scalars, hyper, step, batch-mean loss)`.
pub type BeginStep = fn(&mut [f64; 4], &Hyper, u64, f32);

#[derive(Debug)]
pub struct OptimizerSpec {
    /// The CLI / config name (`-o`).
    pub name: &'static str,
    /// Other accepted names (`nesterov` for `nag`).
    pub aliases: &'static [&'static str],
    pub state_buffers: usize,
    /// Runs once per step before `update` (rules whose step depends on the loss).
    pub begin_step: Option<BeginStep>,
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
pub use owned::{Optimizer, RangeUpdate};
