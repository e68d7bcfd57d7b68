//! The int8 model run with *float* requantisation between layers, on the
//! host: the same quantised weights, biases and activation ranges, but each
//! hidden output computed as `f(acc · s_in · s_w)` in f32 (the real
//! activation, no table) and rounded to the next layer's int8 domain. What
//! the integer-only device path gives up against it is the fixed-point
//! rounding of the multipliers and the tables' 8-bit pre-activations:
//! `export` prints both accuracies.

use ffn_infer_embedded::format::{Int8Input, Int8Model};
use ffn_infer_embedded::{InputSlice, InputType};

/// The class of one sample (in the data's units), or `None` for a sample
/// of the wrong length.
pub fn classify(model: &Int8Model, input_type: InputType, input: InputSlice<'_>) -> Option<usize> {
    let inputs = *model.sizes.first()?;
    if input.len() != inputs || input.first_non_finite().is_some() {
        return None;
    }
    let first = model.layers.first()?;
    let values = input.converted(input_type).into_iter();
    let mut x: Vec<i32> = match &model.input {
        Int8Input::Direct => values.map(|v| v as i32).collect(),
        Int8Input::Affine { center, scale } => values
            .enumerate()
            .map(|(i, v)| {
                let k = if center.len() == 1 { 0 } else { i };
                ffn_spec::requant::quantize_input(v, center[k], scale[k], first.input_zero_point) as i32
            })
            .collect(),
    };
    let mut logits = Vec::new();
    for (l, layer) in model.layers.iter().enumerate() {
        let n = model.sizes[l];
        let next = model.layers.get(l + 1);
        let y: Vec<f32> = layer
            .weights
            .chunks_exact(n)
            .zip(&layer.bias)
            .zip(&layer.weight_scales)
            .map(|((row, &bias), &w)| {
                let acc: i64 = row.iter().zip(&x).map(|(&q, &v)| q as i64 * v as i64).sum::<i64>() + bias as i64;
                acc as f32 * (layer.input_scale * w)
            })
            .collect();
        match next {
            Some(next) => {
                x = y
                    .iter()
                    .map(|&v| {
                        let z = layer.activation.value(v) / next.input_scale;
                        (z.round() as i32 + next.input_zero_point as i32).clamp(-128, 127)
                    })
                    .collect();
            }
            None => logits = y,
        }
    }
    let mut best = 0;
    for (j, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = j;
        }
    }
    Some(best)
}
