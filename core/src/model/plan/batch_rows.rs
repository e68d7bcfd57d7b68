//! The plan for large batches: one phase forward, one per layer backward.
//!
//! Splitting each GEMM, activation and optimizer pass over the cores on its
//! own took about 25 hand-overs per step at batch 256, with the bias rows,
//! the bias gradients and the loss on the calling thread while the helper
//! waited. Here:
//!
//! - forward: part `p` takes its half of the batch's rows (the order's loss
//!   blocks) through every layer, then softmax, loss and `∂loss/∂logits` for
//!   those rows; the parts share nothing but the weights, which nobody
//!   writes then;
//! - backward, layer `l`: the input gradient of the part's batch rows
//!   (times the dropout mask and the activation's slope below), the weight
//!   gradient of its half of the weight rows, the bias gradient of its half
//!   of the columns, and the optimizer update of layer `l + 1`'s halves
//!   (layer `l`'s weights are still read by the other part's input
//!   gradient) — and of layer 0's in the last phase.
//!
//! Every product runs in matrixmultiply on a block, which gives each element
//! the bits of the whole product (see `kernels::gemm`), and the loss is
//! summed by the order's halves: so the weights after a step are those of
//! the reference step.

use super::super::layer::StepBuffers;
use super::super::network::{Model, StepStats};
use super::super::order::{Order, half};
use super::super::step::forward_rows;
use super::{OnePart, PARTS};
use crate::exec::Executor;
use crate::loss::LossSpec;
use crate::optim::{Optimizer, RangeUpdate};

/// [`Model::train_step_alongside`] for batches above `SMALL_BATCH`, on an
/// executor of more than one thread (the side job has run).
pub(in crate::model) fn train_step(
    model: &mut Model,
    executor: &dyn Executor,
    inputs: &[f32],
    labels: &[u32],
    loss: &LossSpec,
    label_smoothing: f32,
    optimizer: &mut Optimizer,
) -> StepStats {
    let batch = labels.len();
    model.draw_dropout_masks(batch);
    let decay = optimizer.hyper.weight_decay;
    let step = StepBuffers::new(model, inputs, batch, Order::training(batch), true, decay);
    let scores = [OnePart::new(StepStats::default()), OnePart::new(StepStats::default())];
    executor.run(PARTS, &|part| {
        let rows = step.order.loss_rows(batch, part);
        // SAFETY: this part's rows of every layer's outputs, kept values and
        // the output layer's deltas; the weights are only read. `scores[part]`
        // is this part's alone.
        unsafe {
            forward_rows(&step, rows.clone());
            *scores[part].get() = step.score(rows, labels, loss, label_smoothing);
        }
    });
    let [first, second] = scores.map(OnePart::into_inner);
    let stats = first + second;
    optimizer.begin_step(stats.loss_sum / batch as f32);
    let update = optimizer.ranges();
    let layers = step.layers();
    for layer in (0..layers).rev() {
        executor.run(PARTS, &|part| {
            backward(&step, layer, part);
            if layer + 1 < layers {
                update_halves(&step, layer + 1, part, &update);
            }
            if layer == 0 {
                update_halves(&step, 0, part, &update);
            }
        });
    }
    stats
}

/// [`Model::forward`] for batches above `SMALL_BATCH` on more than one
/// thread: each part takes half of the rows through every layer, in one
/// hand-over.
pub(in crate::model) fn forward(model: &mut Model, executor: &dyn Executor, inputs: &[f32], batch: usize) {
    let step = StepBuffers::new(model, inputs, batch, Order::inference(), false, 0.0);
    executor.run(PARTS, &|part| {
        // SAFETY: this part's rows of every layer's outputs; the weights are only read.
        unsafe { forward_rows(&step, half(batch, part)) }
    });
}

/// Layer `layer`'s input gradient for this part's batch rows, and the
/// weight and bias gradients of its halves.
fn backward(step: &StepBuffers, layer: usize, part: usize) {
    let (fan_in, fan_out) = (step.sizes[layer], step.sizes[layer + 1]);
    // SAFETY: this part writes its batch rows of the layer below's deltas,
    // its rows of the weight gradient and its columns of the bias gradient;
    // this layer's deltas, weights and inputs are only read in this phase
    // (the updates of this phase touch layer `layer + 1` or, in the last
    // phase, each part's own halves of layer 0 after its own reads).
    unsafe {
        if layer > 0 {
            step.input_gradient(layer, half(step.batch, part), 0..fan_in);
        }
        step.weight_gradient(layer, half(fan_in, part));
        step.bias_gradient(layer, half(fan_out, part));
    }
}

/// The optimizer update of this part's halves of layer `layer` (the rows
/// and columns whose gradients it computed).
fn update_halves(step: &StepBuffers, layer: usize, part: usize, update: &RangeUpdate) {
    let (fan_in, fan_out) = (step.sizes[layer], step.sizes[layer + 1]);
    // SAFETY: this part's parameters; nobody reads layer `layer`'s weights
    // in this phase (its input gradient ran in the phase before, or this is
    // layer 0, whose weights no input gradient reads).
    unsafe {
        step.update_weights(update, layer, half(fan_in, part));
        step.update_bias(update, layer, half(fan_out, part));
    }
}
