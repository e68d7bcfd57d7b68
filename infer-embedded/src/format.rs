//! The `.ffn` model file: one definition, written by the trainer, read in place
//! by the device.
//!
//! A file is one postcard-serialised [`ModelFile`]:
//!
//! | field | postcard encoding | meaning |
//! | --- | --- | --- |
//! | `magic` | 4 raw bytes | [`MAGIC`] (`b"FFNM"`) |
//! | `version` | 1 raw byte | [`VERSION`]; checked before anything else is parsed |
//! | `element` | varint | [`ElementType`]: `F32` or `Int8` |
//! | `activation` | varint | hidden-layer [`Activation`] (the output layer is softmax) |
//! | `sizes` | byte string | `[input, hidden…, outputs]` as `u32` little-endian |
//! | `input_scales` | byte string | int8 only: per layer, the `f32` LE scale of that layer's int8 input; empty for f32 |
//! | `payload` | byte string | the layers, back to back (below) |
//! | `crc32` | 4 raw bytes | CRC-32 (IEEE, LE) of every byte before it, so header and payload are both covered |
//!
//! Layer `l` (`n` inputs, `m` outputs) in the payload. Weights are stored
//! output-major (`m × n`, the transpose of ffn-core's `Layout`), so each output
//! is one contiguous dot product on the device:
//! - f32: `m·n` weights (`f32` LE), then `m` biases (`f32` LE);
//! - int8: `m·n` weights (`i8`), then `m` per-output-channel weight scales
//!   (`f32` LE, symmetric: `w ≈ q · scale`), then `m` biases (`f32` LE).
//!
//! Multi-byte numbers inside the byte strings sit at whatever offset postcard
//! gives them, so readers decode them with `from_le_bytes` per element, which
//! needs no alignment.

use serde::{Deserialize, Serialize};

/// First four bytes of every model file.
pub const MAGIC: [u8; 4] = *b"FFNM";
/// The only file layout this crate reads and writes.
pub const VERSION: u8 = 1;
/// Pixels per image: every model reads 28×28 grey levels.
pub const INPUT_SIZE: usize = 784;
/// Classes per image: every model ends in 10 softmax outputs.
pub const NUM_CLASSES: usize = 10;
/// The input scale of the first int8 layer: pixels enter as raw `0..=255`
/// grey levels, which the trainer sees as `pixel / 255`.
pub const PIXEL_SCALE: f32 = 1.0 / 255.0;

/// Hidden-layer activation, in the CLI's order (its postcard tag is its index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    Identity,
    Sigmoid,
    Tanh,
    Relu,
}

impl Activation {
    pub const ALL: [Activation; 4] = [Activation::Identity, Activation::Sigmoid, Activation::Tanh, Activation::Relu];

    /// The CLI / ffn-core name, matched case-insensitively (`relu` finds `ReLU`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The name ffn-core's activation registry and the `-a` flag use.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "ReLU",
        }
    }

    /// `f(x)`, with the same `libm` formulas as ffn-core.
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Identity => x,
            Activation::Sigmoid => 1.0 / (1.0 + libm::expf(-x)),
            Activation::Tanh => libm::tanhf(x),
            Activation::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
        }
    }
}

/// How the weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ElementType {
    F32,
    Int8,
}

impl ElementType {
    pub fn name(self) -> &'static str {
        match self {
            ElementType::F32 => "f32",
            ElementType::Int8 => "int8",
        }
    }
}

/// The whole file as postcard sees it; every byte string borrows from the input.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFile<'a> {
    pub magic: [u8; 4],
    pub version: u8,
    pub element: ElementType,
    pub activation: Activation,
    #[serde(borrow)]
    pub sizes: &'a [u8],
    #[serde(borrow)]
    pub input_scales: &'a [u8],
    #[serde(borrow)]
    pub payload: &'a [u8],
    pub crc32: [u8; 4],
}

/// Everything that can be wrong with a model file (or with a model for this build).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Fewer bytes than the smallest possible model file.
    Truncated,
    /// The file does not start with [`MAGIC`]: not an ffn model.
    BadMagic,
    /// A format version this build does not know.
    UnsupportedVersion(u8),
    /// The CRC-32 in the file does not match its contents: corrupted.
    BadCrc { stored: u32, computed: u32 },
    /// The bytes passed the CRC but are not a valid postcard [`ModelFile`].
    Malformed,
    /// Layer sizes that are not `784 → … → 10`, contain a zero or do not fit in memory.
    BadSizes,
    /// The payload or scale table length does not match the layer sizes.
    InconsistentShapes,
    /// An int8 input scale that is not a positive finite number.
    BadScale,
    /// The model's widest layer needs more scratch than this build reserves.
    ScratchTooSmall { needed: usize, capacity: usize },
}

impl core::fmt::Display for FormatError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FormatError::Truncated => write!(f, "model file is truncated"),
            FormatError::BadMagic => write!(f, "not an ffn model file (bad magic bytes)"),
            FormatError::UnsupportedVersion(v) => {
                write!(f, "model file format version {v} is not supported (this build reads version {VERSION})")
            }
            FormatError::BadCrc { stored, computed } => {
                write!(f, "model file is corrupted (CRC-32 {computed:08x}, file says {stored:08x})")
            }
            FormatError::Malformed => write!(f, "model file header is malformed"),
            FormatError::BadSizes => {
                write!(f, "model layer sizes must be {INPUT_SIZE} → hidden… → {NUM_CLASSES}, all non-zero")
            }
            FormatError::InconsistentShapes => write!(f, "model payload does not match its layer sizes"),
            FormatError::BadScale => write!(f, "model has a non-positive or non-finite int8 scale"),
            FormatError::ScratchTooSmall { needed, capacity } => {
                write!(f, "model needs scratch for {needed} activations per layer, this build reserves {capacity}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FormatError {}

/// Iterates the little-endian `u32`s / `f32`s of a byte string.
pub(crate) fn le_u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

pub(crate) fn le_f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    le_u32s(bytes).map(f32::from_bits)
}

/// The size of one layer's block in the payload, or `None` on overflow.
pub(crate) fn layer_bytes(element: ElementType, fan_in: usize, fan_out: usize) -> Option<usize> {
    let weights = fan_in.checked_mul(fan_out)?;
    match element {
        ElementType::F32 => weights.checked_add(fan_out)?.checked_mul(4),
        ElementType::Int8 => weights.checked_add(fan_out.checked_mul(8)?),
    }
}

/// A [`ModelFile`] that passed every check: magic, version, CRC, sizes
/// `784 → … → 10`, and payload / scale lengths that match the sizes exactly.
#[derive(Clone, Copy, Debug)]
pub struct CheckedFile<'a> {
    pub file: ModelFile<'a>,
    /// Number of dense layers (`sizes.len() - 1`).
    pub num_layers: usize,
    /// The widest layer output: the scratch a forward pass needs.
    pub max_width: usize,
}

impl<'a> CheckedFile<'a> {
    pub fn sizes(&self) -> impl Iterator<Item = usize> + 'a {
        le_u32s(self.file.sizes).map(|s| s as usize)
    }
}

/// Validates a model file once; never panics, whatever the bytes.
pub fn check(bytes: &[u8]) -> Result<CheckedFile<'_>, FormatError> {
    // magic + version + element + activation + 3 empty strings + crc.
    const MIN_LEN: usize = 4 + 1 + 1 + 1 + 3 + 4;
    if bytes.len() < 4 {
        return Err(FormatError::Truncated);
    }
    if bytes[..4] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    if bytes.len() < MIN_LEN {
        return Err(FormatError::Truncated);
    }
    if bytes[4] != VERSION {
        return Err(FormatError::UnsupportedVersion(bytes[4]));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(FormatError::BadCrc { stored, computed });
    }
    let file = match postcard::take_from_bytes::<ModelFile<'_>>(bytes) {
        Ok((file, [])) => file,
        _ => return Err(FormatError::Malformed),
    };

    if file.sizes.len() % 4 != 0 || file.sizes.len() < 8 {
        return Err(FormatError::BadSizes);
    }
    let mut sizes = le_u32s(file.sizes).map(|s| s as usize);
    let first = sizes.next().unwrap_or(0);
    let last = le_u32s(file.sizes).last().unwrap_or(0) as usize;
    if first != INPUT_SIZE || last != NUM_CLASSES {
        return Err(FormatError::BadSizes);
    }
    let num_layers = file.sizes.len() / 4 - 1;
    let (mut fan_in, mut max_width, mut payload_len) = (first, 0usize, 0usize);
    for fan_out in sizes {
        // The int8 i32 accumulator must not overflow: |Σ q·x| ≤ fan_in · 127 · 255.
        if fan_out == 0 || (file.element == ElementType::Int8 && fan_in > (i32::MAX / (127 * 255)) as usize) {
            return Err(FormatError::BadSizes);
        }
        let block = layer_bytes(file.element, fan_in, fan_out).ok_or(FormatError::BadSizes)?;
        payload_len = payload_len.checked_add(block).ok_or(FormatError::BadSizes)?;
        max_width = max_width.max(fan_out);
        fan_in = fan_out;
    }
    if payload_len != file.payload.len() {
        return Err(FormatError::InconsistentShapes);
    }
    match file.element {
        ElementType::F32 if !file.input_scales.is_empty() => return Err(FormatError::InconsistentShapes),
        ElementType::Int8 => {
            if file.input_scales.len() != num_layers * 4 {
                return Err(FormatError::InconsistentShapes);
            }
            if le_f32s(file.input_scales).any(|s| !(s.is_finite() && s > 0.0)) {
                return Err(FormatError::BadScale);
            }
        }
        ElementType::F32 => {}
    }
    Ok(CheckedFile { file, num_layers, max_width })
}

#[cfg(feature = "std")]
pub use host::*;

/// Writing files and reading them back into ffn-core's parameter layout.
#[cfg(feature = "std")]
mod host {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// One layer of an int8 model, as the exporter produces it.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Int8Layer {
        /// `fan_out × fan_in`, output-major (row `j` = output `j`'s weights).
        pub weights: Vec<i8>,
        /// Per output channel: `w ≈ q · weight_scales[j]`.
        pub weight_scales: Vec<f32>,
        pub bias: Vec<f32>,
        /// The scale of this layer's int8 input (`PIXEL_SCALE` for the first layer).
        pub input_scale: f32,
    }

    /// A model file read back into ffn-core's order (int8 files dequantized).
    #[derive(Clone, Debug, PartialEq)]
    pub struct DecodedModel {
        pub sizes: Vec<usize>,
        pub activation: Activation,
        pub element: ElementType,
        /// f32 parameters in ffn-core's `Layout` order: per layer row-major
        /// `fan_in × fan_out` weights, then `fan_out` biases.
        pub params: Vec<f32>,
    }

    fn pairs(sizes: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
        sizes.windows(2).map(|w| (w[0], w[1]))
    }

    fn finish(element: ElementType, activation: Activation, sizes: &[usize], scales: &[u8], payload: &[u8]) -> Vec<u8> {
        let size_bytes: Vec<u8> = sizes.iter().flat_map(|&s| (s as u32).to_le_bytes()).collect();
        let file = ModelFile {
            magic: MAGIC,
            version: VERSION,
            element,
            activation,
            sizes: &size_bytes,
            input_scales: scales,
            payload,
            crc32: [0; 4],
        };
        let mut bytes = postcard::to_allocvec(&file).expect("serialising into a Vec cannot fail");
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Encodes an f32 model. `params` is in ffn-core's `Layout` order.
    ///
    /// # Panics
    /// If `params.len()` does not match `sizes` (a caller bug, not user input).
    pub fn encode_f32(sizes: &[usize], activation: Activation, params: &[f32]) -> Vec<u8> {
        let expected: usize = pairs(sizes).map(|(n, m)| n * m + m).sum();
        assert_eq!(params.len(), expected, "parameter count does not match the layer sizes");
        let mut payload = Vec::with_capacity(expected * 4);
        let mut offset = 0;
        for (n, m) in pairs(sizes) {
            let (weights, bias) = params[offset..offset + n * m + m].split_at(n * m);
            for j in 0..m {
                payload.extend((0..n).flat_map(|i| weights[i * m + j].to_le_bytes()));
            }
            payload.extend(bias.iter().flat_map(|b| b.to_le_bytes()));
            offset += n * m + m;
        }
        finish(ElementType::F32, activation, sizes, &[], &payload)
    }

    /// Encodes an int8 model.
    ///
    /// # Panics
    /// If a layer's vectors do not match `sizes` (a caller bug, not user input).
    pub fn encode_int8(sizes: &[usize], activation: Activation, layers: &[Int8Layer]) -> Vec<u8> {
        assert_eq!(layers.len() + 1, sizes.len(), "one Int8Layer per pair of sizes");
        let mut payload = Vec::new();
        let mut scales = Vec::new();
        for ((n, m), layer) in pairs(sizes).zip(layers) {
            assert!(layer.weights.len() == n * m && layer.weight_scales.len() == m && layer.bias.len() == m);
            payload.extend(layer.weights.iter().map(|&q| q as u8));
            payload.extend(layer.weight_scales.iter().flat_map(|s| s.to_le_bytes()));
            payload.extend(layer.bias.iter().flat_map(|b| b.to_le_bytes()));
            scales.extend(layer.input_scale.to_le_bytes());
        }
        finish(ElementType::Int8, activation, sizes, &scales, &payload)
    }

    /// Reads any valid model file back as f32 parameters in ffn-core's order
    /// (int8 weights become `q · scale`).
    pub fn decode_f32(bytes: &[u8]) -> Result<DecodedModel, FormatError> {
        let checked = check(bytes)?;
        let sizes: Vec<usize> = checked.sizes().collect();
        let total: usize = pairs(&sizes).map(|(n, m)| n * m + m).sum();
        let mut params = vec![0.0f32; total];
        let mut payload = checked.file.payload;
        let mut offset = 0;
        for (n, m) in pairs(&sizes) {
            let block = layer_bytes(checked.file.element, n, m).ok_or(FormatError::BadSizes)?;
            let (layer, rest) = payload.split_at(block);
            payload = rest;
            let (weights, bias) = params[offset..offset + n * m + m].split_at_mut(n * m);
            let bias_bytes = match checked.file.element {
                ElementType::F32 => {
                    let (w, b) = layer.split_at(n * m * 4);
                    for (k, value) in le_f32s(w).enumerate() {
                        weights[(k % n) * m + k / n] = value;
                    }
                    b
                }
                ElementType::Int8 => {
                    let (w, rest) = layer.split_at(n * m);
                    let (s, b) = rest.split_at(m * 4);
                    for (j, (row, scale)) in w.chunks_exact(n).zip(le_f32s(s)).enumerate() {
                        for (i, &q) in row.iter().enumerate() {
                            weights[i * m + j] = q as i8 as f32 * scale;
                        }
                    }
                    b
                }
            };
            for (dst, value) in bias.iter_mut().zip(le_f32s(bias_bytes)) {
                *dst = value;
            }
            offset += n * m + m;
        }
        Ok(DecodedModel { sizes, activation: checked.file.activation, element: checked.file.element, params })
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn params(sizes: &[usize]) -> Vec<f32> {
        let n: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        (0..n).map(|i| (i as f32 * 0.37).sin()).collect()
    }

    #[test]
    fn f32_round_trip_keeps_layout_order() {
        let sizes = [784, 3, 5, 10];
        let p = params(&sizes);
        let bytes = encode_f32(&sizes, Activation::Tanh, &p);
        let back = decode_f32(&bytes).unwrap();
        assert_eq!(back.sizes, sizes);
        assert_eq!(back.activation, Activation::Tanh);
        assert_eq!(back.params, p);
    }

    #[test]
    fn every_single_byte_flip_is_rejected() {
        let bytes = encode_f32(&[784, 2, 10], Activation::Relu, &params(&[784, 2, 10]));
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x10;
            assert!(check(&bad).is_err(), "flip at byte {at} accepted");
        }
        for len in 0..bytes.len() {
            assert!(check(&bytes[..len]).is_err(), "truncation to {len} accepted");
        }
    }

    #[test]
    fn names_match_the_cli() {
        assert_eq!(Activation::from_name("relu"), Some(Activation::Relu));
        assert_eq!(Activation::from_name("ReLU").map(Activation::name), Some("ReLU"));
        assert_eq!(Activation::from_name("SIGMOID"), Some(Activation::Sigmoid));
        assert_eq!(Activation::from_name("softplus"), None);
    }
}
