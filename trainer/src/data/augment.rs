//! Random transformations of training images, applied while a batch is
//! gathered: shifts, rotations, zooms, elastic distortions, mirroring and
//! erasing, drawn anew each time an image is seen.
//!
//! One inverse map per image carries every geometric transform: for each
//! output pixel, the point of the source image it shows is computed (shift,
//! then rotation and zoom about the centre, then the mirror, then the elastic
//! displacement) and read by bilinear interpolation, zero outside the image.
//! The elastic distortion is Simard, Steinkraus & Platt (2003, "Best practices
//! for convolutional neural networks applied to visual document analysis"): a
//! smooth random displacement field. They smoothed per-pixel noise with a
//! Gaussian; here the field is interpolated from a coarse grid of random
//! control points, the same kind of smooth field without a convolution per
//! image. Erasing is Zhong et al. (2017, "Random erasing data augmentation"),
//! filled with zeros (the background of these images). Hand-written rather
//! than through the `image` crate: that transforms whole images one operation
//! at a time into new allocations, where a batch needs all of them fused into
//! one pass per image, straight into the batch buffer, thousands of times a
//! second beside the training step.
//!
//! Determinism: the batch trained at global step `s` draws from stream
//! [`AUGMENT_STREAM`]` + s` of the run's seed, as dropout's masks do, so a
//! resumed run redraws exactly the transforms of an uninterrupted one and the
//! checkpoint needs no augmentation state. Each image gets its own generator,
//! seeded from that stream in batch order, so the rows can be split over the
//! cores without changing a bit.

use std::sync::Mutex;

use ffn_core::exec::Executor;
use ffn_core::kernels::Kernels;
use ffn_core::kernels::elementwise::scale_bytes;
use ffn_core::rng::{Rng, below, rng_for, uniform};
use rand_core::{RngCore, SeedableRng};

use super::info::ImageShape;
use super::{Split, Values};

/// Seed stream of step 0's transforms. Clear of the run's other streams:
/// weights 1, split 2, shuffles 3 + epoch, dropout 2^40 + step.
pub const AUGMENT_STREAM: u64 = 1 << 41;
/// The elastic field's control points: a grid of `(CELLS + 1)²` over the
/// image (every 6.75 pixels of a 28×28 image, about the correlation length
/// of Simard's field with σ = 4).
const ELASTIC_CELLS: usize = 4;
/// Erased rectangles cover this share of the image, drawn uniformly
/// (Zhong et al.'s defaults), with a log-uniform aspect ratio in
/// `[ERASE_ASPECT⁻¹, ERASE_ASPECT]`.
const ERASE_AREA: (f32, f32) = (0.02, 0.4);
const ERASE_ASPECT: f32 = 3.3;

/// The augmentation flags (all zero: none).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Augment {
    /// Shift by a whole number of pixels in `-shift..=shift`, each axis.
    pub shift: usize,
    /// Rotate by an angle uniform in `±rotate` degrees.
    pub rotate: f32,
    /// Zoom by a factor uniform in `[1 − zoom, 1 + zoom]`.
    pub zoom: f32,
    /// Elastic distortion: the standard deviation, in pixels, of the
    /// displacement of the field's control points.
    pub elastic: f32,
    /// Probability of mirroring an image left to right.
    pub flip: f32,
    /// Probability of erasing one random rectangle.
    pub erase: f32,
}

impl Augment {
    /// No transform at all: batches are gathered as they are.
    pub fn is_identity(&self) -> bool {
        *self == Augment::default()
    }

    /// Only shifts and mirrors: every pixel is copied, none interpolated.
    fn moves_whole_pixels(&self) -> bool {
        self.rotate == 0.0 && self.zoom == 0.0 && self.elastic == 0.0
    }
}

/// Augments the batches of one run: the flags, the images' shape and the run's seed.
#[derive(Clone, Debug)]
pub struct Augmenter {
    settings: Augment,
    shape: ImageShape,
    seed: u64,
    /// The elastic grid's cell of each output row and column, and the weight
    /// of the cell's far side there.
    row_cells: Vec<(usize, f32)>,
    column_cells: Vec<(usize, f32)>,
}

/// One image's draw.
struct Draw {
    /// Source offset per output offset (rotation, zoom and mirror), row-major.
    map: [f32; 4],
    /// Whole-pixel shift (x, y).
    shift: (f32, f32),
    mirror: bool,
    /// Control-point displacements (x then y), `(CELLS + 1)²` each; empty without elastic.
    elastic: Vec<f32>,
    /// (top, left, height, width).
    erase: Option<(usize, usize, usize, usize)>,
}

impl Augmenter {
    /// `None` when `settings` change nothing.
    pub fn new(settings: Augment, shape: ImageShape, seed: u64) -> Option<Self> {
        if settings.is_identity() || shape.is_empty() {
            return None;
        }
        let cells = |n: usize| -> Vec<(usize, f32)> {
            let span = (n.max(2) - 1) as f32;
            (0..n)
                .map(|i| {
                    let at = i as f32 * ELASTIC_CELLS as f32 / span;
                    let cell = (at as usize).min(ELASTIC_CELLS - 1);
                    let t = at - cell as f32;
                    // Smoothstep: the field's slope is continuous across control points.
                    (cell, t * t * (3.0 - 2.0 * t))
                })
                .collect()
        };
        Some(Augmenter { settings, shape, seed, row_cells: cells(shape.height), column_cells: cells(shape.width) })
    }

    pub fn settings(&self) -> &Augment {
        &self.settings
    }

    /// Row `k` of `dst` (`rows.len()` images) = sample `rows[k]` of `split`, transformed with the
    /// randomness of global step `step` (the split's inputs: 8-bit images
    /// are scaled to [0, 1] first), cut into blocks of rows, one per thread
    /// of `executor` (the batch gatherer's: the pool before a large batch's
    /// step, one thread beside a small one's).
    pub fn gather(&self, dst: &mut [f32], split: &Split, rows: &[usize], step: u64, executor: &dyn Executor) {
        let width = split.width();
        assert_eq!(width, self.shape.len(), "the augmenter was made for images of {} values", self.shape.len());
        assert_eq!(dst.len(), rows.len() * width, "room for {} images", rows.len());
        let mut rng = rng_for(self.seed, AUGMENT_STREAM.wrapping_add(step));
        let seeds: Vec<u64> = rows.iter().map(|_| rng.next_u64()).collect();
        let threads = executor.threads();
        if threads > 1 && rows.len() > 1 {
            let mut rest = &mut dst[..];
            let mut blocks = Vec::with_capacity(threads);
            for part in 0..threads {
                let range = rows.len() * part / threads..rows.len() * (part + 1) / threads;
                let (block, tail) = rest.split_at_mut(range.len() * width);
                rest = tail;
                blocks.push(Mutex::new((block, range)));
            }
            executor.run(threads, &|part| {
                let mut guard = blocks[part].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let (block, range) = &mut *guard;
                self.transform_rows(block, split, &rows[range.clone()], &seeds[range.clone()]);
            });
        } else {
            self.transform_rows(dst, split, rows, &seeds);
        }
        // After the transform: its border of zeros is black, not the mean image.
        split.map_pixels(dst);
    }

    fn transform_rows(&self, out: &mut [f32], split: &Split, rows: &[usize], seeds: &[u64]) {
        let ImageShape { height, width, channels } = self.shape;
        // The source with a border of zeros: one column/row before, two after,
        // so a clamped coordinate and its right/lower neighbour are always inside.
        let stride = (width + 3) * channels;
        let mut padded = vec![0.0f32; (height + 3) * stride];
        let row_len = width * channels;
        let kernels = Kernels::detect();
        for ((out, &row), &seed) in out.chunks_exact_mut(self.shape.len()).zip(rows).zip(seeds) {
            let source = row * self.shape.len()..(row + 1) * self.shape.len();
            for y in 0..height {
                let inside = &mut padded[(y + 1) * stride + channels..][..row_len];
                match split.values() {
                    Values::Bytes(b) => scale_bytes(kernels, inside, &b[source.clone()][y * row_len..][..row_len]),
                    Values::Floats(f) => inside.copy_from_slice(&f[source.clone()][y * row_len..][..row_len]),
                }
            }
            let draw = self.draw(&mut Rng::seed_from_u64(seed));
            self.transform(out, &padded, &draw);
        }
    }

    /// One image's random transform; only the enabled transforms draw.
    fn draw(&self, rng: &mut Rng) -> Draw {
        let s = &self.settings;
        let ImageShape { height, width, .. } = self.shape;
        let mut symmetric = |range: f32| if range > 0.0 { (2.0 * uniform(rng) - 1.0) * range } else { 0.0 };
        let angle = symmetric(s.rotate).to_radians();
        let zoom = 1.0 + symmetric(s.zoom);
        let k = s.shift;
        let mut whole = || if k > 0 { below(rng, 2 * k + 1) as f32 - k as f32 } else { 0.0 };
        let shift = (whole(), whole());
        let mirror = s.flip > 0.0 && uniform(rng) < s.flip;
        // The inverse of "rotate by angle and zoom": rotate back, shrink back.
        let (sin, cos) = angle.sin_cos();
        let map = [cos / zoom, sin / zoom, -sin / zoom, cos / zoom];
        let points = (ELASTIC_CELLS + 1) * (ELASTIC_CELLS + 1);
        // Uniform in ±√3·σ has standard deviation σ.
        let amplitude = 3.0f32.sqrt() * s.elastic;
        let elastic = if s.elastic > 0.0 {
            (0..2 * points).map(|_| (2.0 * uniform(rng) - 1.0) * amplitude).collect()
        } else {
            Vec::new()
        };
        let erase = (s.erase > 0.0 && uniform(rng) < s.erase).then(|| {
            let area = (ERASE_AREA.0 + (ERASE_AREA.1 - ERASE_AREA.0) * uniform(rng)) * (height * width) as f32;
            let aspect = ERASE_ASPECT.powf(2.0 * uniform(rng) - 1.0);
            let h = ((area * aspect).sqrt().round() as usize).clamp(1, height);
            let w = ((area / aspect).sqrt().round() as usize).clamp(1, width);
            (below(rng, height - h + 1), below(rng, width - w + 1), h, w)
        });
        Draw { map, shift, mirror, elastic, erase }
    }

    fn transform(&self, out: &mut [f32], padded: &[f32], draw: &Draw) {
        let ImageShape { height, width, channels } = self.shape;
        let stride = (width + 3) * channels;
        let (cx, cy) = ((width as f32 - 1.0) / 2.0, (height as f32 - 1.0) / 2.0);
        let (max_x, max_y) = ((width + 1) as f32, (height + 1) as f32);
        let [m00, m01, m10, m11] = draw.map;
        let mirror = if draw.mirror { -1.0 } else { 1.0 };
        let (tx, ty) = draw.shift;
        if self.settings.moves_whole_pixels() {
            for (y, out_row) in out.chunks_exact_mut(width * channels).enumerate() {
                // Padded index of the source row: y − ty + 1, zero rows beyond the image.
                let sy = (y as f32 - ty + 1.0).clamp(0.0, max_y) as usize;
                for (x, pixel) in out_row.chunks_exact_mut(channels).enumerate() {
                    let sx = (mirror * (x as f32 - tx - cx) + cx + 1.0).clamp(0.0, max_x) as usize;
                    pixel.copy_from_slice(&padded[sy * stride + sx * channels..][..channels]);
                }
            }
        } else {
            let grid = ELASTIC_CELLS + 1;
            let (mut field_x, mut field_y) = (vec![0.0f32; grid], vec![0.0f32; grid]);
            let points = grid * grid;
            for (y, out_row) in out.chunks_exact_mut(width * channels).enumerate() {
                let v = y as f32 - cy - ty;
                if !draw.elastic.is_empty() {
                    // The control rows around this output row, blended: the field along it.
                    let (cell, t) = self.row_cells[y];
                    for (j, (fx, fy)) in field_x.iter_mut().zip(field_y.iter_mut()).enumerate() {
                        let (a, b) = (cell * grid + j, (cell + 1) * grid + j);
                        *fx = draw.elastic[a] + t * (draw.elastic[b] - draw.elastic[a]);
                        *fy = draw.elastic[points + a] + t * (draw.elastic[points + b] - draw.elastic[points + a]);
                    }
                }
                for (x, pixel) in out_row.chunks_exact_mut(channels).enumerate() {
                    let u = x as f32 - cx - tx;
                    let (mut sx, mut sy) = (mirror * (m00 * u + m01 * v) + cx, m10 * u + m11 * v + cy);
                    if !draw.elastic.is_empty() {
                        let (cell, t) = self.column_cells[x];
                        sx += field_x[cell] + t * (field_x[cell + 1] - field_x[cell]);
                        sy += field_y[cell] + t * (field_y[cell + 1] - field_y[cell]);
                    }
                    // Padded coordinates, clamped into the border: outside reads zeros.
                    let (px, py) = ((sx + 1.0).clamp(0.0, max_x), (sy + 1.0).clamp(0.0, max_y));
                    let (x0, y0) = (px as usize, py as usize);
                    let (fx, fy) = (px - x0 as f32, py - y0 as f32);
                    let top = y0 * stride + x0 * channels;
                    let bottom = top + stride;
                    for (c, value) in pixel.iter_mut().enumerate() {
                        let (a, b) = (padded[top + c], padded[top + channels + c]);
                        let (d, e) = (padded[bottom + c], padded[bottom + channels + c]);
                        let upper = a + fx * (b - a);
                        let lower = d + fx * (e - d);
                        *value = upper + fy * (lower - upper);
                    }
                }
            }
        }
        if let Some((top, left, h, w)) = draw.erase {
            for y in top..top + h {
                out[(y * width + left) * channels..(y * width + left + w) * channels].fill(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DatasetName, LoadOptions};
    use ffn_core::exec::Serial;

    const SHAPE: ImageShape = ImageShape { height: 28, width: 28, channels: 1 };

    /// The first `n` (≤ 200) Fashion-MNIST test images (real images: most
    /// pixels are background, the garments' edges are sharp).
    fn fashion(n: usize) -> Split {
        static TEST: std::sync::OnceLock<Split> = std::sync::OnceLock::new();
        let test = TEST.get_or_init(|| {
            let dataset = crate::data::load(
                DatasetName::FashionMnist,
                &LoadOptions { allow_download: false, train_limit: Some(1), ..LoadOptions::default() },
            )
            .expect("Fashion-MNIST in ../shared/data");
            dataset.test
        });
        let Values::Bytes(pixels) = test.values() else { panic!("Fashion-MNIST is 8-bit") };
        let labels: Vec<u8> = test.labels[..n].iter().map(|&l| l as u8).collect();
        Split::gather(SHAPE.len(), &pixels[..n * SHAPE.len()], &labels, &(0..n).collect::<Vec<_>>())
    }

    fn gather(augment: Augment, split: &Split, rows: &[usize], step: u64) -> Vec<f32> {
        let augmenter = Augmenter::new(augment, SHAPE, 7).expect("not the identity");
        let mut out = vec![0.0; rows.len() * SHAPE.len()];
        // Cut between two threads, as before a large batch's step.
        augmenter.gather(&mut out, split, rows, step, &ffn_pool::Pool::new(2));
        out
    }

    fn bits(values: &[f32]) -> Vec<u32> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    /// Standardised pixels are standardised after the transform: the augmented
    /// image of the standardised split is the augmented `/255` image mapped,
    /// so what a shift brings in from outside is black, not the mean image.
    #[test]
    fn standardized_pixels_are_mapped_after_the_transform() {
        let unit = fashion(16);
        let bytes = unit.bytes().expect("8-bit").to_vec();
        let (mean, std) = crate::data::pixels::statistics(&bytes, SHAPE.len());
        let mut standardized = unit.clone();
        standardized.standardize_pixels(&mean, &std);
        let rows: Vec<usize> = (0..16).collect();
        let augment = Augment { shift: 2, flip: 0.5, ..Augment::default() };
        let mut mapped = gather(augment, &unit, &rows, 3);
        crate::data::pixels::PixelMap::new(&mean, &std).apply(&mut mapped);
        assert_eq!(bits(&gather(augment, &standardized, &rows, 3)), bits(&mapped));
        assert_ne!(bits(&mapped), bits(&gather(augment, &unit, &rows, 3)));
    }

    #[test]
    fn no_settings_make_no_augmenter() {
        assert!(Augmenter::new(Augment::default(), SHAPE, 1).is_none());
        let empty = ImageShape { height: 0, width: 0, channels: 1 };
        assert!(Augmenter::new(Augment { shift: 1, ..Augment::default() }, empty, 1).is_none());
    }

    /// A shift moves every pixel by whole pixels, exactly: each output image
    /// is its source moved by some (dx, dy) in ±2, zeros where it came from
    /// outside; over many images every one of the 25 shifts occurs.
    #[test]
    fn a_shift_moves_pixels_exactly() {
        let split = fashion(200);
        let rows: Vec<usize> = (0..200).collect();
        let out = gather(Augment { shift: 2, ..Augment::default() }, &split, &rows, 3);
        let mut seen = std::collections::BTreeSet::new();
        for (image, &row) in out.chunks_exact(SHAPE.len()).zip(&rows) {
            let source = split.input(row);
            let moved = |dx: i64, dy: i64| -> Vec<u32> {
                let at = |x: i64, y: i64| {
                    let (sx, sy) = (x - dx, y - dy);
                    if (0..28).contains(&sx) && (0..28).contains(&sy) { source[(sy * 28 + sx) as usize] } else { 0.0 }
                };
                (0..28 * 28).map(|i| at(i % 28, i / 28).to_bits()).collect()
            };
            let found: Vec<(i64, i64)> = (-2..=2)
                .flat_map(|dx| (-2..=2).map(move |dy| (dx, dy)))
                .filter(|&(dx, dy)| moved(dx, dy) == bits(image))
                .collect();
            assert!(!found.is_empty(), "image {row} is no whole-pixel shift of its source");
            seen.extend(found);
        }
        assert_eq!(seen.len(), 25, "shifts seen: {seen:?}");
    }

    /// A mirror reverses every row, exactly; probability 1 mirrors every image.
    #[test]
    fn a_flip_mirrors_rows_exactly() {
        let split = fashion(8);
        let rows: Vec<usize> = (0..8).collect();
        let out = gather(Augment { flip: 1.0, ..Augment::default() }, &split, &rows, 0);
        for (image, &row) in out.chunks_exact(SHAPE.len()).zip(&rows) {
            let source = split.input(row);
            for (got, want) in image.chunks_exact(28).zip(source.chunks_exact(28)) {
                assert_eq!(bits(got), want.iter().rev().map(|v| v.to_bits()).collect::<Vec<_>>(), "image {row}");
            }
        }
    }

    /// Settings that draw but move nothing (a zero-degree rotation range is
    /// off, so: a zoom range too small to change a factor of 1 in f32, and
    /// a flip that never happens) go through the interpolating path and give
    /// the un-augmented bits.
    #[test]
    fn transforms_that_move_nothing_give_the_inputs_bits() {
        let split = fashion(16);
        let rows: Vec<usize> = (0..16).rev().collect();
        let out = gather(Augment { zoom: 1e-9, flip: 1e-9, ..Augment::default() }, &split, &rows, 5);
        for (image, &row) in out.chunks_exact(SHAPE.len()).zip(&rows) {
            assert_eq!(bits(image), bits(&split.input(row)), "image {row}");
        }
    }

    /// The same (seed, step) gives the same batch, on one thread or split
    /// over the pool; another step or seed gives another. Rotations, zooms,
    /// elastic distortion and erasing change the images but keep them in
    /// the pixels' range, and an erased rectangle is zero.
    #[test]
    fn the_same_step_gives_the_same_batch() {
        let split = fashion(200);
        let all = Augment { shift: 1, rotate: 12.0, zoom: 0.1, elastic: 1.5, flip: 0.5, erase: 0.5 };
        for batch in [16, 200] {
            let rows: Vec<usize> = (0..batch).map(|i| (i * 37) % 200).collect();
            let a = gather(all, &split, &rows, 11);
            assert_eq!(bits(&a), bits(&gather(all, &split, &rows, 11)), "batch {batch}");
            assert_ne!(bits(&a), bits(&gather(all, &split, &rows, 12)));
            let other_seed = Augmenter::new(all, SHAPE, 8).unwrap();
            let mut b = vec![0.0; rows.len() * SHAPE.len()];
            other_seed.gather(&mut b, &split, &rows, 11, &Serial);
            assert_ne!(bits(&a), bits(&b));
            assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
            let changed = a
                .chunks_exact(SHAPE.len())
                .zip(&rows)
                .filter(|(image, row)| bits(image) != bits(&split.input(**row)))
                .count();
            assert!(changed > batch * 9 / 10, "{changed} of {batch} images changed");
        }
        // Row by row (batch 1) gives the bits of the whole batch: each image has its own generator.
        let rows: Vec<usize> = (0..100).collect();
        let whole = gather(all, &split, &rows, 4);
        let augmenter = Augmenter::new(all, SHAPE, 7).unwrap();
        let mut first = vec![0.0; SHAPE.len()];
        augmenter.gather(&mut first, &split, &rows[..1], 4, &Serial);
        assert_eq!(bits(&first), bits(&whole[..SHAPE.len()]));
    }

    /// Erasing with probability 1 zeroes one rectangle of 2-40 % of the
    /// image and leaves every other pixel alone.
    #[test]
    fn erasing_zeroes_one_rectangle() {
        let split = fashion(32);
        let rows: Vec<usize> = (0..32).collect();
        let out = gather(Augment { erase: 1.0, ..Augment::default() }, &split, &rows, 9);
        let source = split.inputs();
        for (image, want) in out.chunks_exact(SHAPE.len()).zip(source.chunks_exact(SHAPE.len())) {
            let changed: Vec<usize> = (0..SHAPE.len()).filter(|&i| image[i].to_bits() != want[i].to_bits()).collect();
            assert!(changed.iter().all(|&i| image[i] == 0.0));
            // The changed pixels lie in a rectangle whose other pixels were already zero.
            if let (Some(&first), Some(&last)) = (changed.first(), changed.last()) {
                let (x0, x1) =
                    (changed.iter().map(|i| i % 28).min().unwrap(), changed.iter().map(|i| i % 28).max().unwrap());
                let (y0, y1) = (first / 28, last / 28);
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        assert_eq!(image[y * 28 + x], 0.0);
                    }
                }
                assert!(((y1 - y0 + 1) * (x1 - x0 + 1)) as f32 <= 0.45 * 784.0);
            }
        }
        assert!(out.iter().zip(source.iter()).any(|(a, b)| a != b));
    }

    /// The map turns about the image's centre: a half-turn (a multiple of
    /// 90° maps pixel centres onto pixel centres) reverses the image exactly.
    #[test]
    fn the_inverse_map_rotates_about_the_centre() {
        let augmenter = Augmenter::new(Augment { rotate: 1.0, ..Augment::default() }, SHAPE, 1).unwrap();
        let split = fashion(1);
        let source = split.input(0);
        let mut padded = vec![0.0f32; 31 * 31];
        for y in 0..28 {
            padded[(y + 1) * 31 + 1..][..28].copy_from_slice(&source[y * 28..][..28]);
        }
        let half_turn =
            Draw { map: [-1.0, 0.0, 0.0, -1.0], shift: (0.0, 0.0), mirror: false, elastic: Vec::new(), erase: None };
        let mut out = vec![0.0; 784];
        augmenter.transform(&mut out, &padded, &half_turn);
        let reversed: Vec<f32> = source.iter().rev().copied().collect();
        assert_eq!(bits(&out), bits(&reversed));
    }
}
