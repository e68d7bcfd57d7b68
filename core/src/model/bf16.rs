//! What a training step at `--precision bf16` keeps beside the model's f32
//! buffers: every layer's weights rounded and packed once per step, before
//! the forward pass (the weights change only in the update at the step's
//! end), and each part's buffers for the operands it packs itself.
//!
//! The packed weights are cut the way the pieces read them, so that a piece
//! never packs a weight: `W` and `Wᵀ` by the order's depth blocks, which cut
//! the layer's inputs in halves at small batches (where the weight-rows plan
//! gives each part one half for the forward product and the input gradient;
//! the reference step computes the two in turn) and not at all at large
//! ones. A cut changes no element's sum, so the bits are the reference
//! step's (see `kernels::gemm::bf16`). Which tensors are rounded where is
//! written there.

use super::order::Order;
use super::plan::{OnePart, PARTS};
use crate::exec::Executor;
use crate::kernels::Kernels;
use crate::kernels::bf16::PackedB;
use crate::kernels::gemm::Scratch;
use crate::kernels::gemm::bf16::pack_b;
use crate::layout::Layout;
use crate::matrix::MatRef;
use alloc::vec::Vec;
use core::ops::Range;

/// The bf16 buffers of a model; empty (no allocation) while it trains in f32.
#[derive(Clone, Debug, Default)]
pub(super) struct Bf16Packs {
    /// Per layer, `W[depth, :]` for each of the order's depth blocks.
    pub(super) forward: Vec<[PackedB; PARTS]>,
    /// Per layer, `W[d, :]ᵀ` for each of the order's depth blocks `d`.
    pub(super) input_gradient: Vec<[PackedB; PARTS]>,
    /// Per part of a plan, where it packs the activations and deltas its
    /// products read.
    pub(super) scratch: [Scratch; PARTS],
    /// Per part, a layer's `dY` as its weight gradient's right operand,
    /// packed once for every block of weight rows the part computes that
    /// gradient in (the small-batch plan cuts it into blocks of a few rows).
    pub(super) deltas: [PackedB; PARTS],
}

impl Bf16Packs {
    /// Rounds and packs every layer's weights for a training step in `order`,
    /// the forward operands on one part and the input gradients' on the other.
    pub(super) fn pack_weights(
        &mut self,
        executor: &dyn Executor,
        kernels: Kernels,
        sizes: &[usize],
        params: &[f32],
        order: Order,
    ) {
        let level = kernels.bf16().expect("packing for bf16 products");
        let layers = sizes.len() - 1;
        self.forward.resize_with(layers, Default::default);
        self.input_gradient.resize_with(layers, Default::default);
        let layout = Layout::new(sizes).expect("validated by the model");
        let weights = |layer: usize, units: Range<usize>| {
            let (fan_in, fan_out) = (sizes[layer], sizes[layer + 1]);
            MatRef::new(&params[layout.weights(layer)], fan_in, fan_out, fan_out).rows_of(units)
        };
        let (forward, input_gradient) = (OnePart::new(&mut self.forward), OnePart::new(&mut self.input_gradient));
        executor.run(PARTS, &|part| {
            // SAFETY: part 0 alone uses `forward`, part 1 alone `input_gradient`.
            let packs = unsafe { if part == 0 { forward.get() } else { input_gradient.get() } };
            for (layer, packs) in packs.iter_mut().enumerate() {
                let fan_in = sizes[layer];
                for (block, packed) in packs.iter_mut().enumerate() {
                    let depth = weights(layer, order.depth(fan_in, block));
                    pack_b(level, if part == 0 { depth } else { depth.t() }, packed);
                }
            }
        });
    }
}

/// The order's depth blocks of `fan_in` inputs that `units` covers, with
/// their index (the input-gradient packs); `units` is whole blocks.
pub(super) fn blocks_within(
    order: Order,
    fan_in: usize,
    units: Range<usize>,
) -> impl Iterator<Item = (usize, Range<usize>)> {
    (0..PARTS).map(move |b| (b, order.depth(fan_in, b))).filter(move |(_, d)| {
        let inside = units.start <= d.start && d.end <= units.end;
        assert!(inside || d.end <= units.start || units.end <= d.start, "bf16 input gradient: whole depth blocks only");
        inside && !d.is_empty()
    })
}
