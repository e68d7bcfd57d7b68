//! The portable int8 kernels: the reference arithmetic every assembly
//! kernel must match bit for bit (integer sums, so any order gives the same
//! result), and the kernels of targets without one (M3, hosts).
//!
//! Every loop is a `zip` over the operands, so a short operand (which a
//! validated model never has) shortens the sum instead of panicking.

/// `Σ w[i]·x[i]` with int8 weights and inputs that are int8 (`UNSIGNED =
/// false`) or `0..=255` (`true`, 8-bit images fed directly), accumulated in
/// i32 (the loader bounds `fan_in` so this cannot overflow).
#[inline(always)]
pub fn dot_i8<const UNSIGNED: bool>(weights: &[u8], x: &[u8]) -> i32 {
    weights.iter().zip(x).fold(0i32, |acc, (&w, &x)| acc + (w as i8 as i32) * input::<UNSIGNED>(x))
}

/// One input byte as a value.
#[inline(always)]
pub fn input<const UNSIGNED: bool>(x: u8) -> i32 {
    if UNSIGNED { x as i32 } else { x as i8 as i32 }
}

/// [`dot_i8`] of four rows at once (`rows[r]` against the same `x`): each
/// input is read once for the four.
#[inline(always)]
pub fn dot_i8_rows<const UNSIGNED: bool>(rows: [&[u8]; 4], x: &[u8]) -> [i32; 4] {
    let mut acc = [0i32; 4];
    let columns = rows[0].iter().zip(rows[1]).zip(rows[2]).zip(rows[3]).zip(x);
    for ((((&w0, &w1), &w2), &w3), &x) in columns {
        let x = input::<UNSIGNED>(x);
        acc[0] += w0 as i8 as i32 * x;
        acc[1] += w1 as i8 as i32 * x;
        acc[2] += w2 as i8 as i32 * x;
        acc[3] += w3 as i8 as i32 * x;
    }
    acc
}
