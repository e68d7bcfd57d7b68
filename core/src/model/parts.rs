//! Two parts of a training step and the buffers they share.
//!
//! The split steps (`split_step`, `row_split_step`) cut every phase of a step
//! into the same two parts, whatever the thread count, so their sums and
//! results do not depend on it: the pool's threads run the parts, or one
//! thread runs them in turn.

use super::Model;
#[cfg(feature = "std")]
use crate::kernels::parallel;
use crate::layout::Layout;
use core::ops::Range;

/// The parts of every layer; fixed, so the sums do not depend on the thread count.
pub(super) const PARTS: usize = 2;

/// Runs both parts: on the pool's threads, or in turn on this one when the
/// thread count is limited to one (`FFN_THREADS=1`, `train --threads 1`).
pub(super) fn run_parts(job: &(dyn Fn(usize) + Sync)) {
    #[cfg(feature = "std")]
    if parts_run_in_parallel() {
        return parallel::run(PARTS, job);
    }
    (0..PARTS).for_each(job);
}

/// Runs both parts of every phase, phase after phase: each part's phases on
/// one of the pool's threads, which meet between phases, or all in turn on
/// this one (see [`run_parts`]).
pub(super) fn run_phases(phases: usize, job: &(dyn Fn(usize, usize) + Sync)) {
    #[cfg(feature = "std")]
    if parts_run_in_parallel() {
        return parallel::run_phases(PARTS, phases, job);
    }
    (0..phases).for_each(|phase| (0..PARTS).for_each(|part| job(phase, part)));
}

/// Whether more than one thread runs the parts. The row split step pays only
/// then: one thread running its parts in turn packs each layer's weights for
/// matrixmultiply twice (batch 256: 0.42–0.45 s per epoch against 0.39–0.40 s).
pub(super) fn parts_run_in_parallel() -> bool {
    #[cfg(feature = "std")]
    {
        parallel::threads() > 1
    }
    #[cfg(not(feature = "std"))]
    {
        false
    }
}

/// `range` moved `by` places (a part's piece of one layer's block, placed in a whole buffer).
pub(super) fn shift(range: &Range<usize>, by: usize) -> Range<usize> {
    range.start + by..range.end + by
}

/// What both split steps' parts read and cut: the model's buffers as raw
/// shared views, and the step's shape. Each step adds its own fields and
/// reaches these through `Deref`.
pub(super) struct StepBuffers<'a> {
    pub(super) sizes: &'a [usize],
    pub(super) activation: &'static crate::activation::ActivationSpec,
    pub(super) max_batch: usize,
    pub(super) batch: usize,
    pub(super) inputs: &'a [f32],
    pub(super) params: Shared,
    pub(super) grads: Shared,
    pub(super) outputs: Shared,
    pub(super) deltas: Shared,
    /// `(masks, kept)` when dropout is on.
    pub(super) dropout: Option<(Shared, Shared)>,
    pub(super) weight_decay: f32,
}

impl StepBuffers<'_> {
    pub(super) fn layout(&self) -> Layout<'_> {
        Layout::new(self.sizes).expect("validated at construction")
    }

    /// Layer `layer`'s block of `outputs`, `deltas`, dropout masks and kept values.
    pub(super) fn block(&self, layer: usize) -> Range<usize> {
        super::block(self.sizes, self.max_batch, layer, self.batch)
    }
}

impl Model {
    /// The buffers of a split step over `batch` rows (dropout only when
    /// `training`).
    pub(super) fn step_buffers<'a>(
        &'a mut self,
        inputs: &'a [f32],
        batch: usize,
        training: bool,
        weight_decay: f32,
    ) -> StepBuffers<'a> {
        let dropout = self.dropout.as_mut().filter(|_| training);
        StepBuffers {
            sizes: &self.sizes,
            activation: self.activation,
            max_batch: self.max_batch,
            batch,
            inputs,
            params: Shared::new(&mut self.params),
            grads: Shared::new(&mut self.grads),
            outputs: Shared::new(&mut self.outputs),
            deltas: Shared::new(&mut self.deltas),
            dropout: dropout.map(|d| (Shared::new(&mut d.masks), Shared::new(&mut d.kept))),
            weight_decay,
        }
    }
}

/// A value that only one part of a phase uses (the other never touches it),
/// such as the optimizer during the output layer's work.
pub(super) struct OnePart<T>(core::cell::UnsafeCell<T>);

// SAFETY: one thread at a time uses the value (the contract of `get`), and
// `T: Send` lets it be used on whichever thread runs that part.
unsafe impl<T: Send> Sync for OnePart<T> {}

impl<T> OnePart<T> {
    pub(super) fn new(value: T) -> Self {
        OnePart(core::cell::UnsafeCell::new(value))
    }

    /// # Safety
    /// Only one part of each phase calls this, and it drops the reference
    /// before the phase ends.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn get(&self) -> &mut T {
        // SAFETY: the caller's contract: no other reference is live.
        unsafe { &mut *self.0.get() }
    }

    /// # Safety
    /// No part writes the value during this phase.
    pub(super) unsafe fn read(&self) -> &T
    where
        T: Sync,
    {
        // SAFETY: the caller's contract: no mutable reference is live.
        unsafe { &*self.0.get() }
    }

    pub(super) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

/// A buffer shared by the parts, which cut it into disjoint pieces.
#[derive(Clone, Copy)]
pub(super) struct Shared {
    address: usize,
    len: usize,
}

impl Shared {
    pub(super) fn new(buffer: &mut [f32]) -> Self {
        Shared { address: buffer.as_mut_ptr() as usize, len: buffer.len() }
    }

    /// # Safety
    /// The buffer is still borrowed, and no part writes `range` during this phase.
    pub(super) unsafe fn get<'a>(self, range: Range<usize>) -> &'a [f32] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (asserted); the caller rules out concurrent writes.
        unsafe { core::slice::from_raw_parts((self.address as *const f32).add(range.start), range.len()) }
    }

    /// # Safety
    /// The buffer is still borrowed, and no other view of `range` is used during this phase.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn get_mut<'a>(self, range: Range<usize>) -> &'a mut [f32] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (asserted); the caller rules out other views.
        unsafe { core::slice::from_raw_parts_mut((self.address as *mut f32).add(range.start), range.len()) }
    }
}
