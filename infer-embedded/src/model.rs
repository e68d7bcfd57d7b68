//! A validated view over a model file, and its panic-free forward pass.

use crate::Error;
use crate::format::{self, Checked, Layer, le_f32s};
use crate::input::{Input, InputSlice};
use crate::kernels::{ROWS, dot_f32, dot_i8, dot_i8_rows, softmax};
use ffn_spec::model_file::{
    AFFINE_PAIR_LEN, ElementType, ImageShape, InputStage, InputType, Preprocessing, row_stride,
};
use ffn_spec::{Activation, Int8Activation, requant};

/// The alignment (in bytes) the scratch slice must start at: f32 models keep
/// their activations there as `f32`s. A C caller passing `void *scratch`
/// must align it so (`_Alignas(4)`, or any `malloc`ed or `uint32_t` buffer).
pub const SCRATCH_ALIGN: usize = 4;

/// A scratch buffer of `BYTES` bytes with the alignment [`Model::predict`]
/// needs, for callers that size it at compile time (a `static` or a local).
#[repr(C, align(4))]
#[derive(Clone, Debug)]
pub struct Scratch<const BYTES: usize>(pub [u8; BYTES]);

impl<const BYTES: usize> Scratch<BYTES> {
    pub const fn new() -> Self {
        Scratch([0; BYTES])
    }

    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl<const BYTES: usize> Default for Scratch<BYTES> {
    fn default() -> Self {
        Self::new()
    }
}

/// A model borrowed from `'a` bytes (flash), validated once. It is `Copy` and
/// of fixed size (slices into the file and a few numbers): a C API can embed
/// it in a struct of known size.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    file: Checked<'a>,
    bytes: &'a [u8],
}

/// Bytes of a scratch row of `len` values of the model's element type, kept a
/// multiple of [`SCRATCH_ALIGN`] so every row starts aligned.
const fn row_bytes(element: ElementType, len: usize) -> usize {
    let bytes = match element {
        ElementType::F32 => len.saturating_mul(4),
        ElementType::Int8 => len,
    };
    bytes.saturating_add(SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN
}

impl<'a> Model<'a> {
    /// Validates `bytes` once (see [`format`](crate::format) for every check);
    /// every later call works on checked data.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, Error> {
        Ok(Model { file: format::check(bytes)?, bytes })
    }

    /// The whole model file this view borrows.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn element(&self) -> ElementType {
        self.file.element()
    }

    /// The element type the model was exported for (`ffn export --input_type`).
    pub fn input_type(&self) -> InputType {
        self.file.prefix.input_type
    }

    pub fn input_stage(&self) -> InputStage {
        self.file.prefix.input_stage
    }

    /// Values per sample.
    pub fn inputs(&self) -> usize {
        self.file.inputs()
    }

    /// Outputs of the last layer: the number of scores.
    pub fn classes(&self) -> usize {
        self.file.classes
    }

    pub fn num_layers(&self) -> usize {
        self.file.prefix.layers as usize
    }

    /// `[inputs, hidden…, classes]`.
    pub fn sizes(&self) -> impl Iterator<Item = usize> + 'a {
        let layers = self.file.layers().map_while(Result::ok);
        core::iter::once(self.inputs()).chain(layers.map(|layer| layer.fan_out))
    }

    /// Each layer's activation (the last one's is identity: softmax follows).
    pub fn activations(&self) -> impl Iterator<Item = Activation> + 'a {
        self.file.layers().map_while(Result::ok).map(|layer| layer.record.activation)
    }

    /// The widest hidden layer (0 without hidden layers).
    pub fn max_hidden(&self) -> usize {
        self.file.max_hidden
    }

    fn hidden_row_bytes(&self) -> usize {
        row_bytes(self.element(), self.file.max_hidden)
    }

    fn input_row_bytes(&self) -> usize {
        row_bytes(self.element(), self.inputs())
    }

    /// Whether input of type `given` goes into the first layer as it is,
    /// without a converted copy in scratch. An f32 model reads only `f32`
    /// input directly: other types are converted once into an f32 row, which
    /// costs one conversion per input instead of one per weight.
    fn reads_directly(&self, given: InputType) -> bool {
        let own_type = given == self.input_type();
        self.input_stage() == InputStage::Direct
            && own_type
            && (self.element() == ElementType::Int8 || given == InputType::F32)
    }

    /// Bytes of scratch [`predict`](Self::predict) needs for any input type:
    /// two rows of the widest hidden layer, and one row of inputs.
    pub fn scratch_bytes(&self) -> usize {
        self.hidden_row_bytes().saturating_mul(2).saturating_add(self.input_row_bytes())
    }

    /// Bytes of scratch for input of type `given`: less than
    /// [`scratch_bytes`](Self::scratch_bytes) when it is the model's own input
    /// type and needs no conversion (no input row).
    pub fn scratch_bytes_for(&self, given: InputType) -> usize {
        if self.reads_directly(given) { self.hidden_row_bytes().saturating_mul(2) } else { self.scratch_bytes() }
    }

    /// Bytes of the payload (weights, scales, biases, tables): what stays in flash.
    pub fn payload_bytes(&self) -> usize {
        self.file.payload.len()
    }

    /// The name of class `class`.
    pub fn class_name(&self, class: usize) -> Option<&'a str> {
        format::names(self.file.meta.classes).nth(class)
    }

    pub fn class_names(&self) -> impl Iterator<Item = &'a str> + 'a {
        format::names(self.file.meta.classes)
    }

    /// The inputs' column names (empty for images and files without a header).
    pub fn feature_names(&self) -> impl Iterator<Item = &'a str> + 'a {
        format::names(self.file.meta.features)
    }

    /// The shape of image inputs; `None` for tables.
    pub fn image(&self) -> Option<ImageShape> {
        self.file.meta.image
    }

    /// The preprocessing the network was trained with (already applied by the
    /// model's own arithmetic: callers pass values in the data's units).
    pub fn preprocessing(&self) -> Preprocessing<'a> {
        self.file.meta.preprocessing
    }

    /// Where the training data came from (a dataset name or file names).
    pub fn source(&self) -> &'a str {
        format::text(self.file.meta.source)
    }

    /// The training run's name (empty when unknown).
    pub fn run(&self) -> &'a str {
        format::text(self.file.meta.run)
    }

    /// The program that wrote the file.
    pub fn producer(&self) -> &'a str {
        format::text(self.file.meta.producer)
    }

    /// Classifies one sample: `input` holds [`inputs`](Self::inputs) values
    /// in the units of the training data, of any supported type (converted to
    /// [`input_type`](Self::input_type), saturating); `scratch` holds at least
    /// [`scratch_bytes_for`](Self::scratch_bytes_for) bytes starting at a
    /// multiple of [`SCRATCH_ALIGN`]; `scores` is empty or receives the
    /// softmax probabilities of the [`classes`](Self::classes) first entries.
    /// Returns the most probable class (the first largest logit). Never panics.
    pub fn predict<T: Input>(&self, input: &[T], scratch: &mut [u8], scores: &mut [f32]) -> Result<usize, Error> {
        self.predict_slice(T::slice(input), scratch, scores)
    }

    /// [`predict`](Self::predict) for an input whose type is known at run time.
    pub fn predict_slice(&self, input: InputSlice<'_>, scratch: &mut [u8], scores: &mut [f32]) -> Result<usize, Error> {
        if input.len() != self.inputs() {
            return Err(Error::InputLength { expected: self.inputs(), got: input.len() });
        }
        if let Some(index) = input.first_non_finite() {
            return Err(Error::NonFiniteInput { index });
        }
        let needed = self.scratch_bytes_for(input.input_type());
        if scratch.len() < needed {
            return Err(Error::ScratchTooSmall { needed, got: scratch.len() });
        }
        if !scratch.as_ptr().addr().is_multiple_of(SCRATCH_ALIGN) {
            return Err(Error::ScratchMisaligned);
        }
        let classes = self.classes();
        if !scores.is_empty() && scores.len() < classes {
            return Err(Error::ScoresTooSmall { needed: classes, got: scores.len() });
        }
        let scores = scores.get_mut(..classes).unwrap_or(&mut []);
        let mut logits = Logits { scores, best: 0, best_value: f32::NEG_INFINITY, finite: true };
        let row = self.hidden_row_bytes();
        let (rows, input_row) =
            scratch.split_at_mut_checked(2 * row).ok_or(Error::ScratchTooSmall { needed, got: 0 })?;
        let (from, to) = rows.split_at_mut_checked(row).ok_or(Error::ScratchTooSmall { needed, got: 0 })?;
        match self.element() {
            ElementType::F32 => self.forward_f32(input, input_row, from, to, &mut logits)?,
            ElementType::Int8 => self.forward_i8(input, input_row, from, to, &mut logits),
        }
        logits.finish()
    }

    /// Input stage pair `i`: `(center, scale)` (one pair may serve all inputs).
    #[inline(always)]
    fn affine_pair(pairs: &[u8], uniform: bool, i: usize) -> (f32, f32) {
        let at = if uniform { 0 } else { i * AFFINE_PAIR_LEN };
        match pairs.get(at..at + AFFINE_PAIR_LEN) {
            Some(p) => (f32::from_le_bytes([p[0], p[1], p[2], p[3]]), f32::from_le_bytes([p[4], p[5], p[6], p[7]])),
            None => (0.0, 1.0),
        }
    }

    fn forward_f32(
        &self,
        input: InputSlice<'_>,
        input_row: &mut [u8],
        from: &mut [u8],
        to: &mut [u8],
        logits: &mut Logits<'_>,
    ) -> Result<(), Error> {
        let (mut from, mut to) = (cast(from)?, cast(to)?);
        let first: &[f32] = match input {
            InputSlice::F32(x) if self.reads_directly(InputType::F32) => x,
            _ => {
                let row = cast(input_row.get_mut(..self.inputs() * 4).unwrap_or(&mut []))?;
                let (pairs, uniform) = (self.file.affine(), self.file.prefix.affine_pairs == 1);
                let affine = self.input_stage() == InputStage::Affine;
                input.for_each_converted(self.input_type(), |i, x| {
                    let value = if affine {
                        let (center, scale) = Self::affine_pair(pairs, uniform, i);
                        (x - center) * scale
                    } else {
                        x
                    };
                    if let Some(r) = row.get_mut(i) {
                        *r = value;
                    }
                });
                row
            }
        };
        for layer in self.file.layers().map_while(Result::ok) {
            let weights = self.file.array(layer.arrays.weights);
            let bias = self.file.array(layer.arrays.bias);
            let activation = layer.record.activation;
            let fan_in = layer.fan_in;
            let mut hidden = |j: usize, y: f32| {
                if let Some(out) = to.get_mut(j) {
                    *out = y;
                }
            };
            let out: &mut dyn FnMut(usize, f32) = if layer.last { &mut |j, y| logits.push(j, y) } else { &mut hidden };
            let x = if layer.index == 0 { first } else { from.get(..fan_in).unwrap_or(&[]) };
            dense_f32(weights, bias, fan_in, x, activation, out);
            core::mem::swap(&mut from, &mut to);
        }
        Ok(())
    }

    /// The first int8 layer's input bytes, and whether they are unsigned.
    fn int8_input<'b>(&self, input: InputSlice<'b>, row: &'b mut [u8]) -> (&'b [u8], bool) {
        let model_type = self.input_type();
        let unsigned = self.input_stage() == InputStage::Direct && model_type == InputType::U8;
        match (self.reads_directly(input.input_type()), input) {
            (true, InputSlice::U8(x)) => return (x, unsigned),
            (true, InputSlice::I8(x)) => return (bytemuck::cast_slice(x), unsigned),
            _ => {}
        }
        let row = row.get_mut(..self.inputs()).unwrap_or(&mut []);
        let (pairs, uniform) = (self.file.affine(), self.file.prefix.affine_pairs == 1);
        let affine = self.input_stage() == InputStage::Affine;
        let first = self.file.layers().next().and_then(Result::ok);
        let zero_point = first.map_or(0, |l| l.record.input_zero_point);
        input.for_each_converted(model_type, |i, x| {
            let q = if affine {
                let (center, scale) = Self::affine_pair(pairs, uniform, i);
                requant::quantize_input(x, center, scale, zero_point) as i32
            } else {
                // Saturated to the model's u8 or i8 type already: keep the byte.
                x as i32
            };
            if let Some(r) = row.get_mut(i) {
                *r = q as i8 as u8;
            }
        });
        (row, unsigned)
    }

    fn forward_i8(
        &self,
        input: InputSlice<'_>,
        input_row: &mut [u8],
        from: &mut [u8],
        to: &mut [u8],
        logits: &mut Logits<'_>,
    ) {
        let (first, unsigned) = self.int8_input(input, input_row);
        let (mut from, mut to) = (from, to);
        for layer in self.file.layers().map_while(Result::ok) {
            let x = if layer.index == 0 { first } else { from.get(..layer.fan_in).unwrap_or(&[]) };
            if layer.index == 0 && unsigned {
                self.dense_i8::<true>(&layer, x, to, logits);
            } else {
                self.dense_i8::<false>(&layer, x, to, logits);
            }
            core::mem::swap(&mut from, &mut to);
        }
    }

    /// One int8 layer: i32 dot products (inputs unsigned bytes or not), then
    /// either the f32 logits (last layer) or the integer requantisation and
    /// activation into `out`.
    #[inline(always)]
    fn dense_i8<const UNSIGNED: bool>(&self, layer: &Layer, x: &[u8], out: &mut [u8], logits: &mut Logits<'_>) {
        let a = &layer.arrays;
        let stride = row_stride(ElementType::Int8, layer.fan_in).unwrap_or(1).max(1);
        let weights = self.file.array(a.weights);
        let biases = self.file.array(a.bias);
        let mut weight_scales = le_f32s(self.file.array(a.weight_scales));
        let input_scale = layer.record.input_scale;
        if layer.last {
            accumulators::<UNSIGNED>(weights, stride, x, biases, |j, acc| {
                logits.push(j, acc as f32 * (input_scale * weight_scales.next().unwrap_or(0.0)));
            });
            return;
        }
        let table = self.file.array(a.table);
        let form = layer.record.activation.int8();
        let zero_point =
            if form == Int8Activation::Table { layer.record.table_zero_point } else { layer.next_input.1 } as i32;
        // Every form clamps to int8 (ReLU's from its zero point up), the table then maps the value.
        let lowest = if form == Int8Activation::ClampAtZero { zero_point } else { -128 };
        let looks_up = form == Int8Activation::Table;
        let multipliers = self.file.array(a.multiplier).as_chunks::<4>().0;
        let shifts = self.file.array(a.shift);
        accumulators::<UNSIGNED>(weights, stride, x, biases, |j, acc| {
            let (Some(multiplier), Some(&shift), Some(q)) = (multipliers.get(j), shifts.get(j), out.get_mut(j)) else {
                return;
            };
            let v = requant::requantize_i32(acc, i32::from_le_bytes(*multiplier), shift as i8) + zero_point;
            let v = v.clamp(lowest, 127);
            *q = if looks_up { table.get((v + 128) as usize).copied().unwrap_or(0) } else { v as u8 };
        });
    }
}

/// Each output's accumulator `Σ w·x + bias`, handed in order to `emit(j, acc)`:
/// [`ROWS`] rows at a time (each input read once for them), then the rest one by one.
#[inline(always)]
fn accumulators<const UNSIGNED: bool>(
    weights: &[u8],
    stride: usize,
    x: &[u8],
    biases: &[u8],
    mut emit: impl FnMut(usize, i32),
) {
    let biases = biases.as_chunks::<4>().0;
    let bias = |j: usize| biases.get(j).map_or(0, |b| i32::from_le_bytes(*b));
    let blocks = weights.chunks_exact((ROWS * stride).max(1));
    let rest = blocks.remainder();
    let mut j = 0;
    for block in blocks {
        for acc in dot_i8_rows::<UNSIGNED>(block, stride, x) {
            emit(j, acc.wrapping_add(bias(j)));
            j += 1;
        }
    }
    for row in rest.chunks_exact(stride) {
        emit(j, dot_i8::<UNSIGNED>(row, x).wrapping_add(bias(j)));
        j += 1;
    }
}

fn cast(bytes: &mut [u8]) -> Result<&mut [f32], Error> {
    bytemuck::try_cast_slice_mut(bytes).map_err(|_| Error::ScratchMisaligned)
}

/// One f32 layer: `y_j = f(Σ_i w_ji · x_i + b_j)`, handed to `out(j, y_j)`.
#[inline(always)]
fn dense_f32(
    weights: &[u8],
    bias: &[u8],
    fan_in: usize,
    x: &[f32],
    activation: Activation,
    out: &mut dyn FnMut(usize, f32),
) {
    let rows = weights.chunks_exact((fan_in * 4).max(1));
    for (j, (row, b)) in rows.zip(le_f32s(bias)).enumerate() {
        out(j, activation.value(dot_f32(row, x) + b));
    }
}

/// Where the last layer's outputs go: the caller's scores (if any) and a
/// running argmax, so a caller without scores needs no room for them.
struct Logits<'s> {
    scores: &'s mut [f32],
    best: usize,
    best_value: f32,
    finite: bool,
}

impl Logits<'_> {
    #[inline(always)]
    fn push(&mut self, j: usize, value: f32) {
        if let Some(score) = self.scores.get_mut(j) {
            *score = value;
        }
        self.finite &= value.is_finite();
        if value > self.best_value {
            self.best = j;
            self.best_value = value;
        }
    }

    fn finish(self) -> Result<usize, Error> {
        if !self.finite {
            return Err(Error::NonFiniteResult);
        }
        softmax(self.scores);
        Ok(self.best)
    }
}
