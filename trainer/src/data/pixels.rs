//! `--pixel_scaling`: how 8-bit inputs (image pixels, `u8` arrays) reach the
//! network. `unit` divides by 255; `standardize` maps each input `i` to
//! `(byte − mean_i) / std_i` with the training split's statistics, as
//! scikit-learn's `StandardScaler` does for its MLPs, except that `std_i` is at
//! least [`MIN_STD`]: a border pixel that is black in all but a few images
//! (Fashion-MNIST's least varying pixel has a standard deviation of 0.09 grey
//! levels) would otherwise turn its rare ink into inputs of several hundred.
//!
//! The bytes stay as they are in memory; the map is applied where they become
//! network inputs (a batch gather, an augmented batch, an evaluation), after
//! the `/255` scaling, as `(x − mean_i/255) · (255/std_i)`. The model file
//! records `mean_i` and `std_i` in the file's units (`Standardize`), so a
//! device reads the same bytes.

use super::standardize;

/// The least standard deviation an input is divided by, in grey levels (a
/// fifth of the range).
pub const MIN_STD: f32 = 51.0;

/// `--pixel_scaling`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PixelScaling {
    /// `byte / 255`, in [0, 1].
    #[default]
    Unit,
    /// `(byte − mean_i) / std_i` per input, from the training split.
    Standardize,
}

impl PixelScaling {
    pub const ALL: [PixelScaling; 2] = [PixelScaling::Unit, PixelScaling::Standardize];

    pub fn name(self) -> &'static str {
        match self {
            PixelScaling::Unit => "unit",
            PixelScaling::Standardize => "standardize",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            PixelScaling::Unit => "byte / 255, in [0, 1]",
            PixelScaling::Standardize => {
                "(byte − mean) / std per input with the training split's statistics (std at least 51 grey levels)"
            }
        }
    }
}

/// The per-input map of standardised 8-bit inputs, on `/255`-scaled values.
#[derive(Clone, Debug, PartialEq)]
pub struct PixelMap {
    /// `mean_i / 255`.
    center: Vec<f32>,
    /// `255 / std_i`.
    gain: Vec<f32>,
}

impl PixelMap {
    /// From the statistics in grey levels.
    pub fn new(mean: &[f32], std: &[f32]) -> Self {
        PixelMap {
            center: mean.iter().map(|&m| (m as f64 / 255.0) as f32).collect(),
            gain: std.iter().map(|&s| (255.0 / s as f64) as f32).collect(),
        }
    }

    /// Maps rows of `/255`-scaled inputs (a whole number of rows) in place.
    pub fn apply(&self, rows: &mut [f32]) {
        for row in rows.chunks_exact_mut(self.center.len()) {
            for ((x, c), g) in row.iter_mut().zip(&self.center).zip(&self.gain) {
                *x = (*x - c) * g;
            }
        }
    }
}

/// Per-input mean and standard deviation (at least [`MIN_STD`]) of `bytes`,
/// `width` per row, in grey levels.
pub fn statistics(bytes: &[u8], width: usize) -> (Vec<f32>, Vec<f32>) {
    let (mean, std) = standardize::statistics(bytes, width);
    (mean, std.into_iter().map(|s| s.max(MIN_STD)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_floor_the_standard_deviation() {
        // Column 0 varies by 0/255 (std 127.5); column 1 by 10/12 (std 1, floored).
        let bytes = [0u8, 10, 255, 12, 0, 10, 255, 12];
        let (mean, std) = statistics(&bytes, 2);
        assert_eq!(mean, vec![127.5, 11.0]);
        assert_eq!(std, vec![127.5, MIN_STD]);
    }

    #[test]
    fn the_map_is_the_standardisation_of_the_bytes() {
        let (mean, std) = (vec![127.5, 11.0], vec![127.5, MIN_STD]);
        let map = PixelMap::new(&mean, &std);
        let bytes = [0u8, 10, 255, 12];
        let mut x: Vec<f32> = bytes.iter().map(|&b| b as f32 / 255.0).collect();
        map.apply(&mut x);
        for (k, (&b, &v)) in bytes.iter().zip(&x).enumerate() {
            let want = (b as f32 - mean[k % 2]) / std[k % 2];
            assert!((v - want).abs() < 1e-6, "input {k}: {v} against {want}");
        }
        assert_eq!((x[0], x[2]), (-1.0, 1.0));
    }
}
