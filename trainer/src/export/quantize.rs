//! f32 → int8, with integer-only requantisation between layers (as TFLite
//! and CMSIS-NN do it):
//! - weights: symmetric, one scale per output channel (`w ≈ q · s_w[j]`);
//! - activations: one asymmetric `(scale, zero point)` per layer input,
//!   calibrated on training samples (the range always holds 0, so ReLU's 0
//!   and the weights' padding are exact);
//! - biases: `i32` in units of `s_in · s_w[j]`, with `−zero point · Σ q`
//!   folded in, so the accumulator needs no correction;
//! - per hidden output channel, `s_in · s_w[j] / s_out` as a fixed-point
//!   multiplier and shift ([`ffn_spec::requant`]); sigmoid and tanh layers
//!   requantise into the domain of a 256-entry table built here with the
//!   shared formula ([`ffn_spec::Activation::value`]).
//!
//! The first layer reads `u8`/`i8` images as they are when they were only
//! divided by a constant (`1/255` is then the exact input scale); otherwise
//! the device quantises the *standardised* input with one per-feature affine
//! map, rather than folding `1/σ` into int8 weights, whose per-channel scale
//! a feature with a tiny σ would blow up.

use anyhow::{Context, bail};
use ffn_core::layers::dense::Dense;
use ffn_core::layout::Layout;
use ffn_infer_embedded::format::{Description, Int8Input, Int8Layer, Int8Model, Network, OwnedPreprocessing, Table};
use ffn_infer_embedded::{InputType, Int8Activation};
use ffn_spec::model_file::{MAX_INT8_PRODUCT, TABLE_LEN};
use ffn_spec::requant::quantize_multiplier;

/// Which part of a layer's activations the 256 int8 steps cover: all of it,
/// or a central quantile that ignores a few outliers (finer steps for
/// everything else).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Calibration {
    Max,
    Quantile(f32),
}

/// Symmetric per-output-channel quantisation of one layer's weights, given in
/// ffn-core's row-major `fan_in × fan_out` order; returns output-major int8
/// weights and one scale per output.
pub fn quantize_weights(weights: &[f32], fan_in: usize, fan_out: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = Vec::with_capacity(fan_in * fan_out);
    let mut scales = Vec::with_capacity(fan_out);
    for j in 0..fan_out {
        let column = (0..fan_in).map(|i| weights[i * fan_out + j]);
        let max = column.clone().fold(0.0f32, |m, w| m.max(w.abs()));
        // An all-zero channel still needs a positive scale (the device refuses others).
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        q.extend(column.map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8));
        scales.push(scale);
    }
    (q, scales)
}

/// The `(scale, zero point)` whose 256 int8 steps cover `[lo, hi]`, widened to hold 0.
pub fn affine_quant(lo: f32, hi: f32) -> (f32, i8) {
    let (lo, hi) = (lo.min(0.0) as f64, hi.max(0.0) as f64);
    let range = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let scale = (range / 255.0) as f32;
    let zero_point = (-128.0 - lo / scale as f64).round().clamp(-128.0, 127.0) as i8;
    (scale, zero_point)
}

/// The `[lo, hi]` range of `values` that the calibration keeps.
fn calibrated_range(values: &[f32], calibration: Calibration) -> (f32, f32) {
    let mut finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return (0.0, 1.0);
    }
    match calibration {
        Calibration::Max => {
            finite.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
        }
        Calibration::Quantile(q) => {
            let q = q.clamp(0.5, 1.0);
            let last = (finite.len() - 1) as f32;
            let hi = *finite.select_nth_unstable_by((last * q).round() as usize, f32::total_cmp).1;
            let lo = *finite.select_nth_unstable_by((last * (1.0 - q)).round() as usize, f32::total_cmp).1;
            (lo, hi)
        }
    }
}

/// Each hidden layer's values before and after its activation, over `inputs`
/// (network inputs, `count × sizes[0]`), by ffn-core's own forward pass.
fn hidden_values(net: &Network, inputs: &[f32]) -> anyhow::Result<Vec<(Vec<f32>, Vec<f32>)>> {
    let layout = Layout::new(&net.sizes).context("model has invalid layer sizes")?;
    let batch = inputs.len() / layout.fan_in(0);
    let mut input = inputs[..batch * layout.fan_in(0)].to_vec();
    let mut values = Vec::new();
    for layer in 0..layout.num_layers() - 1 {
        let name = net.activations[layer].name();
        let spec =
            ffn_core::activation::by_name(name).with_context(|| format!("activation {name} unknown to ffn-core"))?;
        let dense = Dense { batch, fan_in: layout.fan_in(layer), fan_out: layout.fan_out(layer) };
        let mut output = vec![0.0; batch * dense.fan_out];
        dense.forward(&input, &net.params[layout.weights(layer)], &net.params[layout.bias(layer)], &mut output);
        let pre = output.clone();
        (spec.forward)(ffn_core::kernels::Kernels::detect(), (&mut output[..]).into());
        values.push((pre, output.clone()));
        input = output;
    }
    Ok(values)
}

/// The first layer's input: read directly (8-bit values only divided by a
/// constant), or a per-feature affine map calibrated on the network inputs.
fn input_stage(desc: &Description, inputs: &[f32], calibration: Calibration) -> (Int8Input, f32, i8) {
    let direct_scale = match desc.preprocessing {
        OwnedPreprocessing::Identity => Some(1.0),
        OwnedPreprocessing::Divide(divisor) => Some(1.0 / divisor),
        OwnedPreprocessing::Standardize { .. } => None,
    };
    if let (InputType::U8 | InputType::I8, Some(scale)) = (desc.input_type, direct_scale) {
        return (Int8Input::Direct, scale, 0);
    }
    let (lo, hi) = calibrated_range(inputs, calibration);
    let (scale, zero_point) = affine_quant(lo, hi);
    let s = scale as f64;
    let (center, step) = match &desc.preprocessing {
        OwnedPreprocessing::Identity => (vec![0.0], vec![(1.0 / s) as f32]),
        OwnedPreprocessing::Divide(d) => (vec![0.0], vec![(1.0 / (*d as f64 * s)) as f32]),
        OwnedPreprocessing::Standardize { mean, std } => {
            (mean.clone(), std.iter().map(|&sigma| (1.0 / (sigma as f64 * s)) as f32).collect())
        }
    };
    (Int8Input::Affine { center, scale: step }, scale, zero_point)
}

/// A sigmoid/tanh table: int8 pre-activation (domain `pre`) → int8 output (domain `out`).
fn table(activation: ffn_infer_embedded::Activation, pre: (f32, i8), out: (f32, i8)) -> Table {
    let values = (0..TABLE_LEN)
        .map(|k| {
            let x = pre.0 * (k as i32 - 128 - pre.1 as i32) as f32;
            let q = (activation.value(x) / out.0).round() + out.1 as f32;
            q.clamp(-128.0, 127.0) as i8
        })
        .collect();
    Table { scale: pre.0, zero_point: pre.1, values }
}

/// Quantises an f32 network into an int8 model. `inputs` are network inputs
/// (preprocessed, `count × sizes[0]`) from the training data, which set the
/// activation ranges.
pub fn quantize(
    net: &Network,
    desc: &Description,
    inputs: &[f32],
    calibration: Calibration,
) -> anyhow::Result<Int8Model> {
    let hidden = hidden_values(net, inputs)?;
    let (input, mut s_in, mut zp_in) = input_stage(desc, inputs, calibration);
    let layer_count = net.sizes.len() - 1;
    let mut layers = Vec::with_capacity(layer_count);
    for (l, (n, m, weights, bias)) in net.layers().enumerate() {
        let activation = net.activations[l];
        let (q, weight_scales) = quantize_weights(weights, n, m);
        let headroom = i32::MAX as i64 - n as i64 * MAX_INT8_PRODUCT;
        let bias_q = (0..m)
            .map(|j| {
                let row_sum: i64 = q[j * n..(j + 1) * n].iter().map(|&v| v as i64).sum();
                let b =
                    (bias[j] as f64 / (s_in as f64 * weight_scales[j] as f64)).round() as i64 - zp_in as i64 * row_sum;
                if b.abs() > headroom {
                    bail!("layer {l}'s bias {} does not fit the int8 accumulator", bias[j]);
                }
                Ok(b as i32)
            })
            .collect::<anyhow::Result<Vec<i32>>>()?;
        let mut layer = Int8Layer {
            activation,
            input_scale: s_in,
            input_zero_point: zp_in,
            weights: q,
            weight_scales,
            bias: bias_q,
            multiplier: Vec::new(),
            shift: Vec::new(),
            table: None,
        };
        if l + 1 < layer_count {
            let (pre, post) = &hidden[l];
            let (lo, hi) = calibrated_range(post, calibration);
            let out = affine_quant(lo, hi);
            if activation.int8() == Int8Activation::Table {
                let (lo, hi) = calibrated_range(pre, calibration);
                layer.table = Some(table(activation, affine_quant(lo, hi), out));
            }
            let target = layer.table.as_ref().map_or(out.0, |t| t.scale);
            for &w in &layer.weight_scales {
                let real = s_in as f64 * w as f64 / target as f64;
                let (multiplier, shift) = quantize_multiplier(real)
                    .with_context(|| format!("layer {l}'s requantisation multiplier {real:e} is out of range"))?;
                layer.multiplier.push(multiplier);
                layer.shift.push(shift);
            }
            (s_in, zp_in) = out;
        }
        layers.push(layer);
    }
    Ok(Int8Model { sizes: net.sizes.clone(), input, layers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_channel_scales_use_each_columns_own_range() {
        // 2 inputs × 2 outputs, row-major fan_in × fan_out: column 0 = [1, -0.5], column 1 = [0.005, 0.02].
        // (No value lands on a rounding tie: 0.01 would be 63.5 steps, and f32 makes that 63.49…)
        let (q, scales) = quantize_weights(&[1.0, 0.005, -0.5, 0.02], 2, 2);
        assert_eq!(scales, vec![1.0 / 127.0, 0.02 / 127.0]);
        assert_eq!(q, vec![127, -64, 32, 127]);
    }

    #[test]
    fn quantile_ignores_outliers() {
        let mut values = vec![1.0; 999];
        values.push(100.0);
        assert_eq!(calibrated_range(&values, Calibration::Max), (1.0, 100.0));
        assert_eq!(calibrated_range(&values, Calibration::Quantile(0.99)), (1.0, 1.0));
    }

    #[test]
    fn ranges_hold_zero_and_relu_outputs_start_at_the_bottom() {
        assert_eq!(affine_quant(0.0, 2.55), (0.01, -128));
        let (scale, zero_point) = affine_quant(-1.0, 1.0);
        assert!((scale - 2.0 / 255.0).abs() < 1e-7);
        // -128 + 127.5, rounded half away from zero.
        assert_eq!(zero_point, -1);
        // A range away from 0 is widened to hold it.
        assert_eq!(affine_quant(5.0, 10.2).1, -128);
        assert_eq!(affine_quant(-10.2, -5.0).1, 127);
    }

    #[test]
    fn tables_follow_the_activation() {
        use ffn_infer_embedded::Activation;
        let t = table(Activation::Sigmoid, (8.0 / 128.0, 0), (1.0 / 255.0, -128));
        assert!(t.values.windows(2).all(|w| w[0] <= w[1]), "sigmoid is increasing");
        // Pre-activation 0 (k = 128) is 0.5: the middle of [-128, 127].
        assert!((t.values[128] as i32).abs() <= 1, "{}", t.values[128]);
        // -8 and +7.94 saturate to within a step of the ends.
        assert!(t.values[0] <= -127 && t.values[255] >= 126, "{:?}", (t.values[0], t.values[255]));
        let t = table(Activation::Tanh, (4.0 / 128.0, 0), (2.0 / 255.0, 0));
        for k in [0, 40, 128, 200, 255] {
            let x = 4.0 / 128.0 * (k as f32 - 128.0);
            let want = (x.tanh() * 127.5).round();
            assert!((t.values[k] as f32 - want).abs() <= 1.0, "tanh({x}): {} vs {want}", t.values[k]);
        }
    }
}
