//! f32 → int8: symmetric per-output-channel weight scales, and per-layer
//! activation scales calibrated on a sample of training images.
//!
//! The device computes, for output `j` of a layer with int8 input `x` (scale
//! `s_in`): `y_j = (Σ q_ji·x_i) · s_in · s_w[j] + b_j` with an i32 sum, applies
//! the activation in f32 and rounds `y / s_out` back to int8. So a layer needs
//! `s_w` per output (from its weights) and `s_in` (from the data).

use ffn_core::layers::dense::Dense;
use ffn_core::layout::Layout;
use ffn_infer_embedded::format::{DecodedModel, Int8Layer, PIXEL_SCALE};

/// Which activation magnitude becomes ±127: the largest seen, or a high
/// quantile that ignores a few outliers (finer steps for everything else).
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
        // An all-zero channel still needs a positive scale (the device checks none).
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        q.extend(column.map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8));
        scales.push(scale);
    }
    (q, scales)
}

/// The f32 forward pass over `images` (row-major, `count × 784`, in `[0, 1]`),
/// returning each hidden layer's activations (the inputs of layers 1…).
fn hidden_activations(model: &DecodedModel, images: &[f32]) -> anyhow::Result<Vec<Vec<f32>>> {
    let layout = Layout::new(&model.sizes).ok_or_else(|| anyhow::anyhow!("model has invalid layer sizes"))?;
    let spec = ffn_core::activation::by_name(model.activation.name())
        .ok_or_else(|| anyhow::anyhow!("activation {} unknown to ffn-core", model.activation.name()))?;
    let batch = images.len() / layout.fan_in(0);
    let mut outputs = Vec::new();
    let mut input = images[..batch * layout.fan_in(0)].to_vec();
    for layer in 0..layout.num_layers() - 1 {
        let dense = Dense { batch, fan_in: layout.fan_in(layer), fan_out: layout.fan_out(layer) };
        let mut output = vec![0.0; batch * dense.fan_out];
        dense.forward(&input, &model.params[layout.weights(layer)], &model.params[layout.bias(layer)], &mut output);
        (spec.forward)(ffn_core::kernels::Kernels::detect(), (&mut output[..]).into());
        outputs.push(output.clone());
        input = output;
    }
    Ok(outputs)
}

/// The activation magnitude that maps to 127.
fn calibrated_range(values: &[f32], calibration: Calibration) -> f32 {
    let mut magnitudes: Vec<f32> = values.iter().map(|v| v.abs()).filter(|v| v.is_finite()).collect();
    if magnitudes.is_empty() {
        return 1.0;
    }
    let range = match calibration {
        Calibration::Max => magnitudes.iter().copied().fold(0.0, f32::max),
        Calibration::Quantile(q) => {
            let k = ((magnitudes.len() - 1) as f32 * q.clamp(0.0, 1.0)).round() as usize;
            *magnitudes.select_nth_unstable_by(k, f32::total_cmp).1
        }
    };
    if range > 0.0 { range } else { 1.0 }
}

/// Quantises an f32 model (ffn-core order) into int8 layers; `calibration_images`
/// is a sample of training images (`count × 784`, in `[0, 1]`).
pub fn quantize(
    model: &DecodedModel,
    calibration_images: &[f32],
    calibration: Calibration,
) -> anyhow::Result<Vec<Int8Layer>> {
    let layout = Layout::new(&model.sizes).ok_or_else(|| anyhow::anyhow!("model has invalid layer sizes"))?;
    let hidden = hidden_activations(model, calibration_images)?;
    let mut layers = Vec::with_capacity(layout.num_layers());
    for layer in 0..layout.num_layers() {
        let (weights, weight_scales) =
            quantize_weights(&model.params[layout.weights(layer)], layout.fan_in(layer), layout.fan_out(layer));
        let input_scale =
            if layer == 0 { PIXEL_SCALE } else { calibrated_range(&hidden[layer - 1], calibration) / 127.0 };
        layers.push(Int8Layer { weights, weight_scales, bias: model.params[layout.bias(layer)].to_vec(), input_scale });
    }
    Ok(layers)
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
        assert_eq!(calibrated_range(&values, Calibration::Max), 100.0);
        assert_eq!(calibrated_range(&values, Calibration::Quantile(0.99)), 1.0);
    }
}
