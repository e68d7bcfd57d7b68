//! An optimizer with its own state buffers.

use super::{Hyper, MAX_STATE_BUFFERS, OptimizerSpec, Update};
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

#[derive(Clone, Debug)]
pub struct Optimizer {
    pub spec: &'static OptimizerSpec,
    pub hyper: Hyper,
    /// Per-parameter state (`spec.state_buffers × n`), exposed for checkpoints.
    pub state: Vec<f32>,
    pub scalars: [f64; 4],
    /// Updates done so far.
    pub step: u64,
}

impl Optimizer {
    pub fn new(spec: &'static OptimizerSpec, hyper: Hyper, num_params: usize) -> Self {
        Optimizer { spec, hyper, state: vec![0.0; spec.state_buffers * num_params], scalars: [0.0; 4], step: 0 }
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
        let num_params = self.state.len() / self.spec.state_buffers.max(1);
        RangeUpdate {
            spec: self.spec,
            hyper: &self.hyper,
            scalars: &self.scalars,
            step: self.step,
            state: self.state.as_mut_ptr() as usize,
            num_params,
            _state: core::marker::PhantomData,
        }
    }
}

/// One step's update that threads may apply to disjoint ranges at once.
pub struct RangeUpdate<'a> {
    spec: &'static OptimizerSpec,
    hyper: &'a Hyper,
    scalars: &'a [f64; 4],
    step: u64,
    /// Address of the state buffers (raw, so the ranges can be cut on any thread).
    state: usize,
    num_params: usize,
    _state: core::marker::PhantomData<&'a mut [f32]>,
}

impl RangeUpdate<'_> {
    /// Updates the parameters `start..start + params.len()` (`params` and
    /// `grads` are that range of the full buffers).
    ///
    /// # Safety
    /// No other thread updates an overlapping range during this call.
    pub unsafe fn update(&self, params: &mut [f32], grads: &[f32], start: usize) {
        let range: Range<usize> = start..start + params.len();
        assert!(grads.len() == params.len() && (self.spec.state_buffers == 0 || range.end <= self.num_params));
        let buffer = |index: usize| -> &mut [f32] {
            if index >= self.spec.state_buffers {
                return &mut [];
            }
            // SAFETY: within the state vector (asserted above); the ranges of
            // concurrent calls are disjoint (caller's contract).
            unsafe {
                let base = (self.state as *mut f32).add(index * self.num_params + range.start);
                core::slice::from_raw_parts_mut(base, range.len())
            }
        };
        let state: [&mut [f32]; MAX_STATE_BUFFERS] = core::array::from_fn(buffer);
        (self.spec.update)(&mut Update {
            params,
            grads,
            state,
            scalars: self.scalars,
            hyper: self.hyper,
            step: self.step,
        });
    }
}

// SAFETY: the raw state address is only turned into slices of disjoint
// ranges (the contract of `update`), the rest is shared read-only.
unsafe impl Sync for RangeUpdate<'_> {}
