//! The process's allocator, with every large allocation on a cache line.
//!
//! glibc returns a large block 16 bytes past a page (its header sits in
//! front), so a weight, gradient or optimizer-state buffer put every 64-byte
//! vector of the kernels across two cache lines: each AVX-512 load and
//! store touched two lines. With blocks of 4 KB and more on 64 bytes the
//! batch-16 epoch went from 0.318 to 0.301 s (`bench-epoch`, medians of 5
//! alternating runs; batch 64 and 256 within noise), with the same bits.
//! (The model's column-split buffers are aligned by `ffn-core` itself.)

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of at least this many bytes start on a cache line.
const LARGE: usize = 4096;
const LINE: usize = 64;

pub struct LineAligned;

fn adjusted(layout: Layout) -> Layout {
    if layout.size() >= LARGE && layout.align() < LINE {
        // A power of two no smaller than the old alignment, so this never fails.
        Layout::from_size_align(layout.size(), LINE).unwrap_or(layout)
    } else {
        layout
    }
}

// SAFETY: every block is allocated and freed by `System` with the same
// adjusted layout (the adjustment depends only on the caller's layout), and
// `realloc` below moves a block between the two classes by copying.
unsafe impl GlobalAlloc for LineAligned {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(adjusted(layout)) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(adjusted(layout)) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, adjusted(layout)) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = adjusted(layout);
        // SAFETY (unwrap): `new_size` with the caller's alignment is a valid layout (the contract of `realloc`).
        let new = adjusted(Layout::from_size_align(new_size, layout.align()).expect("valid layout"));
        if old.align() == new.align() {
            return unsafe { System.realloc(ptr, old, new_size) };
        }
        let moved = unsafe { System.alloc(new) };
        if !moved.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                System.dealloc(ptr, old);
            }
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::{LARGE, LINE};

    /// Large vectors start on a line, small ones may not need to, and growing
    /// or shrinking across the threshold keeps the contents.
    #[test]
    fn large_blocks_start_on_a_cache_line_and_survive_reallocation() {
        for floats in [LARGE / 4, LARGE, 100_000, 1 << 22] {
            let v = vec![1.5f32; floats];
            assert_eq!(v.as_ptr() as usize % LINE, 0, "{floats} floats");
        }
        let mut v: Vec<u32> = (0..10).collect();
        for target in [LARGE, 10 * LARGE, 100] {
            v.resize(target, 7);
            v.shrink_to_fit();
            assert!(v.iter().take(10).copied().eq(0..10));
            if v.len() * 4 >= LARGE {
                assert_eq!(v.as_ptr() as usize % LINE, 0);
            }
        }
    }
}
