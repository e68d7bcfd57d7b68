//! `ffn bench-epoch`: seconds per training epoch of the course project's best
//! configuration (4 × 128 ReLU, Xavier, rmsprop lr 1e-4 β 0.9 ε 1e-8, weight
//! decay 5e-4, cross-entropy) on the real Fashion-MNIST training split, at
//! several batch sizes. Data loading is excluded; an "epoch" is one shuffled
//! pass over the training split (gathering the batches included, as `train`
//! does: each batch while the step before trains, on the helper thread up to
//! batch 64) followed by one validation pass, and both parts are also printed
//! on their own.
//! `benches/compare.sh` runs it beside the NumPy and PyTorch versions of the
//! same model (`benches/python/`). Splits come from `crate::data` (54 000
//! training and 6 000 validation images).

use crate::data::{self, Batches, CLASSES, Dataset, DatasetName, IMAGE_LEN, LoadOptions};
use crate::huge_pages;
use crate::run::EVAL_BATCH;
use anyhow::{Context, Result, bail};
use clap::Parser;
use ffn_core::exec::Executor;
use ffn_core::kernels::Kernels;
use ffn_core::kernels::gemm::{Start, packed};
use ffn_core::matrix::MatRef;
use ffn_core::model::Model;
use ffn_core::optim::{Hyper, Optimizer};
use ffn_core::rng::{rng_for, shuffle};
use ffn_core::shared::SharedMut;
use ffn_core::{Init, activation, loss, optim};
use ffn_pool::Pool;
use std::ffi::OsString;
use std::ops::ControlFlow;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Median seconds per epoch of the 4×128 rmsprop model on Fashion-MNIST")]
pub struct Args {
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
    /// Batch size of the GEMM throughput comparison (0 = skip it).
    #[arg(long, default_value_t = 256)]
    gemm_batch: usize,
    /// Folder with the Fashion-MNIST files (default: the trainer's search order).
    #[arg(long = "data_dir", visible_alias = "data-dir")]
    data_dir: Option<std::path::PathBuf>,
}

/// Shuffling stream of the benchmark (the trainer has its own).
const SHUFFLE_STREAM: u64 = 2;
const HIDDEN: [usize; 4] = [128; 4];

/// `args` are the command line after the program name; `program` names the
/// command in help (`ffn bench-epoch`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) -> Result<()> {
    let args = Args::try_parse_from(std::iter::once(program.into()).chain(args))
        .unwrap_or_else(|e| crate::cli::exit_with_clap_error(e, program));
    // As `train` does, before the pool's threads start: decayed optimizer
    // state drifts into subnormals, where every multiply takes an assist.
    ffn_core::kernels::flush_subnormals();
    // `FFN_THREADS` (compare.sh sets it), else every core.
    let pool = Pool::new(ffn_pool::default_threads());
    if args.epochs == 0 || args.batch_sizes.contains(&0) {
        bail!("--epochs and every --batch-sizes entry must be at least 1");
    }
    let options = LoadOptions { data_dir: args.data_dir.clone(), ..LoadOptions::default() };
    let Dataset { train, validation, .. } = data::load(DatasetName::FashionMnist, &options)?;
    let mut sizes = vec![IMAGE_LEN];
    sizes.extend(HIDDEN);
    sizes.push(CLASSES);
    let relu = activation::by_name("relu").context("ReLU is registered")?;
    let cross_entropy = loss::by_name("cross_entropy").context("cross_entropy is registered")?;
    let rmsprop = optim::by_name("rmsprop").context("rmsprop is registered")?;
    let hyper = Hyper { learning_rate: 1e-4, beta: 0.9, epsilon: 1e-8, weight_decay: 5e-4, ..Hyper::default() };

    if !args.json {
        println!(
            "ffn: {} train / {} validation images, 784-{}-10 ReLU, rmsprop, SIMD level {}, {} threads",
            train.labels.len(),
            validation.labels.len(),
            HIDDEN.map(|h| h.to_string()).join("-"),
            Kernels::detect().level().name(),
            pool.threads()
        );
    }
    let validation_inputs = validation.inputs();
    let mut step_seconds = None;
    for &batch in &args.batch_sizes {
        // Room for the validation pass in chunks of the size `train` uses.
        let mut model = Model::new(&sizes, relu, Init::Xavier, args.seed, batch.max(EVAL_BATCH));
        let mut optimizer = Optimizer::new(rmsprop, hyper, model.params.len());
        for buffer in [&model.params[..], &model.grads[..], &optimizer.state[..]] {
            huge_pages::collapse(buffer);
        }
        let mut rng = rng_for(args.seed, SHUFFLE_STREAM);
        let mut order: Vec<usize> = (0..train.labels.len()).collect();
        let mut batches = Batches::new();
        let mut epochs = Vec::with_capacity(args.epochs);
        let mut val_accuracy = 0.0;
        let mut gather_time = 0.0;
        for _ in 0..args.epochs {
            let start = Instant::now();
            shuffle(&mut rng, &mut order);
            batches.for_each(&train, &order, batch, 0, |step| {
                let gather_next = step.gather_next;
                let mut timed_gather = |executor: &dyn Executor| {
                    let g0 = Instant::now();
                    gather_next(executor);
                    gather_time += g0.elapsed().as_secs_f64();
                };
                model.train_step_alongside(
                    &pool,
                    step.images,
                    step.labels,
                    cross_entropy,
                    0.0,
                    &mut optimizer,
                    &mut timed_gather,
                );
                ControlFlow::Continue(())
            });
            let trained = Instant::now();
            let stats = model.evaluate(&pool, &validation_inputs, &validation.labels, cross_entropy, |_, _| {});
            let done = Instant::now();
            val_accuracy = stats.correct as f64 / validation.labels.len() as f64;
            epochs.push((
                (done - start).as_secs_f64(),
                (trained - start).as_secs_f64(),
                (done - trained).as_secs_f64(),
            ));
        }
        // Equal digests = bit-identical training.
        let digest = crate::run::metrics::weights_digest(&model.params);
        let gather_us = gather_time / (args.epochs * train.labels.len().div_ceil(batch)) as f64 * 1e6;
        epochs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (total, train_s, val_s) = epochs[epochs.len() / 2];
        if batch == args.gemm_batch {
            step_seconds = Some(train_s / train.labels.len().div_ceil(batch) as f64);
        }
        if args.json {
            println!(
                "{{\"impl\":\"ffn\",\"threads\":{},\"batch\":{batch},\"epoch_s\":{total:.6},\"train_s\":{train_s:.6},\"val_s\":{val_s:.6},\"epochs\":{},\"val_accuracy\":{val_accuracy:.4},\"gather_us_per_step\":{gather_us:.2},\"digest\":\"{digest}\"}}",
                pool.threads(),
                args.epochs
            );
        } else {
            println!(
                "batch {batch:>4}: {total:.3} s/epoch (train {train_s:.3} s + validation {val_s:.3} s), median of {} epochs, gathering a batch {gather_us:.1} µs, validation accuracy {:.2} %, weights digest {digest}",
                args.epochs,
                100.0 * val_accuracy
            );
        }
    }
    if args.gemm_batch > 0 {
        gemm_report(&pool, &sizes, args.gemm_batch, step_seconds, args.json);
    }
    Ok(())
}

/// The sgemm calls of one training step at `batch`: `(m, k, n, kind)` with
/// kind 0 = `X·W`, 1 = `Xᵀ·dY`, 2 = `dY·Wᵀ` (the first layer needs no `dX`).
fn step_gemms(sizes: &[usize], batch: usize) -> Vec<(usize, usize, usize, u8)> {
    let mut calls = Vec::new();
    for (layer, pair) in sizes.windows(2).enumerate() {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        calls.push((batch, fan_in, fan_out, 0));
        calls.push((fan_in, batch, fan_out, 1));
        if layer > 0 {
            calls.push((batch, fan_out, fan_in, 2));
        }
    }
    calls
}

/// Runs the step's sgemm calls back to back for about `seconds`, each cut
/// into one block of rows (or columns, whichever side is longer) per thread
/// of `executor`; returns call sequences per second.
fn gemm_rate(executor: &dyn Executor, calls: &[(usize, usize, usize, u8)], seconds: f64) -> f64 {
    let largest = calls.iter().map(|&(m, k, n, _)| (m * k).max(k * n).max(m * n)).max().unwrap_or(0);
    let a = vec![0.5f32; largest];
    let b = vec![0.25f32; largest];
    let mut c = vec![0.0f32; largest];
    let kernels = Kernels::detect();
    let parts = executor.threads();
    let run = |c: &mut [f32]| {
        for &(m, k, n, kind) in calls {
            let (a, b) = match kind {
                0 => (MatRef::new(&a, m, k, k), MatRef::new(&b, k, n, n)),
                1 => (MatRef::strided(&a, m, k, 1, m), MatRef::new(&b, k, n, n)),
                _ => (MatRef::new(&a, m, k, k), MatRef::strided(&b, k, n, 1, k)),
            };
            let start = if kind == 2 { Start::Zero } else { Start::Current };
            let c = SharedMut::new(&mut c[..m * n]);
            executor.run(parts, &|part| {
                let extent = m.max(n);
                let range = extent * part / parts..extent * (part + 1) / parts;
                let (rows, cols) = if m >= n { (range, 0..n) } else { (0..m, range) };
                // SAFETY: the parts' blocks of `c` are disjoint.
                let block = unsafe { c.mat_mut(0, m, n, n) }.into_block(rows.clone(), cols.clone());
                packed::product(kernels, a.rows_of(rows), b.cols_of(cols), block, start);
            });
        }
    };
    run(&mut c);
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        run(&mut c);
        rounds += 1;
    }
    rounds as f64 / start.elapsed().as_secs_f64()
}

/// How close the training step's GEMMs come to the machine: the same sgemm
/// calls on one core, on every core at once (one independent sequence per
/// core: the throughput ceiling), split over the cores as training does, and
/// as a share of the measured training step.
fn gemm_report(pool: &Pool, sizes: &[usize], batch: usize, step_seconds: Option<f64>, json: bool) {
    let calls = step_gemms(sizes, batch);
    let flops: f64 = calls.iter().map(|&(m, k, n, _)| 2.0 * (m * k * n) as f64).sum();
    let cores = pool.threads();
    let split = gemm_rate(pool, &calls, 1.0) * flops;
    let one_core = gemm_rate(&ffn_core::exec::Serial, &calls, 1.0) * flops;
    let all_cores: f64 = std::thread::scope(|scope| {
        let workers: Vec<_> =
            (0..cores).map(|_| scope.spawn(|| gemm_rate(&ffn_core::exec::Serial, &calls, 1.0))).collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0.0)).sum::<f64>() * flops
    });
    let step = step_seconds.map(|s| flops / s);
    let giga = |f: f64| f / 1e9;
    if json {
        println!(
            "{{\"impl\":\"ffn-gemm\",\"batch\":{batch},\"cores\":{cores},\"flops_per_step\":{flops},\"one_core_gflops\":{:.2},\"all_cores_gflops\":{:.2},\"split_gflops\":{:.2},\"step_gflops\":{}}}",
            giga(one_core),
            giga(all_cores),
            giga(split),
            step.map_or("null".into(), |s| format!("{:.2}", giga(s)))
        );
        return;
    }
    println!(
        "GEMMs of one batch-{batch} step ({} sgemm calls, {:.1} MFLOP): 1 core {:.1} GFLOP/s, {cores} cores independently {:.1} GFLOP/s (ceiling); split as in training {:.1} GFLOP/s = {:.0} % of the ceiling",
        calls.len(),
        flops / 1e6,
        giga(one_core),
        giga(all_cores),
        giga(split),
        100.0 * split / all_cores
    );
    if let Some(step) = step {
        println!(
            "whole training step at batch {batch} (GEMM FLOPs / step time): {:.1} GFLOP/s = {:.0} % of the ceiling",
            giga(step),
            100.0 * step / all_cores
        );
    }
}
