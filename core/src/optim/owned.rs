//! An optimizer with its own state buffers.

use super::{Hyper, OptimizerSpec, Update};
use alloc::vec;
use alloc::vec::Vec;

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
        self.step += 1;
        (self.spec.update)(&mut Update {
            params,
            grads,
            state: &mut self.state,
            scalars: &mut self.scalars,
            hyper: &self.hyper,
            step: self.step,
            loss,
        });
    }
}
