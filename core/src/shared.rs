//! A buffer that the parts of a job cut into disjoint pieces, from several
//! threads at once.
//!
//! A part cannot hold a `&mut` to the whole buffer while another part writes
//! its own piece, so the buffer is kept as a pointer with its length, and
//! each part takes the pieces (slices, or row blocks as matrix views) that
//! its plan gives it. The pointer keeps the provenance of the whole borrow.

use crate::matrix::{MatMut, MatRef};
use core::marker::PhantomData;
use core::ops::Range;

/// A mutable borrow of `[T]` that the parts of a job share.
pub struct SharedMut<'a, T> {
    ptr: *mut T,
    len: usize,
    life: PhantomData<&'a mut [T]>,
}

impl<T> Clone for SharedMut<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SharedMut<'_, T> {}

// SAFETY: the pieces handed out are disjoint between the parts that write
// them (the contract of `slice_mut`), so sharing the pointer between threads
// is sharing `&mut` pieces of a `Send` type.
unsafe impl<T: Send> Send for SharedMut<'_, T> {}
// SAFETY: as above; reading pieces from several threads needs `T: Sync`.
unsafe impl<T: Send + Sync> Sync for SharedMut<'_, T> {}

impl<'a, T> SharedMut<'a, T> {
    pub fn new(buffer: &'a mut [T]) -> Self {
        SharedMut { ptr: buffer.as_mut_ptr(), len: buffer.len(), life: PhantomData }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The buffer's first element, with the provenance of the whole borrow.
    pub fn as_mut_ptr(&self) -> *mut T {
        self.ptr
    }

    /// Elements `range`, read-only.
    ///
    /// # Safety
    /// Nobody writes `range` while the slice is used.
    pub unsafe fn slice(&self, range: Range<usize>) -> &'a [T] {
        assert!(range.start <= range.end && range.end <= self.len, "piece beyond the buffer");
        // SAFETY: in bounds (asserted); the caller rules out concurrent writes.
        unsafe { core::slice::from_raw_parts(self.ptr.add(range.start), range.len()) }
    }

    /// Elements `range`, writable.
    ///
    /// # Safety
    /// Nobody else reads or writes `range` while the slice is used.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice_mut(&self, range: Range<usize>) -> &'a mut [T] {
        assert!(range.start <= range.end && range.end <= self.len, "piece beyond the buffer");
        // SAFETY: in bounds (asserted); the caller rules out other views.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }
    }
}

impl<'a> SharedMut<'a, f32> {
    /// The `rows × cols` block whose first element is at `start`, rows
    /// `stride` apart, read-only.
    ///
    /// # Safety
    /// Nobody writes the block's elements while the view is used.
    pub unsafe fn mat(&self, start: usize, rows: usize, cols: usize, stride: usize) -> MatRef<'a> {
        self.check(start, rows, cols, stride);
        // SAFETY: inside the buffer (checked); the caller rules out writes.
        unsafe { MatRef::from_raw(self.ptr.add(start.min(self.len)), rows, cols, stride, 1) }
    }

    /// The same block, writable.
    ///
    /// # Safety
    /// Nobody else reads or writes the block's elements while the view is used.
    pub unsafe fn mat_mut(&self, start: usize, rows: usize, cols: usize, stride: usize) -> MatMut<'a> {
        self.check(start, rows, cols, stride);
        assert!(rows <= 1 || stride >= cols, "overlapping rows");
        // SAFETY: inside the buffer (checked); the caller rules out other views.
        unsafe { MatMut::from_raw(self.ptr.add(start.min(self.len)), rows, cols, stride) }
    }

    fn check(&self, start: usize, rows: usize, cols: usize, stride: usize) {
        let reach = if rows == 0 || cols == 0 { start } else { start + (rows - 1) * stride + cols };
        assert!(reach <= self.len && start <= self.len, "block beyond the buffer");
    }
}
