//! The order in which a training step sums, defined once for the reference
//! step and the plans.
//!
//! Floating-point sums depend on their order, and the step's plans cut the
//! work between two cores in ways that fix an order; so that one thread and
//! two give the same bits, the reference step sums in the same order:
//!
//! - up to [`SMALL_BATCH`] rows, each layer's forward product is summed in
//!   two depth blocks (the layer's inputs cut by [`half`]): the first onto
//!   the bias, the second from zero, then the two added (the small-batch
//!   plan gives each core half the weight rows);
//! - above it, the loss is summed over the batch's two halves (cut by
//!   [`half`]) and added (the large-batch plan gives each core half the
//!   batch's rows);
//! - inference sums each product in one block and the loss of a batch whole.
//!
//! Everything else (every gradient element, every update) is computed the
//! same way however the work is cut.

use core::ops::Range;

/// Batches up to this size train through the small-batch plan (each core
/// owns half of every layer's weight rows; see `plan::weight_rows`), larger
/// ones through the large-batch plan (each core owns half the rows).
pub const SMALL_BATCH: usize = 64;

/// Part `part`'s half (part 0 or 1) of `units` units: weight rows, a
/// layer's outputs, or a batch's rows. The cut is on a multiple of 16 (whole
/// AVX-512 vectors, whole cache lines), rounded down because part 0 also
/// runs the serial work between the phases; fewer than 32 units are part 0's
/// alone.
pub fn half(units: usize, part: usize) -> Range<usize> {
    let cut = match units / 2 / 16 * 16 {
        0 => units,
        cut => cut,
    };
    if part == 0 { 0..cut } else { cut..units }
}

/// How one pass over a batch sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    depth_halves: bool,
    loss_halves: bool,
}

impl Order {
    /// The order of a training step over `batch` rows.
    pub fn training(batch: usize) -> Order {
        Order { depth_halves: batch <= SMALL_BATCH, loss_halves: batch > SMALL_BATCH }
    }

    /// The order of a forward pass for inference.
    pub fn inference() -> Order {
        Order { depth_halves: false, loss_halves: false }
    }

    /// Depth block `block` (0 or 1) of a layer with `fan_in` inputs: the
    /// first is summed onto the bias, the second from zero, and the two are
    /// added; the second may be empty (then the first is the product).
    pub fn depth(&self, fan_in: usize, block: usize) -> Range<usize> {
        match (self.depth_halves, block) {
            (true, _) => half(fan_in, block),
            (false, 0) => 0..fan_in,
            (false, _) => fan_in..fan_in,
        }
    }

    /// Whether any layer of these sizes has a second depth block (and so
    /// needs its partial sums).
    pub fn has_second_block(&self, sizes: &[usize]) -> bool {
        sizes[..sizes.len() - 1].iter().any(|&fan_in| !self.depth(fan_in, 1).is_empty())
    }

    /// Loss block `block` (0 or 1) of a batch of `batch` rows: the loss is
    /// the sum of each block's sum.
    pub fn loss_rows(&self, batch: usize, block: usize) -> Range<usize> {
        match (self.loss_halves, block) {
            (true, _) => half(batch, block),
            (false, 0) => 0..batch,
            (false, _) => batch..batch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Order, SMALL_BATCH, half};

    #[test]
    fn halves_cut_on_whole_vectors_and_leave_small_layers_whole() {
        for units in [1, 10, 31, 32, 33, 128, 784, 1000] {
            let (first, second) = (half(units, 0), half(units, 1));
            assert_eq!((first.start, first.end, second.end), (0, second.start, units));
            assert!(first.end % 16 == 0 || first.end == units);
            assert!(units < 32 || second.len() >= first.len(), "part 0 runs the serial work: {units}");
        }
        assert_eq!((half(784, 0), half(128, 0), half(10, 0)), (0..384, 0..64, 0..10));
    }

    #[test]
    fn small_batches_cut_the_depth_and_large_ones_the_loss() {
        let small = Order::training(SMALL_BATCH);
        assert_eq!((small.depth(784, 0), small.depth(784, 1)), (0..384, 384..784));
        assert_eq!((small.loss_rows(64, 0), small.loss_rows(64, 1)), (0..64, 64..64));
        let large = Order::training(SMALL_BATCH + 1);
        assert_eq!((large.depth(784, 0), large.depth(784, 1)), (0..784, 784..784));
        assert_eq!((large.loss_rows(100, 0), large.loss_rows(100, 1)), (0..48, 48..100));
        assert!(!Order::inference().has_second_block(&[784, 128, 10]));
        assert!(small.has_second_block(&[784, 10]) && !small.has_second_block(&[20, 10]));
    }
}
