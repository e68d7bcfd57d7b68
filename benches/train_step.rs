//! One full training step (`Model::train_step`: forward, cross-entropy,
//! backward, rmsprop update) of the 4 × 128 ReLU model at batch 16/64/256, and
//! one full epoch (54 000 images) at each batch size. Steps are measured on
//! one thread and on all (`train_step/1t/16`, `train_step/2t/16`, …); the
//! epochs on all.
//!
//! Inputs are seeded uniform pixels rather than Fashion-MNIST, so the benches
//! need no data files; the work per step does not depend on pixel values.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ffn_core::exec::{Executor, Serial};
use ffn_core::model::Model;
use ffn_core::optim::{Hyper, Optimizer};
use ffn_core::rng::{rng_for, uniform};
use ffn_core::{Init, activation, loss, optim};
use ffn_pool::Pool;
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 6] = [784, 128, 128, 128, 128, 10];
const BATCHES: [usize; 3] = [16, 64, 256];
const EPOCH_IMAGES: usize = 54_000;

/// The course project's best configuration (as `bench-epoch` trains it).
fn setup(batch: usize) -> (Model, Optimizer) {
    let relu = activation::by_name("relu").expect("registered");
    let model = Model::new(&SIZES, relu, Init::Xavier, 1, batch);
    let hyper = Hyper { learning_rate: 1e-4, beta: 0.9, epsilon: 1e-8, weight_decay: 5e-4, ..Hyper::default() };
    let optimizer = Optimizer::new(optim::by_name("rmsprop").expect("registered"), hyper, model.params.len());
    (model, optimizer)
}

fn data(images: usize) -> (Vec<f32>, Vec<u32>) {
    let mut rng = rng_for(11, 0);
    let pixels = (0..images * SIZES[0]).map(|_| uniform(&mut rng)).collect();
    let labels = (0..images).map(|i| (i % 10) as u32).collect();
    (pixels, labels)
}

fn train_step(c: &mut Criterion) {
    let cross_entropy = loss::by_name("cross_entropy").expect("registered");
    let (pixels, labels) = data(256);
    // As `train` does, before the pool's threads start.
    ffn_core::kernels::flush_subnormals();
    let pool = Pool::new(ffn_pool::default_threads());
    let mut group = c.benchmark_group("train_step");
    for executor in [&Serial as &dyn Executor, &pool] {
        let threads = executor.threads();
        for batch in BATCHES {
            let (mut model, mut optimizer) = setup(batch);
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(BenchmarkId::new(format!("{threads}t"), batch), |b| {
                b.iter(|| {
                    model.train_step(
                        executor,
                        black_box(&pixels[..batch * SIZES[0]]),
                        &labels[..batch],
                        cross_entropy,
                        0.0,
                        &mut optimizer,
                    )
                })
            });
        }
    }
    group.finish();
}

/// One epoch in order (no shuffle: the step bench covers the arithmetic, this
/// one the steady state over a training split that does not fit in cache).
fn epoch(c: &mut Criterion) {
    let cross_entropy = loss::by_name("cross_entropy").expect("registered");
    let (pixels, labels) = data(EPOCH_IMAGES);
    ffn_core::kernels::flush_subnormals();
    let pool = Pool::new(ffn_pool::default_threads());
    let mut group = c.benchmark_group("epoch");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(EPOCH_IMAGES as u64));
    for batch in BATCHES {
        let (mut model, mut optimizer) = setup(batch);
        group.bench_function(BenchmarkId::from_parameter(batch), |b| {
            b.iter(|| {
                for (x, y) in pixels.chunks(batch * SIZES[0]).zip(labels.chunks(batch)) {
                    model.train_step(&pool, black_box(x), y, cross_entropy, 0.0, &mut optimizer);
                }
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = train_step, epoch }
criterion_main!(benches);
