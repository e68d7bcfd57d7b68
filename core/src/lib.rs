//! `ffn-core`: the `no_std` heart of ffn.
//!
//! A feed-forward network lives in one contiguous `f32` parameter buffer (and a
//! gradient buffer of the same shape); every layer is a forward/backward pair
//! over flat row-major arrays with explicit sizes, and every optimizer is one
//! pass over the parameter buffer. Products go through [`kernels::gemm`]
//! (matrixmultiply, or a packing-free AVX-512 kernel, chosen per role and
//! shape); element-wise work goes through [`kernels`], whose SIMD builds the
//! caller selects once ([`kernels::Kernels`]).
//!
//! The training step ([`model`]) is written once, as a reference that reads
//! top to bottom; its plans cut the same pieces between cores, run by an
//! [`exec::Executor`] the caller passes in (core starts no thread and keeps
//! no global state).
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
#[cfg(feature = "alloc")]
pub mod aligned;
pub mod exec;
pub mod init;
pub mod kernels;
pub mod layers;
pub mod layout;
pub mod loss;
pub mod math;
pub mod matrix;
#[cfg(feature = "alloc")]
pub mod model;
pub mod optim;
pub mod registry;
pub mod rng;
pub mod shared;

pub use activation::ActivationSpec;
pub use init::Init;
pub use layout::Layout;
pub use loss::LossSpec;
pub use optim::{Hyper, OptimizerSpec};
