//! The plans of the training step on small, odd layers: widths that are not
//! multiples of 16 (so the two parts' halves of a row share cache lines and
//! the cut falls inside a vector), a layer narrower than 32 (one part owns
//! it whole), dropout, and a rule with per-step scalars. Every executor
//! gives the reference step's bits, step after step: the weight-rows plan
//! (batch 16) and the batch-rows plan (batch 80), parts in turn (last part
//! first) and on a pool of two threads. Small enough to run under Miri
//! (`scripts/miri.sh`), which checks the plans' shared buffers for data
//! races and aliasing.

mod common;

use common::{InTurn, assert_same_bits, random_labels, test_rng, uniform_vec};
use ffn_core::Init;
use ffn_core::activation;
use ffn_core::exec::{Executor, Serial};
use ffn_core::loss;
use ffn_core::model::Model;
use ffn_core::optim::{self, Hyper, Optimizer};
use ffn_core::rng::rng_for;
use ffn_pool::Pool;

/// Under Miri, which interprets every multiply-add, one hidden layer still
/// wide enough for both parts.
const SIZES: &[usize] = if cfg!(miri) { &[33, 34, 7] } else { &[40, 34, 20, 33, 7] };

fn train(executor: &dyn Executor, batch: usize, steps: usize) -> (Vec<f32>, Vec<(u32, usize)>) {
    let mut rng = test_rng(31);
    let inputs = uniform_vec(&mut rng, steps * batch * SIZES[0], 0.0, 1.0);
    let labels = random_labels(&mut rng, steps * batch, 7);
    let tanh = activation::by_name("tanh").unwrap();
    let cross_entropy = loss::by_name("cross_entropy").unwrap();
    let mut model = Model::new(SIZES, tanh, Init::Xavier, 8, batch);
    let hyper = Hyper { weight_decay: 1e-3, learning_rate: 0.01, ..Hyper::default() };
    let mut optimizer = Optimizer::new(optim::by_name("eve").unwrap(), hyper, model.params.len());
    let mut stats = Vec::new();
    for step in 0..steps {
        let rows = step * batch..(step + 1) * batch;
        model.set_dropout(0.25, rng_for(8, step as u64));
        let x = &inputs[rows.start * SIZES[0]..rows.end * SIZES[0]];
        let got = model.train_step(executor, x, &labels[rows], cross_entropy, 0.05, &mut optimizer);
        stats.push((got.loss_sum.to_bits(), got.correct));
    }
    let mut out = model.params.to_vec();
    out.extend_from_slice(model.forward(executor, &inputs[..batch * SIZES[0]], batch));
    (out, stats)
}

#[test]
fn every_executor_gives_the_reference_steps_bits_on_odd_layers() {
    let pool = Pool::new(2);
    let steps = if cfg!(miri) { 1 } else { 5 };
    for batch in [16, if cfg!(miri) { 65 } else { 80 }] {
        let (reference, reference_stats) = train(&Serial, batch, steps);
        for (name, executor) in [("parts in turn", &InTurn as &dyn Executor), ("a pool of two threads", &pool)] {
            let (got, stats) = train(executor, batch, steps);
            assert_same_bits(&format!("batch {batch}, {name}"), &got, &reference);
            assert_eq!(stats, reference_stats, "batch {batch}, {name}: loss and hits");
        }
    }
}
