//! Optimizers: each file is one update rule, one pass over the parameter
//! buffer. Adding one = one file + its name in the [`REGISTRY`] line.
//!
//! An update sees a range of the parameter buffer (the whole buffer, or the
//! part one core owns in a plan of the training step), its gradient (weight
//! decay is already in it), the rule's `state_buffers` per-parameter state
//! buffers cut to the same range, a few `f64` scalars, the hyper-parameters
//! and the 1-based step count. It must treat parameters element by element,
//! so that updating a buffer in ranges gives the same bits as updating it
//! whole. A rule with per-step scalars (Eve's loss feedback) sets them in
//! `begin_step`, which runs once per step before any range is updated.

crate::registry!(OptimizerSpec: sgd, momentum, nag, rmsprop, adam, nadam, eve, amsgrad);

use crate::kernels::Kernels;
use core::marker::PhantomData;
use core::ops::Range;

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

/// Everything one update of a range of parameters may read or change.
pub struct Update<'a> {
    /// The kernels to run the rule's loop with.
    pub kernels: Kernels,
    pub params: &'a mut [f32],
    pub grads: &'a [f32],
    /// The rule's state buffers for these parameters, zero at the start.
    pub state: State<'a>,
    /// Scalars kept between steps, as `begin_step` left them for this step.
    pub scalars: &'a [f64; 4],
    pub hyper: &'a Hyper,
    /// 1 on the first update.
    pub step: u64,
}

/// A rule's per-parameter state for one range of parameters: buffer `i`
/// holds the state of parameter `p` at `i·num_params + p` of the optimizer's
/// state vector.
pub struct State<'a> {
    base: *mut f32,
    num_params: usize,
    buffers: usize,
    range: Range<usize>,
    life: PhantomData<&'a mut [f32]>,
}

impl<'a> State<'a> {
    /// # Safety
    /// `base` points to `buffers × num_params` floats that nobody else uses
    /// in `range` of any buffer during `'a`, and `range.end ≤ num_params`.
    #[cfg(feature = "alloc")]
    pub(crate) unsafe fn new(base: *mut f32, num_params: usize, buffers: usize, range: Range<usize>) -> Self {
        State { base, num_params, buffers, range, life: PhantomData }
    }

    /// The `N` state buffers of this range (a rule asks for exactly its
    /// `state_buffers`).
    ///
    /// # Panics
    /// If `N` is not the rule's `state_buffers`.
    pub fn buffers<const N: usize>(&mut self) -> [&mut [f32]; N] {
        assert_eq!(N, self.buffers, "the rule declares {} state buffers", self.buffers);
        core::array::from_fn(|i| {
            // SAFETY: buffer `i`'s piece of this range lies inside the state
            // vector, the pieces of different buffers are disjoint, and the
            // constructor's contract keeps other users out; `&mut self`
            // allows one set of them at a time.
            unsafe {
                core::slice::from_raw_parts_mut(self.base.add(i * self.num_params + self.range.start), self.range.len())
            }
        })
    }
}

/// The once-per-step part of a rule: `(scalars, hyper, step, batch-mean loss)`.
pub type BeginStep = fn(&mut [f64; 4], &Hyper, u64, f32);

#[derive(Debug)]
pub struct OptimizerSpec {
    /// The CLI / config name (`-o`).
    pub name: &'static str,
    /// Other accepted names (`nesterov` for `nag`).
    pub aliases: &'static [&'static str],
    /// One line for the CLI's help.
    pub help: &'static str,
    /// The hyper-parameters the rule reads, by their CLI names
    /// (`learning_rate`, `momentum`, `beta`, `beta1`, `beta2`, `epsilon`).
    pub hyper: &'static [&'static str],
    /// Per-parameter state buffers (any number).
    pub state_buffers: usize,
    /// Runs once per step before `update` (rules whose step depends on the loss).
    pub begin_step: Option<BeginStep>,
    pub update: fn(&mut Update),
}

/// Look an optimizer up by name or alias (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static OptimizerSpec> {
    crate::registry::find(REGISTRY, name)
}

/// `1 / (1 - beta^step)`: Adam-style bias correction, in f64 so late steps stay exact.
pub fn bias_correction(beta: f32, step: u64) -> f32 {
    (1.0 / (1.0 - crate::math::powi(beta as f64, step))) as f32
}

#[cfg(feature = "alloc")]
mod owned;
#[cfg(feature = "alloc")]
pub use owned::{Optimizer, RangeUpdate};
