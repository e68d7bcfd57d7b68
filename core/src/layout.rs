//! Where each layer's weights and biases sit in the one parameter buffer.
//!
//! Layer `l` maps `sizes[l]` inputs to `sizes[l + 1]` outputs; its weights are a
//! row-major `fan_in × fan_out` block (so a batch forward is `X · W`),
//! followed by its `fan_out` biases; layers follow each other in order.

use core::ops::Range;

#[derive(Clone, Copy, Debug)]
pub struct Layout<'a> {
    sizes: &'a [usize],
}

impl<'a> Layout<'a> {
    /// `sizes` = `[input, hidden…, outputs]`; at least two entries, all non-zero.
    pub fn new(sizes: &'a [usize]) -> Option<Self> {
        (sizes.len() >= 2 && sizes.iter().all(|&s| s > 0)).then_some(Layout { sizes })
    }

    pub fn sizes(&self) -> &'a [usize] {
        self.sizes
    }

    pub fn num_layers(&self) -> usize {
        self.sizes.len() - 1
    }

    pub fn fan_in(&self, layer: usize) -> usize {
        self.sizes[layer]
    }

    pub fn fan_out(&self, layer: usize) -> usize {
        self.sizes[layer + 1]
    }

    fn layer_start(&self, layer: usize) -> usize {
        self.sizes.windows(2).take(layer).map(|w| w[0] * w[1] + w[1]).sum()
    }

    pub fn weights(&self, layer: usize) -> Range<usize> {
        let start = self.layer_start(layer);
        start..start + self.fan_in(layer) * self.fan_out(layer)
    }

    pub fn bias(&self, layer: usize) -> Range<usize> {
        let start = self.weights(layer).end;
        start..start + self.fan_out(layer)
    }

    /// Total parameter count.
    pub fn len(&self) -> usize {
        self.layer_start(self.num_layers())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The widest layer output (sizes the scratch rows).
    pub fn max_width(&self) -> usize {
        self.sizes[1..].iter().copied().max().unwrap_or(0)
    }
}
