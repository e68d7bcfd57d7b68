//! `ffn-core`: the `no_std` heart of ffn.
//!
//! A feed-forward network lives in one contiguous `f32` parameter buffer (and a
//! gradient buffer of the same shape); every layer is a forward/backward pair
//! over flat row-major arrays with explicit sizes, and every optimizer is one
//! pass over the parameter buffer. GEMMs go through `matrixmultiply`;
//! element-wise work goes through [`kernels`], which picks a SIMD build of each
//! kernel at run time when `std` is on and falls back to the portable one.
//!
//! Features: `alloc` adds the owning [`model::Model`] and [`optim::Optimizer`];
//! `std` adds CPU feature detection. With neither, the crate still offers the
//! layer functions, activations, losses and optimizer updates over caller
//! buffers (and builds for `thumbv7em-none-eabihf`).
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod activation;
pub mod init;
pub mod kernels;
pub mod layers;
pub mod layout;
pub mod loss;
pub mod math;
#[cfg(feature = "alloc")]
pub mod model;
pub mod optim;
pub mod rng;

pub use activation::ActivationSpec;
pub use init::Init;
pub use layout::Layout;
pub use loss::LossSpec;
pub use optim::{Hyper, OptimizerSpec};

/// Pixels per image (28 × 28) for MNIST-style data.
pub const INPUT_SIZE: usize = 784;
/// Classes per image for MNIST-style data.
pub const NUM_CLASSES: usize = 10;
