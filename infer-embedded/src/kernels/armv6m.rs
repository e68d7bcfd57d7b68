//! The int8 kernel for Armv6-M (Cortex-M0/M0+/M1): four rows share each
//! input load. Thumb-1 has no multiply-accumulate and its sign-extending
//! byte load takes only a register offset, so each column costs one input
//! load, then per row a load, a `MULS` and an `ADD`, and a shared index
//! step that doubles as the loop test (the index runs from −n up to 0 with
//! every pointer at its row's end). That needs all 8 low registers (the
//! compiler hands out 7) and 4 accumulators, which live in high registers
//! (`ADD` reaches them). The compiler's own version of this loop (the
//! portable one) reloads the row pointers from the stack every column,
//! hence the assembly.
//! Integer sums: bit-identical to [`super::portable`].

#![allow(unsafe_code)]

use super::portable;
use core::arch::asm;

pub use portable::dot_i8;

/// One column of four rows per iteration: `$load` reads the input byte
/// (`ldrsb` for int8, `ldrb` for `0..=255`); r7 (the frame pointer, which
/// the compiler does not hand out), saved, holds the product; r8–r11 the sums (Thumb-1 asm may only clobber
/// high registers, so they start at zero here and end in the row pointers).
macro_rules! rows4_loop {
    ($load:literal) => {
        concat!(
            "push {{r7}}\n",
            "movs r7, #0\n",
            "mov r8, r7\n",
            "mov r9, r7\n",
            "mov r10, r7\n",
            "mov r11, r7\n",
            "2:\n",
            $load, " {x}, [{px}, {i}]\n",
            rows4_loop!(@row "{p0}", "r8"),
            rows4_loop!(@row "{p1}", "r9"),
            rows4_loop!(@row "{p2}", "r10"),
            rows4_loop!(@row "{p3}", "r11"),
            "adds {i}, #1\n",
            "bne 2b\n",
            "mov {p0}, r8\n",
            "mov {p1}, r9\n",
            "mov {p2}, r10\n",
            "mov {p3}, r11\n",
            "pop {{r7}}\n",
        )
    };
    (@row $row:literal, $acc:literal) => {
        concat!("ldrsb r7, [", $row, ", {i}]\n", "muls r7, {x}, r7\n", "add ", $acc, ", r7\n")
    };
}

/// Four rows at once: `rows[r] = block[r·stride..]` against `x`.
#[inline(always)]
pub fn dot_i8_rows<const UNSIGNED: bool>(block: &[u8], stride: usize, x: &[u8]) -> [i32; 4] {
    let n = x.len();
    let fits = n > 0
        && n <= i32::MAX as usize
        && stride.checked_mul(3).and_then(|s| s.checked_add(n)).is_some_and(|end| end <= block.len());
    if !fits {
        return super::rows4_portable::<UNSIGNED>(block, stride, x);
    }
    // Each pointer at the end of its row: the loop indexes them with i = −n..0.
    let end = |r: usize| block.as_ptr().wrapping_add(r * stride + n);
    // SAFETY: the loop reads x[..n] and block[r·stride..r·stride + n] for r < 4,
    // inside their slices as 3·stride + n ≤ block.len(); it runs n ≥ 1 times.
    // r7 is pushed and popped around it.
    let (acc0, acc1, acc2, acc3): (i32, i32, i32, i32);
    unsafe {
        macro_rules! run {
            ($load:literal) => {
                asm!(
                    rows4_loop!($load),
                    px = in(reg) x.as_ptr().wrapping_add(n),
                    p0 = inout(reg) end(0) => acc0,
                    p1 = inout(reg) end(1) => acc1,
                    p2 = inout(reg) end(2) => acc2,
                    p3 = inout(reg) end(3) => acc3,
                    i = inout(reg) (n as i32).wrapping_neg() => _,
                    x = out(reg) _,
                    out("r8") _,
                    out("r9") _,
                    out("r10") _,
                    out("r11") _,
                    options(readonly),
                )
            };
        }
        if UNSIGNED { run!("ldrb") } else { run!("ldrsb") }
    }
    [acc0, acc1, acc2, acc3]
}
