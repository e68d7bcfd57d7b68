//! The pieces a training step is made of, each over a block of one layer:
//! some rows of the batch, some of the layer's inputs (`units`: the depth of
//! its forward product, the rows of its weights, the columns of the input
//! gradient) or some of its outputs (`cols`). The reference step calls each
//! piece on whole layers; a plan calls the same pieces on each part's
//! blocks, phase by phase.
//!
//! The buffers of a step are shared by the parts of a plan, which write
//! disjoint blocks of them at the same time (one part's columns of a row lie
//! between the other's). So every piece is an `unsafe fn` whose contract is
//! the plan's: **during a phase, no element that one part writes is read or
//! written by another**. Each piece says what it reads and writes; on one
//! thread the contract holds trivially.

use super::dropout::Dropout;
use super::network::{Model, StepStats, block};
use super::order::{Order, SMALL_BATCH};
use crate::activation::ActivationSpec;
use crate::kernels::Kernels;
use crate::kernels::elementwise::{argmax, multiply_in_place, multiply_into, softmax_rows, sum_into};
use crate::layers::dense::Dense;
use crate::layout::Layout;
use crate::loss::LossSpec;
use crate::matrix::{MatMut, MatRef};
use crate::optim::RangeUpdate;
use crate::shared::SharedMut;
use core::ops::Range;

/// The model's buffers during one pass over a batch, as views the parts of
/// a plan can share, and the pass's shape.
pub(super) struct StepBuffers<'a> {
    pub(super) sizes: &'a [usize],
    activation: &'static ActivationSpec,
    kernels: Kernels,
    max_batch: usize,
    pub(super) batch: usize,
    pub(super) order: Order,
    inputs: &'a [f32],
    params: SharedMut<'a, f32>,
    grads: SharedMut<'a, f32>,
    outputs: SharedMut<'a, f32>,
    deltas: SharedMut<'a, f32>,
    partials: SharedMut<'a, f32>,
    /// `(masks, kept)` when dropout is on (training only).
    dropout: Option<(SharedMut<'a, f32>, SharedMut<'a, f32>)>,
    weight_decay: f32,
}

impl<'a> StepBuffers<'a> {
    /// The buffers of a pass over the first `batch` rows of `inputs`, summed
    /// in `order`, with dropout when `training`.
    pub(super) fn new(
        model: &'a mut Model,
        inputs: &'a [f32],
        batch: usize,
        order: Order,
        training: bool,
        weight_decay: f32,
    ) -> Self {
        assert!(batch <= model.max_batch && inputs.len() >= batch * model.sizes[0], "batch beyond the model's room");
        assert!(
            !order.has_second_block(&model.sizes) || batch <= SMALL_BATCH,
            "partial sums for at most SMALL_BATCH rows"
        );
        let dropout = model.dropout.as_mut().filter(|_| training);
        StepBuffers {
            sizes: &model.sizes,
            activation: model.activation,
            kernels: model.kernels,
            max_batch: model.max_batch,
            batch,
            order,
            inputs,
            params: SharedMut::new(&mut model.params),
            grads: SharedMut::new(&mut model.grads),
            outputs: SharedMut::new(&mut model.outputs),
            deltas: SharedMut::new(&mut model.deltas),
            partials: SharedMut::new(&mut model.partials),
            dropout: dropout.map(|Dropout { masks, kept, .. }| (SharedMut::new(masks), SharedMut::new(kept))),
            weight_decay,
        }
    }

    pub(super) fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    fn layout(&self) -> Layout<'a> {
        Layout::new(self.sizes).expect("validated at construction")
    }

    fn dense(&self, layer: usize) -> Dense {
        Dense { batch: self.batch, fan_in: self.sizes[layer], fan_out: self.sizes[layer + 1] }
    }

    /// Where layer `layer`'s block starts in the outputs, deltas and dropout buffers.
    fn start(&self, layer: usize) -> usize {
        block(self.sizes, self.max_batch, layer, self.batch).start
    }

    /// Layer `layer`'s whole block (`batch × fan_out`) of one of those buffers.
    ///
    /// # Safety
    /// Nobody writes the elements of it that the caller reads.
    unsafe fn of(&self, buffer: SharedMut<'a, f32>, layer: usize) -> MatRef<'a> {
        let width = self.sizes[layer + 1];
        // SAFETY: the caller's contract, for the elements it reads.
        unsafe { buffer.mat(self.start(layer), self.batch, width, width) }
    }

    /// Rows `rows` and columns `cols` of layer `layer`'s block of `buffer`, writable.
    ///
    /// # Safety
    /// Nobody else reads or writes that block.
    unsafe fn of_mut(
        &self,
        buffer: SharedMut<'a, f32>,
        layer: usize,
        rows: Range<usize>,
        cols: Range<usize>,
    ) -> MatMut<'a> {
        let width = self.sizes[layer + 1];
        // SAFETY: the caller's contract.
        unsafe { buffer.mat_mut(self.start(layer), self.batch, width, width).into_block(rows, cols) }
    }

    /// What layer `layer` reads: the batch, or the layer below's outputs
    /// (after dropout when training).
    ///
    /// # Safety
    /// Nobody writes the elements of it that the caller reads.
    unsafe fn input(&self, layer: usize) -> MatRef<'a> {
        let width = self.sizes[layer];
        if layer == 0 {
            return MatRef::new(&self.inputs[..self.batch * width], self.batch, width, width);
        }
        let source = self.dropout.map_or(self.outputs, |(_, kept)| kept);
        // SAFETY: the caller's contract.
        unsafe { self.of(source, layer - 1) }
    }

    /// Rows `units` of layer `layer`'s weights.
    ///
    /// # Safety
    /// Nobody writes those weights meanwhile.
    unsafe fn weights(&self, layer: usize, units: Range<usize>) -> MatRef<'a> {
        let (weights, width) = (self.layout().weights(layer), self.sizes[layer + 1]);
        // SAFETY: the caller's contract.
        unsafe { self.params.mat(weights.start, self.sizes[layer], width, width).rows_of(units) }
    }

    /// Whether layer `layer`'s forward product has a second depth block.
    fn two_blocks(&self, layer: usize) -> bool {
        !self.order.depth(self.sizes[layer], 1).is_empty()
    }

    /// Depth block `block` of layer `layer`'s forward product for rows
    /// `rows`: `b + X[rows, d]·W[d, :]` for block 0, `X[rows, d]·W[d, :]` for
    /// block 1 (`d` = the order's depth block). With one block the product
    /// goes straight into the layer's outputs; with two, each block into its
    /// own partial sums (so the parts of a plan each write a buffer of their
    /// own), which [`StepBuffers::finish_forward`] adds. An empty block is no
    /// work.
    ///
    /// # Safety
    /// Writes `Z[rows, :]` or block `block`'s partial sums of `rows`; reads
    /// `X[rows, d]` and `W[d, :]`.
    pub(super) unsafe fn forward_product(&self, layer: usize, rows: Range<usize>, block: usize) {
        let (dense, kernels) = (self.dense(layer), self.kernels);
        let depth = self.order.depth(dense.fan_in, block);
        if block > 0 && depth.is_empty() {
            return;
        }
        // SAFETY: the reads and writes of the contract.
        unsafe {
            let x = self.input(layer).block(rows.clone(), depth.clone());
            let w = self.weights(layer, depth);
            let bias = (block == 0).then(|| self.params.slice(self.layout().bias(layer)));
            let start = match self.two_blocks(layer) {
                true => self.partials_start(layer, block),
                false => self.start(layer),
            };
            let width = dense.fan_out;
            let target = if self.two_blocks(layer) { self.partials } else { self.outputs };
            let out = target.mat_mut(start, self.batch, width, width);
            dense.forward_block(kernels, x, w, bias, out.into_block(rows, 0..width));
        }
    }

    /// Finishes layer `layer`'s outputs `[rows, cols]`: the sum of the two
    /// depth blocks when the order has two, then the activation and dropout
    /// (a hidden layer) or softmax (the output layer, whole rows).
    ///
    /// # Safety
    /// Writes `Y[rows, cols]` and its dropout kept values; reads the partial
    /// sums and dropout masks of `[rows, cols]`.
    pub(super) unsafe fn finish_forward(&self, layer: usize, rows: Range<usize>, cols: Range<usize>) {
        let (dense, kernels) = (self.dense(layer), self.kernels);
        let width = dense.fan_out;
        // SAFETY: the reads and writes of the contract.
        unsafe {
            let mut out = self.of_mut(self.outputs, layer, rows.clone(), cols.clone());
            let blocks = self.two_blocks(layer).then(|| {
                let block = |b| {
                    let all = self.partials.mat(self.partials_start(layer, b), self.batch, width, width);
                    all.block(rows.clone(), cols.clone())
                };
                (block(0), block(1))
            });
            let hidden = layer + 1 < self.layers();
            match (blocks, hidden) {
                (Some((first, second)), true) => (self.activation.sum_forward)(kernels, out.rb(), first, second),
                (None, true) => (self.activation.forward)(kernels, out.rb()),
                (Some((first, second)), false) => sum_into(kernels, out.rb(), first, second),
                (None, false) => {}
            }
            if !hidden {
                assert!(cols == (0..width), "softmax takes whole rows");
                return softmax_rows(kernels, out);
            }
            if let Some((masks, kept)) = self.dropout {
                let masks = self.of(masks, layer).block(rows.clone(), cols.clone());
                multiply_into(kernels, self.of_mut(kept, layer, rows, cols), out.as_ref(), masks);
            }
        }
    }

    /// Hits, summed loss and `∂loss/∂logits` (scaled to the mean over the
    /// whole batch) of the output layer's rows `rows`.
    ///
    /// # Safety
    /// Writes the output layer's deltas of `rows`; reads its outputs of `rows`.
    pub(super) unsafe fn score(
        &self,
        rows: Range<usize>,
        labels: &[u32],
        loss: &LossSpec,
        smoothing: f32,
    ) -> StepStats {
        if rows.is_empty() {
            return StepStats::default();
        }
        let last = self.layers() - 1;
        let classes = self.sizes[last + 1];
        let at = self.start(last) + rows.start * classes..self.start(last) + rows.end * classes;
        // SAFETY: the reads and writes of the contract.
        let (probs, d_logits) = unsafe { (self.outputs.slice(at.clone()), self.deltas.slice_mut(at)) };
        let labels = &labels[rows];
        let correct = probs.chunks_exact(classes).zip(labels).filter(|(row, l)| argmax(row) == **l as usize).count();
        let scale = 1.0 / self.batch as f32;
        let loss_sum = (loss.loss_and_grad)(probs, labels, smoothing, scale, Some(d_logits));
        StepStats { loss_sum, correct }
    }

    /// `dX[rows, units] = dY[rows, :]·W[units, :]ᵀ` into the layer below's
    /// deltas, times the dropout mask and the activation's slope there.
    ///
    /// # Safety
    /// Writes the layer below's deltas `[rows, units]`; reads this layer's
    /// deltas of `rows`, its weights of `units`, and the layer below's
    /// outputs and masks `[rows, units]`.
    pub(super) unsafe fn input_gradient(&self, layer: usize, rows: Range<usize>, units: Range<usize>) {
        let (dense, kernels) = (self.dense(layer), self.kernels);
        // SAFETY: the reads and writes of the contract.
        unsafe {
            let d_output = self.of(self.deltas, layer).rows_of(rows.clone());
            let mut d_input = self.of_mut(self.deltas, layer - 1, rows.clone(), units.clone());
            dense.input_gradient(kernels, d_output, self.weights(layer, units.clone()), d_input.rb());
            if let Some((masks, _)) = self.dropout {
                multiply_in_place(kernels, d_input.rb(), self.of(masks, layer - 1).block(rows.clone(), units.clone()));
            }
            (self.activation.backward)(kernels, self.of(self.outputs, layer - 1).block(rows, units), d_input);
        }
    }

    /// `dW[units, :] = decay·W[units, :] + X[:, units]ᵀ·dY` (L2 decay on
    /// weights only).
    ///
    /// # Safety
    /// Writes the weight gradient's rows `units`; reads the input's columns
    /// `units`, this layer's deltas and the weights' rows `units`.
    pub(super) unsafe fn weight_gradient(&self, layer: usize, units: Range<usize>) {
        let (dense, kernels) = (self.dense(layer), self.kernels);
        let first = self.layout().weights(layer).start + units.start * dense.fan_out;
        // SAFETY: the reads and writes of the contract.
        unsafe {
            let x = self.input(layer).cols_of(units.clone());
            let d_weights = self.grads.mat_mut(first, units.len(), dense.fan_out, dense.fan_out);
            let w = self.weights(layer, units);
            dense.weight_gradient(kernels, x, self.of(self.deltas, layer), w, self.weight_decay, d_weights);
        }
    }

    /// `db[cols] = Σ_rows dY[:, cols]`.
    ///
    /// # Safety
    /// Writes the bias gradient of `cols`; reads this layer's deltas `[:, cols]`.
    pub(super) unsafe fn bias_gradient(&self, layer: usize, cols: Range<usize>) {
        let (dense, bias) = (self.dense(layer), self.layout().bias(layer));
        // SAFETY: the reads and writes of the contract.
        unsafe {
            let d_bias = self.grads.slice_mut(bias.start + cols.start..bias.start + cols.end);
            dense.bias_gradient(self.kernels, self.of(self.deltas, layer).cols_of(cols), d_bias);
        }
    }

    /// The optimizer's update of the weights' rows `units`.
    ///
    /// # Safety
    /// Writes those weights (and their optimizer state); reads their gradients.
    pub(super) unsafe fn update_weights(&self, update: &RangeUpdate, layer: usize, units: Range<usize>) {
        let (first, width) = (self.layout().weights(layer).start, self.sizes[layer + 1]);
        // SAFETY: the reads and writes of the contract.
        unsafe { self.update_range(update, first + units.start * width..first + units.end * width) }
    }

    /// The optimizer's update of the biases `cols`.
    ///
    /// # Safety
    /// Writes those biases (and their optimizer state); reads their gradients.
    pub(super) unsafe fn update_bias(&self, update: &RangeUpdate, layer: usize, cols: Range<usize>) {
        let first = self.layout().bias(layer).start;
        // SAFETY: the reads and writes of the contract.
        unsafe { self.update_range(update, first + cols.start..first + cols.end) }
    }

    /// # Safety
    /// Nobody else uses the parameters `range`, their gradients or state.
    unsafe fn update_range(&self, update: &RangeUpdate, range: Range<usize>) {
        // SAFETY: the caller's contract.
        unsafe { update.update(self.params.slice_mut(range.clone()), self.grads.slice(range.clone()), range.start) }
    }

    /// Where depth block `block`'s partial sums of layer `layer` start: each
    /// block has a region of its own, laid out like the outputs for up to
    /// [`SMALL_BATCH`] rows.
    fn partials_start(&self, layer: usize, block: usize) -> usize {
        let region = self.partials.len() / 2;
        block * region + super::network::block(self.sizes, self.max_batch.min(SMALL_BATCH), layer, self.batch).start
    }
}
