//! Writing version-2 files: the trainer's side (`std` feature).

use super::check;
use ffn_spec::Activation;
use ffn_spec::model_file::{
    AFFINE_PAIR_LEN, ElementType, ImageShape, InputStage, InputType, LAYER_RECORD_LEN, LayerRecord, Meta, Prefix,
    Preprocessing, Span, TABLE_LEN, affine_offset, first_layer_offset, layer_arrays, row_stride,
};
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

/// A network as ffn-core trains it, reading preprocessed inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// `[inputs, hidden…, classes]`.
    pub sizes: Vec<usize>,
    /// One per layer; the last is identity (softmax follows).
    pub activations: Vec<Activation>,
    /// ffn-core's `Layout` order: per layer, row-major `fan_in × fan_out`
    /// weights, then `fan_out` biases.
    pub params: Vec<f32>,
}

impl Network {
    /// A network whose hidden layers all use `hidden` (what `train` builds).
    pub fn new(sizes: &[usize], hidden: Activation, params: Vec<f32>) -> Self {
        let layers = sizes.len().saturating_sub(1);
        let activations = (0..layers).map(|l| if l + 1 == layers { Activation::Identity } else { hidden }).collect();
        Network { sizes: sizes.to_vec(), activations, params }
    }

    /// The hidden layers' activation (identity for a network without hidden layers).
    pub fn hidden_activation(&self) -> Activation {
        self.activations.first().copied().filter(|_| self.activations.len() > 1).unwrap_or(Activation::Identity)
    }

    /// `(fan_in, fan_out, weights, bias)` per layer.
    pub fn layers(&self) -> impl Iterator<Item = (usize, usize, &[f32], &[f32])> {
        let mut offset = 0;
        self.sizes.windows(2).map(move |w| {
            let (n, m) = (w[0], w[1]);
            let block = self.params.get(offset..offset + n * m + m).unwrap_or(&[]);
            offset += n * m + m;
            let (weights, bias) = block.split_at((n * m).min(block.len()));
            (n, m, weights, bias)
        })
    }

    fn check(&self) -> Result<(), EncodeError> {
        let layers = self.sizes.len().saturating_sub(1);
        let expected: usize = self.sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        if layers == 0 || self.sizes.contains(&0) || self.params.len() != expected {
            return Err(EncodeError(format!("parameters do not match the layer sizes {:?}", self.sizes)));
        }
        if self.activations.len() != layers || self.activations.last() != Some(&Activation::Identity) {
            return Err(EncodeError("one activation per layer, the last one identity".into()));
        }
        if self.params.iter().any(|p| !p.is_finite()) {
            return Err(EncodeError("the network has non-finite weights".into()));
        }
        Ok(())
    }
}

/// How training turned raw values into network inputs (owned [`Preprocessing`]).
#[derive(Clone, Debug, PartialEq)]
pub enum OwnedPreprocessing {
    Identity,
    Divide(f32),
    Standardize { mean: Vec<f32>, std: Vec<f32> },
}

/// What a model file says about its data, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    /// What the device is fed.
    pub input_type: InputType,
    pub image: Option<ImageShape>,
    pub preprocessing: OwnedPreprocessing,
    pub classes: Vec<String>,
    /// Empty, or one name per input.
    pub features: Vec<String>,
    pub source: String,
    pub run: String,
    pub producer: String,
}

/// The input stage of an int8 model.
#[derive(Clone, Debug, PartialEq)]
pub enum Int8Input {
    /// The `u8` or `i8` values are the first layer's quantised input.
    Direct,
    /// `round((x − center_i) · scale_i) + zero point`, one pair for all inputs or one per input.
    Affine { center: Vec<f32>, scale: Vec<f32> },
}

/// An int8 activation table and its input domain.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub scale: f32,
    pub zero_point: i8,
    /// `values[k]` is the output for the requantised pre-activation `k − 128`.
    pub values: Vec<i8>,
}

/// One layer of an int8 model, as the exporter produces it.
#[derive(Clone, Debug, PartialEq)]
pub struct Int8Layer {
    pub activation: Activation,
    /// This layer's input: `real = input_scale · (q − input_zero_point)`.
    pub input_scale: f32,
    pub input_zero_point: i8,
    /// `fan_out × fan_in`, output-major (row `j` = output `j`'s weights).
    pub weights: Vec<i8>,
    /// Per output channel: `w ≈ q · weight_scales[j]`.
    pub weight_scales: Vec<f32>,
    /// In units of `input_scale · weight_scales[j]`, `−input_zero_point · Σ_i q_ji` included.
    pub bias: Vec<i32>,
    /// Hidden layers: the fixed-point `input_scale · weight_scale / output scale`; empty for the last layer.
    pub multiplier: Vec<i32>,
    pub shift: Vec<i8>,
    /// Sigmoid/tanh hidden layers.
    pub table: Option<Table>,
}

/// An int8 model: the input stage and the layers.
#[derive(Clone, Debug, PartialEq)]
pub struct Int8Model {
    pub sizes: Vec<usize>,
    pub input: Int8Input,
    pub layers: Vec<Int8Layer>,
}

/// Why a model cannot be written.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodeError(pub String);

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

/// `|mean| / std` up to which a standardisation is folded into an f32 first
/// layer: folding turns `Σ w·(x − μ)/σ` into `Σ (w/σ)·x − Σ w·μ/σ`, whose two
/// sums cancel to the result, losing up to `log2(|μ|/σ)` of f32's 24 bits
/// (8 at this limit). Beyond it the device standardises (two operations per
/// input) rather than lose precision.
pub const FOLD_LIMIT: f32 = 256.0;

fn names_text(names: &[String], what: &str) -> Result<String, EncodeError> {
    let mut text = String::new();
    for name in names {
        if name.contains('\0') {
            return Err(EncodeError(format!("{what} name {name:?} contains a NUL byte")));
        }
        text.push_str(name);
        text.push('\0');
    }
    Ok(text)
}

/// The payload under construction: arrays are written at the spans the spec gives.
struct Payload(Vec<u8>);

impl Payload {
    fn put(&mut self, span: Span, bytes: impl IntoIterator<Item = u8>) {
        self.0.resize(span.start, 0);
        self.0.extend(bytes);
        debug_assert_eq!(self.0.len(), span.end());
    }

    fn f32s<'a>(values: impl IntoIterator<Item = &'a f32>) -> impl Iterator<Item = u8> {
        values.into_iter().flat_map(|v| v.to_le_bytes())
    }
}

struct Parts<'a> {
    element: ElementType,
    stage: InputStage,
    affine: &'a [(f32, f32)],
    records: Vec<LayerRecord>,
}

/// Prefix, meta, padding, payload and CRC, checked by reading it back.
fn assemble(parts: &Parts<'_>, sizes: &[usize], desc: &Description, payload: Payload) -> Result<Vec<u8>, EncodeError> {
    let inputs = sizes[0];
    let classes = *sizes.last().unwrap_or(&0);
    if desc.classes.len() != classes {
        return Err(EncodeError(format!("{} class names for {classes} classes", desc.classes.len())));
    }
    if !desc.features.is_empty() && desc.features.len() != inputs {
        return Err(EncodeError(format!("{} feature names for {inputs} inputs", desc.features.len())));
    }
    let (mean, std) = match &desc.preprocessing {
        OwnedPreprocessing::Standardize { mean, std } => {
            (mean.iter().flat_map(|v| v.to_le_bytes()).collect(), std.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
        _ => (Vec::new(), Vec::new()),
    };
    let preprocessing = match &desc.preprocessing {
        OwnedPreprocessing::Identity => Preprocessing::Identity,
        OwnedPreprocessing::Divide(divisor) => Preprocessing::Divide { divisor: *divisor },
        OwnedPreprocessing::Standardize { .. } => Preprocessing::Standardize { mean: &mean, std: &std },
    };
    let (classes_text, features_text) = (names_text(&desc.classes, "class")?, names_text(&desc.features, "feature")?);
    let texts: Vec<String> = [&desc.source, &desc.run, &desc.producer]
        .iter()
        .map(|t| names_text(&[t.to_string()], "text"))
        .collect::<Result<_, _>>()?;
    let meta = Meta {
        classes: &classes_text,
        features: &features_text,
        image: desc.image,
        preprocessing,
        source: &texts[0],
        run: &texts[1],
        producer: &texts[2],
    };
    let meta = postcard::to_allocvec(&meta).map_err(|e| EncodeError(format!("cannot encode the header: {e}")))?;
    let too_big = || EncodeError("the model does not fit the file format's 32-bit sizes".into());
    let prefix = Prefix {
        element: parts.element,
        input_type: desc.input_type,
        input_stage: parts.stage,
        inputs: u32::try_from(inputs).map_err(|_| too_big())?,
        layers: u32::try_from(parts.records.len()).map_err(|_| too_big())?,
        affine_pairs: parts.affine.len() as u32,
        meta_len: u32::try_from(meta.len()).map_err(|_| too_big())?,
        payload_len: 0,
    };
    let mut payload = payload.0;
    for (k, record) in parts.records.iter().enumerate() {
        payload[k * LAYER_RECORD_LEN..(k + 1) * LAYER_RECORD_LEN].copy_from_slice(&record.to_bytes());
    }
    let prefix = Prefix { payload_len: u32::try_from(payload.len()).map_err(|_| too_big())?, ..prefix };
    let mut bytes = prefix.to_bytes().to_vec();
    bytes.extend(&meta);
    bytes.resize(prefix.payload_offset().ok_or_else(too_big)?, 0);
    bytes.extend(&payload);
    bytes.extend(crc32fast::hash(&bytes).to_le_bytes());
    check(&bytes).map_err(|e| EncodeError(format!("the written model does not validate: {e}")))?;
    Ok(bytes)
}

/// The payload with room for the layer table and the input stage's pairs.
fn start_payload(layers: usize, affine: &[(f32, f32)]) -> Payload {
    let mut payload = Payload(vec![0; layers * LAYER_RECORD_LEN]);
    let span = Span { start: affine_offset(layers).unwrap_or(0), len: affine.len() * AFFINE_PAIR_LEN };
    payload.put(span, affine.iter().flat_map(|(c, s)| c.to_le_bytes().into_iter().chain(s.to_le_bytes())));
    payload
}

/// Encodes an f32 model, folding the preprocessing into the first layer where
/// that loses no precision ([`FOLD_LIMIT`]), so the device pays nothing for it.
pub fn encode_f32(net: &Network, desc: &Description) -> Result<Vec<u8>, EncodeError> {
    net.check()?;
    let inputs = net.sizes[0];
    let (stage, affine, first) = fold(net, &desc.preprocessing, inputs)?;
    let layers = net.sizes.len() - 1;
    let mut payload = start_payload(layers, &affine);
    let mut at = first_layer_offset(layers, affine.len()).unwrap_or(0);
    let mut records = Vec::with_capacity(layers);
    for (l, ((n, m, weights, bias), activation)) in net.layers().zip(&net.activations).enumerate() {
        let (weights, bias) = match (l, &first) {
            (0, Some((w, b))) => (w.as_slice(), b.as_slice()),
            _ => (weights, bias),
        };
        let last = l + 1 == layers;
        let arrays = layer_arrays(ElementType::F32, n, m, *activation, last, at)
            .ok_or_else(|| EncodeError("layer sizes overflow".into()))?;
        // Output-major: row j holds output j's weights (ffn-core stores column j).
        payload.put(arrays.weights, (0..m).flat_map(|j| (0..n).flat_map(move |i| weights[i * m + j].to_le_bytes())));
        payload.put(arrays.bias, Payload::f32s(bias));
        at = arrays.end;
        records.push(LayerRecord {
            fan_out: m as u32,
            activation: *activation,
            input_zero_point: 0,
            table_zero_point: 0,
            input_scale: 0.0,
            table_scale: 0.0,
        });
    }
    let parts = Parts { element: ElementType::F32, stage, affine: &affine, records };
    assemble(&parts, &net.sizes, desc, payload)
}

/// The first layer's folded weights and biases.
type FirstLayer = Option<(Vec<f32>, Vec<f32>)>;
/// An f32 model's input stage, its `(center, scale)` pairs and the folded first layer.
type Folded = (InputStage, Vec<(f32, f32)>, FirstLayer);

/// The input stage of an f32 model, and the first layer's folded weights and
/// biases when the preprocessing folds into them.
fn fold(net: &Network, preprocessing: &OwnedPreprocessing, inputs: usize) -> Result<Folded, EncodeError> {
    let (n, m, weights, bias) = net.layers().next().ok_or_else(|| EncodeError("no layers".into()))?;
    // Input i's weights scaled by 1/divisor_i, and the bias shifted by Σ w·center/divisor, in f64.
    let folded = |divisor: &dyn Fn(usize) -> f64, center: &dyn Fn(usize) -> f64| {
        let w: Vec<f32> = (0..n * m).map(|k| (weights[k] as f64 / divisor(k / m)) as f32).collect();
        let b: Vec<f32> = (0..m)
            .map(|j| {
                let shift: f64 = (0..n).map(|i| weights[i * m + j] as f64 * center(i) / divisor(i)).sum();
                (bias[j] as f64 - shift) as f32
            })
            .collect();
        Some((w, b))
    };
    match preprocessing {
        OwnedPreprocessing::Identity => Ok((InputStage::Direct, Vec::new(), None)),
        OwnedPreprocessing::Divide(d) => {
            let d = *d as f64;
            Ok((InputStage::Direct, Vec::new(), folded(&|_| d, &|_| 0.0)))
        }
        OwnedPreprocessing::Standardize { mean, std } => {
            if mean.len() != inputs || std.len() != inputs {
                return Err(EncodeError(format!("standardisation statistics for {} inputs, not {inputs}", mean.len())));
            }
            let foldable = mean.iter().zip(std).all(|(mu, sigma)| mu.abs() <= FOLD_LIMIT * sigma);
            if foldable {
                Ok((InputStage::Direct, Vec::new(), folded(&|i| std[i] as f64, &|i| mean[i] as f64)))
            } else {
                let pairs = mean.iter().zip(std).map(|(&mu, &sigma)| (mu, (1.0 / sigma as f64) as f32)).collect();
                Ok((InputStage::Affine, pairs, None))
            }
        }
    }
}

/// Encodes an int8 model (its quantisation is the exporter's work).
pub fn encode_int8(model: &Int8Model, desc: &Description) -> Result<Vec<u8>, EncodeError> {
    let sizes = &model.sizes;
    let layers = model.layers.len();
    if layers == 0 || sizes.len() != layers + 1 || sizes.contains(&0) {
        return Err(EncodeError(format!("{layers} int8 layers for sizes {sizes:?}")));
    }
    let (stage, affine): (InputStage, Vec<(f32, f32)>) = match &model.input {
        Int8Input::Direct => (InputStage::Direct, Vec::new()),
        Int8Input::Affine { center, scale } => {
            (InputStage::Affine, center.iter().copied().zip(scale.iter().copied()).collect())
        }
    };
    let mut payload = start_payload(layers, &affine);
    let mut at = first_layer_offset(layers, affine.len()).unwrap_or(0);
    let mut records = Vec::with_capacity(layers);
    for (l, (layer, w)) in model.layers.iter().zip(sizes.windows(2)).enumerate() {
        let (n, m) = (w[0], w[1]);
        let last = l + 1 == layers;
        let shapes_ok = layer.weights.len() == n * m
            && layer.weight_scales.len() == m
            && layer.bias.len() == m
            && layer.multiplier.len() == if last { 0 } else { m }
            && layer.shift.len() == layer.multiplier.len()
            && layer.table.as_ref().is_none_or(|t| t.values.len() == TABLE_LEN);
        if !shapes_ok {
            return Err(EncodeError(format!("int8 layer {l} does not match its sizes {n} → {m}")));
        }
        let arrays = layer_arrays(ElementType::Int8, n, m, layer.activation, last, at)
            .ok_or_else(|| EncodeError("layer sizes overflow".into()))?;
        let stride = row_stride(ElementType::Int8, n).unwrap_or(n);
        let rows = layer.weights.chunks_exact(n.max(1));
        payload.put(arrays.weights, rows.flat_map(|row| row.iter().map(|&q| q as u8).chain(vec![0; stride - n])));
        payload.put(arrays.weight_scales, Payload::f32s(&layer.weight_scales));
        payload.put(arrays.bias, layer.bias.iter().flat_map(|b| b.to_le_bytes()));
        payload.put(arrays.multiplier, layer.multiplier.iter().flat_map(|v| v.to_le_bytes()));
        payload.put(arrays.shift, layer.shift.iter().map(|&s| s as u8));
        if let Some(table) = &layer.table {
            payload.put(arrays.table, table.values.iter().map(|&v| v as u8));
        }
        at = arrays.end;
        records.push(LayerRecord {
            fan_out: m as u32,
            activation: layer.activation,
            input_zero_point: layer.input_zero_point,
            table_zero_point: layer.table.as_ref().map_or(0, |t| t.zero_point),
            input_scale: layer.input_scale,
            table_scale: layer.table.as_ref().map_or(0.0, |t| t.scale),
        });
    }
    // A layer without table but with an activation that needs one is refused by the check.
    let parts = Parts { element: ElementType::Int8, stage, affine: &affine, records };
    assemble(&parts, sizes, desc, payload)
}

impl Description {
    /// The names a model gets when nothing better is known: classes `0…`,
    /// no features, raw values used as they are.
    pub fn unnamed(classes: usize, input_type: InputType) -> Self {
        Description {
            input_type,
            image: None,
            preprocessing: OwnedPreprocessing::Identity,
            classes: (0..classes).map(|c| c.to_string()).collect(),
            features: Vec::new(),
            source: String::new(),
            run: String::new(),
            producer: producer(),
        }
    }
}

/// `ffn-infer-embedded <version>`: who wrote a file.
pub fn producer() -> String {
    format!("ffn {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_nul_terminated() {
        assert_eq!(names_text(&["a".into(), "bc".into()], "class").unwrap(), "a\0bc\0");
        assert!(names_text(&["a\0b".into()], "class").is_err());
    }
}
