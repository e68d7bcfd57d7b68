//! Cutting a [`simd_kernel!`](crate::simd_kernel) call into pieces that run on
//! the threads of [`super::parallel`].
//!
//! A call is split only when every slice argument has the same length `n`
//! (and `n` is large): every optimizer update and activation kernel has that
//! shape and works element by element, so piece `[a, b)` of each slice is the
//! whole story for those elements and the result is bit-for-bit the same.
//! Kernels that mix lengths (a bias row and a batch, column sums) are never
//! split. Scalars and small arrays are copied into every piece.

use core::ops::Range;

/// An argument of a kernel, in a form that can be shared with the threads
/// that run the pieces.
///
/// # Safety
/// `piece` must return a view of exactly `range` of the original slice (or
/// the value itself for non-slices), so that disjoint ranges give disjoint
/// `&mut` views.
pub unsafe trait KernelArg: Sized {
    type Raw: Copy + Send + Sync;
    fn into_raw(self) -> Self::Raw;
    /// `Some(len)` for slices.
    fn len(raw: &Self::Raw) -> Option<usize>;
    /// # Safety
    /// `range` lies within the slice, the original borrow is still live, and
    /// no two live `&mut` pieces overlap.
    unsafe fn piece(raw: Self::Raw, range: Range<usize>) -> Self;
    /// # Safety
    /// The original borrow is still live and this is its only view.
    unsafe fn whole(raw: Self::Raw) -> Self;
}

/// A slice as address and length (raw pointers are neither `Send` nor `Sync`).
#[derive(Clone, Copy)]
pub struct RawSlice {
    address: usize,
    len: usize,
}

// SAFETY: `piece` returns exactly `range` of the slice.
unsafe impl<T> KernelArg for &[T] {
    type Raw = RawSlice;
    fn into_raw(self) -> RawSlice {
        RawSlice { address: self.as_ptr() as usize, len: self.len() }
    }
    fn len(raw: &RawSlice) -> Option<usize> {
        Some(raw.len)
    }
    unsafe fn piece(raw: RawSlice, range: Range<usize>) -> Self {
        debug_assert!(range.start <= range.end && range.end <= raw.len);
        // SAFETY: within the original live slice (caller's contract).
        unsafe { core::slice::from_raw_parts((raw.address as *const T).add(range.start), range.len()) }
    }
    unsafe fn whole(raw: RawSlice) -> Self {
        // SAFETY: the original live slice.
        unsafe { core::slice::from_raw_parts(raw.address as *const T, raw.len) }
    }
}

// SAFETY: `piece` returns exactly `range` of the slice.
unsafe impl KernelArg for &mut [f32] {
    type Raw = RawSlice;
    fn into_raw(self) -> RawSlice {
        RawSlice { address: self.as_mut_ptr() as usize, len: self.len() }
    }
    fn len(raw: &RawSlice) -> Option<usize> {
        Some(raw.len)
    }
    unsafe fn piece(raw: RawSlice, range: Range<usize>) -> Self {
        debug_assert!(range.start <= range.end && range.end <= raw.len);
        // SAFETY: within the original live slice, disjoint from every other
        // live piece (caller's contract).
        unsafe { core::slice::from_raw_parts_mut((raw.address as *mut f32).add(range.start), range.len()) }
    }
    unsafe fn whole(raw: RawSlice) -> Self {
        // SAFETY: the original live slice, its only view.
        unsafe { core::slice::from_raw_parts_mut(raw.address as *mut f32, raw.len) }
    }
}

macro_rules! copied_arg {
    ($($t:ty),*) => {$(
        // SAFETY: not a slice: every piece gets the value itself.
        unsafe impl KernelArg for $t {
            type Raw = $t;
            fn into_raw(self) -> $t { self }
            fn len(_: &$t) -> Option<usize> { None }
            unsafe fn piece(raw: $t, _: Range<usize>) -> $t { raw }
            unsafe fn whole(raw: $t) -> $t { raw }
        }
    )*};
}
copied_arg!(f32, f64, u8, u32, u64, usize, bool);

// SAFETY: not a slice: every piece gets the array itself.
unsafe impl<const N: usize> KernelArg for [f32; N] {
    type Raw = [f32; N];
    fn into_raw(self) -> Self {
        self
    }
    fn len(_: &Self) -> Option<usize> {
        None
    }
    unsafe fn piece(raw: Self, _: Range<usize>) -> Self {
        raw
    }
    unsafe fn whole(raw: Self) -> Self {
        raw
    }
}

/// Below this many elements a kernel runs whole: the hand-over (about a
/// microsecond) would eat what a split saves.
pub const SPLIT_MIN_LEN: usize = 32 * 1024;
/// Pieces start on multiples of this many elements (whole cache lines, whole
/// AVX-512 vectors), so no piece adds a scalar tail or shares a line.
const ALIGN: usize = 64;

/// Part `part`'s half (part 0 or 1) of `units` units, for work split in two
/// by rows of a weight matrix or columns of a batch (the split training step
/// and the gather that feeds it). The cut is on a multiple of 16 (whole AVX-512
/// vectors, whole cache lines), rounded down because part 0 also runs the
/// serial work between the phases; fewer than 32 units are part 0's alone.
pub fn half(units: usize, part: usize) -> Range<usize> {
    let cut = match units / 2 / 16 * 16 {
        0 => units,
        cut => cut,
    };
    if part == 0 { 0..cut } else { cut..units }
}

/// The common length of the slice arguments, if they all have one.
pub fn common_len(lens: &[Option<usize>]) -> Option<usize> {
    let mut common = None;
    for len in lens.iter().flatten() {
        match common {
            None => common = Some(*len),
            Some(c) if c != *len => return None,
            Some(_) => {}
        }
    }
    common
}

/// How many pieces a call over `len` elements is cut into (1 = run whole).
#[cfg(feature = "std")]
pub fn pieces(len: usize) -> usize {
    if len < SPLIT_MIN_LEN {
        return 1;
    }
    super::parallel::threads().min(len / ALIGN).max(1)
}

/// Element range of piece `index` of `pieces` over `len` elements.
pub fn piece_range(len: usize, pieces: usize, index: usize) -> Range<usize> {
    let blocks = len.div_ceil(ALIGN);
    let start = (blocks * index / pieces * ALIGN).min(len);
    let end = (blocks * (index + 1) / pieces * ALIGN).min(len);
    start..end
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::kernels::elementwise::scale_into;
    use crate::kernels::gemm::{matmul, matmul_a_bt, matmul_at_b};
    use crate::kernels::parallel;
    use std::vec::Vec;

    #[test]
    fn pieces_tile_the_range_in_aligned_blocks() {
        for len in [0, 1, 63, 64, 65, 1000, 151_306] {
            for pieces in 1..5 {
                let ranges: Vec<_> = (0..pieces).map(|i| piece_range(len, pieces, i)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[pieces - 1].end, len);
                for pair in ranges.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                    assert!(pair[1].start % ALIGN == 0 || pair[1].start == len);
                }
            }
        }
    }

    #[test]
    fn halves_cut_on_whole_vectors_and_leave_small_layers_whole() {
        for units in [1, 10, 31, 32, 33, 128, 784, 1000] {
            let (first, second) = (half(units, 0), half(units, 1));
            assert_eq!((first.start, first.end, second.end), (0, second.start, units));
            assert!(first.end % 16 == 0 || first.end == units);
            assert!(units < 32 || second.len() >= first.len(), "part 0 runs the serial work: {units}");
        }
        assert_eq!((half(784, 0), half(128, 0), half(10, 0)), (0..384, 0..64, 0..10));
    }

    #[test]
    fn mixed_lengths_are_never_split() {
        assert_eq!(common_len(&[Some(4), None, Some(4)]), Some(4));
        assert_eq!(common_len(&[Some(4), Some(5)]), None);
        assert_eq!(common_len(&[None]), None);
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / 16_777_216.0 - 0.5)
            .collect()
    }

    /// Runs `f` with splitting off and on; both must give the same bits.
    fn same_bits_with_and_without_threads(f: impl Fn() -> Vec<f32>) {
        parallel::set_threads(1);
        let serial = f();
        parallel::set_threads(usize::MAX);
        let split = f();
        assert!(serial.iter().zip(&split).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn split_elementwise_kernel_gives_the_same_bits() {
        let src = values(151_306, 1);
        same_bits_with_and_without_threads(|| {
            let mut out = std::vec![0.0; src.len()];
            scale_into(&mut out, &src, 5e-4);
            out
        });
    }

    #[test]
    fn split_gemms_give_the_same_bits() {
        for (batch, fan_in, fan_out) in [(16, 784, 128), (256, 784, 128), (64, 128, 128), (100, 700, 35)] {
            let x = values(batch * fan_in, 2);
            let w = values(fan_in * fan_out, 3);
            let dy = values(batch * fan_out, 4);
            same_bits_with_and_without_threads(|| {
                let mut y = values(batch * fan_out, 5);
                matmul(batch, fan_in, fan_out, &x, &w, &mut y, 1.0);
                let mut dw = values(fan_in * fan_out, 6);
                matmul_at_b(fan_in, batch, fan_out, &x, &dy, &mut dw, 1.0);
                let mut dx = std::vec![0.0; batch * fan_in];
                matmul_a_bt(batch, fan_out, fan_in, &dy, &w, &mut dx, 0.0);
                [y, dw, dx].concat()
            });
        }
    }

    #[test]
    fn every_part_runs_once_even_nested() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let counts: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
        parallel::run(4, &|part| {
            counts[part].fetch_add(1, Ordering::Relaxed);
            // A nested call runs its parts in turn on this thread.
            parallel::run(2, &|_| {
                counts[part].fetch_add(10, Ordering::Relaxed);
            });
        });
        assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 21));
    }
}
