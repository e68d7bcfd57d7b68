//! The int8 kernels with the DSP extension (Cortex-M4/M7, and M33/M55 built
//! for their core): four bytes per word load, widened pairwise to 16 bits
//! (`SXTB16`/`UXTB16`, once per input word for four rows), two
//! multiply-accumulates per `SMLAD`. Stable Rust has no intrinsics for these
//! (`core::arch::arm`'s DSP functions are unstable), hence the inline
//! assembly. The four-row loop is one `asm!` block: it needs 13 registers,
//! one more than the compiler hands out to inline assembly (r7, the frame
//! pointer, is saved and used), so it cannot be split into pieces the
//! compiler would allocate.
//! Integer sums: bit-identical to [`super::portable`], which the QEMU parity
//! tests check against the host.

#![allow(unsafe_code)]

use super::portable;
use core::arch::asm;

macro_rules! unary {
    ($name:ident, $insn:literal) => {
        #[inline(always)]
        fn $name(x: u32) -> u32 {
            let r: u32;
            // SAFETY: a register-to-register instruction: no memory, stack or flags touched.
            unsafe { asm!($insn, r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
            r
        }
    };
}
unary!(sxtb16, "sxtb16 {r}, {x}");
unary!(sxtb16_ror8, "sxtb16 {r}, {x}, ror #8");
unary!(uxtb16, "uxtb16 {r}, {x}");
unary!(uxtb16_ror8, "uxtb16 {r}, {x}, ror #8");

/// `acc + a.lo·b.lo + a.hi·b.hi` on signed halfwords.
#[inline(always)]
fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    let r: i32;
    // SAFETY: register-only; SMLAD may set the sticky Q flag on overflow, which
    // nothing reads (and the loader's fan_in bound rules overflow out).
    unsafe {
        asm!("smlad {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a, b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack))
    };
    r
}

/// One little-endian word from a 4-byte chunk: a single (unaligned) `LDR`.
#[inline(always)]
fn word(bytes: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*bytes)
}

/// Four multiply-accumulates: one word of weights, one word of inputs.
#[inline(always)]
fn mac4<const UNSIGNED: bool>(acc: i32, w: u32, x: u32) -> i32 {
    let (x_even, x_odd) = if UNSIGNED { (uxtb16(x), uxtb16_ror8(x)) } else { (sxtb16(x), sxtb16_ror8(x)) };
    smlad(sxtb16_ror8(w), x_odd, smlad(sxtb16(w), x_even, acc))
}

/// One row (the rows a layer has beyond a multiple of four: out of line, as they are few).
#[inline(never)]
pub fn dot_i8<const UNSIGNED: bool>(weights: &[u8], x: &[u8]) -> i32 {
    let (x4, x_rest) = x.as_chunks::<4>();
    let acc = weights.as_chunks::<4>().0.iter().zip(x4).fold(0, |acc, (w, x)| mac4::<UNSIGNED>(acc, word(w), word(x)));
    // The last 1–3 inputs when fan_in is no multiple of 4.
    acc + portable::dot_i8::<UNSIGNED>(weights.get(x4.len() * 4..).unwrap_or(&[]), x_rest)
}

/// Sixteen columns of four rows per iteration, as a template: `$ext` widens
/// the input word (`sxtb16` for int8, `uxtb16` for `0..=255`). Each row's
/// step: one `LDR` of four weights, two `SXTB16`, two `SMLAD`. Rows 0 and 2
/// advance their pointers (post-index), rows 1 and 3 are read at `+stride`
/// from them, so the loop needs 13 registers: r7 (the frame pointer, which
/// the compiler does not hand out) is saved and serves as the widened weights.
macro_rules! rows4_loop {
    ($ext:literal) => {
        concat!(
            "push {{r7}}\n",
            "2:\n",
            rows4_loop!(@block $ext),
            rows4_loop!(@block $ext),
            rows4_loop!(@block $ext),
            rows4_loop!(@block $ext),
            "cmp {px}, {end}\n",
            "bne 2b\n",
            "pop {{r7}}\n",
        )
    };
    (@block $ext:literal) => {
        concat!(
            "ldr {x}, [{px}], #4\n",
            $ext, " {xe}, {x}\n",
            $ext, " {x}, {x}, ror #8\n",
            rows4_loop!(@row "[{p0}, {s}]", "{a1}"),
            rows4_loop!(@row "[{p0}], #4", "{a0}"),
            rows4_loop!(@row "[{p2}, {s}]", "{a3}"),
            rows4_loop!(@row "[{p2}], #4", "{a2}"),
        )
    };
    (@row $addr:literal, $acc:literal) => {
        concat!(
            "ldr {w}, ", $addr, "\n",
            "sxtb16 r7, {w}\n",
            "smlad ", $acc, ", r7, {xe}, ", $acc, "\n",
            "sxtb16 {w}, {w}, ror #8\n",
            "smlad ", $acc, ", {w}, {x}, ", $acc, "\n",
        )
    };
}

/// The columns one iteration of [`rows4_loop`] takes (the rest go through
/// the portable loop).
const COLUMNS: usize = 16;

/// Four rows at once: `rows[r] = block[r·stride..]` against `x`, each input
/// word loaded and widened once for the four rows.
#[inline(always)]
pub fn dot_i8_rows<const UNSIGNED: bool>(block: &[u8], stride: usize, x: &[u8]) -> [i32; 4] {
    let n = x.len();
    let fits =
        stride >= n && stride.checked_mul(3).and_then(|s| s.checked_add(n)).is_some_and(|end| end <= block.len());
    if !fits {
        return super::rows4_portable::<UNSIGNED>(block, stride, x);
    }
    let body = n / COLUMNS * COLUMNS;
    let mut acc = [0i32; 4];
    if body > 0 {
        let p0 = block.as_ptr();
        // SAFETY: stride·2 + body ≤ block.len() (checked above), so the pointer
        // stays inside the block (or one past it).
        let p2 = unsafe { p0.add(2 * stride) };
        let x_end = x.as_ptr().wrapping_add(body);
        // SAFETY: the loop reads x[..body] and, for each row r < 4,
        // block[r·stride..r·stride + body], all within their slices since
        // 3·stride + n ≤ block.len() and body ≤ n; LDR may be unaligned on
        // these cores. r7 is pushed and popped around the loop; the loop runs
        // body/COLUMNS ≥ 1 times.
        unsafe {
            macro_rules! run {
                ($ext:literal) => {
                    asm!(
                        rows4_loop!($ext),
                        p0 = inout(reg) p0 => _,
                        p2 = inout(reg) p2 => _,
                        px = inout(reg) x.as_ptr() => _,
                        s = in(reg) stride,
                        end = in(reg) x_end,
                        a0 = inout(reg) acc[0],
                        a1 = inout(reg) acc[1],
                        a2 = inout(reg) acc[2],
                        a3 = inout(reg) acc[3],
                        x = out(reg) _,
                        xe = out(reg) _,
                        w = out(reg) _,
                        options(readonly),
                    )
                };
            }
            if UNSIGNED { run!("uxtb16") } else { run!("sxtb16") }
        }
    }
    if body < n {
        let tail =
            super::rows4_portable::<UNSIGNED>(block.get(body..).unwrap_or(&[]), stride, x.get(body..).unwrap_or(&[]));
        for (a, t) in acc.iter_mut().zip(tail) {
            *a += t;
        }
    }
    acc
}
