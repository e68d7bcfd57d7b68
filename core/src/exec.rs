//! Who runs the parts of a step: an executor the caller passes in.
//!
//! The plans of a training step (`model::plan`) cut each phase of the step
//! into parts, and every part writes its own blocks of the buffers; an
//! [`Executor`] runs the parts. [`Serial`] runs them in turn on the calling
//! thread; a thread pool (the workspace's `ffn-pool`) runs them on its
//! threads. Core itself never starts a thread, and nothing in it depends on
//! which thread runs a part: the sums, and so the bits, are fixed by the plan.

/// Runs the parts of a job, and of a chain of phases.
pub trait Executor: Sync {
    /// How many threads run parts at the same time (1: one after the other).
    fn threads(&self) -> usize;

    /// Runs `job(0)`, …, `job(parts - 1)`, each exactly once, and returns
    /// when all are done. A panic in a part is raised here.
    fn run(&self, parts: usize, job: &(dyn Fn(usize) + Sync));

    /// Runs `job(phase, part)` for every phase in order and every part of it,
    /// each exactly once; every part of a phase is done before any part of
    /// the next starts. A panic in a part is raised here.
    fn run_phases(&self, parts: usize, phases: usize, job: &(dyn Fn(usize, usize) + Sync));
}

/// Every part in turn, on the calling thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

impl Executor for Serial {
    fn threads(&self) -> usize {
        1
    }

    fn run(&self, parts: usize, job: &(dyn Fn(usize) + Sync)) {
        (0..parts).for_each(job);
    }

    fn run_phases(&self, parts: usize, phases: usize, job: &(dyn Fn(usize, usize) + Sync)) {
        (0..phases).for_each(|phase| (0..parts).for_each(|part| job(phase, part)));
    }
}
