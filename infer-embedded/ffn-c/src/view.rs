//! C pointers and lengths to Rust slices, checked: NULL, alignment, and a byte
//! size that fits `isize` (what `slice::from_raw_parts` requires); and the
//! address ranges the overlap check compares.

use crate::{FFN_E_MISALIGNED, FFN_E_NULL, FFN_E_TOO_LONG};

fn check<T>(ptr: *const T, len: usize) -> Result<(), i32> {
    if ptr.is_null() {
        return Err(FFN_E_NULL);
    }
    if !ptr.addr().is_multiple_of(core::mem::align_of::<T>()) {
        return Err(FFN_E_MISALIGNED);
    }
    let bytes = len.checked_mul(core::mem::size_of::<T>()).ok_or(FFN_E_TOO_LONG)?;
    if bytes > isize::MAX as usize || ptr.addr().checked_add(bytes).is_none() {
        return Err(FFN_E_TOO_LONG);
    }
    Ok(())
}

/// `len` values at `ptr`.
///
/// # Safety
/// A non-NULL `ptr` points to `len` initialised values that nothing writes
/// while the slice lives.
pub unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], i32> {
    check(ptr, len)?;
    // SAFETY: checked non-NULL, aligned, size within isize; validity is the caller's.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// `len` writable values at `ptr`.
///
/// # Safety
/// A non-NULL `ptr` points to `len` values that nothing else reads or writes
/// while the slice lives (the caller checks overlap with the other buffers).
pub unsafe fn slice_mut<'a, T>(ptr: *mut T, len: usize) -> Result<&'a mut [T], i32> {
    check(ptr.cast_const(), len)?;
    // SAFETY: as in `slice`, and exclusive by the caller's overlap check.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// A half-open address range `[start, end)`.
#[derive(Clone, Copy)]
pub struct Region {
    start: usize,
    end: usize,
}

impl Region {
    pub fn of<T>(ptr: *const T, count: usize) -> Region {
        let start = ptr.addr();
        Region { start, end: start.saturating_add(count.saturating_mul(core::mem::size_of::<T>())) }
    }

    pub fn of_slice<T>(values: &[T]) -> Region {
        Region::of(values.as_ptr(), values.len())
    }

    /// Empty ranges overlap nothing.
    pub fn overlaps(self, other: Region) -> bool {
        self.start < self.end && other.start < other.end && self.start < other.end && other.start < self.end
    }
}
