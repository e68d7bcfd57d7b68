//! Gathering one batch of 256 augmented 28×28 images (`Augmenter::gather`)
//! with each transform alone and all together, beside the plain gather, on one
//! thread and on a pool of all: what augmentation adds to each of an epoch's 211 steps
//! at the default batch size.
//!
//! Inputs are seeded random bytes rather than Fashion-MNIST, so the bench needs
//! no data files; the work per image does not depend on pixel values.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ffn_core::exec::{Executor, Serial};
use ffn_core::kernels::Kernels;
use ffn_core::kernels::elementwise::gather_scaled_rows;
use ffn_core::rng::{below, rng_for};
use ffn_pool::Pool;
use ffn_trainer::data::info::ImageShape;
use ffn_trainer::data::{Augment, Augmenter, Split};
use std::time::Duration;

const IMAGES: usize = 4096;
const BATCH: usize = 256;
const SHAPE: ImageShape = ImageShape { height: 28, width: 28, channels: 1 };

fn settings() -> Vec<(&'static str, Augment)> {
    let none = Augment::default();
    vec![
        ("none", none),
        ("shift", Augment { shift: 1, ..none }),
        ("flip", Augment { flip: 0.5, ..none }),
        ("erase", Augment { erase: 0.5, ..none }),
        ("rotate", Augment { rotate: 10.0, ..none }),
        ("elastic", Augment { elastic: 1.5, ..none }),
        ("all", Augment { shift: 1, rotate: 10.0, zoom: 0.1, elastic: 1.5, flip: 0.5, erase: 0.5 }),
    ]
}

fn bench(c: &mut Criterion) {
    let mut rng = rng_for(3, 0);
    let pixels: Vec<u8> = (0..IMAGES * SHAPE.len()).map(|_| below(&mut rng, 256) as u8).collect();
    let labels = vec![0u8; IMAGES];
    let split = Split::gather(SHAPE.len(), &pixels, &labels, &(0..IMAGES).collect::<Vec<_>>());
    let order: Vec<usize> = (0..BATCH).map(|_| below(&mut rng, IMAGES)).collect();
    let mut group = c.benchmark_group("augment");
    group.measurement_time(Duration::from_secs(3)).throughput(Throughput::Elements(BATCH as u64));
    let pool = Pool::new(ffn_pool::default_threads());
    for executor in [&Serial as &dyn Executor, &pool] {
        let threads = executor.threads();
        for (name, augment) in settings() {
            // The batch as `train` gathers it before a large batch's step, on
            // the pool's threads: augmented, or (none) the plain scaled gather.
            let augmenter = Augmenter::new(augment, SHAPE, 1);
            let mut images = vec![0.0f32; BATCH * SHAPE.len()];
            let mut step = 0;
            group.bench_function(BenchmarkId::new(format!("{threads}t"), name), |b| {
                b.iter(|| {
                    step += 1;
                    match &augmenter {
                        Some(a) => a.gather(&mut images, &split, &order, step, executor),
                        None => {
                            gather_scaled_rows(Kernels::detect(), executor, &mut images, &pixels, &order, SHAPE.len())
                        }
                    }
                    std::hint::black_box(&images);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
