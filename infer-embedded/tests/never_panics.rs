//! Property tests: whatever the bytes, `from_bytes` returns (never panics);
//! every model it accepts predicts every input type without panicking; and a
//! file whose only fault is one bad float (NaN, ±inf, zero or negative where a
//! scale must be positive) is refused even with a valid CRC.

use ffn_infer_embedded::format::{
    Description, Int8Input, Int8Layer, Int8Model, Network, OwnedPreprocessing, Table, check, encode_f32, encode_int8,
};
use ffn_infer_embedded::{Activation, Error, ImageShape, InputSlice, InputType, Model};
use ffn_spec::model_file::{LAYER_RECORD_LEN, Span, TABLE_LEN};
use ffn_spec::requant::quantize_multiplier;
use proptest::prelude::*;

const SCRATCH_WORDS: usize = 1024;

/// Predicts `input` with a scratch of exactly the size the model states (and
/// one too small, which must be refused).
fn predict_if_accepted(bytes: &[u8], input: InputSlice<'_>) -> Option<Result<usize, Error>> {
    let model = Model::from_bytes(bytes).ok()?;
    let mut scratch = vec![0u32; SCRATCH_WORDS.max(model.scratch_bytes().div_ceil(4))];
    let scratch: &mut [u8] = bytemuck::cast_slice_mut(&mut scratch);
    let needed = model.scratch_bytes_for(input.input_type());
    let mut scores = vec![0.0; model.classes()];
    if needed > 0 {
        let short = model.predict_slice(input, &mut scratch[..needed - 1], &mut scores);
        assert!(matches!(short, Err(Error::ScratchTooSmall { .. }) | Err(Error::InputLength { .. })), "{short:?}");
    }
    let result = model.predict_slice(input, &mut scratch[..needed], &mut scores);
    if let Ok(class) = result {
        assert!(class < model.classes());
        let total: f32 = scores.iter().sum();
        assert!((total - 1.0).abs() < 1e-3, "probabilities sum to {total}");
        assert!(scores.iter().all(|&s| s <= scores[class] + 1e-6), "{class} is not the most probable: {scores:?}");
        // Without scores, the same class.
        assert_eq!(model.predict_slice(input, &mut scratch[..needed], &mut []), Ok(class));
    }
    Some(result)
}

/// Rewrites the trailing CRC so a mutation reaches the checks behind it.
fn fix_crc(bytes: &mut [u8]) {
    if bytes.len() >= 4 {
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
    }
}

/// A small deterministic generator, so one `u64` drives a whole model.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

#[derive(Clone, Debug)]
struct Spec {
    sizes: Vec<usize>,
    activation: Activation,
    int8: bool,
    input_type: InputType,
    preprocessing: u8,
    direct: bool,
    uniform: bool,
    seed: u64,
}

fn any_spec() -> impl Strategy<Value = Spec> {
    (
        1usize..40,
        prop::collection::vec(1usize..50, 0..3),
        2usize..13,
        prop::sample::select(Activation::ALL.to_vec()),
        any::<bool>(),
        prop::sample::select(InputType::ALL.to_vec()),
        0u8..3,
        any::<(bool, bool)>(),
        any::<u64>(),
    )
        .prop_map(
            |(inputs, hidden, classes, activation, int8, input_type, preprocessing, (direct, uniform), seed)| {
                let mut sizes = vec![inputs];
                sizes.extend(hidden);
                sizes.push(classes);
                Spec { sizes, activation, int8, input_type, preprocessing, direct, uniform, seed }
            },
        )
}

fn description(spec: &Spec, rng: &mut Rng) -> Description {
    let inputs = spec.sizes[0];
    let classes = *spec.sizes.last().unwrap();
    let preprocessing = match spec.preprocessing {
        0 => OwnedPreprocessing::Identity,
        1 => OwnedPreprocessing::Divide(255.0),
        _ => OwnedPreprocessing::Standardize {
            mean: (0..inputs).map(|_| rng.next() * 100.0).collect(),
            std: (0..inputs).map(|_| rng.next().abs() * 10.0 + 0.01).collect(),
        },
    };
    let image = (spec.preprocessing == 1).then_some(ImageShape { height: 1, width: inputs as u32, channels: 1 });
    Description {
        input_type: spec.input_type,
        image,
        preprocessing,
        classes: (0..classes).map(|c| format!("class {c}")).collect(),
        features: if spec.preprocessing == 2 { (0..inputs).map(|i| format!("x{i}")).collect() } else { vec![] },
        source: "generated".into(),
        run: "proptest".into(),
        producer: "never_panics".into(),
    }
}

/// A valid int8 model: random weights and scales, consistent multipliers.
fn int8_model(spec: &Spec, rng: &mut Rng) -> Int8Model {
    let layers = spec.sizes.len() - 1;
    let direct = spec.direct && matches!(spec.input_type, InputType::U8 | InputType::I8);
    // Each layer's input (scale, zero point); layer 0 direct has zero point 0.
    let quant: Vec<(f32, i8)> = (0..layers)
        .map(|l| {
            let zp = if l == 0 && direct { 0 } else { (rng.next() * 250.0) as i8 };
            (rng.next().abs() * 0.1 + 1e-3, zp)
        })
        .collect();
    let input = if direct {
        Int8Input::Direct
    } else {
        let pairs = if spec.uniform { 1 } else { spec.sizes[0] };
        Int8Input::Affine {
            center: (0..pairs).map(|_| rng.next() * 10.0).collect(),
            scale: (0..pairs).map(|_| rng.next().abs() * 20.0 + 0.01).collect(),
        }
    };
    let layers = (0..layers)
        .map(|l| {
            let (n, m) = (spec.sizes[l], spec.sizes[l + 1]);
            let last = l + 1 == layers;
            let activation = if last { Activation::Identity } else { spec.activation };
            let (input_scale, input_zero_point) = quant[l];
            let weight_scales: Vec<f32> = (0..m).map(|_| rng.next().abs() * 0.05 + 1e-4).collect();
            let table = (!last && matches!(activation, Activation::Sigmoid | Activation::Tanh)).then(|| Table {
                scale: rng.next().abs() * 0.1 + 1e-3,
                zero_point: (rng.next() * 200.0) as i8,
                values: (0..TABLE_LEN).map(|_| (rng.next() * 255.0) as i8).collect(),
            });
            let target = table.as_ref().map_or_else(|| quant.get(l + 1).map_or(1.0, |q| q.0), |t| t.scale);
            let (multiplier, shift) = if last {
                (vec![], vec![])
            } else {
                weight_scales
                    .iter()
                    .map(|&w| quantize_multiplier(input_scale as f64 * w as f64 / target as f64).unwrap())
                    .unzip()
            };
            Int8Layer {
                activation,
                input_scale,
                input_zero_point,
                weights: (0..n * m).map(|_| (rng.next() * 254.0) as i8).collect(),
                weight_scales,
                bias: (0..m).map(|_| (rng.next() * 1e5) as i32).collect(),
                multiplier,
                shift,
                table,
            }
        })
        .collect();
    Int8Model { sizes: spec.sizes.clone(), input, layers }
}

fn encode(spec: &Spec) -> Vec<u8> {
    let mut rng = Rng(spec.seed | 1);
    let desc = description(spec, &mut rng);
    if spec.int8 {
        encode_int8(&int8_model(spec, &mut rng), &desc).expect("a generated int8 model is valid")
    } else {
        let count: usize = spec.sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        let params = (0..count).map(|_| rng.next() * 0.4).collect();
        encode_f32(&Network::new(&spec.sizes, spec.activation, params), &desc).expect("a generated model is valid")
    }
}

/// Input values of every type, from one seed, some out of every type's range.
#[derive(Clone, Debug)]
struct Values {
    u8s: Vec<u8>,
    i8s: Vec<i8>,
    i16s: Vec<i16>,
    f32s: Vec<f32>,
}

fn values(len: usize, seed: u64) -> Values {
    let mut rng = Rng(seed | 1);
    let f32s: Vec<f32> = (0..len).map(|_| rng.next() * 1000.0).collect();
    Values {
        u8s: f32s.iter().map(|&x| x as u8).collect(),
        i8s: f32s.iter().map(|&x| x as i8).collect(),
        i16s: f32s.iter().map(|&x| (x * 70.0) as i16).collect(),
        f32s,
    }
}

fn every_type(values: &Values) -> [InputSlice<'_>; 4] {
    [
        InputSlice::U8(&values.u8s),
        InputSlice::I8(&values.i8s),
        InputSlice::I16(&values.i16s),
        InputSlice::F32(&values.f32s),
    ]
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
    // Half of the mutations aim at the prefix, meta and layer table (first 256 bytes): that is where the structure is.
    let pick = |at: usize| if at.is_multiple_of(2) { (at / 2) % bytes.len().min(256) } else { (at / 2) % bytes.len() };
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

/// File offsets of every float the format holds outside the meta, with
/// whether it must be positive (scales) or only finite (weights, biases, centers).
fn float_offsets(bytes: &[u8]) -> Vec<(usize, bool)> {
    let file = check(bytes).expect("valid");
    let base = file.prefix.payload_offset().unwrap();
    let mut out = Vec::new();
    let floats = |out: &mut Vec<(usize, bool)>, span: Span, positive: bool| {
        out.extend((0..span.len / 4).map(|k| (base + span.start + 4 * k, positive)));
    };
    let int8 = file.prefix.element == ffn_infer_embedded::ElementType::Int8;
    for layer in file.layers() {
        let layer = layer.unwrap();
        let a = layer.arrays;
        if int8 {
            let record = base + layer.index * LAYER_RECORD_LEN;
            out.push((record + 8, true));
            if layer.record.table_scale != 0.0 {
                out.push((record + 12, true));
            }
            floats(&mut out, a.weight_scales, true);
        } else {
            floats(&mut out, a.weights, false);
            floats(&mut out, a.bias, false);
        }
    }
    let affine = file.affine();
    if !affine.is_empty() {
        let start = affine.as_ptr() as usize - bytes.as_ptr() as usize;
        out.extend((0..affine.len() / 8).flat_map(|k| [(start + 8 * k, false), (start + 8 * k + 4, true)]));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), seed in any::<u64>()) {
        let input = values(16, seed);
        predict_if_accepted(&bytes, InputSlice::U8(&input.u8s));
        let mut with_prefix = b"FFNM\x02".to_vec();
        with_prefix.extend(&bytes);
        fix_crc(&mut with_prefix);
        predict_if_accepted(&with_prefix, InputSlice::F32(&input.f32s));
    }

    #[test]
    fn valid_models_load_and_predict_every_input_type(spec in any_spec(), seed in any::<u64>()) {
        let bytes = encode(&spec);
        let input = values(spec.sizes[0], seed);
        for slice in every_type(&input) {
            let result = predict_if_accepted(&bytes, slice).expect("a freshly encoded model loads");
            // f32 models may overflow on huge inputs; int8 models never fail on valid input.
            prop_assert!(result.is_ok() || (!spec.int8 && result == Err(Error::NonFiniteResult)), "{:?}", result);
        }
        let model = Model::from_bytes(&bytes).unwrap();
        let mut scratch = vec![0u32; model.scratch_bytes().div_ceil(4) + 1];
        let scratch: &mut [u8] = bytemuck::cast_slice_mut(&mut scratch);
        prop_assert_eq!(
            model.predict(&input.f32s[1..], scratch, &mut []),
            Err(Error::InputLength { expected: spec.sizes[0], got: spec.sizes[0] - 1 })
        );
        let mut nan = input.f32s.clone();
        nan[spec.sizes[0] - 1] = f32::NAN;
        prop_assert_eq!(model.predict(&nan, scratch, &mut []), Err(Error::NonFiniteInput { index: spec.sizes[0] - 1 }));
        let mut short = vec![0.0; model.classes() - 1];
        let too_few = model.predict(&input.u8s, scratch, &mut short);
        prop_assert!(matches!(too_few, Err(Error::ScoresTooSmall { .. })), "{:?}", too_few);
        prop_assert_eq!(model.predict(&input.f32s, &mut scratch[1..], &mut []), Err(Error::ScratchMisaligned));
    }

    #[test]
    fn one_bad_float_is_refused(spec in any_spec(), pick in any::<usize>(), bad in 0usize..5) {
        let mut bytes = encode(&spec);
        let offsets = float_offsets(&bytes);
        let (at, positive) = offsets[pick % offsets.len()];
        // Zero and negative numbers are bad only where a scale must be positive.
        let value = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -1.5][bad % if positive { 5 } else { 3 }];
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        fix_crc(&mut bytes);
        prop_assert!(Model::from_bytes(&bytes).is_err(), "{value} at {at} accepted");
    }

    #[test]
    fn mutated_models_never_panic(
        spec in any_spec(),
        mutations in prop::collection::vec(any_mutation(), 1..4),
        recrc in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut bytes = encode(&spec);
        for mutation in &mutations {
            mutate(&mut bytes, mutation);
        }
        if recrc {
            fix_crc(&mut bytes);
        }
        let input = values(spec.sizes[0], seed);
        for slice in every_type(&input) {
            predict_if_accepted(&bytes, slice);
        }
    }
}

#[test]
fn nan_weight_scales_with_a_valid_crc_are_refused() {
    let spec = Spec {
        sizes: vec![6, 4, 3],
        activation: Activation::Relu,
        int8: true,
        input_type: InputType::U8,
        preprocessing: 1,
        direct: true,
        uniform: true,
        seed: 7,
    };
    let mut bytes = encode(&spec);
    let file = check(&bytes).unwrap();
    let base = file.prefix.payload_offset().unwrap();
    let scales = file.layers().next().unwrap().unwrap().arrays.weight_scales;
    bytes[base + scales.start..base + scales.start + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    fix_crc(&mut bytes);
    assert_eq!(Model::from_bytes(&bytes).unwrap_err(), Error::BadScale { layer: 0 });
}

#[test]
fn preprocessing_values_are_validated() {
    let mut spec = Spec {
        sizes: vec![3, 2],
        activation: Activation::Identity,
        int8: false,
        input_type: InputType::F32,
        preprocessing: 2,
        direct: false,
        uniform: false,
        seed: 3,
    };
    for int8 in [false, true] {
        spec.int8 = int8;
        let bytes = encode(&spec);
        let Some(ffn_infer_embedded::Preprocessing::Standardize { std, .. }) =
            Model::from_bytes(&bytes).ok().map(|m| m.preprocessing())
        else {
            panic!("a standardised model")
        };
        let at = std.as_ptr() as usize - bytes.as_ptr() as usize;
        for bad in [f32::NAN, f32::INFINITY, 0.0, -2.0] {
            let mut broken = bytes.clone();
            broken[at..at + 4].copy_from_slice(&bad.to_le_bytes());
            fix_crc(&mut broken);
            assert_eq!(Model::from_bytes(&broken).unwrap_err(), Error::BadPreprocessing, "std {bad}");
        }
    }
}
