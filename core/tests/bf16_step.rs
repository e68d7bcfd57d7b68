//! Training steps with bf16 products (`Kernels::with_bf16`), at every bf16
//! level this CPU allows (forced with `bf16::Kernels::force`): every
//! executor gives the reference step's bits at the small-batch and the
//! large-batch plan (odd layers: the packed weights' cuts inside vectors, a
//! layer narrower than 32); the AVX512-BF16 level and its f32 model give
//! the same bits; the products really run in bf16 (the weights differ from
//! an f32 run's, by about bf16's rounding); and evaluation multiplies in f32
//! (the forward pass of a bf16-trained model is the f32 forward pass of its
//! weights).

mod common;

use common::{InTurn, assert_same_bits, random_labels, test_rng, uniform_vec};
use ffn_core::Init;
use ffn_core::activation;
use ffn_core::exec::{Executor, Serial};
use ffn_core::kernels::bf16::{self, Level};
use ffn_core::loss;
use ffn_core::model::Model;
use ffn_core::optim::{self, Hyper, Optimizer};
use ffn_core::rng::rng_for;
use ffn_pool::Pool;

const SIZES: &[usize] = &[40, 34, 20, 33, 7];
const STEPS: usize = 5;

/// The levels this CPU runs (always the f32 one).
fn levels() -> Vec<Level> {
    Level::ALL.into_iter().filter(|&l| bf16::Kernels::force(l).level() == l).collect()
}

/// Parameters after `STEPS` steps, then the probabilities of the first batch,
/// then each step's loss bits and hits.
fn train(executor: &dyn Executor, level: Option<Level>, batch: usize) -> (Vec<f32>, Vec<(u32, usize)>) {
    let mut rng = test_rng(57);
    let inputs = uniform_vec(&mut rng, STEPS * batch * SIZES[0], 0.0, 1.0);
    let labels = random_labels(&mut rng, STEPS * batch, 7);
    let relu = activation::by_name("ReLU").unwrap();
    let cross_entropy = loss::by_name("cross_entropy").unwrap();
    let mut model = Model::new(SIZES, relu, Init::Xavier, 9, batch);
    model.kernels = model.kernels.with_bf16(level.map(bf16::Kernels::force));
    let hyper = Hyper { weight_decay: 1e-3, learning_rate: 0.01, ..Hyper::default() };
    let mut optimizer = Optimizer::new(optim::by_name("adam").unwrap(), hyper, model.params.len());
    let mut stats = Vec::new();
    for step in 0..STEPS {
        let rows = step * batch..(step + 1) * batch;
        model.set_dropout(0.2, rng_for(9, step as u64));
        let x = &inputs[rows.start * SIZES[0]..rows.end * SIZES[0]];
        let got = model.train_step(executor, x, &labels[rows], cross_entropy, 0.1, &mut optimizer);
        stats.push((got.loss_sum.to_bits(), got.correct));
    }
    let mut out = model.params.to_vec();
    out.extend_from_slice(model.forward(executor, &inputs[..batch * SIZES[0]], batch));
    (out, stats)
}

#[test]
fn every_level_and_executor_gives_the_reference_steps_bits() {
    let pool = Pool::new(2);
    let levels = levels();
    assert!(levels.contains(&Level::F32));
    for batch in [16, 80] {
        let mut per_level = Vec::new();
        for &level in &levels {
            let (reference, reference_stats) = train(&Serial, Some(level), batch);
            for (name, executor) in [("parts in turn", &InTurn as &dyn Executor), ("a pool of two threads", &pool)] {
                let (got, stats) = train(executor, Some(level), batch);
                assert_same_bits(&format!("batch {batch}, {level:?}, {name}"), &got, &reference);
                assert_eq!(stats, reference_stats, "batch {batch}, {level:?}, {name}: loss and hits");
            }
            per_level.push((level, reference));
        }
        // The f32 level models VDPBF16PS exactly: it is the AVX512-BF16 level's bits on any CPU.
        let bits = |l: Level| per_level.iter().find(|(level, _)| *level == l).map(|(_, bits)| bits);
        if let (Some(model), Some(avx512)) = (bits(Level::F32), bits(Level::Avx512Bf16)) {
            assert_same_bits(&format!("batch {batch}: f32 level vs AVX512-BF16"), model, avx512);
        }
    }
}

#[test]
fn bf16_products_round_their_operands_and_evaluation_stays_f32() {
    for batch in [16, 80] {
        let (f32_run, _) = train(&Serial, None, batch);
        let (bf16_run, _) = train(&Serial, Some(Level::F32), batch);
        let params = f32_run.len() - batch * SIZES[SIZES.len() - 1];
        let (a, b) = (&f32_run[..params], &bf16_run[..params]);
        let differ = a.iter().zip(b).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
        assert!(differ > params / 2, "batch {batch}: only {differ} of {params} weights differ from f32's");
        // Adam moves every weight by about the rate per step whatever its
        // gradient's size, so weights whose gradients are near zero may go
        // either way; on the whole, bf16's 8-bit mantissa must change the
        // steps far less than the steps themselves moved the weights.
        let relu = activation::by_name("ReLU").unwrap();
        let start = Model::new(SIZES, relu, Init::Xavier, 9, batch).params.to_vec();
        let mean_gap = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).sum::<f32>() / params as f32;
        let (moved, apart) = (mean_gap(a, &start), mean_gap(a, b));
        println!("batch {batch}: mean move {moved}, mean bf16 − f32 gap {apart}");
        assert!(apart < 0.25 * moved, "batch {batch}: bf16 is {apart} from f32 on average, the steps moved {moved}");

        // Evaluation of the bf16-trained weights is the f32 forward pass.
        let inputs = uniform_vec(&mut test_rng(58), batch * SIZES[0], 0.0, 1.0);
        let mut trained = Model::from_params(SIZES, relu, b, batch);
        let f32_forward = trained.forward(&Serial, &inputs, batch).to_vec();
        trained.kernels = trained.kernels.with_bf16(Some(bf16::Kernels::force(Level::F32)));
        assert_same_bits(&format!("batch {batch}: forward"), trained.forward(&Serial, &inputs, batch), &f32_forward);
    }
}
