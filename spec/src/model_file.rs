//! The `.ffn` model file, version 2: every constant, header type and array
//! position that the writer (the trainer's `export`) and the reader (the
//! device) must agree on. The reader's checks and the full table of the
//! format are in `ffn-infer-embedded`'s `format` module; this module only
//! says where things are.
//!
//! A file is a fixed [`Prefix`] ([`PREFIX_LEN`] bytes, little-endian), a
//! postcard-encoded [`Meta`] (names, provenance, preprocessing), zero padding
//! to a multiple of [`ALIGN`], the payload, and a CRC-32 of everything before
//! it. The payload starts with one [`LayerRecord`] per layer, then the input
//! stage's `(center, scale)` pairs, then each layer's arrays at the offsets
//! [`layer_arrays`] gives, every array starting at a multiple of [`ALIGN`]
//! from the start of the file (so a file placed at an aligned address in
//! flash has aligned rows for word and SIMD loads).

use crate::activation::{Activation, Int8Activation};
use serde::{Deserialize, Serialize};

/// First four bytes of every model file.
pub const MAGIC: [u8; 4] = *b"FFNM";
/// The layout this module describes.
pub const VERSION: u8 = 2;
/// The first layout (fixed 784 → … → 10, postcard throughout, float
/// requantisation); readable on the host only, see `ffn-infer-embedded`.
pub const VERSION_1: u8 = 1;
/// Bytes of the fixed [`Prefix`].
pub const PREFIX_LEN: usize = 32;
/// Bytes of one [`LayerRecord`].
pub const LAYER_RECORD_LEN: usize = 16;
/// Bytes of one input-stage `(center, scale)` pair.
pub const AFFINE_PAIR_LEN: usize = 8;
/// Every payload array starts at a multiple of this many bytes from the file start.
pub const ALIGN: usize = 16;
/// Entries of an int8 activation table: one per int8 input value.
pub const TABLE_LEN: usize = 256;
/// The largest `|weight · input|` of an int8 layer: both in `-128..=127`.
pub const MAX_INT8_PRODUCT: i64 = 128 * 128;
/// CRC-32 (IEEE) trailer.
pub const CRC_LEN: usize = 4;

/// How the weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum ElementType {
    F32 = 0,
    Int8 = 1,
}

impl ElementType {
    pub const fn name(self) -> &'static str {
        match self {
            ElementType::F32 => "f32",
            ElementType::Int8 => "int8",
        }
    }

    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(ElementType::F32),
            1 => Some(ElementType::Int8),
            _ => None,
        }
    }
}

/// The element type the device is fed (`ffn export --input_type`), in the units
/// of the training data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum InputType {
    U8 = 0,
    I8 = 1,
    I16 = 2,
    F32 = 3,
}

impl InputType {
    pub const ALL: [InputType; 4] = [InputType::U8, InputType::I8, InputType::I16, InputType::F32];

    /// The `--input_type` value.
    pub const fn name(self) -> &'static str {
        match self {
            InputType::U8 => "u8",
            InputType::I8 => "i8",
            InputType::I16 => "i16",
            InputType::F32 => "f32",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(InputType::U8),
            1 => Some(InputType::I8),
            2 => Some(InputType::I16),
            3 => Some(InputType::F32),
            _ => None,
        }
    }

    /// Bytes per value.
    pub const fn size(self) -> usize {
        match self {
            InputType::U8 | InputType::I8 => 1,
            InputType::I16 => 2,
            InputType::F32 => 4,
        }
    }
}

/// What the device does to each input value before the first layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum InputStage {
    /// Nothing. f32 models: the preprocessing is folded into the first
    /// layer's weights and biases. int8 models (`u8`/`i8` inputs only): the
    /// values are the first layer's quantised input as they are.
    Direct = 0,
    /// `x' = (x − center_i) · scale_i` per feature (or one pair for all):
    /// f32 models feed `x'` to the first layer (a standardisation that would
    /// lose precision if folded); int8 models feed `round(x') + zero_point`,
    /// saturated to int8 (the standardisation and the input quantisation in
    /// one; [`crate::requant::quantize_input`]).
    Affine = 1,
}

impl InputStage {
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(InputStage::Direct),
            1 => Some(InputStage::Affine),
            _ => None,
        }
    }
}

/// The fixed first [`PREFIX_LEN`] bytes, all numbers little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub element: ElementType,
    pub input_type: InputType,
    pub input_stage: InputStage,
    /// Values per sample (≥ 1).
    pub inputs: u32,
    /// Dense layers (≥ 1); the last one's outputs are the classes.
    pub layers: u32,
    /// `(center, scale)` pairs of an [`InputStage::Affine`]: 1 or `inputs`; 0 for `Direct`.
    pub affine_pairs: u32,
    /// Bytes of the postcard [`Meta`] after the prefix.
    pub meta_len: u32,
    /// Bytes of the payload.
    pub payload_len: u32,
}

/// Why a prefix cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixError {
    /// An element, input-type or stage tag, or the reserved bytes, hold an unknown value.
    BadTag,
}

impl Prefix {
    pub fn to_bytes(&self) -> [u8; PREFIX_LEN] {
        let mut out = [0u8; PREFIX_LEN];
        out[..4].copy_from_slice(&MAGIC);
        out[4] = VERSION;
        out[5] = self.element as u8;
        out[6] = self.input_type as u8;
        out[7] = self.input_stage as u8;
        let words = [self.inputs, self.layers, self.affine_pairs, self.meta_len, self.payload_len, 0];
        for (chunk, word) in out[8..].chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Reads the fields after magic and version (which the caller checked).
    pub fn from_bytes(bytes: &[u8; PREFIX_LEN]) -> Result<Self, PrefixError> {
        let word = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        if word(28) != 0 {
            return Err(PrefixError::BadTag);
        }
        Ok(Prefix {
            element: ElementType::from_tag(bytes[5]).ok_or(PrefixError::BadTag)?,
            input_type: InputType::from_tag(bytes[6]).ok_or(PrefixError::BadTag)?,
            input_stage: InputStage::from_tag(bytes[7]).ok_or(PrefixError::BadTag)?,
            inputs: word(8),
            layers: word(12),
            affine_pairs: word(16),
            meta_len: word(20),
            payload_len: word(24),
        })
    }

    /// File offset of the payload: after the meta, rounded up to [`ALIGN`].
    pub fn payload_offset(&self) -> Option<usize> {
        align_up(PREFIX_LEN.checked_add(self.meta_len as usize)?)
    }
}

/// Height × width × channels of image inputs (row-major, channels last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageShape {
    pub height: u32,
    pub width: u32,
    pub channels: u32,
}

/// How training turned raw values (the units of the data file) into network
/// inputs. The device does not read it (the [`InputStage`] and the first
/// layer carry its arithmetic); it documents the model and lets host tools
/// recover the network as trained.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Preprocessing<'a> {
    /// Values used as they are.
    Identity,
    /// `x / divisor` (8-bit images: 255).
    Divide { divisor: f32 },
    /// `(x − mean_i) / std_i`, both `f32` LE per input, from the training split.
    Standardize {
        #[serde(borrow)]
        mean: &'a [u8],
        #[serde(borrow)]
        std: &'a [u8],
    },
}

/// The postcard part of the header: names and provenance. Texts are UTF-8,
/// each name or text followed by a NUL byte, so a C API can hand out
/// pointers into the (flash-resident) file.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta<'a> {
    /// One name per class, in class order, each NUL-terminated.
    #[serde(borrow)]
    pub classes: &'a str,
    /// Empty, or one name per input, each NUL-terminated (tables' column names).
    #[serde(borrow)]
    pub features: &'a str,
    /// The shape of image inputs; `None` for tables.
    pub image: Option<ImageShape>,
    #[serde(borrow)]
    pub preprocessing: Preprocessing<'a>,
    /// Where the data came from: a dataset name or the data file names (NUL-terminated).
    #[serde(borrow)]
    pub source: &'a str,
    /// The training run's name (NUL-terminated; just the NUL when unknown).
    #[serde(borrow)]
    pub run: &'a str,
    /// The program that wrote the file, e.g. `ffn 0.1.0` (NUL-terminated).
    #[serde(borrow)]
    pub producer: &'a str,
}

/// One layer's fixed description in the payload's layer table
/// ([`LAYER_RECORD_LEN`] bytes, little-endian). The quantisation fields are
/// zero in f32 files.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerRecord {
    /// Outputs of the layer (its inputs are the previous layer's outputs, or the model's inputs).
    pub fan_out: u32,
    /// Applied to every output; the last layer's is [`Activation::Identity`] (softmax follows).
    pub activation: Activation,
    /// int8: the zero point of this layer's input.
    pub input_zero_point: i8,
    /// int8 table layers: the zero point of the table's input (the requantised pre-activation).
    pub table_zero_point: i8,
    /// int8: the scale of this layer's input (`real = scale · (q − zero_point)`).
    pub input_scale: f32,
    /// int8 table layers: the scale of the table's input.
    pub table_scale: f32,
}

impl LayerRecord {
    pub fn to_bytes(&self) -> [u8; LAYER_RECORD_LEN] {
        let mut out = [0u8; LAYER_RECORD_LEN];
        out[..4].copy_from_slice(&self.fan_out.to_le_bytes());
        out[4] = self.activation.tag();
        out[5] = self.input_zero_point as u8;
        out[6] = self.table_zero_point as u8;
        out[8..12].copy_from_slice(&self.input_scale.to_le_bytes());
        out[12..16].copy_from_slice(&self.table_scale.to_le_bytes());
        out
    }

    /// `None` for an unknown activation tag or a non-zero reserved byte.
    pub fn from_bytes(bytes: &[u8; LAYER_RECORD_LEN]) -> Option<Self> {
        let word = |at: usize| [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if bytes[7] != 0 {
            return None;
        }
        Some(LayerRecord {
            fan_out: u32::from_le_bytes(word(0)),
            activation: Activation::from_tag(bytes[4])?,
            input_zero_point: bytes[5] as i8,
            table_zero_point: bytes[6] as i8,
            input_scale: f32::from_le_bytes(word(8)),
            table_scale: f32::from_le_bytes(word(12)),
        })
    }
}

/// A byte range of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

impl Span {
    pub const fn end(&self) -> usize {
        self.start + self.len
    }

    pub const fn range(&self) -> core::ops::Range<usize> {
        self.start..self.start + self.len
    }
}

/// Where one layer's arrays sit in the payload (`n` inputs, `m` outputs).
/// Empty spans are arrays the layer does not have.
///
/// - f32: `weights` `m × n` `f32`, output-major (row `j` is output `j`'s
///   weights, one contiguous dot product); `bias` `m` `f32`.
/// - int8: `weights` `m` rows of [`row_stride`] bytes (`n` `i8` weights, then
///   zeros to a multiple of 4, so every row starts word-aligned);
///   `weight_scales` `m` `f32` (symmetric per output channel: `w ≈ q · scale`);
///   `bias` `m` `i32` in units of `input_scale · weight_scale[j]`, with
///   `−input_zero_point · Σ_i q_ji` folded in; hidden layers also
///   `multiplier` `m` `i32` and `shift` `m` `i8` (see [`crate::requant`]),
///   and table layers `table`, [`TABLE_LEN`] `i8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LayerArrays {
    pub weights: Span,
    pub weight_scales: Span,
    pub bias: Span,
    pub multiplier: Span,
    pub shift: Span,
    pub table: Span,
    /// Payload offset just after the last array.
    pub end: usize,
}

/// Rounds up to a multiple of [`ALIGN`], `None` on overflow.
pub const fn align_up(offset: usize) -> Option<usize> {
    match offset.checked_add(ALIGN - 1) {
        Some(v) => Some(v / ALIGN * ALIGN),
        None => None,
    }
}

/// Bytes from one weight row to the next.
pub const fn row_stride(element: ElementType, fan_in: usize) -> Option<usize> {
    match element {
        ElementType::F32 => fan_in.checked_mul(4),
        ElementType::Int8 => match fan_in.checked_add(3) {
            Some(v) => Some(v / 4 * 4),
            None => None,
        },
    }
}

/// Whether an int8 layer requantises its outputs to int8 (every layer but the
/// last, whose accumulators become the f32 logits) and whether it has a table.
pub const fn int8_parts(activation: Activation, last: bool) -> (bool, bool) {
    let requantised = !last;
    (requantised, requantised && matches!(activation.int8(), Int8Activation::Table))
}

/// The arrays of a layer whose block starts at payload offset `start`
/// (`None` on arithmetic overflow).
pub fn layer_arrays(
    element: ElementType,
    fan_in: usize,
    fan_out: usize,
    activation: Activation,
    last: bool,
    start: usize,
) -> Option<LayerArrays> {
    // Payload offsets are file offsets minus an aligned payload start: aligned here is aligned there.
    let mut at = start;
    let mut next = |len: usize| -> Option<Span> {
        if len == 0 {
            return Some(Span { start: at, len: 0 });
        }
        let begin = align_up(at)?;
        at = begin.checked_add(len)?;
        Some(Span { start: begin, len })
    };
    let rows = row_stride(element, fan_in)?.checked_mul(fan_out)?;
    let words = fan_out.checked_mul(4)?;
    let arrays = match element {
        ElementType::F32 => {
            let weights = next(rows)?;
            let bias = next(words)?;
            LayerArrays { weights, bias, ..LayerArrays::default() }
        }
        ElementType::Int8 => {
            let (requantised, table) = int8_parts(activation, last);
            let weights = next(rows)?;
            let weight_scales = next(words)?;
            let bias = next(words)?;
            let multiplier = next(if requantised { words } else { 0 })?;
            let shift = next(if requantised { fan_out } else { 0 })?;
            let table = next(if table { TABLE_LEN } else { 0 })?;
            LayerArrays { weights, weight_scales, bias, multiplier, shift, table, end: 0 }
        }
    };
    Some(LayerArrays { end: at, ..arrays })
}

/// Payload offset of the input stage's pairs: after the layer table.
pub fn affine_offset(layers: usize) -> Option<usize> {
    align_up(layers.checked_mul(LAYER_RECORD_LEN)?)
}

/// Payload offset of the first layer's arrays: after the input stage's pairs.
pub fn first_layer_offset(layers: usize, affine_pairs: usize) -> Option<usize> {
    affine_offset(layers)?.checked_add(affine_pairs.checked_mul(AFFINE_PAIR_LEN)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_round_trips() {
        let prefix = Prefix {
            element: ElementType::Int8,
            input_type: InputType::I16,
            input_stage: InputStage::Affine,
            inputs: 561,
            layers: 3,
            affine_pairs: 561,
            meta_len: 123,
            payload_len: 456_789,
        };
        let bytes = prefix.to_bytes();
        assert_eq!(&bytes[..5], b"FFNM\x02");
        assert_eq!(Prefix::from_bytes(&bytes), Ok(prefix));
        assert_eq!(prefix.payload_offset(), Some(160));
    }

    #[test]
    fn int8_rows_and_arrays_are_aligned() {
        let arrays = layer_arrays(ElementType::Int8, 13, 5, Activation::Tanh, false, 40).unwrap();
        assert_eq!(arrays.weights, Span { start: 48, len: 5 * 16 });
        for span in [arrays.weight_scales, arrays.bias, arrays.multiplier, arrays.shift, arrays.table] {
            assert_eq!(span.start % ALIGN, 0, "{arrays:?}");
        }
        assert_eq!(arrays.table.len, TABLE_LEN);
        let last = layer_arrays(ElementType::Int8, 13, 5, Activation::Identity, true, 0).unwrap();
        assert_eq!((last.multiplier.len, last.shift.len, last.table.len), (0, 0, 0));
        assert_eq!(last.end, last.bias.end());
        assert_eq!(layer_arrays(ElementType::F32, usize::MAX / 2, 3, Activation::Relu, false, 0), None);
    }
}
