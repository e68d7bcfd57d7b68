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

/// Whether `layout` gets a line-aligned block carved out of a larger one
/// (sizes near `isize::MAX`, which no allocator can serve, go to `System`
/// as they are, so the larger block's layout always exists).
fn large(layout: Layout) -> bool {
    (LARGE..=isize::MAX as usize - 4 * LINE).contains(&layout.size()) && layout.align() <= 16
}

/// The block that holds a large allocation: room to move its start onto a
/// line and to keep the block's address just before it. Its alignment stays
/// the allocator's natural one, so zeroed blocks still come from `calloc`,
/// whose fresh pages cost no memory until they are written (asking `System`
/// for 64-byte alignment instead zeroes every page at once: +20 MB peak
/// for the default `train` run).
fn holder(layout: Layout) -> Layout {
    // Never an error: `large` bounds the size well below `isize::MAX`.
    Layout::from_size_align(layout.size() + 2 * LINE, 16).unwrap_or(layout)
}

/// Where the line-aligned start of `block` is, from the block's start.
fn carve_offset(block: *mut u8) -> usize {
    (block as usize + size_of::<usize>()).next_multiple_of(LINE) - block as usize
}

/// The line-aligned address inside `block`, with `block` stored in the word before it.
///
/// # Safety
/// `block` is null or a block of `holder(layout)` bytes.
unsafe fn carve(block: *mut u8) -> *mut u8 {
    if block.is_null() {
        return block;
    }
    let aligned = block.wrapping_add(carve_offset(block));
    // SAFETY: `aligned - 8 ≥ block` and `aligned + size ≤ block + size + 2·LINE`.
    unsafe { (aligned as *mut usize).sub(1).write_unaligned(block as usize) };
    aligned
}

// SAFETY: a large block is carved out of a `holder` block from `System` and
// freed through the address stored before it; other blocks go to `System`
// unchanged. Whether a block is large depends only on its layout, which
// `dealloc` and `realloc` receive as it was allocated.
unsafe impl GlobalAlloc for LineAligned {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !large(layout) {
            return unsafe { System.alloc(layout) };
        }
        unsafe { carve(System.alloc(holder(layout))) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !large(layout) {
            return unsafe { System.alloc_zeroed(layout) };
        }
        unsafe { carve(System.alloc_zeroed(holder(layout))) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !large(layout) {
            return unsafe { System.dealloc(ptr, layout) };
        }
        unsafe {
            let block = (ptr as *const usize).sub(1).read_unaligned() as *mut u8;
            System.dealloc(block, holder(layout));
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY (unwrap): the caller guarantees `new_size` with this alignment is a valid layout.
        let new_layout = Layout::from_size_align(new_size, layout.align()).expect("valid layout");
        match (large(layout), large(new_layout)) {
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            // Large to large: `System.realloc` resizes the holder block in place or, for
            // mapped blocks, remaps its pages (glibc's mremap), so a growing or shrinking
            // buffer is never held twice. Only the carve offset may change.
            (true, true) => unsafe {
                let block = (ptr as *const usize).sub(1).read_unaligned() as *mut u8;
                let offset = ptr as usize - block as usize;
                let resized = System.realloc(block, holder(layout), holder(new_layout).size());
                if resized.is_null() {
                    return resized;
                }
                let new_offset = carve_offset(resized);
                if new_offset != offset {
                    // Both spans lie inside the resized holder (offsets < 2·LINE); they may overlap.
                    std::ptr::copy(resized.add(offset), resized.add(new_offset), layout.size().min(new_size));
                }
                // After the move: the address word may lie in the data's old place.
                carve(resized)
            },
            _ => unsafe {
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                moved
            },
        }
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
        // Large to large, growing and shrinking (in place, remapped, or moved).
        let mut v: Vec<u64> = (0..LARGE as u64).collect();
        for target in [3 * LARGE, 1 << 20, 5 << 20, LARGE, 2 * LARGE] {
            v.resize(target, 9);
            v.shrink_to_fit();
            assert_eq!(v.as_ptr() as usize % LINE, 0, "{target}");
            assert!(v.iter().take(LARGE.min(target)).copied().eq(0..LARGE.min(target) as u64), "{target}");
        }
    }
}
