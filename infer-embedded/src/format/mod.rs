//! The `.ffn` model file, version 2: written by the trainer (`export`, and
//! `train`'s `model.ffn`), validated once and then read in place by the device.
//! The constants, header types and array positions are defined once in
//! [`ffn_spec::model_file`], which both sides use; this module checks files
//! ([`check`]) and, with the `std` feature, writes and decodes them.
//!
//! | bytes | field | meaning |
//! | --- | --- | --- |
//! | 0–3 | magic | `FFNM` |
//! | 4 | version | `2` (a `1` is refused with [`Error::Version1`]: host tools convert it) |
//! | 5 | element | weights: `0` f32, `1` int8 |
//! | 6 | input type | what the device is fed: `0` u8, `1` i8, `2` i16, `3` f32 (`ffn export --input_type`) |
//! | 7 | input stage | `0` direct, `1` affine ([`InputStage`]) |
//! | 8–11 | inputs | values per sample, ≥ 1 (`u32` LE, as every number below) |
//! | 12–15 | layers | dense layers, ≥ 1 |
//! | 16–19 | affine pairs | `(center, scale)` pairs of an affine stage: 1 or `inputs`; 0 when direct |
//! | 20–23 | meta length | bytes of the postcard [`Meta`] |
//! | 24–27 | payload length | bytes of the payload |
//! | 28–31 | reserved | zero |
//! | 32… | meta | postcard [`Meta`]: class names, feature names, image shape, preprocessing as trained, source, run, producer; texts NUL-terminated UTF-8 |
//! | … | padding | zeros up to a multiple of 16 ([`ALIGN`]) |
//! | P… | payload | below; `P` = 32 + meta length, rounded up to 16 |
//! | last 4 | CRC-32 | IEEE, LE, of every byte before it; the file ends here |
//!
//! The payload, every array starting at a multiple of 16 bytes from the file
//! start (zeros between arrays):
//!
//! | part | contents |
//! | --- | --- |
//! | layer table | one 16-byte [`LayerRecord`] per layer: `fan_out` `u32`; activation tag `u8` (identity 0, sigmoid 1, tanh 2, ReLU 3; the last layer's is identity, softmax follows); int8 input zero point `i8`; int8 table zero point `i8`; zero `u8`; int8 input scale `f32`; int8 table scale `f32` (quantisation fields zero in f32 files) |
//! | input stage | `affine pairs` × (`center` `f32`, `scale` `f32`): `x' = (x − center) · scale`; f32 models feed `x'` to the first layer, int8 models `round(x') + input zero point` (half to even), saturated to int8 |
//! | f32 layer (`n` → `m`) | weights `m × n` `f32`, output-major (row `j` = output `j`'s weights); bias `m` `f32` |
//! | int8 layer (`n` → `m`) | weights `m` rows of `n` `i8` padded with zeros to a multiple of 4; weight scales `m` `f32` (symmetric per output channel, `w ≈ q · scale`); bias `m` `i32` (units of input scale × weight scale, `−zero point · Σ q` folded in); hidden layers: multiplier `m` `i32` and shift `m` `i8` ([`ffn_spec::requant`]); sigmoid/tanh hidden layers: table `256` `i8` |
//!
//! The arithmetic these describe, per output `j` of a layer with input `x`:
//! - f32: `y_j = f(Σ_i w_ji · x_i + b_j)`, in this order (the first layer
//!   reads the input values directly when the stage is direct: the
//!   preprocessing is folded into its weights and biases, so the device pays
//!   nothing);
//! - int8: `acc_j = Σ_i q_ji · x_i + bias_j` in `i32`. Hidden layers:
//!   `v = requantize(acc_j, multiplier_j, shift_j) + zero point` (the next
//!   layer's input zero point, or the table's), then identity saturates to
//!   int8, ReLU also clamps below at the zero point, sigmoid/tanh look
//!   `table[v + 128]` up: no float between layers. The last layer's logits are
//!   `acc_j · input scale · weight scale_j` in f32, then softmax. A direct
//!   stage (u8 or i8 inputs only) feeds the values as they are (u8 as
//!   unsigned), so 8-bit images need no conversion at all.
//!
//! Every float is validated at load (finite; scales, divisors, standard
//! deviations positive), as is every size, length, tag, padding byte, the
//! `i32` accumulator's range (`fan_in · 128 · 128 + |bias| ≤ i32::MAX`) and each
//! multiplier against the scales it stands for.

mod check;
mod crc;
#[cfg(feature = "std")]
mod decode;
#[cfg(feature = "std")]
mod v1;
#[cfg(feature = "std")]
mod write;

pub use check::{Checked, Layer, check};
#[cfg(feature = "std")]
pub use decode::{Decoded, decode};
pub use ffn_spec::model_file::{
    ALIGN, ElementType, ImageShape, InputStage, InputType, LayerArrays, LayerRecord, MAGIC, Meta, Prefix,
    Preprocessing, VERSION, VERSION_1,
};
#[cfg(feature = "std")]
pub use write::{
    Description, EncodeError, FOLD_LIMIT, Int8Input, Int8Layer, Int8Model, Network, OwnedPreprocessing, Table,
    encode_f32, encode_int8, producer,
};

use crate::Error;

/// Iterates the little-endian `f32`s of a byte string (any alignment).
/// `as_chunks` gives `[u8; 4]`s: no index or division the optimiser must
/// prove safe, which keeps the link-time no-panic proof (ffn-c) passing.
pub(crate) fn le_f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes.as_chunks::<4>().0.iter().map(|&c| f32::from_le_bytes(c))
}

pub(crate) fn le_i32s(bytes: &[u8]) -> impl Iterator<Item = i32> + '_ {
    bytes.as_chunks::<4>().0.iter().map(|&c| i32::from_le_bytes(c))
}

/// The NUL-terminated entries of a names text (without their NULs). Split
/// as bytes (`str::split` indexes in ways the no-panic proof cannot follow);
/// every piece between NULs is UTF-8 again, as NUL is ASCII.
pub(crate) fn names(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let body = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    let pieces = if bytes.is_empty() { None } else { Some(body.split(|&b| b == 0)) };
    pieces.into_iter().flatten().map(|piece| core::str::from_utf8(piece).unwrap_or(""))
}

/// A single NUL-terminated text without its NUL.
pub(crate) fn text(text: &str) -> &str {
    text.strip_suffix('\0').unwrap_or(text)
}

/// Whether `text` holds exactly `count` NUL-terminated names.
fn names_ok(text: &str, count: usize) -> bool {
    (text.is_empty() || text.ends_with('\0')) && text.bytes().filter(|&b| b == 0).count() == count
}

/// Validates the meta's names, texts, image shape and preprocessing against `inputs` and `classes`.
fn check_meta(meta: &Meta<'_>, inputs: usize, classes: usize) -> Result<(), Error> {
    let features_ok = meta.features.is_empty() || names_ok(meta.features, inputs);
    let texts_ok = [meta.source, meta.run, meta.producer].iter().all(|t| names_ok(t, 1));
    if !(names_ok(meta.classes, classes) && features_ok && texts_ok) {
        return Err(Error::BadNames);
    }
    if let Some(image) = meta.image {
        let len = (image.height as usize)
            .checked_mul(image.width as usize)
            .and_then(|hw| hw.checked_mul(image.channels as usize));
        if len != Some(inputs) {
            return Err(Error::BadSizes);
        }
    }
    let positive = |x: f32| x.is_finite() && x > 0.0;
    let ok = match meta.preprocessing {
        Preprocessing::Identity => true,
        Preprocessing::Divide { divisor } => positive(divisor),
        Preprocessing::Standardize { mean, std } => {
            mean.len() == inputs * 4
                && std.len() == inputs * 4
                && le_f32s(mean).all(f32::is_finite)
                && le_f32s(std).all(positive)
        }
    };
    if ok { Ok(()) } else { Err(Error::BadPreprocessing) }
}
