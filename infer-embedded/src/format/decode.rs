//! Reading any model file back on the host (`std` feature): the network as
//! trained, the description, and for int8 files the quantised layers.

use super::write::{Description, Int8Input, Int8Layer, Int8Model, Network, OwnedPreprocessing, Table};
use super::{ElementType, InputStage, Preprocessing, VERSION_1, check, le_f32s, le_i32s, names, text, v1};
use crate::Error;
use ffn_spec::model_file::{AFFINE_PAIR_LEN, row_stride};
use std::string::ToString;
use std::vec;
use std::vec::Vec;

/// A model file read back.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The file's format version (1 or 2).
    pub version: u8,
    pub element: ElementType,
    /// The network as trained, reading preprocessed inputs: a folded
    /// preprocessing is unfolded, int8 weights and biases are dequantised.
    pub network: Network,
    /// Names, preprocessing and provenance; `None` for version-1 files, which carry none.
    pub description: Option<Description>,
    /// The quantised layers of an int8 version-2 file.
    pub int8: Option<Int8Model>,
}

/// Decodes a version-1 or version-2 file, checked as the device checks it.
pub fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
    if bytes.len() > 4 && bytes[4] == VERSION_1 && bytes[..4] == super::MAGIC {
        let (element, network) = v1::decode(bytes)?;
        return Ok(Decoded { version: VERSION_1, element, network, description: None, int8: None });
    }
    let file = check(bytes)?;
    let meta = &file.meta;
    let floats = |bytes: &[u8]| le_f32s(bytes).collect::<Vec<f32>>();
    let preprocessing = match meta.preprocessing {
        Preprocessing::Identity => OwnedPreprocessing::Identity,
        Preprocessing::Divide { divisor } => OwnedPreprocessing::Divide(divisor),
        Preprocessing::Standardize { mean, std } => {
            OwnedPreprocessing::Standardize { mean: floats(mean), std: floats(std) }
        }
    };
    let description = Description {
        input_type: file.prefix.input_type,
        image: meta.image,
        preprocessing,
        classes: names(meta.classes).map(ToString::to_string).collect(),
        features: names(meta.features).map(ToString::to_string).collect(),
        source: text(meta.source).to_string(),
        run: text(meta.run).to_string(),
        producer: text(meta.producer).to_string(),
    };
    let layers: Vec<_> = file.layers().collect::<Result<_, _>>()?;
    let mut sizes = vec![file.inputs()];
    sizes.extend(layers.iter().map(|l| l.fan_out));
    let activations = layers.iter().map(|l| l.record.activation).collect();
    let total: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
    let mut params = Vec::with_capacity(total);
    let mut int8_layers = Vec::new();
    for layer in &layers {
        let (n, m) = (layer.fan_in, layer.fan_out);
        let a = &layer.arrays;
        let (mut weights, mut bias) = (vec![0.0f32; n * m], vec![0.0f32; m]);
        match file.element() {
            ElementType::F32 => {
                for (k, w) in le_f32s(file.array(a.weights)).enumerate() {
                    weights[(k % n) * m + k / n] = w;
                }
                bias = floats(file.array(a.bias));
            }
            ElementType::Int8 => {
                let stride = row_stride(ElementType::Int8, n).unwrap_or(n);
                let q: Vec<i8> = file
                    .array(a.weights)
                    .chunks_exact(stride)
                    .flat_map(|row| row[..n].iter().map(|&b| b as i8))
                    .collect();
                let scales = floats(file.array(a.weight_scales));
                let bias_q: Vec<i32> = le_i32s(file.array(a.bias)).collect();
                let (s_in, zp) = (layer.record.input_scale as f64, layer.record.input_zero_point as f64);
                for j in 0..m {
                    let row = &q[j * n..(j + 1) * n];
                    for (i, &v) in row.iter().enumerate() {
                        weights[i * m + j] = v as f32 * scales[j];
                    }
                    let sum: f64 = row.iter().map(|&v| v as f64).sum();
                    bias[j] = ((bias_q[j] as f64 + zp * sum) * s_in * scales[j] as f64) as f32;
                }
                let table = (!file.array(a.table).is_empty()).then(|| Table {
                    scale: layer.record.table_scale,
                    zero_point: layer.record.table_zero_point,
                    values: file.array(a.table).iter().map(|&v| v as i8).collect(),
                });
                int8_layers.push(Int8Layer {
                    activation: layer.record.activation,
                    input_scale: layer.record.input_scale,
                    input_zero_point: layer.record.input_zero_point,
                    weights: q,
                    weight_scales: scales,
                    bias: bias_q,
                    multiplier: le_i32s(file.array(a.multiplier)).collect(),
                    shift: file.array(a.shift).iter().map(|&s| s as i8).collect(),
                    table,
                });
            }
        }
        if layer.index == 0 && file.element() == ElementType::F32 && file.prefix.input_stage == InputStage::Direct {
            unfold(&description.preprocessing, n, m, &mut weights, &mut bias);
        }
        params.extend(weights);
        params.extend(bias);
    }
    let int8 = (file.element() == ElementType::Int8).then(|| {
        let pairs: Vec<(f32, f32)> = file
            .affine()
            .chunks_exact(AFFINE_PAIR_LEN)
            .map(|p| (f32::from_le_bytes(p[..4].try_into().unwrap()), f32::from_le_bytes(p[4..].try_into().unwrap())))
            .collect();
        let input = match file.prefix.input_stage {
            InputStage::Direct => Int8Input::Direct,
            InputStage::Affine => Int8Input::Affine {
                center: pairs.iter().map(|p| p.0).collect(),
                scale: pairs.iter().map(|p| p.1).collect(),
            },
        };
        Int8Model { sizes: sizes.clone(), input, layers: int8_layers }
    });
    Ok(Decoded {
        version: super::VERSION,
        element: file.element(),
        network: Network { sizes, activations, params },
        description: Some(description),
        int8,
    })
}

/// Undoes the folding of `encode_f32`: `w = w'·σ_i` (or `·divisor`), `b = b' + Σ_i w'_ji·μ_i`.
fn unfold(preprocessing: &OwnedPreprocessing, n: usize, m: usize, weights: &mut [f32], bias: &mut [f32]) {
    let (divisor, center): (Vec<f64>, Vec<f64>) = match preprocessing {
        OwnedPreprocessing::Identity => return,
        OwnedPreprocessing::Divide(d) => (vec![*d as f64; n], vec![0.0; n]),
        OwnedPreprocessing::Standardize { mean, std } => {
            (std.iter().map(|&s| s as f64).collect(), mean.iter().map(|&c| c as f64).collect())
        }
    };
    for (j, b) in bias.iter_mut().enumerate() {
        let shift: f64 = (0..n).map(|i| weights[i * m + j] as f64 * center[i]).sum();
        *b = (*b as f64 + shift) as f32;
    }
    for (k, w) in weights.iter_mut().enumerate() {
        *w = (*w as f64 * divisor[k / m]) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::super::write::{encode_f32, producer};
    use super::*;
    use ffn_spec::Activation;
    use ffn_spec::model_file::{ImageShape, InputType};
    use std::string::String;

    fn network(sizes: &[usize], activation: Activation) -> Network {
        let n: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        Network::new(sizes, activation, (0..n).map(|i| (i as f32 * 0.37).sin()).collect())
    }

    fn description(inputs: usize, classes: usize, preprocessing: OwnedPreprocessing) -> Description {
        Description {
            input_type: InputType::F32,
            image: None,
            preprocessing,
            classes: (0..classes).map(|c| std::format!("class {c}")).collect(),
            features: (0..inputs).map(|i| std::format!("f{i}")).collect(),
            source: "test.csv".into(),
            run: "run-1".into(),
            producer: producer(),
        }
    }

    #[test]
    fn f32_round_trip_keeps_layout_order_and_names() {
        let net = network(&[5, 3, 4, 3], Activation::Tanh);
        let desc = description(5, 3, OwnedPreprocessing::Identity);
        let back = decode(&encode_f32(&net, &desc).unwrap()).unwrap();
        assert_eq!(back.network, net);
        assert_eq!(back.description.as_ref(), Some(&desc));
        assert_eq!((back.version, back.element, back.int8), (2, ElementType::F32, None));
    }

    #[test]
    fn folded_preprocessing_unfolds() {
        let net = network(&[4, 6, 2], Activation::Relu);
        let standardize =
            OwnedPreprocessing::Standardize { mean: vec![1.0, -20.0, 300.0, 0.5], std: vec![2.0, 0.5, 10.0, 1.0] };
        for preprocessing in [OwnedPreprocessing::Divide(255.0), standardize] {
            let mut desc = description(4, 2, preprocessing);
            desc.image = matches!(desc.preprocessing, OwnedPreprocessing::Divide(_)).then_some(ImageShape {
                height: 2,
                width: 2,
                channels: 1,
            });
            let bytes = encode_f32(&net, &desc).unwrap();
            assert_eq!(bytes[7], InputStage::Direct as u8, "folded");
            let back = decode(&bytes).unwrap().network;
            for (a, b) in back.params.iter().zip(&net.params) {
                assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn far_from_zero_means_are_not_folded() {
        let net = network(&[2, 3, 2], Activation::Sigmoid);
        let desc = description(2, 2, OwnedPreprocessing::Standardize { mean: vec![1e6, 0.0], std: vec![1.0, 1.0] });
        let bytes = encode_f32(&net, &desc).unwrap();
        assert_eq!(bytes[7], InputStage::Affine as u8);
        assert_eq!(decode(&bytes).unwrap().network, net);
    }

    #[test]
    fn version_1_files_decode() {
        let net = network(&[784, 3, 10], Activation::Relu);
        let back = decode(&v1::encode_f32(&net)).unwrap();
        assert_eq!((back.version, back.element, back.network), (1, ElementType::F32, net));
        assert_eq!(back.description, None);
        let _ = String::new();
    }
}
