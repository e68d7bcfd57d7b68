//! bf16 product benches (`kernels::bf16`): the eight products of one step of
//! the default recipe (batch 256, 784→768→768→10) at every bf16 level this
//! CPU has and, beside them, in f32 through matrixmultiply (the f32 path), on
//! one core and split by rows over two; the packing of each operand; and one
//! step's products end to end (packing included).
//!
//! Throughput is in FLOP (`2·m·k·n`), so criterion's "elem/s" reads as
//! FLOP/s. On two cores each thread computes its block of rows of `C` and
//! the threads meet at a spinning barrier after every product, as a split
//! training step would.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ffn_core::kernels::bf16::{Block, Kernels, Level, PackedA, PackedB, Start};
use ffn_core::kernels::gemm::{self, packed};
use ffn_core::matrix::{MatMut, MatRef};
use ffn_core::rng::{Rng, rng_for, uniform};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// The trainer's global allocator (large blocks on cache lines), as in `train`.
use ffn_trainer as _;

/// A product of the step: `C (m×n) = A·B` with `A` stored `m×k` (or `k×m`
/// and read transposed) and `B` stored `k×n` (or `n×k`, read transposed).
#[derive(Clone, Copy)]
struct Shape {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    a_transposed: bool,
    b_transposed: bool,
}

const fn shape(name: &'static str, m: usize, k: usize, n: usize, a_transposed: bool, b_transposed: bool) -> Shape {
    Shape { name, m, k, n, a_transposed, b_transposed }
}

/// Forward `X·W`, weight gradient `Xᵀ·dY`, input gradient `dY·Wᵀ` of each
/// layer (the first layer has no input gradient).
const STEP: [Shape; 8] = [
    shape("l1_forward_x_w", 256, 784, 768, false, false),
    shape("l1_weight_grad_xt_dy", 784, 256, 768, true, false),
    shape("l2_forward_x_w", 256, 768, 768, false, false),
    shape("l2_weight_grad_xt_dy", 768, 256, 768, true, false),
    shape("l2_input_grad_dy_wt", 256, 768, 768, false, true),
    shape("l3_forward_x_w", 256, 768, 10, false, false),
    shape("l3_weight_grad_xt_dy", 768, 256, 10, true, false),
    shape("l3_input_grad_dy_wt", 256, 10, 768, false, true),
];

impl Shape {
    fn flops(&self) -> u64 {
        2 * (self.m * self.k * self.n) as u64
    }

    fn a_strides(&self) -> (usize, usize) {
        if self.a_transposed { (1, self.m) } else { (self.k, 1) }
    }

    fn b_strides(&self) -> (usize, usize) {
        if self.b_transposed { (1, self.k) } else { (self.n, 1) }
    }

    /// Where the second of two threads starts: half of the rows, on a 32-row block.
    fn cut(&self) -> usize {
        (self.m / 2).next_multiple_of(32).min(self.m)
    }
}

struct Operands {
    shape: Shape,
    a: Vec<f32>,
    b: Vec<f32>,
    packed_a: PackedA,
    packed_b: PackedB,
}

fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| uniform(rng) - 0.5).collect()
}

impl Operands {
    fn new(rng: &mut Rng, shape: Shape) -> Self {
        let a = random(rng, shape.m * shape.k);
        let b = random(rng, shape.k * shape.n);
        let mut operands = Operands { shape, a, b, packed_a: PackedA::new(), packed_b: PackedB::new() };
        operands.pack();
        operands
    }

    fn pack(&mut self) {
        let s = self.shape;
        let ((rsa, csa), (rsb, csb)) = (s.a_strides(), s.b_strides());
        let kernels = Kernels::detect();
        self.packed_a.pack(kernels, s.m, s.k, (&self.a, rsa, csa));
        self.packed_b.pack(kernels, s.k, s.n, (&self.b, rsb, csb));
    }

    /// Rows `rows` of `C` (whose first row is `c`'s first) at `level`, or in f32.
    fn product(&self, level: Option<Kernels>, rows: std::ops::Range<usize>, c: &mut [f32]) {
        let s = self.shape;
        match level {
            Some(kernels) => {
                let (a, b) = (&self.packed_a, &self.packed_b);
                kernels.gemm_block(&Block { a, b, rows, cols: 0..s.n, rsc: s.n, start: Start::Zero }, c)
            }
            None => {
                let ((rsa, csa), (rsb, csb)) = (s.a_strides(), s.b_strides());
                let a = &self.a[rows.start * rsa..];
                let a = MatRef::strided(a, rows.len(), s.k, rsa, csa);
                let b = MatRef::strided(&self.b, s.k, s.n, rsb, csb);
                let c = MatMut::new(c, rows.len(), s.n, s.n);
                packed::product(ffn_core::kernels::Kernels::detect(), a, b, c, gemm::Start::Zero);
            }
        }
    }
}

/// Runs `work(part)` on `parts` threads `iters` times, the threads meeting at
/// a spinning barrier after each round; returns the wall time.
fn rounds(parts: usize, iters: u64, work: &(dyn Fn(usize) + Sync)) -> Duration {
    if parts == 1 {
        let start = Instant::now();
        (0..iters).for_each(|_| work(0));
        return start.elapsed();
    }
    let arrived = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for part in 0..parts {
            let arrived = &arrived;
            scope.spawn(move || {
                for round in 1..=iters as usize {
                    work(part);
                    arrived.fetch_add(1, Ordering::AcqRel);
                    while arrived.load(Ordering::Acquire) < round * parts {
                        std::hint::spin_loop();
                    }
                }
            });
        }
    });
    start.elapsed()
}

/// The levels to measure: every bf16 level this CPU has, then f32 (`None`).
fn levels() -> Vec<(String, Option<Kernels>)> {
    let mut levels: Vec<(String, Option<Kernels>)> = Level::ALL
        .into_iter()
        .map(Kernels::force)
        .filter(|k| Level::ALL.contains(&k.level()))
        .map(|k| (format!("bf16_{}", k.level().name()), Some(k)))
        .collect();
    levels.dedup_by_key(|(name, _)| name.clone());
    levels.push(("f32_matrixmultiply".to_string(), None));
    levels
}

/// One product per shape, level and thread count.
fn products(c: &mut Criterion) {
    let mut rng = rng_for(22, 0);
    let mut group = c.benchmark_group("bf16_products");
    group.sample_size(20).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    for shape in STEP {
        let operands = Operands::new(&mut rng, shape);
        group.throughput(Throughput::Elements(shape.flops()));
        for (name, level) in levels() {
            for threads in [1, 2] {
                let (m, n, cut) = (shape.m, shape.n, shape.cut());
                let whole = Mutex::new(vec![0.0f32; m * n]);
                let halves = [Mutex::new(vec![0.0f32; cut * n]), Mutex::new(vec![0.0f32; (m - cut) * n])];
                let work = |part: usize| match threads {
                    1 => operands.product(level, 0..m, &mut whole.lock().unwrap()),
                    _ => {
                        let rows = if part == 0 { 0..cut } else { cut..m };
                        operands.product(level, rows, &mut halves[part].lock().unwrap())
                    }
                };
                let id = BenchmarkId::new(format!("{name}_{threads}t"), shape.name);
                group.bench_function(id, |b| b.iter_custom(|iters| rounds(threads, iters, &work)));
            }
        }
    }
    group.finish();
}

/// Rounding each operand to bf16 in its layout (`W` twice per step: as `B`
/// of the forward product and, transposed, of the input gradient).
fn packing(c: &mut Criterion) {
    let mut rng = rng_for(23, 0);
    let mut group = c.benchmark_group("bf16_packing");
    group.sample_size(20).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    let x = random(&mut rng, 256 * 784);
    let dy = random(&mut rng, 256 * 768);
    let w = random(&mut rng, 768 * 768);
    let (mut a, mut b) = (PackedA::new(), PackedB::new());
    let kernels = Kernels::detect();
    group.throughput(Throughput::Elements((256 * 784) as u64));
    group.bench_function("a_x_256x784", |bench| bench.iter(|| a.pack(kernels, 256, 784, (&x, 784, 1))));
    group.bench_function("a_xt_784x256", |bench| bench.iter(|| a.pack(kernels, 784, 256, (&x, 1, 784))));
    group.throughput(Throughput::Elements((256 * 768) as u64));
    group.bench_function("b_dy_256x768", |bench| bench.iter(|| b.pack(kernels, 256, 768, (&dy, 768, 1))));
    group.throughput(Throughput::Elements((768 * 768) as u64));
    group.bench_function("b_w_768x768", |bench| bench.iter(|| b.pack(kernels, 768, 768, (&w, 768, 1))));
    group.bench_function("b_wt_768x768", |bench| bench.iter(|| b.pack(kernels, 768, 768, (&w, 1, 768))));
    group.finish();
}

/// The eight products of one step, each operand packed as the step would
/// (every `A` and `B` once per product here: an upper bound, since a step
/// packs `W` once for two products), on one core.
fn step(c: &mut Criterion) {
    let mut rng = rng_for(24, 0);
    let mut group = c.benchmark_group("bf16_step_products");
    group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    let mut operands: Vec<Operands> = STEP.into_iter().map(|s| Operands::new(&mut rng, s)).collect();
    let mut outputs: Vec<Vec<f32>> = STEP.iter().map(|s| vec![0.0; s.m * s.n]).collect();
    group.throughput(Throughput::Elements(STEP.iter().map(Shape::flops).sum()));
    for (name, level) in levels() {
        group.bench_function(BenchmarkId::new(name, "packing_included"), |b| {
            b.iter(|| {
                for (operands, c) in operands.iter_mut().zip(&mut outputs) {
                    if level.is_some() {
                        operands.pack();
                    }
                    operands.product(level, 0..operands.shape.m, c);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, products, packing, step);
criterion_main!(benches);
