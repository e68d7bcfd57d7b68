//! Embedded inference on the host: one `ffn_infer_embedded::Model::predict`
//! (one image, f32 model file, 4 × 128 ReLU) through the same panic-free code
//! the Cortex-M4F firmware runs. The weights are Xavier-initialised rather
//! than trained: the work per image does not depend on their values.

use criterion::{Criterion, criterion_group, criterion_main};
use ffn_core::model::Model;
use ffn_core::{Init, activation};
use ffn_infer_embedded::format::encode_f32;
use ffn_infer_embedded::{Activation, INPUT_SIZE, Model as EmbeddedModel, Scratch};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 6] = [784, 128, 128, 128, 128, 10];

fn predict(c: &mut Criterion) {
    let relu = activation::by_name("relu").expect("registered");
    let trained = Model::new(&SIZES, relu, Init::Xavier, 1, 1);
    let bytes = encode_f32(&SIZES, Activation::Relu, &trained.params);
    let model = EmbeddedModel::<128>::from_bytes(&bytes).expect("a freshly encoded model is valid");
    let pixels: [u8; INPUT_SIZE] = core::array::from_fn(|i| (i * 37 % 256) as u8);
    let mut scratch = Scratch::<128>::new();
    c.bench_function("embedded_infer/f32_4x128", |b| b.iter(|| model.predict(black_box(&pixels), &mut scratch)));
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = predict }
criterion_main!(benches);
