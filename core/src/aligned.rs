//! An `f32` buffer that starts on a cache line: parameters, gradients,
//! optimizer state, activations, deltas and scratch, so that every 64-byte
//! vector of the kernels lies on one line, and the blocks the two cores of
//! a step write (their columns of a row, cut on multiples of 16 floats) lie
//! on lines of their own.
//!
//! The system allocator returns large blocks 16 bytes past a cache line
//! (glibc's header sits in front of an `mmap`ed block): every AVX-512 load
//! and store then touched two lines, and the two cores of a split step both
//! wrote the line that held the edge of their columns, which moved between
//! them in every phase. The figures are in `benches/RESULTS.md`.
//!
//! The buffer is a `Vec` one line longer than asked, used from its first
//! aligned element: zeroed through the allocator's `calloc`, whose fresh
//! pages cost no memory until written (asking for 64-byte alignment instead
//! zeroes every page at once).

use alloc::vec;
use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};

/// Floats in a 64-byte cache line.
const LINE: usize = 16;

/// `len` floats, the first on a 64-byte boundary.
pub struct AlignedBuffer {
    storage: Vec<f32>,
    start: usize,
    len: usize,
}

impl AlignedBuffer {
    /// `len` zeros.
    pub fn zeroed(len: usize) -> Self {
        let storage = vec![0.0; len + LINE - 1];
        // `align_offset` may only fail for alignments the type cannot have; 64 bytes it can.
        let start = storage.as_ptr().align_offset(LINE * size_of::<f32>()).min(LINE - 1);
        AlignedBuffer { storage, start, len }
    }

    /// A copy of `values`.
    pub fn from_slice(values: &[f32]) -> Self {
        let mut buffer = AlignedBuffer::zeroed(values.len());
        buffer.copy_from_slice(values);
        buffer
    }
}

impl Default for AlignedBuffer {
    /// No floats.
    fn default() -> Self {
        AlignedBuffer::zeroed(0)
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

impl AsRef<[f32]> for AlignedBuffer {
    fn as_ref(&self) -> &[f32] {
        self
    }
}

impl AsMut<[f32]> for AlignedBuffer {
    fn as_mut(&mut self) -> &mut [f32] {
        self
    }
}

impl<'a> IntoIterator for &'a AlignedBuffer {
    type Item = &'a f32;
    type IntoIter = core::slice::Iter<'a, f32>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Clone for AlignedBuffer {
    /// A new buffer (aligned on its own) with the same values.
    fn clone(&self) -> Self {
        AlignedBuffer::from_slice(self)
    }
}

impl From<&[f32]> for AlignedBuffer {
    fn from(values: &[f32]) -> Self {
        AlignedBuffer::from_slice(values)
    }
}

impl PartialEq for AlignedBuffer {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
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
            assert_eq!(buffer.as_ptr().align_offset(LINE * 4), 0, "len {len}");
            assert!(buffer.iter().all(|&v| v == 0.0));
            buffer.iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
            let copy = buffer.clone();
            assert_eq!(copy.as_ptr().align_offset(LINE * 4), 0);
            assert_eq!(&copy[..], &buffer[..]);
        }
    }
}
