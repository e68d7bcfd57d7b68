//! The one definition that ffn's trainer side (`ffn-core`, `ffn-trainer`) and its
//! device side (`ffn-infer-embedded`) share, so the two cannot drift:
//!
//! - [`activation`]: each hidden-layer activation's CLI name, its tag in model
//!   files, its scalar formula (through `libm`, so every build gives the same
//!   bits) and the slope the backward pass uses;
//! - [`model_file`]: the `.ffn` model file's magic, versions, header fields,
//!   element and input types, and where every array of a layer sits;
//! - [`requant`]: the integer requantisation between int8 layers (TFLite's
//!   fixed-point multiplier and shift), both the device's arithmetic and the
//!   exporter's conversion of a real multiplier into it.
//!
//! `#![no_std]`, no allocator: it builds for every Cortex-M target.
#![no_std]
#![forbid(unsafe_code)]

pub mod activation;
pub mod model_file;
pub mod requant;

pub use activation::{Activation, Int8Activation};
pub use model_file::{ElementType, InputType};
