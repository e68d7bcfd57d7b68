//! Validating a version-2 file once, and walking its layers afterwards.

use super::crc::crc32;
use super::{check_meta, le_f32s, le_i32s};
use crate::Error;
use ffn_spec::model_file::{
    AFFINE_PAIR_LEN, CRC_LEN, ElementType, InputStage, InputType, LAYER_RECORD_LEN, LayerArrays, LayerRecord, MAGIC,
    MAX_INT8_PRODUCT, Meta, PREFIX_LEN, Prefix, Span, VERSION, VERSION_1, affine_offset, int8_parts, layer_arrays,
    row_stride,
};
use ffn_spec::{Activation, requant};

/// A file that passed every check; its parts borrow from the file's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Checked<'a> {
    pub prefix: Prefix,
    pub meta: Meta<'a>,
    /// The payload; [`LayerArrays`] offsets are relative to it.
    pub payload: &'a [u8],
    /// Outputs of the last layer.
    pub classes: usize,
    /// The widest hidden layer (0 without one): the activation rows' length.
    pub max_hidden: usize,
}

/// One layer as [`Checked::layers`] walks them.
#[derive(Clone, Copy, Debug)]
pub struct Layer {
    pub index: usize,
    pub record: LayerRecord,
    pub fan_in: usize,
    pub fan_out: usize,
    pub last: bool,
    pub arrays: LayerArrays,
    /// The next layer's input `(scale, zero point)`: where an int8 hidden
    /// layer without a table requantises to.
    pub next_input: (f32, i8),
}

/// The layers in order, each with its arrays' positions. Yields an error (and
/// then stops) where a record is malformed; never does after [`check`].
#[derive(Clone, Debug)]
pub struct Layers<'a> {
    element: ElementType,
    table: &'a [u8],
    count: usize,
    index: usize,
    fan_in: usize,
    offset: usize,
}

fn read_record(table: &[u8], index: usize) -> Option<LayerRecord> {
    let start = index.checked_mul(LAYER_RECORD_LEN)?;
    let bytes = table.get(start..start.checked_add(LAYER_RECORD_LEN)?)?;
    LayerRecord::from_bytes(bytes.try_into().ok()?)
}

impl Iterator for Layers<'_> {
    type Item = Result<Layer, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.index >= self.count {
            return None;
        }
        let result = self.step();
        if result.is_err() {
            self.index = self.count;
        }
        Some(result)
    }
}

impl Layers<'_> {
    fn step(&mut self) -> Result<Layer, Error> {
        let record = read_record(self.table, self.index).ok_or(Error::Malformed)?;
        let fan_out = record.fan_out as usize;
        if fan_out == 0 {
            return Err(Error::BadSizes);
        }
        let last = self.index + 1 == self.count;
        let arrays = layer_arrays(self.element, self.fan_in, fan_out, record.activation, last, self.offset)
            .ok_or(Error::BadSizes)?;
        let next_input = match read_record(self.table, self.index + 1) {
            Some(next) if !last => (next.input_scale, next.input_zero_point),
            _ => (0.0, 0),
        };
        let layer = Layer { index: self.index, record, fan_in: self.fan_in, fan_out, last, arrays, next_input };
        self.index += 1;
        self.fan_in = fan_out;
        self.offset = arrays.end;
        Ok(layer)
    }
}

impl<'a> Checked<'a> {
    pub fn element(&self) -> ElementType {
        self.prefix.element
    }

    pub fn inputs(&self) -> usize {
        self.prefix.inputs as usize
    }

    pub fn layers(&self) -> Layers<'a> {
        let count = self.prefix.layers as usize;
        Layers {
            element: self.prefix.element,
            table: self.payload.get(..count.saturating_mul(LAYER_RECORD_LEN)).unwrap_or(&[]),
            count,
            index: 0,
            fan_in: self.inputs(),
            offset: self.first_layer_offset(),
        }
    }

    fn affine_span(&self) -> Span {
        let layers = self.prefix.layers as usize;
        let start = affine_offset(layers).unwrap_or(usize::MAX);
        Span { start, len: (self.prefix.affine_pairs as usize).saturating_mul(AFFINE_PAIR_LEN) }
    }

    fn first_layer_offset(&self) -> usize {
        self.affine_span().start.saturating_add(self.affine_span().len)
    }

    /// The input stage's `(center, scale)` pairs, as bytes.
    pub fn affine(&self) -> &'a [u8] {
        self.array(self.affine_span())
    }

    /// An array of the payload (empty if out of range, which a checked file never is).
    pub fn array(&self, span: Span) -> &'a [u8] {
        self.payload.get(span.start..span.start.saturating_add(span.len)).unwrap_or(&[])
    }
}

/// Validates a model file once; never panics, whatever the bytes.
pub fn check(bytes: &[u8]) -> Result<Checked<'_>, Error> {
    if bytes.len() < MAGIC.len() {
        return Err(Error::Truncated);
    }
    if bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::BadMagic);
    }
    match bytes.get(4) {
        None => return Err(Error::Truncated),
        Some(&VERSION_1) => return Err(Error::Version1),
        Some(&VERSION) => {}
        Some(&other) => return Err(Error::UnsupportedVersion(other)),
    }
    if bytes.len() < PREFIX_LEN + CRC_LEN {
        return Err(Error::Truncated);
    }
    let (body, crc) = bytes.split_at(bytes.len() - CRC_LEN);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32(body);
    if stored != computed {
        return Err(Error::BadCrc { stored, computed });
    }

    let prefix_bytes: &[u8; PREFIX_LEN] = body[..PREFIX_LEN].try_into().map_err(|_| Error::Truncated)?;
    let prefix = Prefix::from_bytes(prefix_bytes).map_err(|_| Error::Malformed)?;
    let (inputs, layers) = (prefix.inputs as usize, prefix.layers as usize);
    if inputs == 0 || layers == 0 {
        return Err(Error::BadSizes);
    }
    let meta_end = PREFIX_LEN.checked_add(prefix.meta_len as usize).ok_or(Error::Malformed)?;
    let payload_at = prefix.payload_offset().ok_or(Error::Malformed)?;
    let payload_end = payload_at.checked_add(prefix.payload_len as usize).ok_or(Error::Malformed)?;
    if payload_end > body.len() {
        return Err(Error::Truncated);
    }
    if payload_end < body.len() {
        return Err(Error::Malformed);
    }
    let meta = match postcard::take_from_bytes::<Meta<'_>>(body.get(PREFIX_LEN..meta_end).ok_or(Error::Malformed)?) {
        Ok((meta, [])) => meta,
        _ => return Err(Error::Malformed),
    };
    if body.get(meta_end..payload_at).ok_or(Error::Malformed)?.iter().any(|&b| b != 0) {
        return Err(Error::Malformed);
    }

    let stage_ok = match prefix.input_stage {
        InputStage::Direct => {
            prefix.affine_pairs == 0
                && (prefix.element == ElementType::F32 || matches!(prefix.input_type, InputType::U8 | InputType::I8))
        }
        InputStage::Affine => prefix.affine_pairs == 1 || prefix.affine_pairs == prefix.inputs,
    };
    if !stage_ok {
        return Err(Error::Malformed);
    }
    let mut checked = Checked { prefix, meta, payload: &body[payload_at..], classes: 0, max_hidden: 0 };
    let table_len = layers.checked_mul(LAYER_RECORD_LEN).ok_or(Error::BadSizes)?;
    let affine = checked.affine_span();
    if affine.start.checked_add(affine.len).is_none_or(|end| end > checked.payload.len()) {
        return Err(Error::Malformed);
    }
    let pairs = checked.affine();
    let centers_ok = le_f32s(pairs).enumerate().all(|(i, value)| {
        // Pairs are (center, scale): every value finite, every scale positive.
        value.is_finite() && (i % 2 == 0 || value > 0.0)
    });
    if !centers_ok {
        return Err(Error::BadPreprocessing);
    }

    let mut cursor = table_len;
    let mut zeros_until = |payload: &[u8], span: Span| -> Result<(), Error> {
        if span.len == 0 {
            return Ok(());
        }
        match payload.get(cursor..span.start) {
            Some(gap) if gap.iter().all(|&b| b == 0) => {
                cursor = span.end();
                Ok(())
            }
            _ => Err(Error::Malformed),
        }
    };
    zeros_until(checked.payload, affine)?;
    let mut last_activation = Activation::Identity;
    for layer in checked.layers() {
        let layer = layer?;
        let a = layer.arrays;
        if a.end > checked.payload.len() {
            return Err(Error::Malformed);
        }
        for span in [a.weights, a.weight_scales, a.bias, a.multiplier, a.shift, a.table] {
            zeros_until(checked.payload, span)?;
        }
        check_layer(&checked, &layer)?;
        if layer.last {
            checked.classes = layer.fan_out;
            last_activation = layer.record.activation;
        } else {
            checked.max_hidden = checked.max_hidden.max(layer.fan_out);
        }
    }
    if cursor != checked.payload.len() || last_activation != Activation::Identity {
        return Err(Error::Malformed);
    }
    if checked.classes < 2 {
        return Err(Error::BadSizes);
    }
    check_meta(&checked.meta, inputs, checked.classes)?;
    Ok(checked)
}

/// A layer's own numbers: finite f32 weights and biases; for int8, scales,
/// accumulator range, padding and requantisation.
fn check_layer(file: &Checked<'_>, layer: &Layer) -> Result<(), Error> {
    let index = layer.index as u32;
    let record = &layer.record;
    let a = &layer.arrays;
    let positive = |x: f32| x.is_finite() && x > 0.0;
    if file.element() == ElementType::F32 {
        let quantisation = [record.input_scale.to_bits(), record.table_scale.to_bits()];
        if quantisation != [0, 0] || record.input_zero_point != 0 || record.table_zero_point != 0 {
            return Err(Error::Malformed);
        }
        if !le_f32s(file.array(a.weights)).all(f32::is_finite) {
            return Err(Error::BadWeight { layer: index });
        }
        if !le_f32s(file.array(a.bias)).all(f32::is_finite) {
            return Err(Error::BadBias { layer: index });
        }
        return Ok(());
    }

    // The i32 accumulator: |Σ q·x| ≤ fan_in · 128 · 128, plus the bias.
    let headroom = i32::MAX as i64 - (layer.fan_in as i64).saturating_mul(MAX_INT8_PRODUCT);
    if headroom < 0 {
        return Err(Error::BadSizes);
    }
    let input_scale = record.input_scale;
    let (requantised, has_table) = int8_parts(record.activation, layer.last);
    let table_ok = if has_table {
        positive(record.table_scale)
    } else {
        record.table_scale.to_bits() == 0 && record.table_zero_point == 0
    };
    if !positive(input_scale) || !table_ok {
        return Err(Error::BadScale { layer: index });
    }
    let stride = row_stride(ElementType::Int8, layer.fan_in).unwrap_or(0);
    let padded = file
        .array(a.weights)
        .chunks_exact(stride.max(1))
        .any(|row| row.get(layer.fan_in..).unwrap_or(&[]).iter().any(|&b| b != 0));
    if padded {
        return Err(Error::Malformed);
    }
    let weight_scales = file.array(a.weight_scales);
    if !le_f32s(weight_scales).all(positive) {
        return Err(Error::BadScale { layer: index });
    }
    if le_i32s(file.array(a.bias)).any(|b| (b as i64).abs() > headroom) {
        return Err(Error::BadBias { layer: index });
    }
    if !requantised {
        // Logits are acc · input scale · weight scale in f32: finite for every i32 acc.
        let logit_ok = le_f32s(weight_scales).all(|w| {
            let scale = input_scale * w;
            positive(scale) && (scale * 2_147_483_648.0).is_finite()
        });
        return if logit_ok { Ok(()) } else { Err(Error::BadScale { layer: index }) };
    }
    let target = if has_table { record.table_scale } else { layer.next_input.0 };
    let multipliers = le_i32s(file.array(a.multiplier));
    let shifts = file.array(a.shift).iter().map(|&s| s as i8);
    let consistent = le_f32s(weight_scales).zip(multipliers).zip(shifts).all(|((w, multiplier), shift)| {
        let real = input_scale * w / target;
        let fixed = libm::ldexpf(multiplier as f32, shift as i32 - 31);
        requant::is_valid(multiplier, shift) && real.is_normal() && (fixed - real).abs() <= real * 1e-5
    });
    if consistent { Ok(()) } else { Err(Error::BadRequantisation { layer: index }) }
}
