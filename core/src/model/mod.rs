//! The owning model and its training step.
//!
//! - [`Model`] (`network.rs`): parameters, gradients and every scratch buffer,
//!   sized once for a maximum batch, so a training step allocates nothing;
//! - `step.rs`: the reference step, one thread, top to bottom: forward
//!   through the layers, loss, backward, optimizer update;
//! - `layer.rs`: the pieces the step is made of, each over a block of a
//!   layer (rows of the batch, some of the layer's inputs or outputs);
//! - `plan/`: the same pieces cut between cores, phase by phase, for small
//!   and for large batches;
//! - `order.rs`: the one summation order all of them follow, so that every
//!   plan gives the reference step's bits.

mod dropout;
mod layer;
mod network;
mod order;
mod plan;
mod step;

pub use network::{INIT_STREAM, Model, StepStats};
pub use order::SMALL_BATCH;
