//! no_std, no-alloc inference of ffn models borrowed from flash.
//!
//! [`Model::from_bytes`] validates a model file once (magic, version, CRC-32,
//! layer sizes, payload length, scratch need) and keeps only a view of the
//! borrowed bytes; [`Model::predict`] then classifies one 28×28 image reading
//! the weights in place, and cannot fail or panic. The caller owns the one
//! mutable buffer, a [`Scratch`] whose capacity is a compile-time constant.
//!
//! The file format lives in [`format`]; with the `std` feature the same module
//! also writes files (the trainer's side).
#![no_std]
// The only `unsafe` is the DSP inline assembly behind the `dsp` feature (see `kernels`).
#![deny(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

pub mod format;
mod kernels;
mod model;

pub use format::{Activation, ElementType, FormatError, INPUT_SIZE, NUM_CLASSES};
pub use model::{Model, Prediction, Scratch, scratch_bytes};

/// The crate's one error type: everything [`Model::from_bytes`] can reject.
pub type Error = FormatError;
