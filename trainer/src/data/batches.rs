//! Shuffled batches, gathered one step ahead.
//!
//! Gathering random images from memory is a noticeable share of a small
//! batch's training step (`benches/RESULTS.md`). [`Batches::for_each`] hands each
//! step a job that gathers the next batch into a second buffer;
//! `Model::train_step_alongside` runs it on the helper thread while the
//! calling thread does the output layer, where the helper would otherwise
//! wait, or before a large batch's step with the whole pool. With an
//! [`Augmenter`], each image is transformed as it is gathered (the batch of
//! global step `s` with the randomness of step `s`).

use std::ops::ControlFlow;

use ffn_core::aligned::AlignedBuffer;
use ffn_core::exec::{Executor, Serial};

use super::Split;
use super::augment::Augmenter;

/// One batch's inputs (row-major, the split's width each) and labels.
///
/// The inputs start on a cache line, as the model's own buffers do: the
/// first layer's products and weight gradient read them in 64-byte vectors,
/// and a `Vec` of a batch's size starts 16 bytes past a line (the allocator's
/// header), so each such load touched two lines (`benches/RESULTS.md`).
#[derive(Default)]
struct Batch {
    room: AlignedBuffer,
    len: usize,
    labels: Vec<u32>,
}

impl Batch {
    /// The samples `indices` of `split` (for 8-bit data, scaled from the bytes:
    /// the same bits as `split.inputs()`), on `executor`'s threads; augmented
    /// for step `step` (on this thread) when there is an augmenter.
    fn gather(
        &mut self,
        split: &Split,
        indices: &[usize],
        augmenter: Option<&Augmenter>,
        step: usize,
        executor: &dyn Executor,
    ) {
        self.len = indices.len() * split.width();
        if self.room.len() < self.len {
            self.room = AlignedBuffer::zeroed(self.len);
        }
        let images = &mut self.room[..self.len];
        match augmenter {
            Some(a) => a.gather(images, split, indices, step as u64, executor),
            None => split.gather_inputs(images, indices, executor),
        }
        self.labels.clear();
        self.labels.extend(indices.iter().map(|&i| split.labels[i]));
    }

    fn images(&self) -> &[f32] {
        &self.room[..self.len]
    }
}

/// The step's view of a batch: images, labels, and the job that gathers the
/// next batch (a no-op after the last) on the executor it is given.
pub struct Step<'a> {
    pub index: usize,
    pub images: &'a [f32],
    pub labels: &'a [u32],
    pub gather_next: &'a mut (dyn FnMut(&dyn Executor) + Send),
}

/// Two batch buffers: a step trains on one while the next batch is gathered
/// into the other; and the augmenter, if any.
#[derive(Default)]
pub struct Batches {
    current: Batch,
    next: Batch,
    augmenter: Option<Augmenter>,
}

impl Batches {
    pub fn new() -> Self {
        Batches::default()
    }

    /// Batches whose images `augmenter` transforms (`None`: as they are).
    pub fn augmented(augmenter: Option<Augmenter>) -> Self {
        Batches { augmenter, ..Batches::default() }
    }

    /// Calls `step` for the batches `order.chunks(batch_size)` of `split`, in
    /// order, until one returns `Break`; the first is global step
    /// `first_step` (its augmentation's randomness). The step should run
    /// `gather_next`; if it does not, the next batch is gathered when it
    /// returns (once, either way).
    pub fn for_each(
        &mut self,
        split: &Split,
        order: &[usize],
        batch_size: usize,
        first_step: usize,
        mut step: impl FnMut(Step) -> ControlFlow<()>,
    ) {
        let chunks: Vec<&[usize]> = order.chunks(batch_size.max(1)).collect();
        let Some(first) = chunks.first() else { return };
        let augmenter = self.augmenter.as_ref();
        self.current.gather(split, first, augmenter, first_step, &Serial);
        for index in 0..chunks.len() {
            let (current, next) = (&self.current, &mut self.next);
            let upcoming = chunks.get(index + 1).copied();
            let mut gathered = false;
            let mut gather_next = |executor: &dyn Executor| {
                if let (Some(indices), false) = (upcoming, gathered) {
                    next.gather(split, indices, augmenter, first_step + index + 1, executor);
                }
                gathered = true;
            };
            let images = current.images();
            if step(Step { index, images, labels: &current.labels, gather_next: &mut gather_next }).is_break() {
                return;
            }
            gather_next(&Serial);
            std::mem::swap(&mut self.current, &mut self.next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Values;

    const IMAGE_LEN: usize = 784;

    fn split(n: usize) -> Split {
        let pixels: Vec<u8> = (0..n * IMAGE_LEN).map(|i| (i / IMAGE_LEN) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        Split::gather(IMAGE_LEN, &pixels, &labels, &(0..n).collect::<Vec<_>>())
    }

    /// Every batch arrives in order with its own images and labels, the last
    /// one short, whether the step gathers the next before reading its own,
    /// after, twice, or not at all.
    #[test]
    fn batches_arrive_in_order_with_their_images() {
        let data = split(10);
        let order = [3, 1, 4, 0, 9, 2, 6, 5, 8];
        for (before, after) in [(1, 0), (0, 1), (1, 1), (0, 0)] {
            let mut seen = Vec::new();
            Batches::new().for_each(&data, &order, 4, 0, |step| {
                (0..before).for_each(|_| (step.gather_next)(&Serial));
                let rows: Vec<usize> = step.images.chunks_exact(IMAGE_LEN).map(|r| (r[0] * 255.0) as usize).collect();
                assert!(step.images.chunks_exact(IMAGE_LEN).all(|r| r.iter().all(|&v| v == r[0])));
                assert_eq!(step.labels, rows.iter().map(|&r| (r % 10) as u32).collect::<Vec<_>>());
                seen.push((step.index, rows));
                (0..after).for_each(|_| (step.gather_next)(&Serial));
                ControlFlow::Continue(())
            });
            let want = vec![(0, vec![3, 1, 4, 0]), (1, vec![9, 2, 6, 5]), (2, vec![8])];
            assert_eq!(seen, want, "gathers before reading {before}, after {after}");
        }
    }

    /// Gathered from the bytes, every image has the bits of `Split::inputs`;
    /// rows of floats arrive as they are.
    #[test]
    fn gathered_rows_are_the_splits_inputs() {
        let n = 90;
        let pixels: Vec<u8> = (0..n * IMAGE_LEN).map(|i| (i * 7 % 256) as u8).collect();
        let bytes = Split::gather(IMAGE_LEN, &pixels, &vec![0; n], &(0..n).collect::<Vec<_>>());
        let floats = Split::new(3, Values::Floats((0..n * 3).map(|i| i as f32 * 0.5).collect()), vec![1; n]);
        let order: Vec<usize> = (0..n).rev().collect();
        // On one thread (alongside a step), and over the pool (before one).
        let pool = ffn_pool::Pool::new(2);
        for (data, batch_size) in [(&bytes, 16), (&bytes, 65), (&floats, 7)] {
            let width = data.width();
            Batches::new().for_each(data, &order, batch_size, 0, |step| {
                let indices = &order[step.index * batch_size..];
                assert_eq!(step.images.len(), indices.len().min(batch_size) * width);
                for (row, &i) in step.images.chunks_exact(width).zip(indices) {
                    assert!(row.iter().zip(data.input(i).iter()).all(|(a, b)| a.to_bits() == b.to_bits()), "row {i}");
                }
                assert!(step.labels.iter().all(|&l| l == data.labels[0]));
                (step.gather_next)(&pool);
                ControlFlow::Continue(())
            });
        }
    }

    /// With an augmenter, the batch at position `i` of an epoch that starts
    /// at global step `first` is augmented with step `first + i`'s randomness,
    /// whichever thread gathers it: what a resumed run redraws.
    #[test]
    fn augmented_batches_follow_the_global_step() {
        use crate::data::augment::{Augment, Augmenter};
        use crate::data::info::ImageShape;
        let n = 40;
        let pixels: Vec<u8> = (0..n * IMAGE_LEN).map(|i| ((i * 31 + i / 7) % 256) as u8).collect();
        let data = Split::gather(IMAGE_LEN, &pixels, &vec![0; n], &(0..n).collect::<Vec<_>>());
        let shape = ImageShape { height: 28, width: 28, channels: 1 };
        let settings = Augment { shift: 2, rotate: 10.0, elastic: 1.0, flip: 0.5, erase: 0.5, ..Augment::default() };
        let augmenter = Augmenter::new(settings, shape, 3).expect("augments");
        let order: Vec<usize> = (0..n).rev().collect();
        let first = 1000;
        let mut batches = Batches::augmented(Some(augmenter.clone()));
        let mut steps = 0;
        batches.for_each(&data, &order, 16, first, |step| {
            let indices = &order[step.index * 16..(step.index * 16 + 16).min(n)];
            let mut want = vec![0.0; indices.len() * IMAGE_LEN];
            augmenter.gather(&mut want, &data, indices, (first + step.index) as u64, &Serial);
            assert_eq!(step.images.len(), want.len());
            assert!(step.images.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "batch {}", step.index);
            assert_eq!(step.labels.len(), indices.len());
            steps += 1;
            (step.gather_next)(&Serial);
            ControlFlow::Continue(())
        });
        assert_eq!(steps, 3);
    }

    #[test]
    fn a_break_stops_the_batches() {
        let data = split(10);
        let mut steps = 0;
        Batches::new().for_each(&data, &(0..10).collect::<Vec<_>>(), 3, 0, |step| {
            steps += 1;
            (step.gather_next)(&Serial);
            if step.index == 1 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        assert_eq!(steps, 2);
    }
}
