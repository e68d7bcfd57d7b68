//! A set of samples in memory (raw pixels, pixels scaled to [0, 1], labels), and the seeded
//! train/validation split of the training file.

use ffn_core::rng;

use super::idx::IMAGE_LEN;

/// The RNG stream of the validation split (stream 0/1 are the weights and batch order).
pub const SPLIT_STREAM: u64 = 2;

/// Below this many pixels a split is filled on the calling thread (test fixtures, `--train_limit`).
const PARALLEL_PIXELS: usize = 1 << 20;

fn threads_for(pixels: usize) -> usize {
    if pixels < PARALLEL_PIXELS {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// `n` samples: `pixels` and `images` are row-major n×784 (`images[k] = pixels[k] / 255`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub pixels: Vec<u8>,
    pub images: Vec<f32>,
    pub labels: Vec<u32>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image `i` scaled to [0, 1] (784 values).
    pub fn image(&self, i: usize) -> &[f32] {
        &self.images[i * IMAGE_LEN..(i + 1) * IMAGE_LEN]
    }

    /// Image `i` as the file's bytes (784 values, 0 = background).
    pub fn raw(&self, i: usize) -> &[u8] {
        &self.pixels[i * IMAGE_LEN..(i + 1) * IMAGE_LEN]
    }

    /// `n` blank samples, to be written with [`Split::set`].
    pub(crate) fn zeroed(n: usize) -> Self {
        // Zeroed allocations are lazily mapped pages: the writing threads fault them in.
        let (images, pixels) = (vec![0.0; n * IMAGE_LEN], vec![0; n * IMAGE_LEN]);
        advise_huge_pages(&images);
        advise_huge_pages(&pixels);
        Split { pixels, images, labels: vec![0; n] }
    }

    /// Sets sample `i` to `row` (784 bytes) with `label`.
    pub(crate) fn set(&mut self, i: usize, row: &[u8], label: u8) {
        let span = i * IMAGE_LEN..(i + 1) * IMAGE_LEN;
        write_row(&mut self.pixels[span.clone()], &mut self.images[span], row);
        self.labels[i] = u32::from(label);
    }

    /// All samples of `pixels` (n×784, file order) and `labels`.
    pub fn from_parts(pixels: Vec<u8>, labels: Vec<u8>) -> Self {
        let order: Vec<usize> = (0..labels.len()).collect();
        Split::gather(&pixels, &labels, &order)
    }

    /// The samples at `order`, in that order. Every index must be below `labels.len()`, and
    /// `pixels` must hold 784 bytes per label.
    pub fn gather(pixels: &[u8], labels: &[u8], order: &[usize]) -> Self {
        let n = order.len();
        let mut out = Split::zeroed(n);
        let chunk = n.div_ceil(threads_for(n * IMAGE_LEN)).max(1);
        let parts = order
            .chunks(chunk)
            .zip(out.pixels.chunks_mut(chunk * IMAGE_LEN))
            .zip(out.images.chunks_mut(chunk * IMAGE_LEN))
            .zip(out.labels.chunks_mut(chunk));
        std::thread::scope(|s| {
            for (((order, px), im), lb) in parts {
                s.spawn(move || fill(pixels, labels, order, px, im, lb));
            }
        });
        out
    }
}

fn fill(pixels: &[u8], labels: &[u8], order: &[usize], px: &mut [u8], im: &mut [f32], lb: &mut [u32]) {
    let rows = px.chunks_exact_mut(IMAGE_LEN).zip(im.chunks_exact_mut(IMAGE_LEN)).zip(lb.iter_mut());
    for (((px, im), lb), &i) in rows.zip(order) {
        write_row(px, im, &pixels[i * IMAGE_LEN..(i + 1) * IMAGE_LEN]);
        *lb = u32::from(labels[i]);
    }
}

/// Asks Linux to back `buffer` with 2 MB pages where it may (before its
/// pages are first written). Training gathers random images from the whole
/// split, and with 4 KB pages nearly every image cost a page walk: the gather
/// of a batch of 16 took 9.3 µs a step, 7 % of the step.
fn advise_huge_pages<T>(buffer: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (buffer.as_ptr() as usize).next_multiple_of(HUGE);
        let end = (buffer.as_ptr() as usize + std::mem::size_of_val(buffer)) / HUGE * HUGE;
        if end > start {
            // SAFETY: advice on whole pages inside a live allocation; it changes
            // how the kernel backs them, never their contents. Failure (a kernel
            // without transparent huge pages) leaves the 4 KB pages, which is fine.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
}

fn write_row(px: &mut [u8], im: &mut [f32], row: &[u8]) {
    px.copy_from_slice(row);
    // A plain division (not a reciprocal multiply): bit-identical to `pixel / 255` wherever
    // else it is computed, e.g. on the device; it vectorises all the same.
    for (x, &p) in im.iter_mut().zip(row) {
        *x = p as f32 / 255.0;
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
    fn gather_keeps_pixels_images_and_labels_together() {
        let pixels: Vec<u8> = (0..3 * IMAGE_LEN).map(|i| (i / IMAGE_LEN * 100) as u8).collect();
        let split = Split::gather(&pixels, &[7, 8, 9], &[2, 0]);
        assert_eq!(split.labels, [9, 7]);
        assert!(split.raw(0).iter().all(|&p| p == 200));
        assert!(split.image(1).iter().all(|&x| x == 0.0));
        assert_eq!(split.image(0)[5], 200.0 / 255.0);
        assert_eq!(Split::from_parts(pixels.clone(), vec![7, 8, 9]).raw(1), &pixels[IMAGE_LEN..2 * IMAGE_LEN]);
    }

    #[test]
    fn parallel_fill_equals_the_plain_loop() {
        let n = 3000; // above PARALLEL_PIXELS
        let pixels: Vec<u8> = (0..n * IMAGE_LEN).map(|i| (i * 7 % 256) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let (order, _) = split_indices(n, 5, 0.0);
        let split = Split::gather(&pixels, &labels, &order);
        for (k, &i) in order.iter().enumerate() {
            assert_eq!(split.raw(k), &pixels[i * IMAGE_LEN..(i + 1) * IMAGE_LEN]);
            assert_eq!(split.labels[k], u32::from(labels[i]));
            assert!(split.image(k).iter().zip(split.raw(k)).all(|(&x, &p)| x == p as f32 / 255.0));
        }
    }
}
