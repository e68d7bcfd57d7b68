//! End to end on the real data: a small network trained for a few hundred
//! steps on a slice of the Fashion-MNIST training set must classify 1000
//! images of the official test set clearly better than chance.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use ffn_core::Init;
use ffn_core::activation;
use ffn_core::exec::Serial;
use ffn_core::loss;
use ffn_core::model::Model;
use ffn_core::optim::{self, Hyper, Optimizer};
use flate2::read::GzDecoder;

/// Pixels per image (28 × 28) and classes of Fashion-MNIST.
const INPUT_SIZE: usize = 784;
const NUM_CLASSES: usize = 10;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist")
}

/// The payload of a gzipped IDX file after checking its header: magic
/// `0x0000_08_dims` (unsigned bytes) and the expected trailing dimensions.
fn read_idx(name: &str, dims: &[u32]) -> (usize, Vec<u8>) {
    let path = data_dir().join(name);
    let file =
        File::open(&path).unwrap_or_else(|e| panic!("{}: {e} (the shared data set is required)", path.display()));
    let mut bytes = Vec::new();
    GzDecoder::new(file).read_to_end(&mut bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    assert_eq!(word(0), 0x0800 | (dims.len() as u32 + 1), "{name}: not an IDX u8 file of the expected rank");
    let count = word(1) as usize;
    for (i, &d) in dims.iter().enumerate() {
        assert_eq!(word(2 + i), d, "{name}: dimension {i}");
    }
    let header = 4 * (2 + dims.len());
    let payload = bytes.split_off(header);
    assert_eq!(payload.len(), count * dims.iter().product::<u32>() as usize, "{name}: truncated");
    (count, payload)
}

/// The first `rows` images (scaled to [0, 1]) and labels of a split.
fn load(split: &str, rows: usize) -> (Vec<f32>, Vec<u32>) {
    let (count, pixels) = read_idx(&format!("{split}-images-idx3-ubyte.gz"), &[28, 28]);
    let (label_count, labels) = read_idx(&format!("{split}-labels-idx1-ubyte.gz"), &[]);
    assert_eq!(count, label_count);
    assert!(rows <= count);
    assert!(labels.iter().all(|&l| (l as usize) < NUM_CLASSES));
    let inputs = pixels[..rows * INPUT_SIZE].iter().map(|&p| p as f32 / 255.0).collect();
    (inputs, labels[..rows].iter().map(|&l| l as u32).collect())
}

#[test]
fn small_model_learns_real_fashion_mnist() {
    const BATCH: usize = 32;
    const STEPS: usize = 400;
    let (train_inputs, train_labels) = load("train", BATCH * STEPS);
    let (test_inputs, test_labels) = load("t10k", 1000);

    let relu = activation::by_name("ReLU").unwrap();
    let cross_entropy = loss::by_name("cross_entropy").unwrap();
    let mut model = Model::new(&[INPUT_SIZE, 64, NUM_CLASSES], relu, Init::Xavier, 42, BATCH);
    let hyper = Hyper { learning_rate: 1e-3, ..Hyper::default() };
    let mut optimizer = Optimizer::new(optim::by_name("adam").unwrap(), hyper, model.params.len());

    // The file is not sorted by class, so its first rows are a fair sample.
    for class in 0..NUM_CLASSES as u32 {
        let share = train_labels.iter().filter(|&&l| l == class).count() as f32 / train_labels.len() as f32;
        assert!((0.08..0.12).contains(&share), "class {class} makes up {share} of the training slice");
    }
    let before = model.evaluate(&Serial, &test_inputs, &test_labels, cross_entropy, |_, _| {});
    let mut losses = Vec::with_capacity(STEPS);
    // One pass over 12 800 distinct training images.
    for (inputs, labels) in train_inputs.chunks(BATCH * INPUT_SIZE).zip(train_labels.chunks(BATCH)) {
        let stats = model.train_step(&Serial, inputs, labels, cross_entropy, 0.0, &mut optimizer);
        losses.push(stats.loss_sum / labels.len() as f32);
    }
    assert_eq!(losses.len(), STEPS);
    let after = model.evaluate(&Serial, &test_inputs, &test_labels, cross_entropy, |_, _| {});
    let accuracy = after.correct as f32 / test_labels.len() as f32;
    let mean = |xs: &[f32]| xs.iter().sum::<f32>() / xs.len() as f32;
    let (first, last) = (mean(&losses[..50]), mean(&losses[STEPS - 50..]));
    println!(
        "test accuracy {:.1}% → {:.1}%, test loss {:.3} → {:.3}, train loss (50-step means) {first:.3} → {last:.3}",
        100.0 * before.correct as f32 / 1000.0,
        100.0 * accuracy,
        before.loss_sum / 1000.0,
        after.loss_sum / 1000.0
    );
    // Chance is 10%; a linear softmax model reaches ~84% on Fashion-MNIST, and
    // this one gets ~83% after 400 steps. 70% leaves room for any seed or
    // summation-order change, yet a broken gradient, update or data path
    // (wrong sign, transposed weights, missing scaling) stays far below it.
    assert!(accuracy >= 0.70, "test accuracy {:.1}% after {STEPS} steps", 100.0 * accuracy);
    assert!(last < 0.6 * first, "training loss barely fell: {first} → {last}");
    assert!(after.loss_sum < 0.5 * before.loss_sum);
}
