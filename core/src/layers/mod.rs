//! Layers as forward/backward pairs over flat row-major buffers.

pub mod dense;
