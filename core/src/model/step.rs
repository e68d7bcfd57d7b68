//! The reference training step, on one thread, top to bottom: the forward
//! pass through the layers, the loss, the backward pass, the optimizer's
//! update over the one parameter buffer. The plans (`plan/`) cut the same
//! pieces between cores; the summation order (`order.rs`) is the same, so
//! the bits are too.
//!
//! The public methods take the caller's [`Executor`]: with one thread
//! ([`crate::exec::Serial`]) they run the reference step, with more a plan.

use super::layer::StepBuffers;
use super::network::{Model, StepStats, block};
use super::order::{Order, SMALL_BATCH};
use super::plan;
use crate::exec::{Executor, Serial};
use crate::kernels::elementwise::argmax;
use crate::loss::LossSpec;
use crate::optim::Optimizer;
use core::ops::Range;

/// Rows `rows` of the batch through every layer: each layer's forward
/// product (in the order's depth blocks), then its activation and dropout,
/// or softmax.
///
/// # Safety
/// Writes every layer's outputs (and kept values) of `rows`; reads the
/// weights. No other part may use those rows, nor write the weights.
pub(super) unsafe fn forward_rows(step: &StepBuffers, rows: Range<usize>) {
    for layer in 0..step.layers() {
        // SAFETY: the caller's contract covers every piece's reads and writes.
        unsafe {
            step.forward_product(layer, rows.clone(), 0);
            step.forward_product(layer, rows.clone(), 1);
            step.finish_forward(layer, rows.clone(), 0..step.sizes[layer + 1]);
        }
    }
}

/// Forward, loss and backward over the whole batch on this thread: fills
/// the gradients and returns the loss and hits.
fn forward_backward(step: &StepBuffers, labels: &[u32], loss: &LossSpec, smoothing: f32) -> StepStats {
    let all = 0..step.batch;
    // SAFETY: one thread runs every piece, one after the other.
    unsafe {
        forward_rows(step, all.clone());
        let stats = step.score(step.order.loss_rows(step.batch, 0), labels, loss, smoothing)
            + step.score(step.order.loss_rows(step.batch, 1), labels, loss, smoothing);
        for layer in (0..step.layers()).rev() {
            let (fan_in, fan_out) = (step.sizes[layer], step.sizes[layer + 1]);
            if layer > 0 {
                step.input_gradient(layer, all.clone(), 0..fan_in);
            }
            step.weight_gradient(layer, 0..fan_in);
            step.bias_gradient(layer, 0..fan_out);
        }
        stats
    }
}

impl Model {
    /// Forward pass over `batch` rows of `inputs` (row-major `batch × sizes[0]`,
    /// no dropout); returns the softmax probabilities (`batch × classes`).
    pub fn forward(&mut self, executor: &dyn Executor, inputs: &[f32], batch: usize) -> &[f32] {
        if executor.threads() > 1 && batch > SMALL_BATCH {
            plan::batch_rows::forward(self, executor, inputs, batch);
        } else {
            let step = StepBuffers::new(self, inputs, batch, Order::inference(), false, 0.0);
            // SAFETY: one thread.
            unsafe { forward_rows(&step, 0..batch) };
        }
        let last = block(&self.sizes, self.max_batch, self.sizes.len() - 2, batch);
        &self.outputs[last]
    }

    /// The reference step without its update, on this thread: forward, loss
    /// and backward for one batch; fills `grads` (batch means, plus
    /// `weight_decay·w` on weights) and returns the loss and hits.
    pub fn forward_backward(
        &mut self,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        weight_decay: f32,
    ) -> StepStats {
        let batch = labels.len();
        self.draw_dropout_masks(batch);
        let step = StepBuffers::new(self, inputs, batch, Order::training(batch), true, weight_decay);
        forward_backward(&step, labels, loss, label_smoothing)
    }

    /// One full training step: forward, backward, optimizer update. An empty
    /// batch has no gradient and changes nothing (not even the step count).
    pub fn train_step(
        &mut self,
        executor: &dyn Executor,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        optimizer: &mut Optimizer,
    ) -> StepStats {
        self.train_step_alongside(executor, inputs, labels, loss, label_smoothing, optimizer, &mut |_| {})
    }

    /// [`Model::train_step`], running `side` once alongside: with more than
    /// one thread and at batches up to [`SMALL_BATCH`], on a helper while
    /// this thread does the output layer (the helper would wait otherwise),
    /// given a serial executor; else before the step, given `executor`. The
    /// trainer gathers the next batch there; `side` must not depend on the
    /// step, nor the step on `side`.
    #[allow(clippy::too_many_arguments)]
    pub fn train_step_alongside(
        &mut self,
        executor: &dyn Executor,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        optimizer: &mut Optimizer,
        side: &mut (dyn FnMut(&dyn Executor) + Send),
    ) -> StepStats {
        let batch = labels.len();
        if batch == 0 {
            side(executor);
            return StepStats::default();
        }
        if executor.threads() > 1 {
            if batch <= SMALL_BATCH {
                return plan::weight_rows::train_step(
                    self,
                    executor,
                    inputs,
                    labels,
                    loss,
                    label_smoothing,
                    optimizer,
                    side,
                );
            }
            side(executor);
            return plan::batch_rows::train_step(self, executor, inputs, labels, loss, label_smoothing, optimizer);
        }
        side(&Serial);
        let stats = self.forward_backward(inputs, labels, loss, label_smoothing, optimizer.hyper.weight_decay);
        optimizer.update(&mut self.params, &self.grads, stats.loss_sum / batch as f32);
        stats
    }

    /// Loss and hits over `labels.len()` rows without touching gradients
    /// (evaluation); rows beyond `max_batch` are processed in chunks.
    /// `on_row(label, predicted)` sees every row.
    pub fn evaluate(
        &mut self,
        executor: &dyn Executor,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        mut on_row: impl FnMut(usize, usize),
    ) -> StepStats {
        let width = self.sizes[0];
        let classes = self.num_classes();
        let max_batch = self.max_batch;
        let mut total = StepStats::default();
        for (chunk_index, chunk_labels) in labels.chunks(max_batch).enumerate() {
            let start = chunk_index * max_batch;
            let batch = chunk_labels.len();
            let probs = self.forward(executor, &inputs[start * width..(start + batch) * width], batch);
            total.loss_sum += (loss.loss_and_grad)(probs, chunk_labels, 0.0, 1.0, None);
            for (row, &label) in probs.chunks_exact(classes).zip(chunk_labels) {
                let predicted = argmax(row);
                total.correct += (predicted == label as usize) as usize;
                on_row(label as usize, predicted);
            }
        }
        total
    }
}
