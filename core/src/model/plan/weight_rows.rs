//! The plan for small batches: each part owns the same half of every
//! layer's weight rows for the whole step.
//!
//! At small batches a step is a dozen kernels of a few microseconds each,
//! and reading cache lines that the other core wrote last is slow. Splitting
//! every kernel its own way (forward products by output columns, weight
//! gradients by rows, the optimizer by halves of the buffer) sent most of
//! the weights, gradients and optimizer state between the cores on every
//! step: two threads ran no faster than one. Here part `p` owns rows
//! `half(fan_in, p)` of every layer's weights (half of the layer's inputs,
//! which are the columns `half(width, p)` of the layer below's outputs):
//!
//! - forward, phase `l`: the columns it owns of layer `l − 1` finished
//!   (second depth block added, activation, dropout), then layer `l`'s
//!   product over its depth block (part 0's onto the bias in the outputs,
//!   part 1's into the partial sums) — the order's two depth blocks;
//! - the output layer, whose work is smaller than a hand-over, runs on the
//!   calling thread, both parts in turn, with the loss and the optimizer's
//!   once-per-step part; the other thread runs the caller's side job;
//! - backward, layer by layer: the input gradient of its weight rows
//!   (`dY · W[rows, :]ᵀ`, the columns it owns of the layer below's deltas,
//!   times mask and slope), the gradient of its weight rows, the bias
//!   gradient of its output columns, and the optimizer update of all of
//!   these, in the same phase.
//!
//! Only the batch's activations and deltas cross between the cores, a few
//! KB per layer, and the whole step is one `run_phases` call.

use super::super::layer::StepBuffers;
use super::super::network::{Model, StepStats};
use super::super::order::{Order, half};
use super::{OnePart, PARTS};
use crate::exec::{Executor, Serial};
use crate::loss::LossSpec;
use crate::optim::{Optimizer, RangeUpdate};

/// Up to this batch size each part computes and updates its weight rows in
/// blocks (of [`UPDATE_BLOCK_ROWS`] rows, or more for narrow layers), not
/// its whole half then the update: the update then reads the gradient
/// block, and the weight rows the gradient's decay term has just read, from
/// L1. At larger batches whole halves were faster (`benches/RESULTS.md`).
/// The bits do not change: each gradient element is the same sum.
const UPDATE_IN_BLOCKS_MAX_BATCH: usize = 16;
/// One row tile of the chain kernel.
const UPDATE_BLOCK_ROWS: usize = 8;
/// A block holds at least this many parameters (8 rows of a 128-wide layer):
/// a narrow layer's rows go in larger blocks, so that the output layer's
/// half is one gradient call and one update, not many of each.
const UPDATE_BLOCK_PARAMS: usize = UPDATE_BLOCK_ROWS * 128;

/// [`Model::train_step_alongside`] for batches up to `SMALL_BATCH`, on an
/// executor of more than one thread.
#[allow(clippy::too_many_arguments)]
pub(in crate::model) fn train_step(
    model: &mut Model,
    executor: &dyn Executor,
    inputs: &[f32],
    labels: &[u32],
    loss: &LossSpec,
    label_smoothing: f32,
    optimizer: &mut Optimizer,
    side: &mut (dyn FnMut(&dyn Executor) + Send),
) -> StepStats {
    let batch = labels.len();
    model.draw_dropout_masks(batch);
    let decay = optimizer.hyper.weight_decay;
    let step = StepBuffers::new(model, inputs, batch, Order::training(batch), true, decay);
    let last = step.layers() - 1;
    let forward = |layer: usize, part: usize| {
        // SAFETY: phase `layer`: part `p` finishes its columns of the layer
        // below (its own depth block of this layer) and then reads them, with
        // this layer's weights, to write its own product buffer; nobody
        // writes weights in the forward phases.
        unsafe {
            if layer > 0 {
                step.finish_forward(layer - 1, 0..batch, half(step.sizes[layer], part));
            }
            step.forward_product(layer, 0..batch, part);
        }
    };
    let (optimizer, side) = (OnePart::new(optimizer), OnePart::new(side));
    let output_layer = || {
        (0..PARTS).for_each(|part| forward(last, part));
        let classes = step.sizes[last + 1];
        // SAFETY: the other part runs only the side job in this phase.
        let stats = unsafe {
            step.finish_forward(last, 0..batch, 0..classes);
            step.score(step.order.loss_rows(batch, 0), labels, loss, label_smoothing)
        };
        // SAFETY: only this part touches the optimizer in this phase.
        let optimizer = unsafe { optimizer.get() };
        optimizer.begin_step(stats.loss_sum / batch as f32);
        let update = optimizer.ranges();
        (0..PARTS).for_each(|part| backward(&step, last, part, &update));
        (stats, update)
    };
    let result = OnePart::new(None);
    // Phases: the hidden layers forward, the output layer, the hidden layers backward.
    executor.run_phases(PARTS, 2 * last + 1, &|phase, part| match phase {
        layer if layer < last => forward(layer, part),
        // SAFETY: part 0 alone uses `result`, part 1 alone `side`, in this phase.
        _ if phase == last => unsafe {
            match part {
                0 => *result.get() = Some(output_layer()),
                _ => (side.get())(&Serial),
            }
        },
        // SAFETY: written in the output layer's phase, only read after it.
        _ => match unsafe { result.read() } {
            Some((_, update)) => backward(&step, 2 * last - phase, part, update),
            None => unreachable!("the output layer's phase ran"),
        },
    });
    result.into_inner().expect("the output layer's phase ran").0
}

/// Part `part`'s share of layer `layer`'s backward pass: the input gradient
/// of its weight rows, their gradient and update (in blocks at the smallest
/// batches), and the bias gradient and update of its output columns.
fn backward(step: &StepBuffers, layer: usize, part: usize, update: &RangeUpdate) {
    let (fan_in, fan_out, batch) = (step.sizes[layer], step.sizes[layer + 1], step.batch);
    let (units, cols) = (half(fan_in, part), half(fan_out, part));
    let block = if batch <= UPDATE_IN_BLOCKS_MAX_BATCH {
        UPDATE_BLOCK_ROWS.max(UPDATE_BLOCK_PARAMS / fan_out / UPDATE_BLOCK_ROWS * UPDATE_BLOCK_ROWS)
    } else {
        units.len().max(1)
    };
    // SAFETY: this part writes only its columns `units` of the layer below's
    // deltas, its rows `units` of this layer's weights and their gradient,
    // and its columns `cols` of the bias and its gradient; this layer's
    // deltas are only read in this phase, and no part reads this layer's
    // weights after its own input gradient, which reads only its own rows.
    unsafe {
        if layer > 0 && !units.is_empty() {
            step.input_gradient(layer, 0..batch, units.clone());
        }
        for first in units.clone().step_by(block) {
            let rows = first..(first + block).min(units.end);
            step.weight_gradient(layer, rows.clone());
            step.update_weights(update, layer, rows);
        }
        step.bias_gradient(layer, cols.clone());
        step.update_bias(update, layer, cols);
    }
}
