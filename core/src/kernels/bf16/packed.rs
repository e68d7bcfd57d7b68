//! The two operand layouts every bf16 level reads, rounded from f32 once.
//!
//! [`PackedA`], the left operand, is row-major with `k` contiguous: one row of
//! an AMX `A` tile is 32 consecutive `k` of one row, and the AVX-512 kernel
//! broadcasts one pair `(k, k+1)` of a row to all lanes. [`PackedB`], the right
//! operand, is in pairs of `k` ("VNNI" order) cut into panels of 32 columns:
//! row `p` of a panel holds, for each of its columns `j`, the pair
//! `(B[2p][j], B[2p+1][j])`, which is one row of an AMX `B` tile (16 columns)
//! and one 512-bit vector for `VDPBF16PS` (16 columns). Rows of `A` are padded
//! to a multiple of 32 and `k` to a multiple of 32 (16 pairs) with zeros, so
//! every tile load stays inside the buffer; the padding adds `+0·+0` pairs,
//! which the kernels skip or which leave an accumulator unchanged (see the
//! module doc of [`super`]).
//!
//! Packing takes any strides, so one call covers every operand of a dense
//! layer's step: `X` (row-major) or `Xᵀ` for the forward product and the
//! weight gradient, `dY` for the weight and input gradients, `W` or `Wᵀ`.
//! Row-major and column-major sources have loops of their own that read the
//! source in order; at the AVX512-BF16 and AMX levels those two cases run in
//! AVX-512 ([`super::pack_avx512`]), the same bits 32 elements at a time. The
//! buffers grow to the largest shape packed and are then reused: a step
//! allocates nothing after the first.

use super::convert::to_bf16;
use super::{Kernels, Level};
use alloc::vec::Vec;

/// An f32 matrix as `(buffer, row stride, column stride)`:
/// `M(i, j) = buffer[i·rs + j·cs]`.
pub type Strided<'a> = (&'a [f32], usize, usize);

/// Rows of `A` and columns of `B` a kernel call computes at a time (two AMX
/// tiles each way); block boundaries of a split call start on multiples of it.
pub const BLOCK: usize = 32;
/// `k` per AMX instruction: 16 pairs, one 64-byte tile row.
pub const K_BLOCK: usize = 32;

/// A bf16 buffer whose first element sits on a cache line (AMX tile rows and
/// AVX-512 vectors are 64 bytes).
#[derive(Clone, Debug, Default)]
struct Lines {
    vec: Vec<u16>,
    start: usize,
}

impl Lines {
    /// At least `len` elements from the line-aligned start; contents unspecified.
    fn resize(&mut self, len: usize) -> &mut [u16] {
        if self.vec.len() < len + 32 {
            self.vec = alloc::vec![0; len + 32];
        }
        self.start = self.vec.as_ptr().align_offset(64).min(31);
        &mut self.vec[self.start..self.start + len]
    }

    fn get(&self, len: usize) -> &[u16] {
        &self.vec[self.start..self.start + len]
    }
}

fn reach(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 }
}

/// The left operand (`m × k`) of a bf16 product: see the module doc.
#[derive(Clone, Debug, Default)]
pub struct PackedA {
    rows: usize,
    k: usize,
    stride: usize,
    buf: Lines,
}

impl PackedA {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rounds `a` (`rows × k`) to bf16 into this buffer, replacing what it
    /// held, with the instructions `kernels` allows.
    ///
    /// # Panics
    /// If `a` is too short for its shape and strides.
    pub fn pack(&mut self, kernels: Kernels, rows: usize, k: usize, (a, rs, cs): Strided) {
        assert!(a.len() >= reach(rows, k, rs, cs), "PackedA::pack: operand too short");
        let stride = k.next_multiple_of(K_BLOCK);
        let padded = rows.next_multiple_of(BLOCK);
        *self = PackedA { rows, k, stride, buf: core::mem::take(&mut self.buf) };
        let out = self.buf.resize(padded * stride);
        #[cfg(target_arch = "x86_64")]
        if kernels.level() >= Level::Avx512Bf16 && k > 1 && (cs == 1 || rs == 1) {
            // SAFETY: the level proves AVX-512 BF16; the source length was
            // checked above and `stride` is a multiple of 32 at least `k`.
            unsafe {
                if cs == 1 {
                    super::pack_avx512::a_from_rows(a, rows, k, rs, out, stride);
                } else {
                    super::pack_avx512::a_from_columns(a, rows, k, cs, out, stride);
                }
            }
            return;
        }
        let _ = kernels;
        out.fill(0);
        if k > 0 && (cs == 1 || k == 1) {
            for (i, row) in out.chunks_exact_mut(stride).take(rows).enumerate() {
                let src = &a[i * rs..];
                row[..k].iter_mut().zip(src).for_each(|(o, &x)| *o = to_bf16(x));
            }
        } else if rs == 1 {
            // Column-major source (`Xᵀ` of a row-major `X`): read 16 of its
            // contiguous elements at a time and write them down a column.
            for i0 in (0..rows).step_by(16) {
                let width = (rows - i0).min(16);
                for kk in 0..k {
                    let src = &a[kk * cs + i0..kk * cs + i0 + width];
                    for (t, &x) in src.iter().enumerate() {
                        out[(i0 + t) * stride + kk] = to_bf16(x);
                    }
                }
            }
        } else {
            for i in 0..rows {
                for kk in 0..k {
                    out[i * stride + kk] = to_bf16(a[i * rs + kk * cs]);
                }
            }
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn k(&self) -> usize {
        self.k
    }

    /// Elements from one row to the next (`k` rounded up to 32).
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Every element, padding included: `rows` rounded up to 32, times [`Self::stride`].
    pub fn data(&self) -> &[u16] {
        self.buf.get(self.rows.next_multiple_of(BLOCK) * self.stride)
    }
}

/// The right operand (`k × n`) of a bf16 product: see the module doc.
#[derive(Clone, Debug, Default)]
pub struct PackedB {
    k: usize,
    n: usize,
    pairs: usize,
    buf: Lines,
}

impl PackedB {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rounds `b` (`k × n`) to bf16 into this buffer, replacing what it
    /// held, with the instructions `kernels` allows.
    ///
    /// # Panics
    /// If `b` is too short for its shape and strides.
    pub fn pack(&mut self, kernels: Kernels, k: usize, n: usize, (b, rs, cs): Strided) {
        assert!(b.len() >= reach(k, n, rs, cs), "PackedB::pack: operand too short");
        let pairs = k.div_ceil(2).next_multiple_of(K_BLOCK / 2);
        let panels = n.div_ceil(BLOCK);
        *self = PackedB { k, n, pairs, buf: core::mem::take(&mut self.buf) };
        let panel_len = pairs * BLOCK * 2;
        let out = self.buf.resize(panels * panel_len);
        #[cfg(target_arch = "x86_64")]
        if kernels.level() >= Level::Avx512Bf16 && n > 1 && k > 0 && (cs == 1 || rs == 1) {
            // SAFETY: the level proves AVX-512 BF16; the source length was
            // checked above; `pairs` is a multiple of 16 at least `k/2`.
            unsafe {
                if cs == 1 {
                    super::pack_avx512::b_from_rows(b, k, n, rs, out, pairs);
                } else {
                    super::pack_avx512::b_from_columns(b, k, n, cs, out, pairs);
                }
            }
            return;
        }
        let _ = kernels;
        out.fill(0);
        if panel_len == 0 {
            return;
        }
        let at = |kk: usize, j: usize| b[kk * rs + j * cs];
        for (panel, dst) in out.chunks_exact_mut(panel_len).enumerate() {
            let j0 = panel * BLOCK;
            let width = (n - j0).min(BLOCK);
            if cs == 1 || n == 1 {
                // Row-major source: two rows interleaved per pair.
                for kk in 0..k {
                    let row = &mut dst[(kk / 2) * BLOCK * 2..][..BLOCK * 2];
                    let src = &b[kk * rs + j0..kk * rs + j0 + width];
                    for (j, &x) in src.iter().enumerate() {
                        row[2 * j + kk % 2] = to_bf16(x);
                    }
                }
            } else if rs == 1 {
                // Column-major source (`Wᵀ` of a row-major `W`): each column
                // of `B` is contiguous, so its pairs are read in order.
                for j in 0..width {
                    let src = &b[(j0 + j) * cs..(j0 + j) * cs + k];
                    for (kk, &x) in src.iter().enumerate() {
                        dst[(kk / 2) * BLOCK * 2 + 2 * j + kk % 2] = to_bf16(x);
                    }
                }
            } else {
                for kk in 0..k {
                    for j in 0..width {
                        dst[(kk / 2) * BLOCK * 2 + 2 * j + kk % 2] = to_bf16(at(kk, j0 + j));
                    }
                }
            }
        }
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// Pairs per panel (`k/2` rounded up to 16).
    pub fn pairs(&self) -> usize {
        self.pairs
    }

    /// Panel `panel` (columns `32·panel ..`): `pairs() × 32` pairs of bf16.
    pub fn panel(&self, panel: usize) -> &[u16] {
        let len = self.pairs * BLOCK * 2;
        &self.data()[panel * len..(panel + 1) * len]
    }

    /// Every panel, padding included.
    pub fn data(&self) -> &[u16] {
        self.buf.get(self.n.div_ceil(BLOCK) * self.pairs * BLOCK * 2)
    }
}
