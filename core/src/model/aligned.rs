//! An `f32` buffer that starts on a cache line.
//!
//! The split steps cut the activation, delta and scratch buffers between the
//! two cores by columns. The allocator returns these buffers 16 bytes past a
//! cache line (a large `Vec` is `mmap`ed behind glibc's header), so the line
//! holding the last columns of one core's half of a row also held the first
//! columns of the other's: both cores wrote it in the same phase, and it
//! moved between them every time. Starting every buffer on a line (row widths
//! that are multiples of 16 then keep every half on lines of its own) took
//! a hidden layer's sum of partial products and activation from 2.1–2.9 to
//! 1.2–1.5 µs per part at batch 16 (0.25–0.37 µs on one thread), and the
//! batch-16 epoch from 0.356 to 0.334 s (median of 5 alternating runs; batch
//! 64 0.253 → 0.240 s), with the same bits.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};

/// Floats in a 64-byte cache line.
const LINE: usize = 16;

/// `len` floats, zeroed, the first on a 64-byte boundary.
pub(super) struct AlignedBuffer {
    storage: Vec<f32>,
    start: usize,
    len: usize,
}

impl AlignedBuffer {
    pub(super) fn zeroed(len: usize) -> Self {
        let storage = vec![0.0; len + LINE - 1];
        let misaligned = storage.as_ptr() as usize % (LINE * 4) / 4;
        AlignedBuffer { start: (LINE - misaligned) % LINE, len, storage }
    }
}

impl Deref for AlignedBuffer {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl DerefMut for AlignedBuffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

impl Clone for AlignedBuffer {
    /// A new buffer (aligned on its own) with the same values.
    fn clone(&self) -> Self {
        let mut copy = AlignedBuffer::zeroed(self.len);
        copy.copy_from_slice(self);
        copy
    }
}

impl core::fmt::Debug for AlignedBuffer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{AlignedBuffer, LINE};

    #[test]
    fn starts_on_a_cache_line_zeroed_and_clones_keep_values_and_alignment() {
        for len in [0, 1, 15, 16, 17, 1000, 40_000] {
            let mut buffer = AlignedBuffer::zeroed(len);
            assert_eq!(buffer.len(), len);
            assert_eq!(buffer.as_ptr() as usize % (LINE * 4), 0, "len {len}");
            assert!(buffer.iter().all(|&v| v == 0.0));
            buffer.iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
            let copy = buffer.clone();
            assert_eq!(copy.as_ptr() as usize % (LINE * 4), 0);
            assert_eq!(&copy[..], &buffer[..]);
        }
    }
}
