//! Small-batch GEMMs that read the weights where they lie, without packing.
//!
//! At batch 16 matrixmultiply spends a sixth of a training step repacking the
//! weight matrix into its panel layout on every call, for a product that then
//! uses each packed weight only 16 times. These kernels stream the row-major
//! operand `B` straight from the parameter buffer instead: an 8-row × 32-column
//! tile of `C` stays in 16 AVX-512 registers while `k` runs, each step loading
//! two vectors of one row of `B` and broadcasting eight elements of `A`.
//!
//! Every element of `C` is one fused multiply-add chain in `k` order,
//! `c = fma(a[i,k-1], b[k-1,j], … fma(a[i,0], b[0,j], start))`, so the result
//! does not depend on the tiling, on how a call is split over threads, or on
//! the vector width: [`reference`](fn@reference) computes the same bits one element at a
//! time (the tests hold the kernel to it). The start value is what a layer
//! needs: the bias already in `C`, zero, or `decay·w` for a weight gradient
//! with L2 decay, which saves a separate pass over the weights.
//!
//! Only AVX-512 has a build; [`available`] says whether it may be used, and
//! callers use matrixmultiply otherwise.

/// Where each chain starts.
#[derive(Clone, Copy, Debug)]
pub enum Start<'a> {
    /// From the value already in `C` (e.g. the bias rows).
    Current,
    Zero,
    /// From `decay · w[i,j]`, `w` laid out like `C`.
    Scaled(&'a [f32], f32),
}

/// `A` as `(buffer, row stride, column stride)`: `A(i, kk) = a[i·rs + kk·cs]`.
pub type Strided<'a> = (&'a [f32], usize, usize);

/// Whether [`chain_matmul`] may run (AVX-512 CPU, the level not forced lower).
pub fn available() -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        super::level() == super::Level::Avx512
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    {
        false
    }
}

fn check(m: usize, k: usize, n: usize, (a, rsa, csa): Strided, b: &[f32], c: &[f32], start: Start) {
    let last_a = if m == 0 || k == 0 { 0 } else { (m - 1) * rsa + (k - 1) * csa + 1 };
    assert!(a.len() >= last_a && b.len() >= k * n && c.len() >= m * n, "chain_matmul: operand too short");
    if let Start::Scaled(w, _) = start {
        assert!(w.len() >= m * n, "chain_matmul: decay source too short");
    }
}

/// `C (m×n, row-major) = start + A·B` with `B` row-major `k×n`, as fma chains.
/// With `std`, a large call is cut into blocks of `C` (whole tiles) run on the
/// threads of [`super::parallel`]; every element is the same chain either way.
///
/// # Panics
/// If [`available`] is false or an operand is too short.
pub fn chain_matmul(m: usize, k: usize, n: usize, a: Strided, b: &[f32], c: &mut [f32], start: Start) {
    chain_matmul_split(m, k, n, a, b, c, start, true);
}

/// [`chain_matmul`] on the calling thread, for callers that split the work themselves.
pub fn chain_matmul_here(m: usize, k: usize, n: usize, a: Strided, b: &[f32], c: &mut [f32], start: Start) {
    chain_matmul_split(m, k, n, a, b, c, start, false);
}

#[allow(clippy::too_many_arguments)]
fn chain_matmul_split(m: usize, k: usize, n: usize, a: Strided, b: &[f32], c: &mut [f32], start: Start, split: bool) {
    check(m, k, n, a, b, c, start);
    assert!(available(), "chain_matmul needs AVX-512");
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    let _ = split;
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        let operands = avx512::Operands::new(k, n, a, b, c, start);
        let threads = if split { super::parallel::threads() } else { 1 };
        let (split_rows, tile) = if m >= n { (true, avx512::MR) } else { (false, avx512::NR) };
        let extent = if split_rows { m } else { n };
        let parts = if m * k * n >= SPLIT_MIN_MULADDS { threads.min(extent.div_ceil(tile)) } else { 1 };
        let block = |part: usize| {
            let tiles = extent.div_ceil(tile);
            let range = (tiles * part / parts * tile)..((tiles * (part + 1) / parts * tile).min(extent));
            let (rows, cols) = if split_rows { (range, 0..n) } else { (0..m, range) };
            // SAFETY: AVX-512 is present (`available`), `check` covered every
            // index, and the parts' blocks of `C` are disjoint.
            unsafe { operands.block(rows, cols) }
        };
        if parts > 1 {
            super::parallel::run(parts, &block);
        } else {
            block(0);
        }
    }
}

/// Below this many multiply-adds a call runs on one thread (the hand-over and
/// the moves of data between the cores' caches would cost more). At batch 16
/// this splits every layer but the output layer; measured per epoch
/// (`bench-epoch`, 2 threads): no split 0.76 s, split forward only 0.66 s,
/// weight gradients only 0.67 s, both 0.61 s; a 1 M threshold 0.66 s.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
const SPLIT_MIN_MULADDS: usize = 200_000;

/// The same bits as [`chain_matmul`], one element at a time (tests, and the
/// definition of what the kernel computes).
pub fn reference(m: usize, k: usize, n: usize, a: Strided, b: &[f32], c: &mut [f32], start: Start) {
    check(m, k, n, a, b, c, start);
    let (a, rsa, csa) = a;
    for i in 0..m {
        for j in 0..n {
            let mut acc = match start {
                Start::Current => c[i * n + j],
                Start::Zero => 0.0,
                Start::Scaled(w, decay) => decay * w[i * n + j],
            };
            for kk in 0..k {
                acc = libm::fmaf(a[i * rsa + kk * csa], b[kk * n + j], acc);
            }
            c[i * n + j] = acc;
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx512 {
    use super::{Start, Strided};
    use core::arch::x86_64::*;
    use core::ops::Range;

    /// Rows of a tile (two 16-lane columns of accumulators per row).
    pub const MR: usize = 8;
    pub const NR: usize = 32;

    /// One call's operands, as addresses so the threads can share them.
    pub struct Operands {
        a: usize,
        rsa: usize,
        csa: usize,
        b: usize,
        c: usize,
        k: usize,
        n: usize,
        start: Init,
    }

    impl Operands {
        pub fn new(k: usize, n: usize, (a, rsa, csa): Strided, b: &[f32], c: &mut [f32], start: Start) -> Self {
            let start = match start {
                Start::Current => Init::Current,
                Start::Zero => Init::Zero,
                Start::Scaled(w, decay) => Init::Scaled(w.as_ptr() as usize, decay),
            };
            let (a, b, c) = (a.as_ptr() as usize, b.as_ptr() as usize, c.as_mut_ptr() as usize);
            Operands { a, rsa, csa, b, c, k, n, start }
        }

        /// Computes `C[rows, cols]`.
        ///
        /// # Safety
        /// AVX-512F present; the operands checked by [`super::check`] and still
        /// borrowed; no other thread writes this block of `C`.
        #[target_feature(enable = "avx512f")]
        pub unsafe fn block(&self, rows: Range<usize>, cols: Range<usize>) {
            let (a, b, c) = (self.a as *const f32, self.b as *const f32, self.c as *mut f32);
            let tile = |i: usize, j: usize| {
                let width = (cols.end - j).min(NR);
                let masks = [lane_mask(width.min(16)), lane_mask(width.saturating_sub(16))];
                let tile = Tile {
                    a: a.wrapping_add(i * self.rsa),
                    rsa: self.rsa,
                    csa: self.csa,
                    b: b.wrapping_add(j),
                    ldb: self.n,
                    k: self.k,
                    offset: i * self.n + j,
                    ldc: self.n,
                };
                // SAFETY: the tile's rows and masked columns lie inside the operands.
                unsafe { tile.dispatch((rows.end - i).min(MR), width > 16, c, self.start, masks) }
            };
            // A tall block (a weight gradient: the layer's rows × its outputs)
            // goes along the rows of C, each row tile across every column: the
            // weights it starts from and the gradient it writes are then read
            // and written page by page, not a 128-byte strip of every row at a
            // time.
            if rows.len() > cols.len() {
                for i in rows.clone().step_by(MR) {
                    cols.clone().step_by(NR).for_each(|j| tile(i, j));
                }
            } else {
                for j in cols.clone().step_by(NR) {
                    rows.clone().step_by(MR).for_each(|i| tile(i, j));
                }
            }
        }
    }

    #[derive(Clone, Copy)]
    enum Init {
        Current,
        Zero,
        Scaled(usize, f32),
    }

    fn lane_mask(lanes: usize) -> __mmask16 {
        ((1u32 << lanes) - 1) as __mmask16
    }

    /// One `ROWS × NR` block of `C` and the operands it reads.
    struct Tile {
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        k: usize,
        /// Index of the block's first element in `C` (and in a decay source).
        offset: usize,
        ldc: usize,
    }

    /// `Tile::run::<ROWS, VECS>` for a run-time row count and width.
    macro_rules! by_rows {
        ($tile:ident, $rows:expr, $vecs:literal, $($arg:expr),*) => {
            match $rows {
                8 => $tile.run::<8, $vecs>($($arg),*),
                7 => $tile.run::<7, $vecs>($($arg),*),
                6 => $tile.run::<6, $vecs>($($arg),*),
                5 => $tile.run::<5, $vecs>($($arg),*),
                4 => $tile.run::<4, $vecs>($($arg),*),
                3 => $tile.run::<3, $vecs>($($arg),*),
                2 => $tile.run::<2, $vecs>($($arg),*),
                _ => $tile.run::<1, $vecs>($($arg),*),
            }
        };
    }

    impl Tile {
        /// # Safety
        /// As [`Tile::run`].
        #[target_feature(enable = "avx512f")]
        #[inline]
        unsafe fn dispatch(&self, rows: usize, wide: bool, c: *mut f32, start: Init, masks: [__mmask16; 2]) {
            // SAFETY: forwarded; a narrow tile (≤ 16 columns) skips the second vector,
            // whose mask is empty then.
            unsafe {
                if wide { by_rows!(self, rows, 2, c, start, masks) } else { by_rows!(self, rows, 1, c, start, masks) }
            }
        }

        /// # Safety
        /// AVX-512F present; `ROWS` rows and the masked columns in bounds.
        #[target_feature(enable = "avx512f")]
        #[inline]
        unsafe fn run<const ROWS: usize, const VECS: usize>(&self, c: *mut f32, start: Init, [m0, m1]: [__mmask16; 2]) {
            // SAFETY: the caller keeps the rows and the masked columns in bounds;
            // masked-off lanes are never read or written.
            unsafe {
                let mut acc0 = [_mm512_setzero_ps(); ROWS];
                let mut acc1 = [_mm512_setzero_ps(); ROWS];
                for r in 0..ROWS {
                    let at = self.offset + r * self.ldc;
                    match start {
                        Init::Current => {
                            acc0[r] = _mm512_maskz_loadu_ps(m0, c.add(at));
                            if VECS == 2 {
                                acc1[r] = _mm512_maskz_loadu_ps(m1, c.wrapping_add(at + 16));
                            }
                        }
                        Init::Zero => {}
                        Init::Scaled(w, decay) => {
                            let w = w as *const f32;
                            let decay = _mm512_set1_ps(decay);
                            acc0[r] = _mm512_mul_ps(decay, _mm512_maskz_loadu_ps(m0, w.add(at)));
                            if VECS == 2 {
                                acc1[r] = _mm512_mul_ps(decay, _mm512_maskz_loadu_ps(m1, w.wrapping_add(at + 16)));
                            }
                        }
                    }
                }
                // One step of `k`: a row of B's tile times each row's element of A.
                // With unit row stride (`Xᵀ` in a weight gradient) the rows are read
                // at fixed offsets from one pointer; stepping a pointer row by row
                // there cost a chain of dependent adds per step (first layer's
                // weight gradient at batch 16, one core's half: 15.4–16.0 → 11.5–12.7 µs
                // with the tile order above).
                let mut b = self.b;
                let mut step = |x: &dyn Fn(usize) -> f32, b: *const f32| {
                    let b0 = _mm512_maskz_loadu_ps(m0, b);
                    let b1 = if VECS == 2 { _mm512_maskz_loadu_ps(m1, b.wrapping_add(16)) } else { b0 };
                    for r in 0..ROWS {
                        let x = _mm512_set1_ps(x(r));
                        acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
                        if VECS == 2 {
                            acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
                        }
                    }
                };
                let mut a = self.a;
                for _ in 0..self.k {
                    if self.rsa == 1 {
                        step(&|r| *a.add(r), b);
                    } else {
                        step(&|r| *a.add(r * self.rsa), b);
                    }
                    a = a.wrapping_add(self.csa);
                    b = b.wrapping_add(self.ldb);
                }
                for r in 0..ROWS {
                    let at = self.offset + r * self.ldc;
                    _mm512_mask_storeu_ps(c.add(at), m0, acc0[r]);
                    if VECS == 2 {
                        _mm512_mask_storeu_ps(c.wrapping_add(at + 16), m1, acc1[r]);
                    }
                }
            }
        }
    }
}
