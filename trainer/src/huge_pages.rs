//! 2 MB pages (Linux transparent huge pages) for the large buffers training
//! streams through: the datasets it gathers batches from, and the model's
//! weights, gradients and optimizer state, which every step reads and
//! writes end to end (about 20 MB for the default model).
//!
//! With 4 KB pages nearly every 4 KB of such a stream costs a page walk;
//! the machine's setting (`madvise`) gives 2 MB pages only to memory that
//! asks for them. The figures are in `benches/RESULTS.md`. Advice changes
//! how the kernel backs the pages, never their contents; where it fails (a
//! kernel without transparent huge pages, or another OS) the 4 KB pages
//! stay, which is correct, only slower.

/// 2 MB: the size of a huge page on x86-64 and aarch64 (4 KB base pages).
#[cfg(target_os = "linux")]
const HUGE: usize = 2 << 20;

/// `MADV_COLLAPSE` (Linux 6.1): move the range into huge pages now. Not in
/// every target's `libc` bindings; its value is the kernel's ABI.
#[cfg(target_os = "linux")]
const MADV_COLLAPSE: libc::c_int = 25;

/// Asks for 2 MB pages for the whole pages inside `buffer`, before its
/// pages are first written (they are then faulted in as huge pages).
pub fn advise<T>(buffer: &[T]) {
    #[cfg(target_os = "linux")]
    {
        let bytes = buffer.as_ptr().cast::<u8>();
        let address = bytes.addr();
        let start = address.next_multiple_of(HUGE);
        let end = (address + size_of_val(buffer)) / HUGE * HUGE;
        if end > start {
            // The first whole page, reached from the buffer's own pointer (an
            // address turned back into a pointer would lose its provenance).
            let first = bytes.wrapping_add(start - address).cast_mut();
            // SAFETY: advice on whole pages inside a live allocation; it
            // changes how the kernel backs them, never their contents.
            unsafe { libc::madvise(first.cast::<libc::c_void>(), end - start, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buffer;
}

/// Moves `buffer`, whose pages are already written, into 2 MB pages now:
/// the huge pages that overlap it, so that its ends are covered too (the
/// memory around a heap buffer is the process's own heap, whose contents
/// the move keeps). Older kernels leave the pages to the background
/// collapser (`khugepaged`).
pub fn collapse<T>(buffer: &[T]) {
    #[cfg(target_os = "linux")]
    {
        let bytes = buffer.as_ptr().cast::<u8>();
        let address = bytes.addr();
        let start = address / HUGE * HUGE;
        let end = (address + size_of_val(buffer)).next_multiple_of(HUGE);
        if size_of_val(buffer) >= HUGE {
            let first = bytes.wrapping_sub(address - start).cast_mut().cast::<libc::c_void>();
            // SAFETY: advice on pages of this process's mappings (a page
            // beyond them makes the call fail for that part only); it
            // changes how the kernel backs them, never their contents.
            unsafe {
                libc::madvise(first, end - start, libc::MADV_HUGEPAGE);
                libc::madvise(first, end - start, MADV_COLLAPSE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buffer;
}

#[cfg(test)]
mod tests {
    /// Advice changes how pages are backed, never what they hold: a buffer
    /// of several huge pages, and what the heap holds around it, keep every
    /// value through `advise` and `collapse`.
    #[test]
    fn advice_keeps_every_value_of_the_buffer_and_its_neighbours() {
        let before: Vec<u8> = (0..100_000).map(|i| (i % 251) as u8).collect();
        let values: Vec<f32> = (0..3_000_000).map(|i| i as f32).collect();
        let after: Vec<u8> = (0..100_000).map(|i| (i % 241) as u8).collect();
        super::advise(&values);
        super::collapse(&values);
        assert!(values.iter().enumerate().all(|(i, &v)| v == i as f32));
        assert!(before.iter().enumerate().all(|(i, &v)| v == (i % 251) as u8));
        assert!(after.iter().enumerate().all(|(i, &v)| v == (i % 241) as u8));
    }
}
