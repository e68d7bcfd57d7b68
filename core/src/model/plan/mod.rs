//! Plans: the reference step cut between two cores.
//!
//! A plan says which part of which layer each core computes, in which
//! phase; the work itself is the reference step's pieces (`layer.rs`) on
//! smaller blocks, summed in the same order (`order.rs`), so the bits are
//! the reference step's whatever the thread count. Every phase is cut into
//! the same two parts, whichever executor runs them.
//!
//! - [`weight_rows`] (batches up to `SMALL_BATCH`): each part owns half of
//!   every layer's weight rows for the whole step, so only the batch's
//!   activations and deltas cross between the cores.
//! - [`batch_rows`] (larger batches): each part takes half the batch's rows
//!   forward, then half of every layer's weight rows backward.

pub(super) mod batch_rows;
pub(super) mod weight_rows;

/// The parts of every phase: fixed, so the sums do not depend on the thread count.
const PARTS: usize = 2;

/// A value that only one part of a phase uses (the other never touches
/// it), such as the optimizer during the output layer's work.
struct OnePart<T>(core::cell::UnsafeCell<T>);

// SAFETY: one thread at a time uses the value (the contract of `get`), and
// `T: Send` lets it be used on whichever thread runs that part.
unsafe impl<T: Send> Sync for OnePart<T> {}

impl<T> OnePart<T> {
    fn new(value: T) -> Self {
        OnePart(core::cell::UnsafeCell::new(value))
    }

    /// # Safety
    /// Only one part of each phase calls this, and it drops the reference
    /// before the phase ends.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self) -> &mut T {
        // SAFETY: the caller's contract: no other reference is live.
        unsafe { &mut *self.0.get() }
    }

    /// # Safety
    /// No part writes the value during this phase.
    unsafe fn read(&self) -> &T
    where
        T: Sync,
    {
        // SAFETY: the caller's contract: no mutable reference is live.
        unsafe { &*self.0.get() }
    }

    fn into_inner(self) -> T {
        self.0.into_inner()
    }
}
