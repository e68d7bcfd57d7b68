//! An optimizer with its own state buffers.

use super::{Hyper, OptimizerSpec, State, Update};
use crate::aligned::AlignedBuffer;
use crate::kernels::Kernels;
use crate::shared::SharedMut;
use core::ops::Range;

#[derive(Clone, Debug)]
pub struct Optimizer {
    pub spec: &'static OptimizerSpec,
    pub hyper: Hyper,
    /// Per-parameter state (`spec.state_buffers × n`, buffer after buffer),
    /// exposed for checkpoints.
    pub state: AlignedBuffer,
    pub scalars: [f64; 4],
    /// Updates done so far.
    pub step: u64,
    /// The kernels the updates run with.
    pub kernels: Kernels,
    num_params: usize,
}

impl Optimizer {
    /// An optimizer for `num_params` parameters, with the kernels this CPU
    /// runs best (set `kernels` to pin a level).
    pub fn new(spec: &'static OptimizerSpec, hyper: Hyper, num_params: usize) -> Self {
        Optimizer {
            spec,
            hyper,
            state: AlignedBuffer::zeroed(spec.state_buffers * num_params),
            scalars: [0.0; 4],
            step: 0,
            kernels: Kernels::detect(),
            num_params,
        }
    }

    /// One update of `params` from `grads` (allocation-free).
    pub fn update(&mut self, params: &mut [f32], grads: &[f32], loss: f32) {
        self.begin_step(loss);
        let ranges = self.ranges();
        // SAFETY: `ranges` borrows the optimizer mutably, and this is its only view.
        unsafe { ranges.update(params, grads, 0) }
    }

    /// Counts a step and runs the rule's once-per-step part; the step's
    /// updates then go through [`Optimizer::ranges`].
    pub fn begin_step(&mut self, loss: f32) {
        self.step += 1;
        if let Some(begin_step) = self.spec.begin_step {
            begin_step(&mut self.scalars, &self.hyper, self.step, loss);
        }
    }

    /// The current step's update, for threads that each update their own
    /// ranges of the parameters (after [`Optimizer::begin_step`]).
    pub fn ranges(&mut self) -> RangeUpdate<'_> {
        RangeUpdate {
            spec: self.spec,
            hyper: &self.hyper,
            scalars: &self.scalars,
            step: self.step,
            kernels: self.kernels,
            state: SharedMut::new(&mut self.state),
            num_params: self.num_params,
        }
    }
}

/// One step's update that threads may apply to disjoint ranges at once.
pub struct RangeUpdate<'a> {
    spec: &'static OptimizerSpec,
    hyper: &'a Hyper,
    scalars: &'a [f64; 4],
    step: u64,
    kernels: Kernels,
    state: SharedMut<'a, f32>,
    num_params: usize,
}

impl RangeUpdate<'_> {
    /// Updates the parameters `start..start + params.len()` (`params` and
    /// `grads` are that range of the full buffers).
    ///
    /// # Safety
    /// No other thread updates an overlapping range during this call.
    pub unsafe fn update(&self, params: &mut [f32], grads: &[f32], start: usize) {
        let range: Range<usize> = start..start + params.len();
        assert!(grads.len() == params.len() && range.end <= self.num_params, "update beyond the parameters");
        let buffers = self.spec.state_buffers;
        assert!(self.state.len() == buffers * self.num_params);
        // SAFETY: the state vector holds `buffers × num_params` floats, and
        // the caller keeps other threads out of this range of every buffer.
        let state = unsafe { State::new(self.state.as_mut_ptr(), self.num_params, buffers, range) };
        (self.spec.update)(&mut Update {
            kernels: self.kernels,
            params,
            grads,
            state,
            scalars: self.scalars,
            hyper: self.hyper,
            step: self.step,
        });
    }
}
