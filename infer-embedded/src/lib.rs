//! no_std, no-alloc inference of ffn models borrowed from flash, for any shape.
//!
//! [`Model::from_bytes`] validates a model file once (see [`format`]: magic,
//! version, CRC-32, sizes, every float, padding, the int8 requantisation) and
//! keeps only a fixed-size view of the borrowed bytes. [`Model::predict`] then
//! classifies one sample, reading the weights in place: its input is a slice
//! of `u8`, `i8`, `i16` or `f32` values in the units of the training data (the
//! model applies its own preprocessing); the caller owns the only mutable
//! memory, a scratch byte slice of [`Model::scratch_bytes`] bytes aligned to
//! [`SCRATCH_ALIGN`], and an optional scores slice. Every size is checked at
//! each call; nothing panics.
//!
//! ```no_run
//! use ffn_infer_embedded::{Model, Scratch};
//! # fn demo(flash: &'static [u8], pixels: &[u8]) -> Result<(), ffn_infer_embedded::Error> {
//! let model = Model::from_bytes(flash)?;
//! let mut scratch = Scratch::<2048>::new(); // at least model.scratch_bytes()
//! let mut scores = [0.0f32; 10];            // or &mut [] for the class only
//! let class = model.predict(pixels, scratch.as_mut_bytes(), &mut scores)?;
//! let name = model.class_name(class);
//! # Ok(()) }
//! ```
//!
//! int8 models run integer-only between layers (TFLite's fixed-point
//! requantisation, [`ffn_spec::requant`]); the file format lives in
//! [`format`], its constants in `ffn-spec`. With the `std` feature the same
//! crate also writes and decodes files (the trainer's side).
#![no_std]
// The only `unsafe` is the kernels' inline assembly (`kernels::dsp`, `kernels::armv6m`).
#![deny(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

mod error;
pub mod format;
mod input;
mod kernels;
mod model;

pub use error::Error;
pub use ffn_spec::model_file::{ElementType, ImageShape, InputStage, InputType, Preprocessing};
pub use ffn_spec::{Activation, Int8Activation};
pub use input::{Input, InputSlice};
pub use model::{Model, SCRATCH_ALIGN, Scratch};
