//! Forward, backward and update of a large batch in six hand-overs.
//!
//! Above [`SPLIT_STEP_MAX_BATCH`](super::SPLIT_STEP_MAX_BATCH) rows a step
//! used to split each GEMM, activation and optimizer pass over the cores on
//! its own: about 25 hand-overs at batch 256, with the bias rows, the bias
//! gradients and the loss on the calling thread while the helper waited
//! (a fifth of the helper's time). Here the step has one phase for the
//! forward pass and one per layer backward, each cut into two parts:
//!
//! - forward: part `p` takes its half of the batch's rows through every
//!   layer (bias, product, activation, dropout), then softmax, loss and
//!   `∂loss/∂logits` for those rows; the parts share nothing but the weights,
//!   which nobody writes then;
//! - backward, layer `l`: the input gradient of the part's batch rows
//!   (`dY[rows] · Wᵀ`, times the dropout mask and the activation's slope
//!   below), the weight gradient of its half of the weight rows
//!   (`X[:, half]ᵀ · dY + decay · W[half, :]`), the bias gradient of its half
//!   of the columns, and the optimizer update of layer `l + 1`'s halves (layer
//!   `l`'s weights are still read by the other part's input gradient) — and of
//!   layer 0's in the last phase.
//!
//! Every product runs in matrixmultiply on one block of rows, which gives
//! each element the bits of the whole product, and the bias gradient sums
//! rows in order; so the weights after a step are those of
//! [`Model::forward_backward`] and one [`Optimizer::update`]
//! (`core/tests/model.rs`). Only the step's loss is summed as two halves.

use super::Model;
use super::parts::{StepBuffers, run_parts, shift};
use crate::kernels::elementwise::{add_in_place, fill_rows_with_bias, multiply_in_place, multiply_into};
use crate::kernels::elementwise::{scale_into, softmax_rows};
use crate::kernels::gemm::matmul_strided;
use crate::kernels::split::half;
use crate::loss::LossSpec;
use crate::model::StepStats;
use crate::optim::{Optimizer, RangeUpdate};
use core::ops::Range;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

struct Step<'a> {
    buffers: StepBuffers<'a>,
    labels: &'a [u32],
}

impl<'a> core::ops::Deref for Step<'a> {
    type Target = StepBuffers<'a>;
    fn deref(&self) -> &StepBuffers<'a> {
        &self.buffers
    }
}

// SAFETY: within a phase the parts write disjoint pieces of the raw buffers
// (described at each access) and read nothing the other part writes.
unsafe impl Sync for Step<'_> {}

impl Model {
    /// [`Model::forward_backward`] and the optimizer's update, for batches
    /// above [`super::SPLIT_STEP_MAX_BATCH`].
    pub(super) fn row_split_step(
        &mut self,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        optimizer: &mut Optimizer,
    ) -> StepStats {
        let batch = labels.len();
        assert!(batch <= self.max_batch && inputs.len() >= batch * self.sizes[0]);
        let layers = self.sizes.len() - 1;
        self.draw_dropout_masks(batch);
        let step = self.row_step(inputs, labels, batch, true, optimizer.hyper.weight_decay);
        let losses = [AtomicU32::new(0), AtomicU32::new(0)];
        let hits = [AtomicUsize::new(0), AtomicUsize::new(0)];
        run_parts(&|part| {
            let stats = step.forward_and_score(part, loss, label_smoothing);
            losses[part].store(stats.loss_sum.to_bits(), Ordering::Relaxed);
            hits[part].store(stats.correct, Ordering::Relaxed);
        });
        let [first, second] = losses.map(|l| f32::from_bits(l.into_inner()));
        let stats =
            StepStats { loss_sum: first + second, correct: hits.iter().map(|h| h.load(Ordering::Relaxed)).sum() };
        optimizer.begin_step(stats.loss_sum / batch.max(1) as f32);
        let update = optimizer.ranges();
        for layer in (0..layers).rev() {
            run_parts(&|part| {
                step.backward(layer, part);
                if layer + 1 < layers {
                    step.update(layer + 1, part, &update);
                }
                if layer == 0 {
                    step.update(0, part, &update);
                }
            });
        }
        stats
    }
}

impl Model {
    /// [`Model::forward`] (no dropout) for batches above
    /// [`super::SPLIT_STEP_MAX_BATCH`]: each part takes half of the rows
    /// through every layer, in one hand-over.
    pub(super) fn row_split_forward(&mut self, inputs: &[f32], batch: usize) {
        assert!(batch <= self.max_batch && inputs.len() >= batch * self.sizes[0]);
        let step = self.row_step(inputs, &[], batch, false, 0.0);
        run_parts(&|part| {
            step.forward(part);
        });
    }

    /// The buffers of a row split step over `batch` rows (dropout only when training).
    fn row_step<'a>(
        &'a mut self,
        inputs: &'a [f32],
        labels: &'a [u32],
        batch: usize,
        training: bool,
        weight_decay: f32,
    ) -> Step<'a> {
        Step { buffers: self.step_buffers(inputs, batch, training, weight_decay), labels }
    }
}

impl Step<'_> {
    /// Rows `rows` of layer `layer`'s block.
    fn rows_of(&self, layer: usize, rows: &Range<usize>) -> Range<usize> {
        let (block, width) = (self.block(layer), self.sizes[layer + 1]);
        block.start + rows.start * width..block.start + rows.end * width
    }

    /// What layer `layer` reads, rows `rows`: the batch, or the layer below's
    /// outputs (after dropout).
    ///
    /// # Safety
    /// Nobody writes those rows during the phase.
    unsafe fn input(&self, layer: usize, rows: Range<usize>) -> &[f32] {
        let width = self.sizes[layer];
        if layer == 0 {
            return &self.inputs[rows.start * width..rows.end * width];
        }
        let source = self.dropout.map_or(self.outputs, |(_, kept)| kept);
        // SAFETY: the caller's contract.
        unsafe { source.get(self.rows_of(layer - 1, &rows)) }
    }

    /// This part's rows of the batch through every layer; returns their
    /// softmax probabilities (the last layer's block).
    fn forward(&self, part: usize) -> &[f32] {
        let layout = self.layout();
        let layers = self.sizes.len() - 1;
        let rows = half(self.batch, part);
        for layer in 0..layers {
            let (fan_in, fan_out) = (layout.fan_in(layer), layout.fan_out(layer));
            let own = self.rows_of(layer, &rows);
            // SAFETY: this part's rows of the batch, of every layer's outputs
            // and kept values; the parameters are only read in this phase.
            unsafe {
                let (weights, bias) = (self.params.get(layout.weights(layer)), self.params.get(layout.bias(layer)));
                let input = self.input(layer, rows.clone());
                let output = self.outputs.get_mut(own.clone());
                fill_rows_with_bias(output, bias);
                let product = (input, fan_in, 1);
                matmul_strided(rows.len(), fan_in, fan_out, product, (weights, fan_out, 1), (output, fan_out), 1.0);
                if layer + 1 == layers {
                    softmax_rows(output, fan_out);
                    return output;
                }
                (self.activation.forward)(output);
                if let Some((masks, kept)) = self.dropout {
                    multiply_into(kept.get_mut(own.clone()), output, masks.get(own));
                }
            }
        }
        &[]
    }

    /// This part's rows forward, then their hits, loss and `∂loss/∂logits`.
    fn forward_and_score(&self, part: usize, loss: &LossSpec, label_smoothing: f32) -> StepStats {
        let rows = half(self.batch, part);
        let last = self.sizes.len() - 2;
        let probs = self.forward(part);
        // SAFETY: this part's rows of the output layer's deltas.
        let d_logits = unsafe { self.deltas.get_mut(self.rows_of(last, &rows)) };
        let labels = &self.labels[rows];
        super::score(probs, self.sizes[last + 1], labels, loss, label_smoothing, self.batch, Some(d_logits))
    }

    /// Layer `layer`'s input gradient for this part's batch rows, and the
    /// weight and bias gradients of its halves.
    fn backward(&self, layer: usize, part: usize) {
        let layout = self.layout();
        let (fan_in, fan_out, batch) = (layout.fan_in(layer), layout.fan_out(layer), self.batch);
        // SAFETY: `dY` was written in the last phase; nobody writes it in this one.
        let d_output = unsafe { self.deltas.get(self.block(layer)) };
        // SAFETY: nobody updates this layer's weights in this phase.
        let weights = unsafe { self.params.get(layout.weights(layer)) };
        if layer > 0 {
            let rows = half(batch, part);
            let below = self.rows_of(layer - 1, &rows);
            // SAFETY: this part's rows of the layer below's deltas; its outputs
            // and masks are only read.
            unsafe {
                let d_input = self.deltas.get_mut(below.clone());
                let d_rows = &d_output[rows.start * fan_out..rows.end * fan_out];
                matmul_strided(
                    rows.len(),
                    fan_out,
                    fan_in,
                    (d_rows, fan_out, 1),
                    (weights, 1, fan_out),
                    (d_input, fan_in),
                    0.0,
                );
                if let Some((masks, _)) = self.dropout {
                    multiply_in_place(d_input, masks.get(below.clone()));
                }
                (self.activation.backward)(self.outputs.get(below), d_input);
            }
        }
        let own = half(fan_in, part);
        let first = layout.weights(layer).start;
        let own_weights = first + own.start * fan_out..first + own.end * fan_out;
        // SAFETY: this part's rows of the weight gradient; the layer's input is only read.
        let (d_weights, input) = unsafe { (self.grads.get_mut(own_weights.clone()), self.input(layer, 0..batch)) };
        let beta = if self.weight_decay != 0.0 {
            scale_into(d_weights, &weights[own.start * fan_out..own.end * fan_out], self.weight_decay);
            1.0
        } else {
            0.0
        };
        matmul_strided(
            own.len(),
            batch,
            fan_out,
            (&input[own.start..], 1, fan_in),
            (d_output, fan_out, 1),
            (d_weights, fan_out),
            beta,
        );
        let cols = half(fan_out, part);
        // SAFETY: this part's columns of the bias gradient.
        let d_bias = unsafe { self.grads.get_mut(shift(&cols, layout.bias(layer).start)) };
        d_bias.fill(0.0);
        for row in d_output.chunks_exact(fan_out) {
            add_in_place(d_bias, &row[cols.clone()]);
        }
    }

    /// The optimizer update of this part's halves of layer `layer` (the rows
    /// and columns whose gradients it computed).
    fn update(&self, layer: usize, part: usize, update: &RangeUpdate) {
        let layout = self.layout();
        let (fan_in, fan_out) = (layout.fan_in(layer), layout.fan_out(layer));
        let (rows, first) = (half(fan_in, part), layout.weights(layer).start);
        let own_weights = first + rows.start * fan_out..first + rows.end * fan_out;
        let own_bias = shift(&half(fan_out, part), layout.bias(layer).start);
        for range in [own_weights, own_bias] {
            // SAFETY: this part's parameters and gradients; nobody reads this
            // layer's parameters in this phase (see the module notes).
            unsafe { update.update(self.params.get_mut(range.clone()), self.grads.get(range.clone()), range.start) }
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use crate::kernels::parallel;
    use crate::model::Model;
    use crate::optim::{self, Hyper, Optimizer};
    use crate::rng::{rng_for, uniform};
    use crate::{Init, activation, loss};
    use std::vec::Vec;

    /// The row split step itself (whatever thread count the pool has), against
    /// `forward_backward` and one update: the same weights and loss, bit for bit.
    #[test]
    fn the_row_split_step_gives_the_bits_of_forward_backward_and_an_update() {
        let (batch, sizes) = (80, [784, 96, 48, 10]);
        let mut rng = rng_for(7, 0);
        let inputs: Vec<f32> = (0..2 * batch * 784).map(|_| uniform(&mut rng)).collect();
        let labels: Vec<u32> = (0..2 * batch).map(|i| (i * 7 % 10) as u32).collect();
        let cross_entropy = loss::by_name("cross_entropy").unwrap();
        for threads in [1, 2] {
            parallel::set_threads(threads);
            let mut split = Model::new(&sizes, activation::by_name("relu").unwrap(), Init::Xavier, 5, batch);
            split.set_dropout(0.2, rng_for(5, 1));
            let mut reference = split.clone();
            let hyper = Hyper { weight_decay: 1e-3, ..Hyper::default() };
            let spec = optim::by_name("eve").unwrap();
            let mut split_opt = Optimizer::new(spec, hyper, split.params.len());
            let mut reference_opt = split_opt.clone();
            for (x, y) in inputs.chunks(batch * 784).zip(labels.chunks(batch)) {
                let got = split.row_split_step(x, y, cross_entropy, 0.1, &mut split_opt);
                let want = reference.forward_backward(x, y, cross_entropy, 0.1, hyper.weight_decay);
                reference_opt.update(&mut reference.params, &reference.grads, want.loss_sum / batch as f32);
                assert_eq!(got, want, "{threads} threads");
                assert!(split.params.iter().zip(&reference.params).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
        parallel::set_threads(usize::MAX);
    }
}
