//! A set of samples in memory and the seeded train/validation split.
//!
//! A split holds each sample once, in the form it was read: 8-bit data (IDX, image
//! folders, `u8` arrays) as bytes, scaled by `/255` only when a batch is gathered
//! (`gather_scaled_rows`, a quarter of the memory of the scaled copy); everything
//! else (tables, float arrays) as the network's `f32` inputs, already standardised.

use std::ops::{Deref, Range};

use super::pixels::PixelMap;
use crate::huge_pages;
use ffn_core::aligned::AlignedBuffer;
use ffn_core::exec::Executor;
use ffn_core::kernels::Kernels;
use ffn_core::kernels::elementwise::{gather_scaled_rows, scale_bytes};
use ffn_core::rng;

/// The RNG stream of the validation split (stream 0/1 are the weights and batch order).
pub const SPLIT_STREAM: u64 = 2;

/// The samples' values, row-major, `width` per sample.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// 8-bit samples; the network sees `byte / 255`.
    Bytes(Vec<u8>),
    /// The network's inputs as they are.
    Floats(Vec<f32>),
}

impl Values {
    pub(crate) fn len(&self) -> usize {
        match self {
            Values::Bytes(b) => b.len(),
            Values::Floats(f) => f.len(),
        }
    }

    /// Rows `rows` (sorted or not) of `width` values each, copied out.
    pub(crate) fn take_rows(&self, width: usize, rows: &[usize]) -> Values {
        match self {
            Values::Bytes(b) => Values::Bytes(take(b, width, rows)),
            Values::Floats(f) => Values::Floats(take(f, width, rows)),
        }
    }

    /// Keeps only the rows `rows` (strictly increasing), moved to the front in place:
    /// row `rows[k]` ≥ `k` is never overwritten before it is read, so no second copy
    /// of the data is ever held.
    pub(crate) fn keep_rows(&mut self, width: usize, rows: &[usize]) {
        fn keep<T: Copy>(all: &mut Vec<T>, width: usize, rows: &[usize]) {
            debug_assert!(rows.windows(2).all(|w| w[0] < w[1]));
            for (k, &r) in rows.iter().enumerate() {
                if r != k {
                    all.copy_within(r * width..(r + 1) * width, k * width);
                }
            }
            all.truncate(rows.len() * width);
            // Returns the tail to the system (a large allocation shrinks in place).
            all.shrink_to_fit();
        }
        match self {
            Values::Bytes(b) => keep(b, width, rows),
            Values::Floats(f) => keep(f, width, rows),
        }
    }
}

/// Rows `rows` of `all` (`width` values each), copied out in that order.
fn take<T: Copy>(all: &[T], width: usize, rows: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len() * width);
    rows.iter().for_each(|&r| out.extend_from_slice(&all[r * width..(r + 1) * width]));
    out
}

/// `labels.len()` samples of `width` values each.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    width: usize,
    values: Values,
    /// Class index of each sample.
    pub labels: Vec<u32>,
    /// 8-bit data under `--pixel_scaling standardize`: the map from `/255` to the network's inputs.
    pixels: Option<PixelMap>,
}

impl Default for Split {
    fn default() -> Self {
        Split { width: 0, values: Values::Floats(Vec::new()), labels: Vec::new(), pixels: None }
    }
}

/// A split's samples as the network's inputs: float data borrowed, 8-bit
/// data scaled into a buffer on a cache line (as a batch's are, see
/// `batches.rs`: the evaluation's first layer reads it in 64-byte vectors).
pub enum Inputs<'a> {
    Borrowed(&'a [f32]),
    Scaled(AlignedBuffer),
}

impl Deref for Inputs<'_> {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        match self {
            Inputs::Borrowed(values) => values,
            Inputs::Scaled(buffer) => buffer,
        }
    }
}

impl Split {
    /// A split of `values` (`width` per sample, one sample per label).
    ///
    /// # Panics
    /// If `values` does not hold `width` values per label: a bug of the loader, not of the data.
    pub fn new(width: usize, values: Values, labels: Vec<u32>) -> Self {
        assert_eq!(
            values.len(),
            width * labels.len(),
            "{} values for {} samples of {width}",
            values.len(),
            labels.len()
        );
        let split = Split { width, values, labels, pixels: None };
        match &split.values {
            Values::Bytes(b) => huge_pages::advise(b),
            Values::Floats(f) => huge_pages::advise(f),
        }
        split
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per sample: the network's input width.
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn values(&self) -> &Values {
        &self.values
    }

    /// All samples' bytes (row-major), for 8-bit data; `None` for float data.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.values {
            Values::Bytes(b) => Some(b),
            Values::Floats(_) => None,
        }
    }

    /// Sample `i` as the file's bytes, for 8-bit data.
    pub fn raw(&self, i: usize) -> Option<&[u8]> {
        self.bytes().map(|b| &b[i * self.width..(i + 1) * self.width])
    }

    /// All samples as the network's inputs (row-major): borrowed for float data,
    /// scaled from the bytes (the bits a batch gather gives) for 8-bit data.
    pub fn inputs(&self) -> Inputs<'_> {
        self.inputs_of(0..self.len())
    }

    /// Sample `i` as the network's inputs.
    pub fn input(&self, i: usize) -> Inputs<'_> {
        self.inputs_of(i..i + 1)
    }

    /// The samples `rows` as the network's inputs (row-major).
    pub fn inputs_of(&self, rows: Range<usize>) -> Inputs<'_> {
        let span = rows.start * self.width..rows.end * self.width;
        match &self.values {
            Values::Floats(f) => Inputs::Borrowed(&f[span]),
            Values::Bytes(b) => {
                let mut out = AlignedBuffer::zeroed(span.len());
                scale_bytes(Kernels::detect(), &mut out, &b[span]);
                self.map_pixels(&mut out);
                Inputs::Scaled(out)
            }
        }
    }

    /// Row `k` of `dst` (`rows.len()` rows of the split's width) = the inputs
    /// of sample `rows[k]`: a shuffled batch (8-bit rows scaled on
    /// `executor`'s threads).
    pub(crate) fn gather_inputs(&self, dst: &mut [f32], rows: &[usize], executor: &dyn Executor) {
        assert_eq!(dst.len(), rows.len() * self.width, "room for {} rows of {}", rows.len(), self.width);
        match &self.values {
            Values::Bytes(b) => {
                gather_scaled_rows(Kernels::detect(), executor, dst, b, rows, self.width);
                self.map_pixels(dst);
            }
            Values::Floats(f) => {
                for (out, &r) in dst.chunks_exact_mut(self.width).zip(rows) {
                    out.copy_from_slice(&f[r * self.width..(r + 1) * self.width]);
                }
            }
        }
    }

    /// 8-bit data: the network's inputs become `(byte − mean[j]) / std[j]`
    /// (statistics in grey levels) instead of `byte / 255`.
    pub(crate) fn standardize_pixels(&mut self, mean: &[f32], std: &[f32]) {
        if matches!(self.values, Values::Bytes(_)) {
            self.pixels = Some(PixelMap::new(mean, std));
        }
    }

    /// Rows of `/255`-scaled bytes of this split (a batch, an augmented batch)
    /// made the network's inputs: standardised when the split is.
    pub(crate) fn map_pixels(&self, rows: &mut [f32]) {
        if let Some(map) = &self.pixels {
            map.apply(rows);
        }
    }

    /// Standardises float samples in place: `x = (x − mean[j]) / std[j]`.
    pub(crate) fn standardize(&mut self, mean: &[f32], std: &[f32]) {
        if let Values::Floats(f) = &mut self.values {
            super::standardize::apply(f, mean, std);
        }
    }

    /// `n` blank 8-bit samples, to be written with [`Split::set`].
    pub(crate) fn zeroed_bytes(n: usize, width: usize) -> Self {
        // Zeroed allocations are lazily mapped pages: the writer faults them in.
        Split::new(width, Values::Bytes(vec![0; n * width]), vec![0; n])
    }

    /// Sets sample `i` of an 8-bit split to `row` with `label`.
    pub(crate) fn set(&mut self, i: usize, row: &[u8], label: u32) {
        if let Values::Bytes(b) = &mut self.values {
            b[i * self.width..(i + 1) * self.width].copy_from_slice(row);
        }
        self.labels[i] = label;
    }

    /// The 8-bit samples at `order` (of `width` bytes each in `bytes`), in that order.
    /// Every index must be below `labels.len()`.
    pub fn gather(width: usize, bytes: &[u8], labels: &[u8], order: &[usize]) -> Self {
        let values = Values::Bytes(take(bytes, width, order));
        Split::new(width, values, order.iter().map(|&i| u32::from(labels[i])).collect())
    }
}

/// The seeded permutation of `0..n` split into (train, validation): the first
/// `round(n × (1 − validation_fraction))` indices train, the rest validate.
pub fn split_indices(n: usize, seed: u64, validation_fraction: f32) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    rng::shuffle(&mut rng::rng_for(seed, SPLIT_STREAM), &mut order);
    let n_train = train_count(n, validation_fraction);
    let validation = order.split_off(n_train);
    (order, validation)
}

pub fn train_count(n: usize, validation_fraction: f32) -> usize {
    // In f64: 60000 × (1 − 0.1f32) must round to 54000, not drift by f32 rounding.
    ((n as f64 * (1.0 - f64::from(validation_fraction))).round() as usize).min(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 784;

    #[test]
    fn split_is_a_seeded_partition() {
        let (train, val) = split_indices(60_000, 0, 0.1);
        assert_eq!((train.len(), val.len()), (54_000, 6_000));
        let mut all: Vec<usize> = train.iter().chain(&val).copied().collect();
        all.sort_unstable();
        assert!(all.iter().copied().eq(0..60_000));
        assert_eq!(split_indices(60_000, 0, 0.1), (train.clone(), val.clone()));
        assert_ne!(split_indices(60_000, 1, 0.1).1, val);
        assert_eq!(train_count(10, 0.25), 8); // 7.5 rounds up
        assert_eq!(train_count(7, 0.0), 7);
    }

    #[test]
    fn gather_keeps_bytes_and_labels_together() {
        let pixels: Vec<u8> = (0..3 * W).map(|i| (i / W * 100) as u8).collect();
        let split = Split::gather(W, &pixels, &[7, 8, 9], &[2, 0]);
        assert_eq!(split.labels, [9, 7]);
        assert!(split.raw(0).unwrap().iter().all(|&p| p == 200));
        assert!(split.input(1).iter().all(|&x| x == 0.0));
        assert_eq!(split.input(0)[5], 200.0 / 255.0);
        assert_eq!(split.inputs().len(), 2 * W);
    }

    /// The whole-split scaling and the batch gather give the same bits as `p / 255`.
    #[test]
    fn inputs_of_bytes_are_the_gathered_bits() {
        let bytes: Vec<u8> = (0..=255).collect();
        let split = Split::new(1, Values::Bytes(bytes.clone()), vec![0; 256]);
        let mut gathered = vec![0.0; 256];
        split.gather_inputs(&mut gathered, &(0..256).collect::<Vec<_>>(), &ffn_core::exec::Serial);
        for (p, (a, b)) in bytes.iter().zip(split.inputs().iter().zip(&gathered)) {
            assert_eq!((a.to_bits(), b.to_bits()), ((*p as f32 / 255.0).to_bits(), a.to_bits()));
        }
    }

    /// Standardised bytes: a gathered batch, the whole split and a float
    /// split standardised by the same statistics agree; float splits ignore it.
    #[test]
    fn standardized_bytes_are_gathered_as_the_split_gives_them() {
        let bytes: Vec<u8> = (0..=255).chain((0..=255).rev()).collect();
        let mut split = Split::new(2, Values::Bytes(bytes.clone()), vec![0; 256]);
        let (mean, std) = super::super::pixels::statistics(&bytes, 2);
        split.standardize_pixels(&mean, &std);
        let rows: Vec<usize> = (0..256).rev().collect();
        let mut gathered = vec![0.0; 512];
        split.gather_inputs(&mut gathered, &rows, &ffn_core::exec::Serial);
        let inputs = split.inputs();
        for (k, &r) in rows.iter().enumerate() {
            for j in 0..2 {
                let (g, x) = (gathered[k * 2 + j], inputs[r * 2 + j]);
                assert_eq!(g.to_bits(), x.to_bits(), "row {r} input {j}");
                let want = (bytes[r * 2 + j] as f32 - mean[j]) / std[j];
                assert!((x - want).abs() < 1e-5, "row {r} input {j}: {x} against {want}");
            }
        }
        let mut floats = Split::new(2, Values::Floats(vec![1.0, 2.0]), vec![0]);
        floats.standardize_pixels(&mean, &std);
        assert_eq!(&*floats.inputs(), &[1.0, 2.0]);
    }

    #[test]
    fn float_splits_borrow_and_gather_rows() {
        let values: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let split = Split::new(3, Values::Floats(values), vec![0, 1, 0, 1]);
        assert!(matches!(split.inputs(), Inputs::Borrowed(_)));
        assert_eq!(split.raw(0), None);
        let mut batch = vec![0.0; 6];
        split.gather_inputs(&mut batch, &[3, 1], &ffn_core::exec::Serial);
        assert_eq!(batch, [9.0, 10.0, 11.0, 3.0, 4.0, 5.0]);
        assert_eq!(&*split.inputs_of(1..2), &[3.0, 4.0, 5.0]);
    }

    #[test]
    fn keep_and_take_rows() {
        let mut v = Values::Floats((0..10).map(|i| i as f32).collect());
        let taken = v.take_rows(2, &[4, 0]);
        assert_eq!(taken, Values::Floats(vec![8.0, 9.0, 0.0, 1.0]));
        v.keep_rows(2, &[1, 3, 4]);
        assert_eq!(v, Values::Floats(vec![2.0, 3.0, 6.0, 7.0, 8.0, 9.0]));
        let mut b = Values::Bytes(vec![1, 2, 3]);
        b.keep_rows(1, &[]);
        assert_eq!(b, Values::Bytes(vec![]));
    }

    #[test]
    #[should_panic(expected = "5 values for 2 samples of 3")]
    fn values_must_fit_the_labels() {
        let _ = Split::new(3, Values::Floats(vec![0.0; 5]), vec![0, 0]);
    }
}
