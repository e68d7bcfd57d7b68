//! An n-dimensional array read from a NumPy or IDX file, and how it becomes samples
//! (the first axis counts them, the rest is flattened) or labels.

use std::path::Path;

use super::DataError;
use super::classes::Labels;
use super::info::ImageShape;
use super::split::Values;

/// What an array is read as: the element type it is converted to depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// `u8` stays bytes, every other number becomes `f32`.
    Features,
    /// Numbers become `f64` (exact for integers below 2^53), text stays text.
    Labels,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ArrayData {
    Bytes(Vec<u8>),
    Floats(Vec<f32>),
    Numbers(Vec<f64>),
    Texts(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Array {
    pub shape: Vec<usize>,
    pub data: ArrayData,
}

/// Samples read from arrays, before the split.
#[derive(Debug)]
pub(crate) struct Samples {
    pub width: usize,
    pub values: Values,
    /// The shape of one sample when it has two or three axes (height, width[, channels]).
    pub image: Option<ImageShape>,
}

impl Samples {
    pub(crate) fn count(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }
}

impl Array {
    /// The number of samples: the length of the first axis.
    pub(crate) fn count(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }

    /// The array as samples of its first axis, each flattened; floats checked to be finite.
    pub(crate) fn into_samples(self, path: &Path) -> Result<Samples, DataError> {
        let (count, rest) = match self.shape.split_first() {
            Some((&n, rest)) if !rest.is_empty() => (n, rest),
            _ => {
                return Err(DataError::invalid(
                    path,
                    format!(
                        "the features have shape {:?}; they need two axes or more (samples × values), e.g. \
                         x.reshape(len(x), -1)",
                        self.shape
                    ),
                ));
            }
        };
        let width: usize = rest.iter().product();
        if width == 0 {
            return Err(DataError::invalid(path, format!("the samples of shape {:?} hold no values", self.shape)));
        }
        if count == 0 {
            return Err(DataError::invalid(path, "the array holds no samples"));
        }
        let image = match *rest {
            [height, width] => Some(ImageShape { height, width, channels: 1 }),
            [height, width, channels @ (1 | 3 | 4)] => Some(ImageShape { height, width, channels }),
            _ => None,
        };
        let values = match self.data {
            ArrayData::Bytes(b) => Values::Bytes(b),
            ArrayData::Floats(f) => {
                if let Some(i) = f.iter().position(|v| !v.is_finite()) {
                    return Err(DataError::invalid_at(
                        path,
                        format!(", sample {}, value {}", i / width + 1, i % width + 1),
                        format!("{} is not a finite number; remove or impute such values before training", f[i]),
                    ));
                }
                Values::Floats(f)
            }
            ArrayData::Numbers(_) | ArrayData::Texts(_) => {
                return Err(DataError::invalid(path, "holds text, not numbers: features must be numeric"));
            }
        };
        Ok(Samples { width, values, image })
    }

    /// The array as one label per sample: shape `(n,)` or `(n, 1)`.
    pub(crate) fn into_labels(self, path: &Path) -> Result<Labels, DataError> {
        if !matches!(self.shape[..], [_] | [_, 1]) {
            return Err(DataError::invalid(
                path,
                format!("the labels have shape {:?}; they need one per sample, shape (n,) or (n, 1)", self.shape),
            ));
        }
        Ok(match self.data {
            ArrayData::Numbers(n) => Labels::Numbers(n),
            ArrayData::Bytes(b) => Labels::Numbers(b.into_iter().map(f64::from).collect()),
            ArrayData::Floats(f) => Labels::Numbers(f.into_iter().map(f64::from).collect()),
            ArrayData::Texts(texts) => {
                let mut interner = super::classes::Interner::default();
                let ids =
                    texts.iter().map(|t| interner.id(t.as_bytes())).collect::<Option<Vec<u32>>>().ok_or_else(|| {
                        DataError::invalid(path, super::classes::ClassError::TooMany(texts.len()).to_string())
                    })?;
                Labels::Text { ids, texts: interner.into_texts() }
            }
        })
    }
}

/// Checks that `x` and `y` hold as many samples.
pub(crate) fn same_count(x: &Path, x_count: usize, y: &Path, y_count: usize) -> Result<(), DataError> {
    if x_count == y_count {
        return Ok(());
    }
    Err(DataError::invalid(
        x,
        format!(
            "holds {x_count} samples but {} holds {y_count} labels; features and labels must have one entry \
             per sample, in the same order",
            y.display()
        ),
    ))
}

/// Reorders a column-major (Fortran-order) array into row-major order.
pub(crate) fn fortran_to_c<T: Copy>(data: &[T], shape: &[usize]) -> Vec<T> {
    if shape.len() < 2 {
        return data.to_vec();
    }
    let mut out = Vec::with_capacity(data.len());
    let mut index = vec![0usize; shape.len()];
    // Column-major strides: axis 0 moves by 1.
    let mut strides = vec![1usize; shape.len()];
    for d in 1..shape.len() {
        strides[d] = strides[d - 1] * shape[d - 1];
    }
    for _ in 0..data.len() {
        out.push(data[index.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>()]);
        // Row-major order: the last axis moves fastest.
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_flatten_every_axis_but_the_first() {
        let a = Array { shape: vec![2, 2, 3], data: ArrayData::Bytes((0..12).collect()) };
        let s = a.into_samples(Path::new("x.npy")).unwrap();
        assert_eq!((s.width, s.count()), (6, 2));
        assert_eq!(s.image, Some(ImageShape { height: 2, width: 3, channels: 1 }));
        let f = Array { shape: vec![1, 2], data: ArrayData::Floats(vec![1.0, f32::NAN]) };
        let err = f.into_samples(Path::new("x.npy")).unwrap_err().to_string();
        assert!(err.starts_with("x.npy, sample 1, value 2: NaN is not a finite number"), "{err}");
        let flat = Array { shape: vec![5], data: ArrayData::Floats(vec![0.0; 5]) };
        assert!(flat.into_samples(Path::new("x.npy")).unwrap_err().to_string().contains("two axes"));
    }

    #[test]
    fn labels_need_one_per_sample() {
        let y = Array { shape: vec![3, 1], data: ArrayData::Numbers(vec![1.0, 2.0, 1.0]) };
        assert_eq!(y.into_labels(Path::new("y.npy")).unwrap(), Labels::Numbers(vec![1.0, 2.0, 1.0]));
        let y = Array { shape: vec![2, 2], data: ArrayData::Numbers(vec![0.0; 4]) };
        assert!(y.into_labels(Path::new("y.npy")).unwrap_err().to_string().contains("shape [2, 2]"));
    }

    #[test]
    fn fortran_order_becomes_row_major() {
        // [[1, 2, 3], [4, 5, 6]] stored column by column.
        assert_eq!(fortran_to_c(&[1, 4, 2, 5, 3, 6], &[2, 3]), [1, 2, 3, 4, 5, 6]);
        let c: Vec<u32> = (0..24).collect();
        let mut f = vec![0; 24];
        for (i, j, k) in (0..2).flat_map(|i| (0..3).flat_map(move |j| (0..4).map(move |k| (i, j, k)))) {
            f[i + 2 * j + 6 * k] = c[i * 12 + j * 4 + k];
        }
        assert_eq!(fortran_to_c(&f, &[2, 3, 4]), c);
    }
}
