//! A validated view over a model file and its panic-free forward pass.

use crate::format::{self, CheckedFile, ElementType, FormatError, INPUT_SIZE, NUM_CLASSES, le_f32s, le_u32s};
use crate::kernels::{dot_f32, dot_f32_pixels, dot_i8, dot_i8_pixels, softmax_argmax};

/// The caller-owned working memory of one forward pass: two ping-pong rows of
/// `N` activations in f32 and in int8. `N` must be at least the model's widest
/// layer, which [`Model::from_bytes`] checks. int8 activations are kept as
/// their two's-complement bytes, the form the dot-product kernels load.
pub struct Scratch<const N: usize> {
    f32_rows: [[f32; N]; 2],
    i8_rows: [[u8; N]; 2],
}

impl<const N: usize> Scratch<N> {
    /// Bytes of RAM this scratch takes.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    pub const fn new() -> Self {
        Scratch { f32_rows: [[0.0; N]; 2], i8_rows: [[0; N]; 2] }
    }
}

impl<const N: usize> Default for Scratch<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// `Scratch::<width>::BYTES` for a width known only at run time.
pub const fn scratch_bytes(width: usize) -> usize {
    let f32_rows = 2 * width * core::mem::size_of::<f32>();
    f32_rows + (2 * width).next_multiple_of(core::mem::align_of::<f32>())
}

/// One classified image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Index of the most probable class.
    pub class: usize,
    /// Softmax probabilities of the 10 classes.
    pub scores: [f32; NUM_CLASSES],
}

/// A model borrowed from `'a` bytes (flash), usable with a [`Scratch<N>`].
#[derive(Clone, Copy, Debug)]
pub struct Model<'a, const N: usize> {
    checked: CheckedFile<'a>,
}

/// Splits `len` bytes off the front of `bytes`; a validated model never runs
/// short, and if it did the kernels would just see shorter operands.
fn take<'a>(bytes: &mut &'a [u8], len: usize) -> &'a [u8] {
    let (head, tail) = bytes.split_at(len.min(bytes.len()));
    *bytes = tail;
    head
}

impl<'a, const N: usize> Model<'a, N> {
    /// Validates `bytes` once; every later call works on checked data.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let checked = format::check(bytes)?;
        if checked.max_width > N {
            return Err(FormatError::ScratchTooSmall { needed: checked.max_width, capacity: N });
        }
        Ok(Model { checked })
    }

    pub fn element(&self) -> ElementType {
        self.checked.file.element
    }

    pub fn activation(&self) -> format::Activation {
        self.checked.file.activation
    }

    /// `[784, hidden…, 10]`.
    pub fn sizes(&self) -> impl Iterator<Item = usize> + 'a {
        self.checked.sizes()
    }

    pub fn num_layers(&self) -> usize {
        self.checked.num_layers
    }

    /// The widest layer output: the smallest `N` this model accepts.
    pub fn max_width(&self) -> usize {
        self.checked.max_width
    }

    /// Bytes of RAM a [`Scratch`] sized exactly for this model takes.
    pub fn scratch_bytes(&self) -> usize {
        scratch_bytes(self.checked.max_width)
    }

    /// Bytes of weights, scales and biases (what stays in flash).
    pub fn payload_bytes(&self) -> usize {
        self.checked.file.payload.len()
    }

    /// Classifies one image of raw `0..=255` grey levels.
    pub fn predict(&self, pixels: &[u8; INPUT_SIZE], scratch: &mut Scratch<N>) -> Prediction {
        let mut logits = [0.0f32; NUM_CLASSES];
        match self.checked.file.element {
            ElementType::F32 => self.forward_f32(pixels, scratch, &mut logits),
            ElementType::Int8 => self.forward_i8(pixels, scratch, &mut logits),
        }
        let class = softmax_argmax(&mut logits);
        Prediction { class, scores: logits }
    }

    /// `(fan_in, fan_out)` of each layer, in order.
    fn layers(&self) -> impl Iterator<Item = (usize, usize)> + 'a {
        let sizes = self.checked.file.sizes;
        le_u32s(sizes).zip(le_u32s(sizes).skip(1)).map(|(n, m)| (n as usize, m as usize))
    }

    fn forward_f32(&self, pixels: &[u8; INPUT_SIZE], scratch: &mut Scratch<N>, logits: &mut [f32; NUM_CLASSES]) {
        let activation = self.checked.file.activation;
        let last = self.checked.num_layers.saturating_sub(1);
        let mut payload = self.checked.file.payload;
        let [a, b] = &mut scratch.f32_rows;
        let (mut input, mut output): (&mut [f32; N], &mut [f32; N]) = (a, b);
        for (layer, (fan_in, fan_out)) in self.layers().enumerate() {
            let weights = take(&mut payload, fan_in * fan_out * 4);
            let bias = take(&mut payload, fan_out * 4);
            let rows = weights.chunks_exact(fan_in * 4);
            let out: &mut [f32] = if layer == last { &mut logits[..] } else { &mut output[..] };
            for ((y, row), b) in out.iter_mut().zip(rows).zip(le_f32s(bias)) {
                let sum = if layer == 0 { dot_f32_pixels(row, pixels) / 255.0 } else { dot_f32(row, &input[..]) };
                *y = if layer == last { sum + b } else { activation.apply(sum + b) };
            }
            core::mem::swap(&mut input, &mut output);
        }
    }

    fn forward_i8(&self, pixels: &[u8; INPUT_SIZE], scratch: &mut Scratch<N>, logits: &mut [f32; NUM_CLASSES]) {
        let activation = self.checked.file.activation;
        let last = self.checked.num_layers.saturating_sub(1);
        let mut payload = self.checked.file.payload;
        // Scale of each layer's input; the next entry is this layer's output scale.
        let mut scales = le_f32s(self.checked.file.input_scales);
        let mut input_scale = scales.next().unwrap_or(format::PIXEL_SCALE);
        let [a, b] = &mut scratch.i8_rows;
        let (mut input, mut output): (&mut [u8; N], &mut [u8; N]) = (a, b);
        for (layer, (fan_in, fan_out)) in self.layers().enumerate() {
            let weights = take(&mut payload, fan_in * fan_out);
            let weight_scales = take(&mut payload, fan_out * 4);
            let bias = take(&mut payload, fan_out * 4);
            let output_scale = scales.next().unwrap_or(1.0);
            let inv_output_scale = 1.0 / output_scale;
            let per_output = weights.chunks_exact(fan_in).zip(le_f32s(weight_scales)).zip(le_f32s(bias));
            if layer == last {
                for (y, ((row, w_scale), b)) in logits.iter_mut().zip(per_output) {
                    let acc = if layer == 0 { dot_i8_pixels(row, pixels) } else { dot_i8(row, &input[..]) };
                    *y = acc as f32 * (input_scale * w_scale) + b;
                }
            } else {
                for (q, ((row, w_scale), b)) in output.iter_mut().zip(per_output) {
                    let acc = if layer == 0 { dot_i8_pixels(row, pixels) } else { dot_i8(row, &input[..]) };
                    let y = activation.apply(acc as f32 * (input_scale * w_scale) + b);
                    // Symmetric int8: round to nearest, saturate to ±127 (NaN becomes 0).
                    *q = libm::roundf(y * inv_output_scale).clamp(-127.0, 127.0) as i8 as u8;
                }
            }
            input_scale = output_scale;
            core::mem::swap(&mut input, &mut output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_bytes_matches_the_type() {
        assert_eq!(scratch_bytes(128), Scratch::<128>::BYTES);
        assert_eq!(scratch_bytes(13), Scratch::<13>::BYTES);
        assert_eq!(scratch_bytes(1), Scratch::<1>::BYTES);
    }
}
