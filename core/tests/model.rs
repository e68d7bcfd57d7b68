//! The owning `Model`: seeded determinism, initialisers, odd batch sizes,
//! chunked evaluation, and `train_step` as forward/backward + update.

mod common;

use common::{INPUT_SIZE, InTurn, NUM_CLASSES, assert_same_bits, random_labels, test_rng, uniform_vec};
use ffn_core::Init;
use ffn_core::activation;
use ffn_core::exec::{Executor, Serial};
use ffn_core::loss::{self, LossSpec};
use ffn_core::model::{Model, StepStats};
use ffn_core::optim::{self, Hyper, Optimizer};
use ffn_core::rng::{rng_for, shuffle};
use ffn_pool::Pool;

const SIZES: [usize; 4] = [INPUT_SIZE, 32, 16, NUM_CLASSES];

fn cross_entropy() -> &'static LossSpec {
    loss::by_name("cross_entropy").unwrap()
}

/// A synthetic data set: `rows` inputs in [0, 1) and labels.
fn data(seed: u64, rows: usize) -> (Vec<f32>, Vec<u32>) {
    let mut rng = test_rng(seed);
    (uniform_vec(&mut rng, rows * INPUT_SIZE, 0.0, 1.0), random_labels(&mut rng, rows, NUM_CLASSES))
}

/// Trains a fresh model for `epochs` over `rows` synthetic rows in shuffled
/// batches of `batch` (the last one partial), as the trainer does.
fn train(seed: u64, optimizer_name: &str, rows: usize, batch: usize, epochs: usize) -> Model {
    let (inputs, labels) = data(100, rows);
    let relu = activation::by_name("relu").unwrap();
    let mut model = Model::new(&SIZES, relu, Init::Xavier, seed, batch);
    let hyper = Hyper { weight_decay: 1e-3, ..Hyper::default() };
    let mut optimizer = Optimizer::new(optim::by_name(optimizer_name).unwrap(), hyper, model.params.len());
    let mut order: Vec<usize> = (0..rows).collect();
    let mut rng = rng_for(seed, 2);
    let (mut batch_inputs, mut batch_labels) = (Vec::new(), Vec::new());
    for _ in 0..epochs {
        shuffle(&mut rng, &mut order);
        for chunk in order.chunks(batch) {
            batch_inputs.clear();
            batch_labels.clear();
            for &row in chunk {
                batch_inputs.extend_from_slice(&inputs[row * INPUT_SIZE..(row + 1) * INPUT_SIZE]);
                batch_labels.push(labels[row]);
            }
            model.train_step(&Serial, &batch_inputs, &batch_labels, cross_entropy(), 0.1, &mut optimizer);
        }
    }
    model
}

#[test]
fn same_seed_gives_bit_identical_weights_and_another_seed_does_not() {
    for optimizer in ["nadam", "eve"] {
        let a = train(7, optimizer, 100, 16, 3);
        let b = train(7, optimizer, 100, 16, 3);
        assert_same_bits(&format!("{optimizer}: two runs with seed 7"), &a.params, &b.params);
        let c = train(8, optimizer, 100, 16, 3);
        let differing = a.params.iter().zip(&c.params).filter(|(x, y)| x != y).count();
        assert!(differing > a.params.len() * 9 / 10, "{optimizer}: seeds 7 and 8 share {differing} weights");
    }
    // The seed alone fixes the initial weights, whatever the batch capacity.
    let relu = activation::by_name("relu").unwrap();
    let small = Model::new(&SIZES, relu, Init::Random, 3, 1);
    let large = Model::new(&SIZES, relu, Init::Random, 3, 500);
    assert_same_bits("initial weights", &small.params, &large.params);
}

#[test]
fn initialisers_follow_their_documented_distributions() {
    let sizes = [INPUT_SIZE, 256, NUM_CLASSES];
    let sigmoid = activation::by_name("sigmoid").unwrap();
    for init in Init::ALL {
        let model = Model::new(&sizes, sigmoid, init, 11, 1);
        let layout = model.layout();
        for layer in 0..2 {
            assert!(model.params[layout.bias(layer)].iter().all(|&b| b == 0.0), "{init:?}: biases start at 0");
            let w = &model.params[layout.weights(layer)];
            let n = w.len() as f64;
            let mean = w.iter().map(|&x| x as f64).sum::<f64>() / n;
            let var = w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
            let (fan_in, fan_out) = (layout.fan_in(layer), layout.fan_out(layer));
            // N(0, 0.01²) for Random; U(−a, a) with variance a²/3 for Xavier.
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
            let expected_var = match init {
                Init::Random => 1e-4,
                Init::Xavier => limit * limit / 3.0,
            };
            // Sampling error of a variance estimate is ≈ var·√(2/n) (≤ 1.7% here for n ≥ 2560).
            assert!(
                (var / expected_var - 1.0).abs() < 0.06,
                "{init:?} layer {layer}: variance {var:e}, expected {expected_var:e}"
            );
            assert!(mean.abs() < 4.0 * (expected_var / n).sqrt(), "{init:?} layer {layer}: mean {mean:e}");
            if init == Init::Xavier {
                assert!(w.iter().all(|&x| (x as f64).abs() <= limit), "Xavier weights stay inside ±{limit}");
            }
        }
    }
    assert_eq!(Init::by_name("glorot"), Some(Init::Xavier));
    assert_eq!(Init::by_name("RANDOM"), Some(Init::Random));
    assert_eq!(Init::by_name("he"), None);
}

/// Softmax rows of `probs` (width `classes`) are distributions.
fn assert_distributions(probs: &[f32], rows: usize) {
    assert_eq!(probs.len(), rows * NUM_CLASSES);
    for row in probs.chunks_exact(NUM_CLASSES) {
        let total: f32 = row.iter().sum();
        assert!(row.iter().all(|p| p.is_finite() && *p >= 0.0) && (total - 1.0).abs() < 1e-5, "{row:?}");
    }
}

#[test]
fn batch_of_one_partial_batches_and_capacity_beyond_the_data_work() {
    let tanh = activation::by_name("tanh").unwrap();
    let (inputs, labels) = data(3, 37);
    let mut model = Model::new(&SIZES, tanh, Init::Xavier, 5, 16);
    assert_eq!(model.max_batch(), 16);

    // Batches of 16, 16 and a last partial 5; then single rows.
    for (chunk, chunk_labels) in inputs.chunks(16 * INPUT_SIZE).zip(labels.chunks(16)) {
        let stats = model.forward_backward(chunk, chunk_labels, cross_entropy(), 0.0, 1e-4);
        assert!(stats.loss_sum.is_finite() && stats.correct <= chunk_labels.len());
        assert!(model.grads.iter().all(|g| g.is_finite()));
        assert_distributions(model.forward(&Serial, chunk, chunk_labels.len()), chunk_labels.len());
    }
    let stats = model.forward_backward(&inputs[..INPUT_SIZE], &labels[..1], cross_entropy(), 0.0, 0.0);
    assert!(stats.loss_sum > 0.0 && stats.correct <= 1);

    // A partial batch in a large buffer gives the same gradients as a model
    // sized exactly for it: no stale rows from the previous, fuller batch leak in.
    let tail = 32 * INPUT_SIZE..37 * INPUT_SIZE;
    let mut full_then_partial = Model::from_params(&SIZES, tanh, model.params.clone(), 16);
    let mut exact = Model::from_params(&SIZES, tanh, model.params.clone(), 5);
    full_then_partial.forward_backward(&inputs[..16 * INPUT_SIZE], &labels[..16], cross_entropy(), 0.0, 0.0);
    let a = full_then_partial.forward_backward(&inputs[tail.clone()], &labels[32..], cross_entropy(), 0.0, 0.0);
    let b = exact.forward_backward(&inputs[tail], &labels[32..], cross_entropy(), 0.0, 0.0);
    assert_eq!(a, b);
    assert_same_bits("partial-batch gradients", &full_then_partial.grads, &exact.grads);

    // Capacity (the CLI's batch size) larger than the whole data set.
    let mut roomy = Model::from_params(&SIZES, tanh, model.params.clone(), 500);
    let stats = roomy.forward_backward(&inputs, &labels, cross_entropy(), 0.0, 0.0);
    assert!(stats.loss_sum.is_finite());
    assert_distributions(roomy.forward(&Serial, &inputs, 37), 37);
    let mut seen = 0;
    roomy.evaluate(&Serial, &inputs, &labels, cross_entropy(), |_, _| seen += 1);
    assert_eq!(seen, 37);

    // An empty split (e.g. no validation rows) evaluates to nothing, not a panic.
    let empty = roomy.evaluate(&Serial, &[], &[], cross_entropy(), |_, _| panic!("no rows"));
    assert_eq!(empty, StepStats::default());
}

#[test]
fn evaluate_in_chunks_equals_the_per_chunk_results() {
    let sigmoid = activation::by_name("sigmoid").unwrap();
    let (inputs, labels) = data(4, 50);
    let mut chunked = Model::new(&SIZES, sigmoid, Init::Xavier, 6, 8);
    for &loss in loss::REGISTRY {
        let mut rows = Vec::new();
        let total = chunked.evaluate(&Serial, &inputs, &labels, loss, |label, predicted| rows.push((label, predicted)));

        // The same chunks of 8 (the last one 2 rows) by hand.
        let mut expected = StepStats::default();
        let mut expected_rows = Vec::new();
        for (chunk, chunk_labels) in inputs.chunks(8 * INPUT_SIZE).zip(labels.chunks(8)) {
            let probs = chunked.forward(&Serial, chunk, chunk_labels.len()).to_vec();
            expected.loss_sum += (loss.loss_and_grad)(&probs, chunk_labels, 0.0, 1.0, None);
            for (row, &label) in probs.chunks_exact(NUM_CLASSES).zip(chunk_labels) {
                let predicted = (0..NUM_CLASSES).fold(0, |best, k| if row[k] > row[best] { k } else { best });
                expected.correct += (predicted == label as usize) as usize;
                expected_rows.push((label as usize, predicted));
            }
        }
        assert_eq!(total, expected, "{}", loss.name);
        assert_eq!(rows, expected_rows, "{}", loss.name);

        // And one pass over all 50 rows agrees up to f32 summation order.
        let mut whole = Model::from_params(&SIZES, sigmoid, chunked.params.clone(), 64);
        let all = whole.evaluate(&Serial, &inputs, &labels, loss, |_, _| {});
        assert_eq!(all.correct, total.correct, "{}", loss.name);
        assert!((all.loss_sum - total.loss_sum).abs() <= 1e-5 * total.loss_sum, "{}", loss.name);

        // Evaluation reports the same loss as a training pass without smoothing.
        let mut trainer = Model::from_params(&SIZES, sigmoid, chunked.params.clone(), 64);
        let step = trainer.forward_backward(&inputs, &labels, loss, 0.0, 0.0);
        assert_eq!(step.correct, all.correct);
        assert!((step.loss_sum - all.loss_sum).abs() <= 1e-6 * all.loss_sum, "{}", loss.name);
    }
}

#[test]
fn train_step_is_forward_backward_with_the_optimizers_decay_then_the_update() {
    let relu = activation::by_name("ReLU").unwrap();
    let (inputs, labels) = data(5, 12);
    let hyper = Hyper { weight_decay: 0.01, learning_rate: 0.05, ..Hyper::default() };
    let eve = optim::by_name("eve").unwrap();
    let mut a = Model::new(&SIZES, relu, Init::Xavier, 1, 12);
    let mut b = a.clone();
    let (mut opt_a, mut opt_b) =
        (Optimizer::new(eve, hyper, a.params.len()), Optimizer::new(eve, hyper, b.params.len()));
    for _ in 0..3 {
        let stats = a.train_step(&Serial, &inputs, &labels, cross_entropy(), 0.05, &mut opt_a);
        let manual = b.forward_backward(&inputs, &labels, cross_entropy(), 0.05, 0.01);
        assert_eq!(stats, manual);
        // Eve sees the batch-mean loss.
        opt_b.update(&mut b.params, &b.grads, manual.loss_sum / 12.0);
        assert_same_bits("params", &a.params, &b.params);
    }
    assert_eq!(opt_a.scalars, opt_b.scalars);
}

/// The executors a step may run on: one thread (the reference step), two
/// parts in turn (the plans, deterministically), and a pool of two threads.
fn executors(pool: &Pool) -> [(&'static str, &dyn Executor); 3] {
    [("one thread", &Serial), ("two parts in turn", &InTurn), ("a pool of two threads", pool)]
}

/// Small batches train through the weight-rows plan on more than one
/// thread (each of two parts owns half of every layer's weight rows): the
/// reference step on one thread, the plan with its parts in turn and on two
/// threads must give the same bits, with and without dropout, for a rule
/// with per-step scalars (Eve) and one without, at the batch sizes that
/// update in blocks and that do not.
#[test]
fn small_batch_steps_give_the_same_bits_on_every_executor() {
    let relu = activation::by_name("ReLU").unwrap();
    let (inputs, labels) = data(9, 48);
    let sizes = [INPUT_SIZE, 128, 64, NUM_CLASSES];
    let pool = Pool::new(2);
    let run = |executor: &dyn Executor, optimizer: &str, dropout: f32, batch: usize| {
        let mut model = Model::new(&sizes, relu, Init::Xavier, 3, batch);
        let hyper = Hyper { weight_decay: 1e-3, ..Hyper::default() };
        let mut optimizer = Optimizer::new(optim::by_name(optimizer).unwrap(), hyper, model.params.len());
        let mut hits = 0;
        for (step, (x, y)) in inputs.chunks(batch * INPUT_SIZE).zip(labels.chunks(batch)).enumerate() {
            model.set_dropout(dropout, rng_for(3, step as u64));
            hits += model.train_step(executor, x, y, cross_entropy(), 0.1, &mut optimizer).correct;
        }
        (model.params.to_vec(), hits)
    };
    for batch in [16, 24] {
        for optimizer in ["rmsprop", "eve"] {
            for dropout in [0.0, 0.3] {
                let (reference, reference_hits) = run(&Serial, optimizer, dropout, batch);
                for (name, executor) in executors(&pool).into_iter().skip(1) {
                    let (got, hits) = run(executor, optimizer, dropout, batch);
                    let case = format!("batch {batch}, {optimizer}, dropout {dropout}, {name}");
                    assert_same_bits(&case, &got, &reference);
                    assert_eq!(hits, reference_hits, "{case}");
                }
            }
        }
    }
}

/// Larger batches train through the batch-rows plan on more than one
/// thread (one phase forward, one per layer backward, two parts each) and
/// through `forward_backward` and one `Optimizer::update` on one: after
/// every step the weights and the loss are bit for bit those of the latter,
/// with and without dropout, also for a rule that feeds the loss back (Eve).
#[test]
fn large_batch_steps_give_the_weights_of_forward_backward_and_an_update() {
    let relu = activation::by_name("ReLU").unwrap();
    let batch = 100;
    let (inputs, labels) = data(10, 3 * batch);
    let sizes = [INPUT_SIZE, 128, 64, NUM_CLASSES];
    let hyper = Hyper { weight_decay: 1e-3, ..Hyper::default() };
    let pool = Pool::new(2);
    for optimizer in ["rmsprop", "adam", "eve"] {
        for dropout in [0.0, 0.3] {
            for (name, executor) in executors(&pool) {
                let mut split = Model::new(&sizes, relu, Init::Xavier, 4, batch);
                let mut reference = split.clone();
                let spec = optim::by_name(optimizer).unwrap();
                let (mut split_opt, mut reference_opt) =
                    (Optimizer::new(spec, hyper, split.params.len()), Optimizer::new(spec, hyper, split.params.len()));
                let batches = inputs.chunks(batch * INPUT_SIZE).zip(labels.chunks(batch));
                for (step, (x, y)) in batches.enumerate() {
                    split.set_dropout(dropout, rng_for(4, step as u64));
                    reference.set_dropout(dropout, rng_for(4, step as u64));
                    let got = split.train_step(executor, x, y, cross_entropy(), 0.1, &mut split_opt);
                    let want = reference.forward_backward(x, y, cross_entropy(), 0.1, hyper.weight_decay);
                    reference_opt.update(&mut reference.params, &reference.grads, want.loss_sum / batch as f32);
                    let case = format!("{optimizer}, dropout {dropout}, {name}, step {step}");
                    assert_same_bits(&case, &split.params, &reference.params);
                    assert_eq!(got.correct, want.correct, "{case}");
                    assert_eq!(got.loss_sum.to_bits(), want.loss_sum.to_bits(), "{case}");
                }
                // Inference on more rows than the small-batch limit: the same
                // bits on every executor, and the probabilities of both halves
                // taken apart.
                let whole = split.forward(executor, &inputs[..batch * INPUT_SIZE], batch).to_vec();
                let serial = split.forward(&Serial, &inputs[..batch * INPUT_SIZE], batch).to_vec();
                assert_same_bits(&format!("forward, {optimizer}, {name}"), &whole, &serial);
                let cut = 48;
                let mut halves = split.forward(executor, &inputs[..cut * INPUT_SIZE], cut).to_vec();
                halves.extend_from_slice(split.forward(
                    executor,
                    &inputs[cut * INPUT_SIZE..batch * INPUT_SIZE],
                    batch - cut,
                ));
                assert_eq!(whole.len(), halves.len());
                for (a, b) in whole.iter().zip(&halves) {
                    assert!((a - b).abs() <= 1e-5, "forward, {optimizer}, {name}: {a} against {b}");
                }
            }
        }
    }
}

/// `train_step_alongside` runs its side job exactly once per step on every
/// path (the weight-rows plan, where a helper may run it during the output
/// layer; the batch-rows plan; one thread), and trains the bits of
/// `train_step`.
#[test]
fn train_step_alongside_runs_its_side_job_once_and_trains_the_same_bits() {
    let relu = activation::by_name("ReLU").unwrap();
    let sizes = [INPUT_SIZE, 128, 64, NUM_CLASSES];
    let hyper = Hyper { weight_decay: 1e-3, ..Hyper::default() };
    let pool = Pool::new(2);
    for batch in [16, 100] {
        for (name, executor) in executors(&pool) {
            let (inputs, labels) = data(11, 4 * batch);
            let mut plain = Model::new(&sizes, relu, Init::Xavier, 5, batch);
            let mut alongside = plain.clone();
            let spec = optim::by_name("rmsprop").unwrap();
            let mut plain_opt = Optimizer::new(spec, hyper, plain.params.len());
            let mut alongside_opt = plain_opt.clone();
            let batches: Vec<_> = inputs.chunks(batch * INPUT_SIZE).zip(labels.chunks(batch)).collect();
            let mut copied = vec![0.0f32; batch * INPUT_SIZE];
            for (step, &(x, y)) in batches.iter().enumerate() {
                let case = format!("batch {batch}, {name}, step {step}");
                let want = plain.train_step(executor, x, y, cross_entropy(), 0.1, &mut plain_opt);
                // The side job copies the next batch, as the trainer's gathers it.
                let (next, mut runs) = (batches[(step + 1) % batches.len()].0, 0);
                let mut side = |side_executor: &dyn Executor| {
                    runs += 1;
                    // Beside a small-batch plan the side job runs on a helper
                    // and must not use the pool; before a step it may.
                    assert!(batch > 64 || side_executor.threads() == 1, "{case}: the pool, beside its own step");
                    copied.copy_from_slice(next);
                };
                let got =
                    alongside.train_step_alongside(executor, x, y, cross_entropy(), 0.1, &mut alongside_opt, &mut side);
                assert_eq!(runs, 1, "{case}");
                assert_same_bits(&case, &copied, next);
                assert_same_bits(&case, &alongside.params, &plain.params);
                assert_eq!((got.loss_sum.to_bits(), got.correct), (want.loss_sum.to_bits(), want.correct), "{case}");
            }
        }
    }
}

#[test]
fn an_empty_batch_runs_the_side_job_and_changes_nothing() {
    let relu = activation::by_name("ReLU").unwrap();
    let sizes = [INPUT_SIZE, 128, 64, NUM_CLASSES];
    let pool = Pool::new(2);
    for (name, executor) in executors(&pool) {
        let mut model = Model::new(&sizes, relu, Init::Xavier, 5, 16);
        let before = model.params.to_vec();
        let spec = optim::by_name("rmsprop").unwrap();
        let mut optimizer = Optimizer::new(spec, Hyper { weight_decay: 1e-3, ..Hyper::default() }, model.params.len());
        let mut runs = 0;
        let stats =
            model.train_step_alongside(executor, &[], &[], cross_entropy(), 0.0, &mut optimizer, &mut |_| runs += 1);
        assert_eq!((stats, runs), (StepStats::default(), 1), "{name}");
        assert_same_bits("weights after an empty batch", &model.params, &before);
        assert!(optimizer.state.iter().all(|&s| s == 0.0), "optimizer state after an empty batch");
    }
}
