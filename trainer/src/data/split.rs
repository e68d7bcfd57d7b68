//! A set of samples in memory (raw pixels, pixels scaled to [0, 1], labels), and the seeded
//! train/validation split of the training file.

use ffn_core::rng;

use super::idx::IMAGE_LEN;

/// The RNG stream of the validation split (stream 0/1 are the weights and batch order).
pub const SPLIT_STREAM: u64 = 2;

/// `i / 255` for every pixel value, so the scaling is one table load per pixel and
/// bit-identical to `pixel as f32 / 255.0` wherever else it is computed (e.g. on the device).
static SCALE: [f32; 256] = {
    let mut table = [0.0f32; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = i as f32 / 255.0;
        i += 1;
    }
    table
};

/// `n` samples: `pixels` and `images` are row-major n×784 (`images[k] = pixels[k] / 255`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub pixels: Vec<u8>,
    pub images: Vec<f32>,
    pub labels: Vec<u8>,
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

    /// All samples, in file order. `pixels.len()` must be `labels.len() * 784`.
    pub fn from_parts(pixels: Vec<u8>, labels: Vec<u8>) -> Self {
        debug_assert_eq!(pixels.len(), labels.len() * IMAGE_LEN);
        let images = pixels.iter().map(|&p| SCALE[p as usize]).collect();
        Split { pixels, images, labels }
    }

    /// The samples at `order`, in that order.
    pub fn gather(pixels: &[u8], labels: &[u8], order: &[usize]) -> Self {
        let mut out = Split {
            pixels: Vec::with_capacity(order.len() * IMAGE_LEN),
            images: Vec::with_capacity(order.len() * IMAGE_LEN),
            labels: Vec::with_capacity(order.len()),
        };
        for &i in order {
            let src = &pixels[i * IMAGE_LEN..(i + 1) * IMAGE_LEN];
            out.pixels.extend_from_slice(src);
            out.images.extend(src.iter().map(|&p| SCALE[p as usize]));
            out.labels.push(labels[i]);
        }
        out
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
    fn scale_is_exact_division() {
        for p in 0..=255u8 {
            assert_eq!(SCALE[p as usize].to_bits(), (p as f32 / 255.0).to_bits());
        }
        assert_eq!(SCALE[255], 1.0);
    }

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
}
