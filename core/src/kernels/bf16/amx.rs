//! The AMX level: `TDPBF16PS` on a 32 × 32 block of `C` held in four tiles
//! (`tmm0..tmm3`, each 16 rows × 16 f32), with two tiles of `A` (`tmm4`,
//! `tmm5`: 16 rows × 32 `k`) and two of `B` (`tmm6`, `tmm7`: 16 pairs × 16
//! columns) loaded per 32 `k` and four tile products. A block that sticks out
//! of `C` goes through a 32 × 32 scratch block, so no tile store writes past a
//! row of `C`.
//!
//! The driver is written once over [`Tiles`], the handful of tile operations
//! it issues: [`Hardware`] issues the instructions (`asm!`, since Rust's AMX
//! intrinsics and target features are unstable), [`Modelled`] computes them
//! with the scalar model of `TDPBF16PS`, so the driver's blocking, padding and
//! edges are tested on CPUs without AMX ([`modelled_block`]), and only the
//! instructions themselves need an AMX machine.

use super::packed::{BLOCK, K_BLOCK};
use super::reference::tdpbf16ps;
use super::{Block, Start};

/// The tile operations of the driver. `C` tile `t` (0..4) covers rows
/// `16·(t/2)..` and columns `16·(t%2)..` of the block; strides are in bytes.
///
/// # Safety
/// Every method reads or writes 16 rows of 64 bytes through its pointer and
/// stride; the caller keeps them valid. [`Tiles::configure`] comes first and
/// [`Tiles::release`] last.
// The contract above is every method's.
#[allow(clippy::missing_safety_doc)]
pub unsafe trait Tiles {
    /// Eight tiles of 16 rows × 64 bytes.
    unsafe fn configure(&mut self);
    unsafe fn load_c(&mut self, t: usize, src: *const f32, stride: usize);
    unsafe fn zero_c(&mut self, t: usize);
    /// `C[2r + s] += A_r · B_s` for the `A` tiles at `a` and 16 rows further
    /// and the `B` tiles at `b` and 16 columns (64 bytes) further.
    unsafe fn multiply(&mut self, a: *const u16, a_stride: usize, b: *const u16, b_stride: usize);
    unsafe fn store_c(&mut self, t: usize, dst: *mut f32, stride: usize);
    unsafe fn release(&mut self);
}

/// Computes `block`; `c` points at its corner in `C`.
///
/// # Safety
/// As the [`Tiles`] implementation requires (for [`Hardware`], AMX enabled for
/// this process); the block was checked by `check` (in `bf16`) and `c` is valid
/// for the block's rows and columns, `rsc` apart.
pub unsafe fn block<T: Tiles>(tiles: &mut T, block: &Block, c: *mut f32) {
    let Block { a, b, rows, cols, rsc, start } = block.clone();
    let k_blocks = b.pairs() * 2 / K_BLOCK;
    let a_stride = a.stride();
    let mut scratch = [0.0f32; BLOCK * BLOCK];
    // SAFETY (all tile operations below): the `A` tiles lie inside its rows
    // padded to 32 and `k` padded to 32, the `B` tiles inside their panel, and
    // the `C` tiles inside `C` (whole blocks) or the scratch block.
    unsafe {
        tiles.configure();
        for j0 in cols.clone().step_by(BLOCK) {
            let panel = b.panel(j0 / BLOCK).as_ptr();
            for i0 in rows.clone().step_by(BLOCK) {
                let (height, width) = ((rows.end - i0).min(BLOCK), (cols.end - j0).min(BLOCK));
                let corner = c.add((i0 - rows.start) * rsc + (j0 - cols.start));
                let whole = height == BLOCK && width == BLOCK;
                let (dst, stride) = if whole {
                    (corner, rsc)
                } else {
                    scratch.fill(0.0);
                    if let Start::Current = start {
                        for r in 0..height {
                            core::ptr::copy_nonoverlapping(
                                corner.add(r * rsc),
                                scratch[r * BLOCK..].as_mut_ptr(),
                                width,
                            );
                        }
                    }
                    (scratch.as_mut_ptr(), BLOCK)
                };
                let tile_at = |t: usize| dst.add((t / 2) * 16 * stride + (t % 2) * 16);
                for t in 0..4 {
                    match start {
                        Start::Current => tiles.load_c(t, tile_at(t), stride * 4),
                        Start::Zero => tiles.zero_c(t),
                    }
                }
                let a_rows = a.data().as_ptr().add(i0 * a_stride);
                for q in 0..k_blocks {
                    let b_rows = panel.add(q * (K_BLOCK / 2) * BLOCK * 2);
                    tiles.multiply(a_rows.add(q * K_BLOCK), a_stride * 2, b_rows, BLOCK * 2 * 2);
                }
                for t in 0..4 {
                    tiles.store_c(t, tile_at(t), stride * 4);
                }
                if !whole {
                    for r in 0..height {
                        core::ptr::copy_nonoverlapping(scratch[r * BLOCK..].as_ptr(), corner.add(r * rsc), width);
                    }
                }
            }
        }
        tiles.release();
    }
}

/// [`block`] with the tile instructions computed by [`Modelled`]: the AMX
/// level's bits on any CPU, slowly (tests).
///
/// # Panics
/// As [`super::Kernels::gemm_block`].
pub fn modelled_block(block: &Block, c: &mut [f32]) {
    super::check(block, c);
    // SAFETY: checked above; `Modelled` has no requirement of the CPU.
    unsafe { self::block(&mut Modelled::default(), block, c.as_mut_ptr()) }
}

/// The four accumulator tiles in memory, `TDPBF16PS` by its scalar model.
#[derive(Clone, Debug)]
pub struct Modelled {
    c: [[f32; 256]; 4],
}

impl Default for Modelled {
    fn default() -> Self {
        Modelled { c: [[0.0; 256]; 4] }
    }
}

// SAFETY: reads and writes exactly the 16 rows of 64 bytes the instructions would.
unsafe impl Tiles for Modelled {
    unsafe fn configure(&mut self) {}

    unsafe fn load_c(&mut self, t: usize, src: *const f32, stride: usize) {
        for row in 0..16 {
            let src = src.cast::<u8>().wrapping_add(row * stride).cast::<f32>();
            // SAFETY: the caller keeps the tile's rows valid.
            unsafe { core::ptr::copy_nonoverlapping(src, self.c[t][row * 16..].as_mut_ptr(), 16) }
        }
    }

    unsafe fn zero_c(&mut self, t: usize) {
        self.c[t] = [0.0; 256];
    }

    unsafe fn multiply(&mut self, a: *const u16, a_stride: usize, b: *const u16, b_stride: usize) {
        // Row `m` of an `A` tile: 16 pair words; column `n` of a `B` tile: the
        // word at column `n` of each of its 16 rows.
        let word = |base: *const u16, offset_bytes: usize| {
            // SAFETY: inside the tile rows the caller keeps valid.
            unsafe { base.cast::<u8>().add(offset_bytes).cast::<u32>().read_unaligned() }
        };
        for (t, c) in self.c.iter_mut().enumerate() {
            let (r, s) = (t / 2, t % 2);
            for m in 0..16 {
                let a_row: [u32; 16] = core::array::from_fn(|p| word(a, (16 * r + m) * a_stride + 4 * p));
                for n in 0..16 {
                    let b_col: [u32; 16] = core::array::from_fn(|p| word(b, p * b_stride + 64 * s + 4 * n));
                    c[m * 16 + n] = tdpbf16ps(c[m * 16 + n], &a_row, &b_col);
                }
            }
        }
    }

    unsafe fn store_c(&mut self, t: usize, dst: *mut f32, stride: usize) {
        for row in 0..16 {
            let dst = dst.cast::<u8>().wrapping_add(row * stride).cast::<f32>();
            // SAFETY: the caller keeps the tile's rows valid.
            unsafe { core::ptr::copy_nonoverlapping(self.c[t][row * 16..].as_ptr(), dst, 16) }
        }
    }

    unsafe fn release(&mut self) {}
}

/// The tile instructions themselves.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Hardware;

/// `ldtilecfg`'s 64-byte operand: palette 1, eight tiles of 16 rows × 64 bytes.
#[cfg(target_arch = "x86_64")]
#[repr(C, align(64))]
struct TileConfig([u8; 64]);

#[cfg(target_arch = "x86_64")]
impl TileConfig {
    fn new() -> Self {
        let mut bytes = [0u8; 64];
        bytes[0] = 1;
        for t in 0..8 {
            bytes[16 + 2 * t..18 + 2 * t].copy_from_slice(&64u16.to_le_bytes());
            bytes[48 + t] = 16;
        }
        TileConfig(bytes)
    }
}

/// One tile instruction on the `C` tile `t` (a literal register per arm).
#[cfg(target_arch = "x86_64")]
macro_rules! on_c_tile {
    ($t:expr, $template:literal $(, $($operands:tt)*)?) => {
        match $t {
            0 => core::arch::asm!($template, tile = const 0 $(, $($operands)*)?),
            1 => core::arch::asm!($template, tile = const 1 $(, $($operands)*)?),
            2 => core::arch::asm!($template, tile = const 2 $(, $($operands)*)?),
            _ => core::arch::asm!($template, tile = const 3 $(, $($operands)*)?),
        }
    };
}

// SAFETY: each instruction moves 16 rows of 64 bytes through the pointer and
// stride it is given; the caller checked AMX is enabled (`detect`).
#[cfg(target_arch = "x86_64")]
unsafe impl Tiles for Hardware {
    unsafe fn configure(&mut self) {
        let config = TileConfig::new();
        // SAFETY: a valid palette-1 configuration.
        unsafe { core::arch::asm!("ldtilecfg [{}]", in(reg) config.0.as_ptr(), options(nostack, readonly)) }
    }

    unsafe fn load_c(&mut self, t: usize, src: *const f32, stride: usize) {
        // SAFETY: forwarded from the caller.
        unsafe {
            on_c_tile!(t, "tileloadd tmm{tile}, [{src} + {stride}*1]", src = in(reg) src, stride = in(reg) stride,
                options(nostack, readonly))
        }
    }

    unsafe fn zero_c(&mut self, t: usize) {
        // SAFETY: touches no memory.
        unsafe { on_c_tile!(t, "tilezero tmm{tile}", options(nostack, nomem)) }
    }

    unsafe fn multiply(&mut self, a: *const u16, a_stride: usize, b: *const u16, b_stride: usize) {
        // SAFETY: forwarded from the caller.
        unsafe {
            core::arch::asm!(
                "tileloadd tmm4, [{a} + {sa}*1]",
                "tileloadd tmm5, [{a1} + {sa}*1]",
                "tileloadd tmm6, [{b} + {sb}*1]",
                "tileloadd tmm7, [{b1} + {sb}*1]",
                "tdpbf16ps tmm0, tmm4, tmm6",
                "tdpbf16ps tmm1, tmm4, tmm7",
                "tdpbf16ps tmm2, tmm5, tmm6",
                "tdpbf16ps tmm3, tmm5, tmm7",
                a = in(reg) a,
                a1 = in(reg) a.cast::<u8>().wrapping_add(16 * a_stride),
                sa = in(reg) a_stride,
                b = in(reg) b,
                b1 = in(reg) b.wrapping_add(32),
                sb = in(reg) b_stride,
                options(nostack, readonly),
            )
        }
    }

    unsafe fn store_c(&mut self, t: usize, dst: *mut f32, stride: usize) {
        // SAFETY: forwarded from the caller.
        unsafe {
            on_c_tile!(t, "tilestored [{dst} + {stride}*1], tmm{tile}", dst = in(reg) dst, stride = in(reg) stride,
                options(nostack))
        }
    }

    unsafe fn release(&mut self) {
        // SAFETY: returns the tiles to their initial state.
        unsafe { core::arch::asm!("tilerelease", options(nostack)) }
    }
}
