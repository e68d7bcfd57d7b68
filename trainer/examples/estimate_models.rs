//! Writes the models `ffn export`'s footprint estimate is fitted on
//! (`trainer/src/export/estimate.rs`): untrained (Xavier) networks of
//! varied shapes, since what the device runs does not depend on the weights'
//! values, each as int8 and f32 files fed `u8` images (input read as it is) and
//! `f32` features (standardised: the per-input affine stage), and as f32.
//! `infer-embedded/firmware/estimate-data.sh DIR/*.ffn` then measures them in QEMU.
//!
//! Usage: `cargo run --release -p ffn-trainer --example estimate_models -- DIR`

use ffn_infer_embedded::format::{Description, Network, OwnedPreprocessing, encode_f32, encode_int8, producer};
use ffn_infer_embedded::{Activation, InputType};
use ffn_trainer::export::quantize::{Calibration, quantize};

/// Layer sizes: inputs from 16 to 784, one to four hidden layers, 2 to 10 classes.
const SHAPES: [&[usize]; 6] =
    [&[16, 8, 2], &[64, 48, 10], &[144, 24, 24, 24, 24, 10], &[256, 96, 10], &[400, 16, 16, 4], &[784, 40, 20, 10]];

fn description(inputs: usize, classes: usize, input_type: InputType) -> Description {
    let preprocessing = match input_type {
        InputType::F32 => OwnedPreprocessing::Standardize { mean: vec![100.0; inputs], std: vec![80.0; inputs] },
        _ => OwnedPreprocessing::Divide(255.0),
    };
    Description {
        input_type,
        image: None,
        preprocessing,
        classes: (0..classes).map(|c| c.to_string()).collect(),
        features: Vec::new(),
        // build.rs then streams MNIST test pixels as the samples, whatever the input count.
        source: "mnist".into(),
        run: "estimate-fit".into(),
        producer: producer(),
    }
}

fn main() -> anyhow::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: DIR"))?);
    std::fs::create_dir_all(&dir)?;
    let relu = ffn_core::activation::by_name("relu").expect("relu exists");
    for (k, sizes) in SHAPES.iter().enumerate() {
        let core = ffn_core::model::Model::new(sizes, relu, ffn_core::Init::Xavier, k as u64 + 1, 1);
        let network = Network::new(sizes, Activation::Relu, core.params.to_vec());
        let (inputs, classes) = (sizes[0], sizes[sizes.len() - 1]);
        let name = sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-");
        // Pixels in [0, 1] (after / 255) and standardised features in about [-1.25, 1.9].
        let calibration: Vec<f32> = (0..64 * inputs).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
        for input_type in [InputType::U8, InputType::F32] {
            let desc = description(inputs, classes, input_type);
            let path = dir.join(format!("{name}.{}.f32.ffn", input_type.name()));
            std::fs::write(&path, encode_f32(&network, &desc)?)?;
            println!("{}", path.display());
            let calibration: Vec<f32> = match input_type {
                InputType::F32 => calibration.iter().map(|v| (v * 255.0 - 100.0) / 80.0).collect(),
                _ => calibration.clone(),
            };
            let int8 = quantize(&network, &desc, &calibration, Calibration::Max)?;
            let path = dir.join(format!("{name}.{}.int8.ffn", input_type.name()));
            std::fs::write(&path, encode_int8(&int8, &desc)?)?;
            println!("{}", path.display());
        }
    }
    Ok(())
}
