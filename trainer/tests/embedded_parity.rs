//! The embedded classifier agrees with the host:
//! - the host f32 path of `ffn-infer-embedded` reproduces ffn-core's own
//!   forward pass (same argmax, probabilities within 1e-4), for every
//!   activation, with the preprocessing folded into the first layer;
//! - the committed int8 firmware model, run in QEMU on six cores (Cortex-M0
//!   microbit, M3 lm3s6965evb, M4F mps2-an386, M7 mps2-an500, M33 mps2-an505,
//!   M55 mps3-an547; the test images streamed over semihosting), predicts
//!   exactly the classes that `ffn-infer-embedded` compiled for the host
//!   predicts for the same 256 test images;
//! - so does a table model that is not MNIST-shaped: 64 standardised f32
//!   features (MNIST pooled to 8×8) → 32 → 10, trained here through ffn-core
//!   and exported to int8 and f32;
//! - and so does, on all six cores, an int8 model whose layer sizes the
//!   kernels cannot take in whole steps (784-37-13-10: the assembly kernels'
//!   last columns and single rows).
//!
//! Needs `qemu-system-arm` and the four Cortex-M targets (`scripts/setup.sh`):
//! without them the QEMU tests are skipped with a message, unless `CI` is set,
//! where they fail.

mod firmware_support;

use ffn_core::model::Model as CoreModel;
use ffn_infer_embedded::format::{Network, encode_f32};
use ffn_infer_embedded::{Activation, InputType, Model};
use ffn_trainer::data::info::DataInfo;
use ffn_trainer::data::{DatasetName, IMAGE_LEN};
use ffn_trainer::export::describe::description;
use firmware_support::{
    Run, default_model_path, host_classes, images, odd_shaped_model, run_firmware, run_on_every_board, scratch_for,
    skip_without_tools, table_model,
};

/// Test images every core classifies (streamed over semihosting: no flash needed).
const FIRMWARE_IMAGES: usize = 256;

/// Compares infer-embedded's f32 path with ffn-core's batched forward pass on real images.
fn assert_f32_parity(sizes: &[usize], activation: Activation, params: Vec<f32>, pixels: &[u8]) {
    let count = pixels.len() / IMAGE_LEN;
    let images: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    let spec = ffn_core::activation::by_name(activation.name()).expect("ffn-core knows every file activation");
    let desc = description(&DataInfo::for_dataset(DatasetName::FashionMnist), InputType::U8, "parity");
    let bytes = encode_f32(&Network::new(sizes, activation, params.clone()), &desc).unwrap();
    let mut core = CoreModel::from_params(sizes, spec, params, count);
    let probabilities = core.forward(&ffn_core::exec::Serial, &images, count);
    let model = Model::from_bytes(&bytes).expect("valid model");
    let mut scratch = scratch_for(&model);
    let mut scores = vec![0.0f32; model.classes()];
    let mut worst = 0.0f32;
    for (k, (image, expected)) in pixels.chunks_exact(IMAGE_LEN).zip(probabilities.chunks_exact(10)).enumerate() {
        let class = model.predict(image, bytemuck::cast_slice_mut(&mut scratch), &mut scores).unwrap();
        for (got, want) in scores.iter().zip(expected) {
            worst = worst.max((got - want).abs());
        }
        let mut ranked: Vec<(usize, f32)> = expected.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        // A near-tie may legitimately flip with a different summation order.
        if ranked[0].1 - ranked[1].1 > 1e-5 {
            assert_eq!(class, ranked[0].0, "{activation:?}: image {k} classified differently");
        }
    }
    assert!(worst < 1e-4, "{activation:?}: probabilities differ by up to {worst}");
}

#[test]
fn host_f32_path_matches_ffn_core_forward() {
    let (pixels, _) = images("fashion-mnist", "t10k");
    let pixels = &pixels[..1000 * IMAGE_LEN];
    // The trained firmware model, dequantised: real weights.
    let trained = ffn_infer_embedded::format::decode(&std::fs::read(default_model_path()).unwrap()).unwrap().network;
    assert_f32_parity(&trained.sizes, Activation::Relu, trained.params, pixels);
    // Every activation, on freshly initialised ffn-core models.
    for activation in Activation::ALL {
        let spec = ffn_core::activation::by_name(activation.name()).unwrap();
        let sizes = [IMAGE_LEN, 48, 24, 10];
        let core = CoreModel::new(&sizes, spec, ffn_core::Init::Xavier, 7, 1);
        assert_f32_parity(&sizes, activation, core.params.to_vec(), &pixels[..300 * IMAGE_LEN]);
    }
}

fn report(what: &str, run: &Run, correct: usize) {
    let count = run.classes.len();
    eprintln!(
        "{what} on {}: {count} samples, {correct} correct, identical to the host; flash {:?} B, RAM {} B (static {} + peak stack {}), {} instructions per inference",
        run.board,
        run.flash,
        run.static_ram + run.peak_stack,
        run.static_ram,
        run.peak_stack,
        run.instructions_per_inference
    );
}

#[test]
fn int8_firmware_on_six_cores_matches_host() {
    if skip_without_tools() {
        return;
    }
    let model = std::fs::read(default_model_path()).unwrap();
    let (pixels, labels) = images("fashion-mnist", "t10k");
    let runs = run_on_every_board(&[], FIRMWARE_IMAGES);
    let samples: Vec<f32> = pixels[..FIRMWARE_IMAGES * IMAGE_LEN].iter().map(|&p| p as f32).collect();
    let host = host_classes(&model, &samples);
    for run in &runs {
        let board = &run.board;
        assert_eq!(run.classes.len(), FIRMWARE_IMAGES, "{board}:\n{}", run.log);
        assert_eq!(run.classes, host, "{board}: QEMU and host predictions differ");
        assert_eq!(run.host_mismatches, 0);
        let correct = run.classes.iter().zip(&labels).filter(|(c, l)| **c == **l as u16).count();
        assert!(correct * 100 >= FIRMWARE_IMAGES * 80, "{board}: {correct}/{FIRMWARE_IMAGES} is not a trained model");
        // The goal for the default int8 model: activations, sample buffer and stack within 4 KiB of RAM.
        assert!(run.static_ram + run.peak_stack <= 4096, "{board}: RAM {} + {}", run.static_ram, run.peak_stack);
        report("int8 4x128", run, correct);
    }
}

#[test]
fn odd_shaped_int8_model_on_six_cores_matches_host() {
    if skip_without_tools() {
        return;
    }
    let model = odd_shaped_model();
    let tmp = tempfile::tempdir().unwrap();
    let model_path = tmp.path().join("odd.int8.ffn");
    std::fs::write(&model_path, &model).unwrap();
    let (pixels, labels) = images("mnist", "t10k");
    let runs = run_on_every_board(&[("FFN_MODEL", model_path.as_path())], FIRMWARE_IMAGES);
    let samples: Vec<f32> = pixels[..FIRMWARE_IMAGES * IMAGE_LEN].iter().map(|&p| p as f32).collect();
    let host = host_classes(&model, &samples);
    for run in &runs {
        let board = &run.board;
        assert_eq!(run.classes, host, "{board}: QEMU and host predictions differ");
        let correct = run.classes.iter().zip(&labels).filter(|(c, l)| **c == **l as u16).count();
        assert!(correct * 100 >= FIRMWARE_IMAGES * 80, "{board}: {correct}/{FIRMWARE_IMAGES} is not a trained model");
        report("int8 784-37-13-10", run, correct);
    }
}

#[test]
fn table_model_in_qemu_matches_host() {
    if skip_without_tools() {
        return;
    }
    let table = table_model(Activation::Relu);
    let tmp = tempfile::tempdir().unwrap();
    let count = FIRMWARE_IMAGES;
    let samples: Vec<u8> = table.test[..count * 64].iter().flat_map(|v| v.to_le_bytes()).collect();
    let labels: Vec<u8> = table.labels[..count].iter().flat_map(|&l| (l as u16).to_le_bytes()).collect();
    let (samples_path, labels_path) = (tmp.path().join("samples.bin"), tmp.path().join("labels.bin"));
    std::fs::write(&samples_path, samples).unwrap();
    std::fs::write(&labels_path, labels).unwrap();
    for (name, bytes) in [("int8", &table.int8), ("f32", &table.f32)] {
        let model_path = tmp.path().join(format!("table.{name}.ffn"));
        std::fs::write(&model_path, bytes).unwrap();
        let env = [("FFN_MODEL", model_path.as_path()), ("FFN_SAMPLES", &samples_path), ("FFN_LABELS", &labels_path)];
        let run = run_firmware("mps2-an386", &[], &env, None);
        assert_eq!(run.classes, host_classes(bytes, &table.test[..count * 64]), "{name}: QEMU and host differ");
        let correct = run.classes.iter().zip(&table.labels).filter(|(c, l)| **c == **l as u16).count();
        assert!(correct * 100 >= count * 85, "{name}: {correct}/{count} correct is not a trained model");
        report(&format!("64-32-10 table model, {name}"), &run, correct);
    }
}

/// Accuracy in percent of `classes` against `labels`.
fn percent(classes: &[u16], labels: &[u8]) -> f64 {
    100.0 * classes.iter().zip(labels).filter(|(c, l)| **c == **l as u16).count() as f64 / classes.len() as f64
}

#[test]
fn int8_tables_stay_close_to_f32_for_sigmoid_and_tanh() {
    for activation in [Activation::Sigmoid, Activation::Tanh] {
        let table = table_model(activation);
        let f32 = percent(&host_classes(&table.f32, &table.test), &table.labels);
        let int8 = percent(&host_classes(&table.int8, &table.test), &table.labels);
        let reference: Vec<u16> = table
            .test
            .chunks_exact(64)
            .map(|s| {
                let input = ffn_infer_embedded::InputSlice::F32(s);
                ffn_trainer::export::reference::classify(&table.quantised, InputType::F32, input).unwrap() as u16
            })
            .collect();
        let float_requant = percent(&reference, &table.labels);
        eprintln!(
            "{activation:?}: f32 {f32:.2} %, int8 {int8:.2} %, int8 with float requantisation {float_requant:.2} %"
        );
        assert!(f32 > 90.0, "{activation:?}: f32 {f32} is not a trained model");
        assert!((int8 - f32).abs() <= 1.0, "{activation:?}: int8 {int8} vs f32 {f32}");
        assert!((int8 - float_requant).abs() <= 0.5, "{activation:?}: integer {int8} vs float {float_requant}");
    }
}
