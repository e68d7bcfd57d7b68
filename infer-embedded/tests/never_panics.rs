//! Property tests: whatever the bytes, `from_bytes` returns (never panics), and
//! every model it accepts predicts without panicking.

use ffn_infer_embedded::format::{Int8Layer, encode_f32, encode_int8};
use ffn_infer_embedded::{Activation, INPUT_SIZE, Model, NUM_CLASSES, Scratch};
use proptest::prelude::*;

const WIDTH: usize = 64;

fn predict_if_accepted(bytes: &[u8], pixels: &[u8; INPUT_SIZE]) {
    if let Ok(model) = Model::<WIDTH>::from_bytes(bytes) {
        let prediction = model.predict(pixels, &mut Scratch::new());
        assert!(prediction.class < NUM_CLASSES);
    }
}

/// Rewrites the trailing CRC so a mutation reaches the checks behind it.
fn fix_crc(bytes: &mut [u8]) {
    if bytes.len() >= 4 {
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
    }
}

fn any_activation() -> impl Strategy<Value = Activation> {
    prop::sample::select(Activation::ALL.to_vec())
}

/// A valid model file: f32 or int8, 0–2 hidden layers of width 1–80 (some wider than `WIDTH`).
fn any_model() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec(1usize..80, 0..3), any_activation(), any::<bool>(), any::<u64>()).prop_map(
        |(hidden, activation, int8, seed)| {
            let mut sizes = vec![INPUT_SIZE];
            sizes.extend(hidden);
            sizes.push(NUM_CLASSES);
            let mut state = seed | 1;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            };
            if int8 {
                let layers: Vec<Int8Layer> = sizes
                    .windows(2)
                    .map(|w| Int8Layer {
                        weights: (0..w[0] * w[1]).map(|_| (next() * 254.0) as i8).collect(),
                        weight_scales: (0..w[1]).map(|_| next().abs() * 0.01 + 1e-4).collect(),
                        bias: (0..w[1]).map(|_| next()).collect(),
                        input_scale: next().abs() + 1e-3,
                    })
                    .collect();
                encode_int8(&sizes, activation, &layers)
            } else {
                let count: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
                encode_f32(&sizes, activation, &(0..count).map(|_| next() * 0.2).collect::<Vec<_>>())
            }
        },
    )
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bits: u8 },
    Truncate { at: usize },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
}

fn any_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(at, bits)| Mutation::Flip { at, bits }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
    ]
}

fn mutate(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    // Mutations aim at the header (first 64 bytes) half of the time: that is where the structure is.
    let pick = |at: usize| if at.is_multiple_of(2) { (at / 2) % bytes.len().min(64) } else { (at / 2) % bytes.len() };
    match *mutation {
        Mutation::Flip { at, bits } => {
            let i = pick(at);
            bytes[i] ^= bits;
        }
        Mutation::Truncate { at } => bytes.truncate(pick(at)),
        Mutation::Insert { at, byte } => {
            let i = pick(at);
            bytes.insert(i, byte);
        }
        Mutation::Remove { at } => {
            let i = pick(at);
            bytes.remove(i);
        }
    }
}

fn any_pixels() -> impl Strategy<Value = [u8; INPUT_SIZE]> {
    prop::collection::vec(any::<u8>(), INPUT_SIZE).prop_map(|v| v.try_into().expect("784 pixels"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096), pixels in any_pixels()) {
        predict_if_accepted(&bytes, &pixels);
        let mut with_magic = b"FFNM\x01".to_vec();
        with_magic.extend(&bytes);
        fix_crc(&mut with_magic);
        predict_if_accepted(&with_magic, &pixels);
    }

    #[test]
    fn valid_models_load_and_predict(bytes in any_model(), pixels in any_pixels()) {
        let widest = ffn_infer_embedded::format::check(&bytes).expect("a freshly encoded model is valid").max_width;
        match Model::<WIDTH>::from_bytes(&bytes) {
            Ok(model) => {
                let prediction = model.predict(&pixels, &mut Scratch::new());
                let total: f32 = prediction.scores.iter().sum();
                prop_assert!((total - 1.0).abs() < 1e-4, "probabilities sum to {}", total);
                prop_assert!(prediction.scores[prediction.class] >= prediction.scores.iter().copied().fold(0.0, f32::max));
            }
            Err(error) => prop_assert_eq!(
                error,
                ffn_infer_embedded::FormatError::ScratchTooSmall { needed: widest, capacity: WIDTH }
            ),
        }
    }

    #[test]
    fn mutated_models_never_panic(
        mut bytes in any_model(),
        mutations in prop::collection::vec(any_mutation(), 1..4),
        recrc in any::<bool>(),
        pixels in any_pixels(),
    ) {
        for mutation in &mutations {
            mutate(&mut bytes, mutation);
        }
        if recrc {
            fix_crc(&mut bytes);
        }
        predict_if_accepted(&bytes, &pixels);
    }
}
