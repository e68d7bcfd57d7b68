//! Standardising features (tables; 8-bit inputs with `--pixel_scaling standardize`)
//! with the training split's statistics:
//! `(x − mean) / std` per column (population std, as scikit-learn's `StandardScaler`).
//!
//! Sums run in `f64` over fixed blocks of rows, added in block order: the statistics
//! are the same bits whatever the number of threads.

/// Rows per block of the sums.
const BLOCK_ROWS: usize = 1 << 14;

/// Per-column mean and standard deviation of `values` (`width` per row). A column
/// that does not vary beyond `f32` rounding of its mean gets `std` 1, so it becomes 0.
pub(crate) fn statistics<T: Copy + Into<f64> + Sync>(values: &[T], width: usize) -> (Vec<f32>, Vec<f32>) {
    let rows = values.len() / width.max(1);
    if rows == 0 {
        return (vec![0.0; width], vec![1.0; width]);
    }
    let sums = blocks(values, width, |block, out| {
        for row in block.chunks_exact(width) {
            out.iter_mut().zip(row).for_each(|(s, &x)| *s += x.into());
        }
    });
    let mean: Vec<f64> = sums.iter().map(|s| s / rows as f64).collect();
    let squares = blocks(values, width, |block, out| {
        for row in block.chunks_exact(width) {
            out.iter_mut().zip(row).zip(&mean).for_each(|((s, &x), m)| *s += (x.into() - m).powi(2));
        }
    });
    let std = squares
        .iter()
        .zip(&mean)
        .map(|(s, m)| {
            let std = (s / rows as f64).sqrt();
            if std > f64::from(f32::EPSILON) * m.abs().max(f64::MIN_POSITIVE) && std.is_finite() {
                std as f32
            } else {
                1.0
            }
        })
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), std)
}

/// Per-column sums of `sum` over blocks of rows, computed on every core and added in block order.
fn blocks<T: Sync>(values: &[T], width: usize, sum: impl Fn(&[T], &mut [f64]) + Sync) -> Vec<f64> {
    let blocks: Vec<&[T]> = values.chunks(BLOCK_ROWS * width).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(blocks.len()).max(1);
    let mut partial = vec![vec![0.0f64; width]; blocks.len()];
    let per_thread = blocks.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (blocks, outs) in blocks.chunks(per_thread).zip(partial.chunks_mut(per_thread)) {
            let sum = &sum;
            s.spawn(move || blocks.iter().zip(outs).for_each(|(b, out)| sum(b, out)));
        }
    });
    partial.into_iter().fold(vec![0.0; width], |mut acc, p| {
        acc.iter_mut().zip(p).for_each(|(a, p)| *a += p);
        acc
    })
}

/// `x = (x − mean) / std` in place, in `f32`: the arithmetic `predict` and the device repeat.
pub(crate) fn apply(values: &mut [f32], mean: &[f32], std: &[f32]) {
    let width = mean.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rows_per_thread = (values.len() / width.max(1)).div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for part in values.chunks_mut(rows_per_thread * width) {
            s.spawn(move || {
                for row in part.chunks_exact_mut(width) {
                    row.iter_mut().zip(mean.iter().zip(std)).for_each(|(x, (m, s))| *x = (*x - m) / s);
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_match_a_plain_computation() {
        // Column 0 varies, column 1 is constant, column 2 varies by less than its mean's rounding.
        let rows = 50_000;
        let values: Vec<f32> = (0..rows)
            .flat_map(|i| [(i % 7) as f32 * 1.5 - 2.0, 42.0, 1e6 + if i % 2 == 0 { 0.0 } else { 0.0625 }])
            .collect();
        let (mean, std) = statistics(&values, 3);
        let col0: Vec<f64> = (0..rows).map(|i| (i % 7) as f64 * 1.5 - 2.0).collect();
        let m0 = col0.iter().sum::<f64>() / rows as f64;
        let s0 = (col0.iter().map(|x| (x - m0).powi(2)).sum::<f64>() / rows as f64).sqrt();
        assert_eq!((mean[0], std[0]), (m0 as f32, s0 as f32));
        assert_eq!((mean[1], std[1]), (42.0, 1.0));
        assert_eq!(std[2], 1.0);
        let mut scaled = values.clone();
        apply(&mut scaled, &mean, &std);
        let (m, s) = statistics(&scaled, 3);
        assert!(m[0].abs() < 1e-5 && (s[0] - 1.0).abs() < 1e-5, "{m:?} {s:?}");
        assert!(scaled.chunks_exact(3).all(|r| r[1] == 0.0));
        assert_eq!(scaled[0], (values[0] - mean[0]) / std[0]);
    }

    #[test]
    fn zero_mean_constant_and_empty_columns() {
        let (mean, std) = statistics(&[0.0, 0.0, 0.0, 0.0], 2);
        assert_eq!((mean, std), (vec![0.0, 0.0], vec![1.0, 1.0]));
        assert_eq!(statistics::<f32>(&[], 2), (vec![0.0, 0.0], vec![1.0, 1.0]));
    }
}
