//! Kernel benches: every GEMM shape of one training step of the 4 × 128 model
//! (784-128-128-128-128-10) at batch 16/64/256 through matrixmultiply, the
//! small-batch kernels the weight-rows plan runs on one core's half of a
//! layer (fma chains, dot products),
//! each activation forward and backward, each optimizer update over the
//! model's 151 306 parameters, and the element-wise layer kernels.
//!
//! GEMM throughput is reported in FLOP (`2·m·k·n`), so criterion's
//! "elem/s" reads as FLOP/s.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ffn_core::kernels::Kernels;
use ffn_core::kernels::elementwise::{column_sums, fill_rows_with_bias, scale_into, softmax_rows};
use ffn_core::kernels::gemm::{Start, chain, dot, packed};
use ffn_core::matrix::{MatMut, MatRef};
use ffn_core::optim::{self, Hyper, Optimizer};
use ffn_core::rng::{Rng, rng_for, uniform};
use ffn_core::{Layout, activation};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 6] = [784, 128, 128, 128, 128, 10];
const BATCHES: [usize; 3] = [16, 64, 256];

fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| uniform(rng) - 0.5).collect()
}

fn gemm(c: &mut Criterion) {
    let k = Kernels::detect();
    let mut rng = rng_for(7, 0);
    let mut group = c.benchmark_group("gemm");
    // The three distinct layer shapes (the three 128→128 layers share one).
    for (fan_in, fan_out) in [(784, 128), (128, 128), (128, 10)] {
        let weights = random(&mut rng, fan_in * fan_out);
        for batch in BATCHES {
            let x = random(&mut rng, batch * fan_in);
            let dy = random(&mut rng, batch * fan_out);
            let mut y = vec![0.0; batch * fan_out];
            let mut dw = vec![0.0; fan_in * fan_out];
            let mut dx = vec![0.0; batch * fan_in];
            let shape = format!("b{batch}_{fan_in}x{fan_out}");
            group.throughput(Throughput::Elements((2 * batch * fan_in * fan_out) as u64));
            let w = MatRef::new(&weights, fan_in, fan_out, fan_out);
            group.bench_function(BenchmarkId::new("forward_x_w", &shape), |b| {
                b.iter(|| {
                    let (x, y) = (
                        MatRef::new(black_box(&x), batch, fan_in, fan_in),
                        MatMut::new(&mut y, batch, fan_out, fan_out),
                    );
                    packed::product(k, x, w, y, Start::Current)
                })
            });
            group.bench_function(BenchmarkId::new("backward_xt_dy", &shape), |b| {
                b.iter(|| {
                    let xt = MatRef::strided(black_box(&x), fan_in, batch, 1, fan_in);
                    let dw = MatMut::new(&mut dw, fan_in, fan_out, fan_out);
                    packed::product(k, xt, MatRef::new(&dy, batch, fan_out, fan_out), dw, Start::Current)
                })
            });
            group.bench_function(BenchmarkId::new("backward_dy_wt", &shape), |b| {
                b.iter(|| {
                    let dy = MatRef::new(black_box(&dy), batch, fan_out, fan_out);
                    packed::product(k, dy, w.t(), MatMut::new(&mut dx, batch, fan_in, fan_in), Start::Zero)
                })
            });
        }
    }
    group.finish();
}

/// One core's half of each layer at batch 16 and 64, as the weight-rows
/// plan runs it: forward product and weight gradient as fma chains, the
/// input gradient as dot products and, for comparison, through matrixmultiply.
fn small_batch(c: &mut Criterion) {
    let k = Kernels::detect();
    if !chain::available(k) {
        return;
    }
    let mut rng = rng_for(8, 0);
    let mut group = c.benchmark_group("small_batch");
    for (fan_in, fan_out) in [(784, 128), (128, 128)] {
        let rows = fan_in / 2;
        let weights = random(&mut rng, rows * fan_out);
        for batch in [16, 64] {
            let x = random(&mut rng, batch * fan_in);
            let dy = random(&mut rng, batch * fan_out);
            let mut y = vec![0.0; batch * fan_out];
            let mut dw = vec![0.0; rows * fan_out];
            let mut dx = vec![0.0; batch * fan_in];
            let shape = format!("b{batch}_{rows}of{fan_in}x{fan_out}");
            group.throughput(Throughput::Elements((2 * batch * rows * fan_out) as u64));
            let w = MatRef::new(&weights, rows, fan_out, fan_out);
            let d_y = MatRef::new(&dy, batch, fan_out, fan_out);
            group.bench_function(BenchmarkId::new("chain_x_w", &shape), |b| {
                b.iter(|| {
                    let x = MatRef::new(black_box(&x), batch, rows, fan_in);
                    chain::product(k, x, w, MatMut::new(&mut y, batch, fan_out, fan_out), Start::Zero)
                })
            });
            group.bench_function(BenchmarkId::new("chain_xt_dy", &shape), |b| {
                b.iter(|| {
                    let xt = MatRef::strided(black_box(&x), rows, batch, 1, fan_in);
                    let dw = MatMut::new(&mut dw, rows, fan_out, fan_out);
                    chain::product(k, xt, d_y, dw, Start::Scaled(w, 5e-4))
                })
            });
            group.bench_function(BenchmarkId::new("dot_dy_wt", &shape), |b| {
                b.iter(|| dot::product(k, black_box(d_y), w.t(), MatMut::new(&mut dx, batch, rows, fan_in)))
            });
            group.bench_function(BenchmarkId::new("matrixmultiply_dy_wt", &shape), |b| {
                b.iter(|| {
                    packed::product(k, black_box(d_y), w.t(), MatMut::new(&mut dx, batch, rows, fan_in), Start::Zero)
                })
            });
        }
    }
    group.finish();
}

fn activations(c: &mut Criterion) {
    let k = Kernels::detect();
    let mut rng = rng_for(7, 1);
    let mut group = c.benchmark_group("activation");
    // One hidden layer's outputs at batch 256.
    let n = 256 * 128;
    let pre = random(&mut rng, n);
    let upstream = random(&mut rng, n);
    group.throughput(Throughput::Elements(n as u64));
    for spec in activation::REGISTRY {
        let mut values = pre.clone();
        let mut grads = upstream.clone();
        group.bench_function(BenchmarkId::new("forward", spec.name), |b| {
            b.iter(|| {
                values.copy_from_slice(&pre);
                (spec.forward)(k, MatMut::row_of(black_box(&mut values)))
            })
        });
        (spec.forward)(k, MatMut::row_of(&mut values));
        group.bench_function(BenchmarkId::new("backward", spec.name), |b| {
            b.iter(|| {
                grads.copy_from_slice(&upstream);
                (spec.backward)(k, MatRef::row_of(black_box(&values)), MatMut::row_of(&mut grads))
            })
        });
    }
    group.finish();
}

fn optimizers(c: &mut Criterion) {
    let mut rng = rng_for(7, 2);
    let n = Layout::new(&SIZES).expect("valid sizes").len();
    let mut group = c.benchmark_group("optimizer");
    group.throughput(Throughput::Elements(n as u64));
    let grads: Vec<f32> = random(&mut rng, n).iter().map(|g| g * 1e-2).collect();
    for spec in optim::REGISTRY {
        let mut params = random(&mut rng, n);
        let mut optimizer = Optimizer::new(spec, Hyper { learning_rate: 1e-6, ..Hyper::default() }, n);
        group.bench_function(BenchmarkId::new("update", spec.name), |b| {
            b.iter(|| optimizer.update(black_box(&mut params), &grads, 1.0))
        });
    }
    group.finish();
}

fn layer_kernels(c: &mut Criterion) {
    let k = Kernels::detect();
    let mut rng = rng_for(7, 3);
    let mut group = c.benchmark_group("layer_kernels");
    let bias = random(&mut rng, 128);
    let rows = random(&mut rng, 256 * 128);
    let mut out = vec![0.0; 256 * 128];
    group.throughput(Throughput::Elements(out.len() as u64));
    group.bench_function("fill_rows_with_bias_b256x128", |b| {
        b.iter(|| fill_rows_with_bias(k, MatMut::new(black_box(&mut out), 256, 128, 128), &bias))
    });
    let mut sums = vec![0.0; 128];
    group.bench_function("column_sums_b256x128", |b| {
        b.iter(|| column_sums(k, black_box(&mut sums), MatRef::new(&rows, 256, 128, 128)))
    });
    let weights = random(&mut rng, 784 * 128);
    let mut decayed = vec![0.0; weights.len()];
    group.throughput(Throughput::Elements(weights.len() as u64));
    group.bench_function("scale_into_784x128", |b| {
        b.iter(|| scale_into(k, MatMut::row_of(black_box(&mut decayed)), MatRef::row_of(&weights), 5e-4))
    });
    let logits = random(&mut rng, 256 * 10);
    let mut probs = logits.clone();
    group.throughput(Throughput::Elements(logits.len() as u64));
    group.bench_function("softmax_rows_b256x10", |b| {
        b.iter(|| {
            probs.copy_from_slice(&logits);
            softmax_rows(k, MatMut::new(black_box(&mut probs), 256, 10, 10))
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20)
}

criterion_group! { name = benches; config = config(); targets = gemm, small_batch, activations, optimizers, layer_kernels }
criterion_main!(benches);
