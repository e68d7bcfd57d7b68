//! Embedded inference on the host: one `ffn_infer_embedded::Model::predict`
//! (one image, 4 × 128 ReLU, f32 and int8 model files) through the same
//! panic-free code the Cortex-M4F firmware runs. The weights are
//! Xavier-initialised rather than trained: the work per image does not depend
//! on their values (the int8 model's scales come from the same images).

use criterion::{Criterion, criterion_group, criterion_main};
use ffn_core::model::Model;
use ffn_core::{Init, activation};
use ffn_infer_embedded::format::{Network, encode_f32, encode_int8};
use ffn_infer_embedded::{Activation, InputType, Model as EmbeddedModel, Scratch};
use ffn_trainer::data::DatasetName;
use ffn_trainer::data::info::DataInfo;
use ffn_trainer::export::describe::description;
use ffn_trainer::export::quantize::{Calibration, quantize};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 6] = [784, 128, 128, 128, 128, 10];

fn predict(c: &mut Criterion) {
    let relu = activation::by_name("relu").expect("registered");
    let trained = Model::new(&SIZES, relu, Init::Xavier, 1, 1);
    let network = Network::new(&SIZES, Activation::Relu, trained.params.to_vec());
    let desc = description(&DataInfo::for_dataset(DatasetName::FashionMnist), InputType::U8, "bench");
    let images: Vec<[u8; 784]> = (0..64).map(|k| core::array::from_fn(|i| ((i * 37 + k * 11) % 256) as u8)).collect();
    let calibration: Vec<f32> = images.iter().flatten().map(|&p| p as f32 / 255.0).collect();
    let int8 = quantize(&network, &desc, &calibration, Calibration::Max).expect("quantises");
    let files = [
        ("f32_4x128", encode_f32(&network, &desc).expect("valid")),
        ("int8_4x128", encode_int8(&int8, &desc).expect("valid")),
    ];
    let mut scratch = Scratch::<8192>::new();
    for (name, bytes) in &files {
        let model = EmbeddedModel::from_bytes(bytes).expect("a freshly encoded model is valid");
        c.bench_function(&format!("embedded_infer/{name}"), |b| {
            b.iter(|| model.predict(black_box(&images[0][..]), scratch.as_mut_bytes(), &mut []))
        });
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = predict }
criterion_main!(benches);
