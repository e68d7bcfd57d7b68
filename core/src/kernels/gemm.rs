//! Row-major GEMM views over flat buffers, all through `matrixmultiply::sgemm`.
//! Transposes are expressed with strides, so they never copy.
//!
//! With `std`, a GEMM big enough to repay the hand-over is cut into one block
//! of `C` per thread of [`super::parallel`], along whichever of `m`/`n` is
//! larger (so the operand every block packs in full is the smaller one). Each
//! element of `C` is still the same `k`-ordered sum in the same kernel, so the
//! split changes no result bit (alpha is 1 and beta 0 or 1 here, which every
//! matrixmultiply path, masked or not, rounds the same way).

/// `c (m×n) = beta·c + a (m×k) · b (k×n)`, all row-major.
pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], beta: f32) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: the asserted lengths cover every element the strides reach.
    unsafe { sgemm(m, k, n, a.as_ptr(), [k as isize, 1], b.as_ptr(), [n as isize, 1], beta, c.as_mut_ptr()) }
}

/// `c (m×n) = beta·c + aᵀ · b` where `a` is stored row-major as k×m and `b` as k×n.
pub fn matmul_at_b(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], beta: f32) {
    assert!(a.len() >= k * m && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: as above; `a` is read column-wise through its strides.
    unsafe { sgemm(m, k, n, a.as_ptr(), [1, m as isize], b.as_ptr(), [n as isize, 1], beta, c.as_mut_ptr()) }
}

/// `c (m×n) = beta·c + a · bᵀ` where `a` is m×k and `b` is stored row-major as n×k.
pub fn matmul_a_bt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], beta: f32) {
    assert!(a.len() >= m * k && b.len() >= n * k && c.len() >= m * n);
    // SAFETY: as above; `b` is read column-wise through its strides.
    unsafe { sgemm(m, k, n, a.as_ptr(), [k as isize, 1], b.as_ptr(), [1, k as isize], beta, c.as_mut_ptr()) }
}

/// `c = beta·c + a · b` on the calling thread (never split), for callers that
/// split the work themselves. `a` and `b` are `(buffer, row stride, column
/// stride)`; `c` is row-major with row stride `rsc` (so it may be a block of
/// columns of a wider matrix).
pub fn matmul_strided(
    m: usize,
    k: usize,
    n: usize,
    (a, rsa, csa): (&[f32], usize, usize),
    (b, rsb, csb): (&[f32], usize, usize),
    (c, rsc): (&mut [f32], usize),
    beta: f32,
) {
    let reach = |rows: usize, cols: usize, rs: usize, cs: usize| {
        if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 }
    };
    assert!(a.len() >= reach(m, k, rsa, csa) && b.len() >= reach(k, n, rsb, csb) && c.len() >= reach(m, n, rsc, 1));
    if m == 0 || n == 0 {
        return;
    }
    let [rsa, csa, rsb, csb] = [rsa, csa, rsb, csb].map(|s| s as isize);
    // SAFETY: the asserted lengths cover every element the strides reach.
    unsafe { raw_sgemm(m, k, n, a.as_ptr(), [rsa, csa], b.as_ptr(), [rsb, csb], beta, c.as_mut_ptr(), rsc) }
}

/// Below this many multiply-adds a GEMM runs on one thread: the hand-over
/// (about a microsecond), the second packing of the shared operand and the
/// moves of data between the cores' caches cost more than the split saves.
/// Measured on 2 cores (train_step bench): 96 Ki multiply-adds made batch 16
/// slower (229 µs a step) than 400 K (202 µs), which splits only the 784-wide
/// layer there; 1.1 M and more lost at batch 16 and 256 again.
#[cfg(feature = "std")]
const SPLIT_MIN_MULADDS: usize = 400_000;
/// Nor is a GEMM split when `m` or `n` is below this: cutting the other side
/// then makes every core read the whole thin operand (the batch's fresh
/// activations), which in a real epoch (bench-epoch, batch 16) cost more
/// than the halved arithmetic saved (0.82 s against 0.75 s per epoch).
#[cfg(feature = "std")]
const SPLIT_MIN_SIDE: usize = 32;
/// Blocks start on multiples of the widest micro-kernel tile (16 × 16), so
/// no block adds a partial tile that one unsplit call would not have.
#[cfg(feature = "std")]
const TILE: usize = 16;

/// `C = beta·C + A·B` with `C` row-major (`m×n`, row stride `n`) and `A`, `B`
/// given as `[row stride, column stride]`.
///
/// # Safety
/// `a`, `b` and `c` must be valid for every element their shapes and strides reach.
#[allow(clippy::too_many_arguments)]
unsafe fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    [rsa, csa]: [isize; 2],
    b: *const f32,
    [rsb, csb]: [isize; 2],
    beta: f32,
    c: *mut f32,
) {
    #[cfg(feature = "std")]
    {
        let threads = super::parallel::threads();
        if threads > 1 && m * k * n >= SPLIT_MIN_MULADDS && m.min(n) >= SPLIT_MIN_SIDE {
            let split_rows = m >= n;
            let extent = if split_rows { m } else { n };
            let tiles = extent.div_ceil(TILE);
            let parts = threads.min(tiles);
            if parts > 1 {
                // Raw pointers are not `Sync`; the blocks are disjoint in `C` and
                // only read from `A` and `B`.
                let (a, b, c) = (a as usize, b as usize, c as usize);
                let block = |part: usize| {
                    let start = (tiles * part / parts) * TILE;
                    let end = ((tiles * (part + 1) / parts) * TILE).min(extent);
                    let (a, b, c) = (a as *const f32, b as *const f32, c as *mut f32);
                    // SAFETY: each block is a sub-matrix of the caller's valid
                    // operands, and the blocks of `C` do not overlap.
                    unsafe {
                        if split_rows {
                            let a = a.offset(rsa * start as isize);
                            let c = c.add(n * start);
                            raw_sgemm(end - start, k, n, a, [rsa, csa], b, [rsb, csb], beta, c, n);
                        } else {
                            let b = b.offset(csb * start as isize);
                            let c = c.add(start);
                            raw_sgemm(m, k, end - start, a, [rsa, csa], b, [rsb, csb], beta, c, n);
                        }
                    }
                };
                super::parallel::run(parts, &block);
                return;
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { raw_sgemm(m, k, n, a, [rsa, csa], b, [rsb, csb], beta, c, n) }
}

/// # Safety
/// As [`sgemm`], with `C`'s row stride `rsc`.
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn raw_sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    [rsa, csa]: [isize; 2],
    b: *const f32,
    [rsb, csb]: [isize; 2],
    beta: f32,
    c: *mut f32,
    rsc: usize,
) {
    // SAFETY: forwarded from the caller.
    unsafe { matrixmultiply::sgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, beta, c, rsc as isize, 1) }
}
