//! Forward, backward and update of one small batch, split over two cores by
//! weight rows.
//!
//! At batch 16 a step is a dozen kernels of a few microseconds each, and on
//! the 2-core machine this was tuned on, reading cache lines that the other
//! core wrote last runs at about 5 GB/s. Splitting every kernel its own way
//! (forward products by output columns, weight gradients by rows, the
//! optimizer by halves of the buffer) sent most of the 600 KB of weights,
//! gradients and optimizer state between the cores on every step: two
//! threads ran no faster than one. Here part `p` owns the same rows of every
//! layer's weights (half of the layer's inputs) for the whole step:
//!
//! - forward: the product over its rows, `X[:, rows] · W[rows, :]`, into its
//!   own buffer (part 0 starting from the bias); then, in the next layer's
//!   phase, the sum of both partial products, the activation and dropout for
//!   the columns that are its rows in the next layer;
//! - backward: the gradient of its rows, `X[:, rows]ᵀ · dY + decay · W[rows, :]`,
//!   the input gradient through its rows, `dY · W[rows, :]ᵀ` (the columns
//!   that are its rows in the layer below), the bias gradient of its output
//!   columns, and the optimizer update of all of these, in the same phase.
//!
//! Only the batch's activations and deltas cross between the cores, a few
//! KB per layer. The whole step is one `parallel::run_phases` call, the two
//! threads meeting between phases (the output layer's parts, whose work is
//! smaller than a hand-over, run in turn on the calling thread); a layer's
//! output is `(bias + Σ over part 0's rows) + Σ over part 1's rows` whichever
//! thread runs which part, so results do not depend on the thread count (one
//! thread runs both parts in turn).

use super::Model;
use super::parts::{OnePart, PARTS, Shared, StepBuffers, run_phases, shift};
use crate::kernels::chain_gemm::{self, Start, chain_matmul_here};
use crate::kernels::dot_gemm::{self, dot_matmul_here};
use crate::kernels::elementwise::{
    column_sums_strided, fill_rows_with_bias, multiply_in_place, multiply_into, scale_into, softmax_rows, sum_into,
};
use crate::kernels::gemm::matmul_strided;
use crate::kernels::narrow_gemm::{self, narrow_matmul_here};
use crate::kernels::split::half;
use crate::loss::LossSpec;
use crate::model::StepStats;
use crate::optim::{Optimizer, RangeUpdate};
use core::ops::Range;

/// Batches up to this size train through this split step. Measured with
/// `bench-epoch` (4 × 128, 2 threads): see benches/RESULTS.md.
pub const SPLIT_STEP_MAX_BATCH: usize = 64;

/// Up to this batch size each part computes and updates its weight rows
/// `UPDATE_BLOCK_ROWS` at a time, not its whole half then the update: the
/// update then reads the gradient block, and the weight rows the gradient's
/// decay term has just read, from L1. Batch 16 (`bench-epoch`, 8 alternating
/// runs): median 0.384 → 0.360 s per epoch; at batch 32 and 64 whole halves
/// were faster (0.29 against 0.30–0.34 s, 0.225 against 0.23–0.25 s). The
/// bits do not change: each gradient element is the same fma chain.
const UPDATE_IN_BLOCKS_MAX_BATCH: usize = 16;
/// One row tile of the chain kernel.
const UPDATE_BLOCK_ROWS: usize = 8;
/// A block holds at least this many parameters (8 rows of a 128-wide layer):
/// a narrow layer's rows go in larger blocks, so that the output layer's
/// half is one gradient call and one update, not eight of each (the
/// output layer's weights took 2.0 µs of the caller's serial window at
/// batch 16 in 16 blocks, 1.6 µs as two whole halves).
const UPDATE_BLOCK_PARAMS: usize = UPDATE_BLOCK_ROWS * 128;

/// Everything the parts of one step touch. The views the parts cut may
/// interleave (one part's columns of a row-major block lie between the
/// other's), but within a phase no element is written by one part and read or
/// written by the other.
struct Step<'a> {
    buffers: StepBuffers<'a>,
    /// Each part's partial products, laid out by `scratch_layout`.
    scratch: Shared,
    scratch_layout: Scratch,
}

impl<'a> core::ops::Deref for Step<'a> {
    type Target = StepBuffers<'a>;
    fn deref(&self) -> &StepBuffers<'a> {
        &self.buffers
    }
}

// SAFETY: the raw buffers are cut into the disjoint pieces described above.
unsafe impl Sync for Step<'_> {}

/// How the split step's scratch buffer is laid out: per part, its partial
/// products of every layer, laid out like `outputs` for up to
/// [`SPLIT_STEP_MAX_BATCH`] rows.
#[derive(Clone, Copy)]
pub(super) struct Scratch {
    rows: usize,
    per_part: usize,
}

impl Scratch {
    pub(super) fn new(sizes: &[usize], max_batch: usize) -> Self {
        let rows = max_batch.min(SPLIT_STEP_MAX_BATCH);
        Scratch { rows, per_part: sizes[1..].iter().sum::<usize>() * rows }
    }

    pub(super) fn len(&self) -> usize {
        PARTS * self.per_part
    }

    fn partials(&self, sizes: &[usize], batch: usize, layer: usize, part: usize) -> Range<usize> {
        shift(&super::block(sizes, self.rows, layer, batch), part * self.per_part)
    }
}

impl Model {
    /// [`Model::forward_backward`] and, given an optimizer, the update, for
    /// batches up to [`SPLIT_STEP_MAX_BATCH`]. `side` runs alongside the
    /// output layer's work, on the helper thread when there is one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn split_step(
        &mut self,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        weight_decay: f32,
        optimizer: Option<&mut Optimizer>,
        side: &mut (dyn FnMut() + Send),
    ) -> StepStats {
        let batch = labels.len();
        assert!(batch <= self.max_batch.min(SPLIT_STEP_MAX_BATCH) && inputs.len() >= batch * self.sizes[0]);
        let layers = self.sizes.len() - 1;
        self.draw_dropout_masks(batch);
        let (scratch, scratch_layout) =
            (Shared::new(&mut self.split_scratch), Scratch::new(&self.sizes, self.max_batch));
        let step = Step { buffers: self.step_buffers(inputs, batch, true, weight_decay), scratch, scratch_layout };
        let last = layers - 1;
        let forward = |layer: usize, part: usize| {
            if layer > 0 {
                step.finish_forward(layer - 1, part);
            }
            step.partial_product(layer, part);
        };
        // The output layer (a few thousand weights) on one thread, both parts
        // in turn: a hand-over between the cores costs more than its work.
        // The other thread runs `side` meanwhile (the trainer gathers the next
        // batch).
        let (optimizer, side) = (OnePart::new(optimizer), OnePart::new(side));
        let output_layer = || {
            (0..PARTS).for_each(|part| forward(last, part));
            let stats = step.loss(last, labels, loss, label_smoothing);
            // SAFETY: only this part touches the optimizer in this phase.
            let update = unsafe { optimizer.get() }.take().map(|optimizer| {
                optimizer.begin_step(stats.loss_sum / batch.max(1) as f32);
                optimizer.ranges()
            });
            (0..PARTS).for_each(|part| step.backward(last, part, update.as_ref()));
            (stats, update)
        };
        let result = OnePart::new(None);
        // Phases: the hidden layers forward, the output layer, the hidden layers backward.
        run_phases(2 * last + 1, &|phase, part| match phase {
            layer if layer < last => forward(layer, part),
            // SAFETY: part 0 alone uses `result`, part 1 alone `side`, in this phase.
            _ if phase == last => unsafe {
                match part {
                    0 => *result.get() = Some(output_layer()),
                    _ => (side.get())(),
                }
            },
            // SAFETY: written in the output layer's phase, only read after it.
            _ => step.backward(2 * last - phase, part, unsafe { result.read() }.as_ref().and_then(|r| r.1.as_ref())),
        });
        result.into_inner().expect("the output layer's phase ran").0
    }

    /// The masks of every hidden layer, drawn in the order the unsplit forward
    /// pass draws them, so the parts can read them in any order.
    pub(super) fn draw_dropout_masks(&mut self, batch: usize) {
        let Some(d) = self.dropout.as_mut() else { return };
        for layer in 0..self.sizes.len() - 2 {
            d.draw_masks(super::block(&self.sizes, self.max_batch, layer, batch));
        }
    }
}

impl Step<'_> {
    fn partials(&self, layer: usize, part: usize) -> Range<usize> {
        self.scratch_layout.partials(self.sizes, self.batch, layer, part)
    }

    /// What layer `layer` reads: the batch, or the layer below's outputs
    /// (after dropout). The caller reads only its own columns of it.
    fn input(&self, layer: usize) -> &[f32] {
        if layer == 0 {
            return &self.inputs[..self.batch * self.sizes[0]];
        }
        let below = self.block(layer - 1);
        let source = self.dropout.map_or(self.outputs, |(_, kept)| kept);
        // SAFETY: during the phases that read a layer's input, its columns are
        // written only by the part that reads them (see `finish_forward`).
        unsafe { source.get(below) }
    }

    /// `X[:, rows] · W[rows, :]` of this part's rows into its partials (part 0
    /// starting from the bias).
    fn partial_product(&self, layer: usize, part: usize) {
        let layout = self.layout();
        let (fan_in, fan_out) = (layout.fan_in(layer), layout.fan_out(layer));
        let rows = half(fan_in, part);
        // SAFETY: this part's own buffer; nobody writes parameters while the
        // forward phases run.
        let (out, bias) =
            unsafe { (self.scratch.get_mut(self.partials(layer, part)), self.params.get(layout.bias(layer))) };
        let start = if part == 0 {
            fill_rows_with_bias(out, bias);
            Start::Current
        } else {
            Start::Zero
        };
        let first = layout.weights(layer).start;
        // SAFETY: as above.
        let weights = unsafe { self.params.get(first + rows.start * fan_out..first + rows.end * fan_out) };
        let input = (&self.input(layer)[rows.start..], fan_in, 1);
        product(self.batch, rows.len(), fan_out, input, weights, out, start);
    }

    /// This part's columns of hidden layer `layer`: the sum of both partial
    /// products, then the activation and dropout.
    fn finish_forward(&self, layer: usize, part: usize) {
        let width = self.sizes[layer + 1];
        let cols = half(width, part);
        if cols.is_empty() {
            return;
        }
        let (block, first, second) = (self.block(layer), self.partials(layer, 0), self.partials(layer, 1));
        // This part's columns of every row: a block with row stride `width`
        // (the other part's columns lie in between; this part touches only its own).
        let reach = strided_block(self.batch, width, &cols);
        // SAFETY: this part's columns; the partials were written in the last phase.
        let (values, a, b) = unsafe {
            (
                self.outputs.get_mut(shift(&reach, block.start)),
                self.scratch.get(shift(&reach, first.start)),
                self.scratch.get(shift(&reach, second.start)),
            )
        };
        (self.activation.sum_forward_rows)(values, a, b, width, cols.len());
        if let Some((masks, kept)) = self.dropout {
            for row in 0..self.batch {
                let at = row * width + cols.start..row * width + cols.end;
                // SAFETY: this part's columns; the masks were drawn before the step.
                unsafe {
                    multiply_into(
                        kept.get_mut(shift(&at, block.start)),
                        self.outputs.get(shift(&at, block.start)),
                        masks.get(shift(&at, block.start)),
                    )
                }
            }
        }
    }

    /// The output layer's sum, softmax, hits, loss and `∂loss/∂logits`, on one thread.
    fn loss(&self, layer: usize, labels: &[u32], loss: &LossSpec, label_smoothing: f32) -> StepStats {
        let classes = self.sizes[layer + 1];
        // SAFETY: no part runs now.
        let (probs, a, b, d_logits) = unsafe {
            (
                self.outputs.get_mut(self.block(layer)),
                self.scratch.get(self.partials(layer, 0)),
                self.scratch.get(self.partials(layer, 1)),
                self.deltas.get_mut(self.block(layer)),
            )
        };
        sum_into(probs, a, b);
        softmax_rows(probs, classes);
        super::score(probs, classes, labels, loss, label_smoothing, self.batch, Some(d_logits))
    }

    /// This part's rows of layer `layer`: weight gradient, input gradient
    /// (times the dropout mask and the activation's slope below), the bias
    /// gradient of its output columns, and their update.
    fn backward(&self, layer: usize, part: usize, update: Option<&RangeUpdate>) {
        let layout = self.layout();
        let (fan_in, fan_out) = (layout.fan_in(layer), layout.fan_out(layer));
        let (rows, cols) = (half(fan_in, part), half(fan_out, part));
        let first = layout.weights(layer).start;
        // SAFETY: every part reads the whole of `dY`; nobody writes it in this phase.
        let d_output = unsafe { self.deltas.get(self.block(layer)) };
        if layer > 0 && !rows.is_empty() {
            self.input_gradient(layer, part, d_output);
        }

        // Small batches update the weight rows in blocks right after their
        // gradient, while it and the weights its decay term read are still in
        // L1 (see `UPDATE_BLOCK_ROWS`).
        let block = match update {
            Some(_) if self.batch <= UPDATE_IN_BLOCKS_MAX_BATCH => {
                UPDATE_BLOCK_ROWS.max(UPDATE_BLOCK_PARAMS / fan_out.max(1) / UPDATE_BLOCK_ROWS * UPDATE_BLOCK_ROWS)
            }
            _ => rows.len().max(1),
        };
        for first_row in rows.clone().step_by(block) {
            let sub = first_row..(first_row + block).min(rows.end);
            let own_weights = first + sub.start * fan_out..first + sub.end * fan_out;
            {
                // SAFETY: this part's rows of the weights and their gradient.
                let (weights, d_weights) =
                    unsafe { (self.params.get(own_weights.clone()), self.grads.get_mut(own_weights.clone())) };
                let decay = self.weight_decay;
                let start = if decay != 0.0 { Start::Scaled(weights, decay) } else { Start::Zero };
                let input = (&self.input(layer)[sub.start..], 1, fan_in);
                product(sub.len(), self.batch, fan_out, input, d_output, d_weights, start);
            }
            if let Some(update) = update {
                // SAFETY: this part's parameters; no part reads them after this
                // layer's input gradient, which this part computed above.
                unsafe {
                    update.update(
                        self.params.get_mut(own_weights.clone()),
                        self.grads.get(own_weights.clone()),
                        own_weights.start,
                    )
                }
            }
        }
        let own_bias = shift(&cols, layout.bias(layer).start);
        // SAFETY: this part's output columns of the bias gradient.
        let d_bias = unsafe { self.grads.get_mut(own_bias.clone()) };
        if !cols.is_empty() {
            column_sums_strided(d_bias, &d_output[strided_block(self.batch, fan_out, &cols)], fan_out);
        }
        if let Some(update) = update {
            // SAFETY: this part's biases.
            unsafe {
                update.update(self.params.get_mut(own_bias.clone()), self.grads.get(own_bias.clone()), own_bias.start)
            }
        }
    }

    /// `dX[:, rows] = dY · W[rows, :]ᵀ` into the layer below's deltas, times
    /// the dropout mask and the activation's slope there.
    fn input_gradient(&self, layer: usize, part: usize, d_output: &[f32]) {
        let layout = self.layout();
        let (fan_in, fan_out, batch) = (layout.fan_in(layer), layout.fan_out(layer), self.batch);
        let rows = half(fan_in, part);
        let first = layout.weights(layer).start;
        // SAFETY: this part's rows of the weights, updated only later in this phase.
        let weights = unsafe { self.params.get(first + rows.start * fan_out..first + rows.end * fan_out) };
        let below = self.block(layer - 1);
        let reach = strided_block(batch, fan_in, &rows).end;
        // SAFETY: this part writes only its columns `rows` of the layer below's deltas.
        let d_input = unsafe { self.deltas.get_mut(below.start + rows.start..below.start + reach) };
        if dot_gemm::pays(batch, fan_out) {
            dot_matmul_here(batch, rows.len(), fan_out, d_output, weights, d_input, fan_in);
        } else if narrow_gemm::pays(fan_out) {
            narrow_matmul_here(batch, rows.len(), fan_out, d_output, weights, d_input, fan_in);
        } else {
            matmul_strided(
                batch,
                fan_out,
                rows.len(),
                (d_output, fan_out, 1),
                (weights, 1, fan_out),
                (d_input, fan_in),
                0.0,
            );
        }
        if let Some((masks, _)) = self.dropout {
            for row in 0..batch {
                let at = shift(&(row * fan_in + rows.start..row * fan_in + rows.end), below.start);
                // SAFETY: this part's columns of the layer below; masks are only read.
                unsafe { multiply_in_place(self.deltas.get_mut(at.clone()), masks.get(at)) };
            }
        }
        // SAFETY: this part's columns of the layer below, as a block with row stride `fan_in`.
        let (deltas, outputs) = unsafe {
            let own = below.start + rows.start..below.start + reach;
            (self.deltas.get_mut(own.clone()), self.outputs.get(own))
        };
        (self.activation.backward_rows)(outputs, deltas, fan_in, rows.len());
    }
}

/// Where columns `cols` of `rows` rows of width `width` lie in a row-major
/// block: from the first row's first to the last row's last (empty without rows).
fn strided_block(rows: usize, width: usize, cols: &Range<usize>) -> Range<usize> {
    match rows {
        0 => cols.start..cols.start,
        _ => cols.start..(rows - 1) * width + cols.end,
    }
}

/// `C = start + A·B` with `B` row-major `k × n`, on this thread: the chain
/// kernels where the CPU has them, matrixmultiply otherwise.
fn product(m: usize, k: usize, n: usize, a: (&[f32], usize, usize), b: &[f32], c: &mut [f32], start: Start) {
    if chain_gemm::available() {
        return chain_matmul_here(m, k, n, a, b, c, start);
    }
    let beta = match start {
        Start::Current => 1.0,
        Start::Zero => 0.0,
        Start::Scaled(w, decay) => {
            scale_into(&mut c[..m * n], &w[..m * n], decay);
            1.0
        }
    };
    matmul_strided(m, k, n, a, (b, n, 1), (c, n), beta);
}
