//! `bench-epoch`: seconds per training epoch of the course project's best
//! configuration (4 × 128 ReLU, Xavier, rmsprop lr 1e-4 β 0.9 ε 1e-8, weight
//! decay 5e-4, cross-entropy) on the real Fashion-MNIST training split, at
//! several batch sizes. Data loading is excluded; an "epoch" is one shuffled
//! pass over the training split (gathering the batches included) followed by
//! one validation pass, and both parts are also printed on their own.
//! `benches/compare.sh` runs it beside the NumPy and PyTorch versions of the
//! same model (`benches/python/`). Splits come from `ffn_trainer::data` (54 000
//! training and 6 000 validation images).

use anyhow::{Context, Result, bail};
use clap::Parser;
use ffn_core::model::Model;
use ffn_core::optim::{Hyper, Optimizer};
use ffn_core::rng::{rng_for, shuffle};
use ffn_core::{Init, activation, loss, optim};
use ffn_trainer::data::{self, Dataset, DatasetName, LoadOptions};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Median seconds per epoch of the 4×128 rmsprop model on Fashion-MNIST")]
struct Args {
    /// Batch sizes to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    batch_sizes: Vec<usize>,
    /// Epochs per batch size (the median is reported).
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object per batch size instead of text (for compare.sh).
    #[arg(long)]
    json: bool,
    /// Folder with the Fashion-MNIST files (default: the trainer's search order).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

/// Shuffling stream of the benchmark (the trainer has its own).
const SHUFFLE_STREAM: u64 = 2;
const HIDDEN: [usize; 4] = [128; 4];

fn main() -> Result<()> {
    let args = Args::parse();
    if args.epochs == 0 || args.batch_sizes.contains(&0) {
        bail!("--epochs and every --batch-sizes entry must be at least 1");
    }
    let options = LoadOptions { data_dir: args.data_dir.clone(), ..LoadOptions::default() };
    let Dataset { train, validation, .. } = data::load(DatasetName::FashionMnist, &options)?;
    let width = ffn_core::INPUT_SIZE;
    let mut sizes = vec![width];
    sizes.extend(HIDDEN);
    sizes.push(ffn_core::NUM_CLASSES);
    let relu = activation::by_name("relu").context("ReLU is registered")?;
    let cross_entropy = loss::by_name("cross_entropy").context("cross_entropy is registered")?;
    let rmsprop = optim::by_name("rmsprop").context("rmsprop is registered")?;
    let hyper = Hyper { learning_rate: 1e-4, beta: 0.9, epsilon: 1e-8, weight_decay: 5e-4, ..Hyper::default() };

    if !args.json {
        println!(
            "ffn: {} train / {} validation images, 784-{}-10 ReLU, rmsprop, SIMD level {}",
            train.labels.len(),
            validation.labels.len(),
            HIDDEN.map(|h| h.to_string()).join("-"),
            ffn_core::kernels::level().name()
        );
    }
    for &batch in &args.batch_sizes {
        let mut model = Model::new(&sizes, relu, Init::Xavier, args.seed, batch);
        let mut optimizer = Optimizer::new(rmsprop, hyper, model.params.len());
        let mut rng = rng_for(args.seed, SHUFFLE_STREAM);
        let mut order: Vec<usize> = (0..train.labels.len()).collect();
        let mut batch_images = vec![0.0f32; batch * width];
        let mut batch_labels = vec![0u8; batch];
        let mut epochs = Vec::with_capacity(args.epochs);
        let mut val_accuracy = 0.0;
        for _ in 0..args.epochs {
            let start = Instant::now();
            shuffle(&mut rng, &mut order);
            for chunk in order.chunks(batch) {
                for (row, &index) in chunk.iter().enumerate() {
                    batch_images[row * width..(row + 1) * width]
                        .copy_from_slice(&train.images[index * width..(index + 1) * width]);
                    batch_labels[row] = train.labels[index];
                }
                let rows = chunk.len();
                model.train_step(
                    &batch_images[..rows * width],
                    &batch_labels[..rows],
                    cross_entropy,
                    0.0,
                    &mut optimizer,
                );
            }
            let trained = Instant::now();
            let stats = model.evaluate(&validation.images, &validation.labels, cross_entropy, |_, _| {});
            let done = Instant::now();
            val_accuracy = stats.correct as f64 / validation.labels.len() as f64;
            epochs.push((
                (done - start).as_secs_f64(),
                (trained - start).as_secs_f64(),
                (done - trained).as_secs_f64(),
            ));
        }
        // FNV-1a over the weights' bits: equal digests = bit-identical training.
        let digest = model
            .params
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, w| (h ^ w.to_bits() as u64).wrapping_mul(0x100_0000_01b3));
        epochs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (total, train_s, val_s) = epochs[epochs.len() / 2];
        if args.json {
            println!(
                "{{\"impl\":\"ffn\",\"batch\":{batch},\"epoch_s\":{total:.6},\"train_s\":{train_s:.6},\"val_s\":{val_s:.6},\"epochs\":{},\"val_accuracy\":{val_accuracy:.4},\"digest\":\"{digest:016x}\"}}",
                args.epochs
            );
        } else {
            println!(
                "batch {batch:>4}: {total:.3} s/epoch (train {train_s:.3} s + validation {val_s:.3} s), median of {} epochs, validation accuracy {:.2} %, weights digest {digest:016x}",
                args.epochs,
                100.0 * val_accuracy
            );
        }
    }
    Ok(())
}
