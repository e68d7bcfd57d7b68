//! The owning model: parameters, gradients and every scratch buffer, sized once
//! for a maximum batch, so a training step allocates nothing.

use crate::activation::ActivationSpec;
use crate::init::Init;
use crate::kernels::elementwise::{argmax, multiply_in_place, multiply_into, softmax_rows};
use crate::layers::dense::Dense;
use crate::layout::Layout;
use crate::loss::LossSpec;
use crate::optim::Optimizer;
use crate::rng::{Rng, rng_for, uniform};
use aligned::AlignedBuffer;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

mod aligned;
mod parts;
mod row_split_step;
mod split_step;
pub use split_step::SPLIT_STEP_MAX_BATCH;

/// Where layer `layer`'s `batch` rows sit in the outputs/deltas scratch buffers.
fn block(sizes: &[usize], max_batch: usize, layer: usize, batch: usize) -> Range<usize> {
    let start: usize = sizes[1..=layer].iter().sum::<usize>() * max_batch;
    start..start + batch * sizes[layer + 1]
}

/// Seed stream of the initial weights (other streams: shuffling, splits).
pub const INIT_STREAM: u64 = 1;

#[derive(Clone, Debug)]
pub struct Model {
    /// `[input, hidden…, outputs]`.
    pub sizes: Vec<usize>,
    /// The activation of every hidden layer (the output layer is softmax).
    pub activation: &'static ActivationSpec,
    /// All weights and biases, laid out by [`Layout`].
    pub params: Vec<f32>,
    /// `∂loss/∂params`, same layout.
    pub grads: Vec<f32>,
    max_batch: usize,
    /// Layer `l`'s outputs (`max_batch × sizes[l+1]`) for every layer, end to end;
    /// the last block holds the softmax probabilities after `forward`.
    outputs: AlignedBuffer,
    /// `∂loss/∂(pre-activation)` of every layer, same shape as `outputs`.
    deltas: AlignedBuffer,
    /// The split step's partial products and transposes (see `split_step`).
    split_scratch: AlignedBuffer,
    /// Inverted dropout on the hidden layers' outputs while training (see [`Model::set_dropout`]).
    dropout: Option<Dropout>,
}

/// Dropout of the next training step: which units it keeps comes from `rng`.
#[derive(Clone, Debug)]
struct Dropout {
    rate: f32,
    rng: Rng,
    /// Per hidden output: `0` (dropped) or `1/(1-rate)` (kept), laid out like `outputs`.
    masks: AlignedBuffer,
    /// `outputs · masks`: what the next layer reads. `outputs` keeps the
    /// undropped activations because the activation's derivative needs them.
    kept: AlignedBuffer,
}

impl Dropout {
    /// Draws the masks of `range` (of `masks`), in order from `rng`.
    fn draw_masks(&mut self, range: Range<usize>) {
        let scale = 1.0 / (1.0 - self.rate);
        for mask in &mut self.masks[range] {
            *mask = if uniform(&mut self.rng) < self.rate { 0.0 } else { scale };
        }
    }

    /// Draws this layer's masks and writes `kept = activations · mask`.
    fn drop_units(&mut self, activations: &[f32], range: Range<usize>) {
        self.draw_masks(range.clone());
        multiply_into(&mut self.kept[range.clone()], activations, &self.masks[range]);
    }
}

/// Hits and summed loss of softmax `probs` (`classes` per row) against
/// `labels`, writing `∂loss/∂logits` (scaled to the mean over a batch of
/// `batch` rows, of which these may be a part) when asked.
fn score(
    probs: &[f32],
    classes: usize,
    labels: &[u32],
    loss: &LossSpec,
    label_smoothing: f32,
    batch: usize,
    d_logits: Option<&mut [f32]>,
) -> StepStats {
    let correct = probs.chunks_exact(classes).zip(labels).filter(|(row, l)| argmax(row) == **l as usize).count();
    let scale = 1.0 / batch.max(1) as f32;
    let loss_sum = (loss.loss_and_grad)(probs, labels, label_smoothing, scale, d_logits);
    StepStats { loss_sum, correct }
}

/// [`score`] of the batch's two halves (cut by `split::half`), added: the
/// loss as the row split step sums it, whichever path a step takes.
fn score_halves(
    probs: &[f32],
    classes: usize,
    labels: &[u32],
    loss: &LossSpec,
    label_smoothing: f32,
    d_logits: &mut [f32],
) -> StepStats {
    let batch = labels.len();
    let cut = crate::kernels::split::half(batch, 0).end;
    let (probs, d_logits) = (&probs[..batch * classes], &mut d_logits[..batch * classes]);
    let ((p0, p1), (d0, d1)) = (probs.split_at(cut * classes), d_logits.split_at_mut(cut * classes));
    let first = score(p0, classes, &labels[..cut], loss, label_smoothing, batch, Some(d0));
    let second = score(p1, classes, &labels[cut..], loss, label_smoothing, batch, Some(d1));
    StepStats { loss_sum: first.loss_sum + second.loss_sum, correct: first.correct + second.correct }
}

/// What one training step measured on its batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    /// Summed (not averaged) loss over the batch, without the weight-decay term.
    pub loss_sum: f32,
    pub correct: usize,
}

impl Model {
    /// A model with freshly initialised weights. `sizes` must have at least two
    /// non-zero entries (the caller validates user input).
    pub fn new(sizes: &[usize], activation: &'static ActivationSpec, init: Init, seed: u64, max_batch: usize) -> Self {
        let layout = Layout::new(sizes).expect("sizes: at least input and output, all non-zero");
        let mut params = vec![0.0; layout.len()];
        let mut rng = rng_for(seed, INIT_STREAM);
        for layer in 0..layout.num_layers() {
            init.fill(&mut params[layout.weights(layer)], layout.fan_in(layer), layout.fan_out(layer), &mut rng);
        }
        Self::from_params(sizes, activation, params, max_batch)
    }

    /// A model around existing parameters (a loaded file or checkpoint).
    pub fn from_params(
        sizes: &[usize],
        activation: &'static ActivationSpec,
        params: Vec<f32>,
        max_batch: usize,
    ) -> Self {
        let layout = Layout::new(sizes).expect("sizes: at least input and output, all non-zero");
        assert_eq!(params.len(), layout.len(), "parameter count does not match the layer sizes");
        let max_batch = max_batch.max(1);
        let scratch: usize = sizes[1..].iter().sum::<usize>() * max_batch;
        Model {
            sizes: sizes.to_vec(),
            activation,
            grads: vec![0.0; params.len()],
            params,
            max_batch,
            outputs: AlignedBuffer::zeroed(scratch),
            deltas: AlignedBuffer::zeroed(scratch),
            split_scratch: AlignedBuffer::zeroed(split_step::Scratch::new(sizes, max_batch).len()),
            dropout: None,
        }
    }

    /// Drops each hidden unit with probability `rate` in the following training
    /// steps (evaluation never drops), drawing the masks from `rng`. Callers that
    /// want resumable runs reseed it per step, e.g. from (seed, step).
    /// `rate` 0 turns dropout off.
    pub fn set_dropout(&mut self, rate: f32, rng: Rng) {
        assert!((0.0..1.0).contains(&rate), "dropout rate must be in [0, 1)");
        if rate == 0.0 {
            self.dropout = None;
            return;
        }
        match &mut self.dropout {
            Some(d) => {
                d.rate = rate;
                d.rng = rng;
            }
            None => {
                let len = self.outputs.len();
                self.dropout =
                    Some(Dropout { rate, rng, masks: AlignedBuffer::zeroed(len), kept: AlignedBuffer::zeroed(len) });
            }
        }
    }

    pub fn layout(&self) -> Layout<'_> {
        Layout::new(&self.sizes).expect("validated at construction")
    }

    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    pub fn num_classes(&self) -> usize {
        *self.sizes.last().expect("validated at construction")
    }

    fn output_range(&self, layer: usize, batch: usize) -> Range<usize> {
        block(&self.sizes, self.max_batch, layer, batch)
    }

    /// Forward pass over `batch` rows of `inputs` (row-major `batch × sizes[0]`);
    /// returns the softmax probabilities (`batch × classes`).
    pub fn forward(&mut self, inputs: &[f32], batch: usize) -> &[f32] {
        if batch <= SPLIT_STEP_MAX_BATCH || !parts::parts_run_in_parallel() {
            return self.forward_pass(inputs, batch, false);
        }
        self.row_split_forward(inputs, batch);
        &self.outputs[self.output_range(self.sizes.len() - 2, batch)]
    }

    fn forward_pass(&mut self, inputs: &[f32], batch: usize, training: bool) -> &[f32] {
        assert!(batch <= self.max_batch && inputs.len() >= batch * self.sizes[0]);
        let layers = self.sizes.len() - 1;
        for layer in 0..layers {
            let layout = Layout::new(&self.sizes).expect("validated at construction");
            let dense = Dense { batch, fan_in: layout.fan_in(layer), fan_out: layout.fan_out(layer) };
            let out_range = self.output_range(layer, batch);
            let in_range = if layer == 0 { 0..0 } else { self.output_range(layer - 1, batch) };
            let (before, rest) = self.outputs.split_at_mut(out_range.start);
            let output = &mut rest[..out_range.len()];
            let dropout = self.dropout.as_mut().filter(|_| training);
            let input = match (layer, &dropout) {
                (0, _) => &inputs[..batch * dense.fan_in],
                (_, Some(d)) => &d.kept[in_range],
                (_, None) => &before[in_range],
            };
            dense.forward(input, &self.params[layout.weights(layer)], &self.params[layout.bias(layer)], output);
            if layer + 1 < layers {
                (self.activation.forward)(output);
                if let Some(d) = dropout {
                    d.drop_units(output, out_range);
                }
            } else {
                softmax_rows(output, dense.fan_out);
            }
        }
        let last = self.output_range(layers - 1, batch);
        &self.outputs[last]
    }

    /// Forward, loss and backward for one batch: fills `grads` (batch means,
    /// plus `weight_decay·w` on weights) and returns the loss and hits.
    pub fn forward_backward(
        &mut self,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        weight_decay: f32,
    ) -> StepStats {
        if labels.len() <= SPLIT_STEP_MAX_BATCH {
            return self.split_step(inputs, labels, loss, label_smoothing, weight_decay, None, &mut || {});
        }
        let batch = labels.len();
        self.forward_pass(inputs, batch, true);
        let layers = self.sizes.len() - 1;
        let classes = self.num_classes();
        let last = self.output_range(layers - 1, batch);
        let probs = &self.outputs[last.clone()];
        let stats = score_halves(probs, classes, labels, loss, label_smoothing, &mut self.deltas[last]);

        for layer in (0..layers).rev() {
            let layout = Layout::new(&self.sizes).expect("validated at construction");
            let dense = Dense { batch, fan_in: layout.fan_in(layer), fan_out: layout.fan_out(layer) };
            let delta_range = self.output_range(layer, batch);
            let in_range = if layer == 0 { 0..0 } else { self.output_range(layer - 1, batch) };
            let (lower_deltas, rest) = self.deltas.split_at_mut(delta_range.start);
            let d_output = &rest[..delta_range.len()];
            let input = match (layer, &self.dropout) {
                (0, _) => &inputs[..batch * dense.fan_in],
                (_, Some(d)) => &d.kept[in_range.clone()],
                (_, None) => &self.outputs[in_range.clone()],
            };
            let (head, tail) = self.grads.split_at_mut(layout.bias(layer).start);
            let d_weights = &mut head[layout.weights(layer)];
            let d_bias = &mut tail[..dense.fan_out];
            let d_input = if layer == 0 { None } else { Some(&mut lower_deltas[in_range.clone()]) };
            dense.backward(
                input,
                &self.params[layout.weights(layer)],
                d_output,
                d_weights,
                d_bias,
                d_input,
                weight_decay,
            );
            if layer > 0 {
                if let Some(d) = &self.dropout {
                    multiply_in_place(&mut self.deltas[in_range.clone()], &d.masks[in_range.clone()]);
                }
                (self.activation.backward)(&self.outputs[in_range.clone()], &mut self.deltas[in_range]);
            }
        }
        stats
    }

    /// One full training step: forward, backward, optimizer update. An empty
    /// batch has no gradient and changes nothing (not even the step count).
    pub fn train_step(
        &mut self,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        optimizer: &mut Optimizer,
    ) -> StepStats {
        self.train_step_alongside(inputs, labels, loss, label_smoothing, optimizer, &mut || {})
    }

    /// [`Model::train_step`], running `side` alongside: at batches up to
    /// [`SPLIT_STEP_MAX_BATCH`] on the helper thread while this one does the
    /// output layer (the helper would wait otherwise), else before the step.
    /// The trainer gathers the next batch there; `side` must not depend on
    /// the step, nor the step on `side`.
    pub fn train_step_alongside(
        &mut self,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        label_smoothing: f32,
        optimizer: &mut Optimizer,
        side: &mut (dyn FnMut() + Send),
    ) -> StepStats {
        let weight_decay = optimizer.hyper.weight_decay;
        if labels.is_empty() {
            side();
            return StepStats::default();
        }
        if labels.len() <= SPLIT_STEP_MAX_BATCH {
            return self.split_step(inputs, labels, loss, label_smoothing, weight_decay, Some(optimizer), side);
        }
        side();
        if parts::parts_run_in_parallel() {
            return self.row_split_step(inputs, labels, loss, label_smoothing, optimizer);
        }
        let stats = self.forward_backward(inputs, labels, loss, label_smoothing, weight_decay);
        optimizer.update(&mut self.params, &self.grads, stats.loss_sum / labels.len().max(1) as f32);
        stats
    }

    /// Loss and hits over `labels.len()` rows without touching gradients
    /// (evaluation); rows beyond `max_batch` are processed in chunks.
    pub fn evaluate(
        &mut self,
        inputs: &[f32],
        labels: &[u32],
        loss: &LossSpec,
        mut on_row: impl FnMut(usize, usize),
    ) -> StepStats {
        let width = self.sizes[0];
        let classes = self.num_classes();
        let mut total = StepStats::default();
        for (chunk_index, chunk_labels) in labels.chunks(self.max_batch).enumerate() {
            let start = chunk_index * self.max_batch;
            let batch = chunk_labels.len();
            let probs = self.forward(&inputs[start * width..(start + batch) * width], batch);
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
