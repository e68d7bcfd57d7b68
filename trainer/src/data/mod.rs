//! The data a run trains on: Fashion-MNIST / MNIST (the four gzipped IDX files, found
//! or downloaded, parsed strictly) or the user's own files (CSV/TSV, `.npy`/`.npz`, IDX
//! of any shape, image folders), split into train, validation and test sets.
//!
//! ```no_run
//! use ffn_trainer::data::{self, DataSource, DatasetName, FileSource, LoadOptions};
//! let ds = data::load_source(&DataSource::Builtin(DatasetName::FashionMnist), &LoadOptions::default())?;
//! assert_eq!((ds.train.len(), ds.validation.len(), ds.test.len()), (54_000, 6_000, 10_000));
//!
//! let mut source = FileSource::new("sensors.csv");
//! source.label_column = Some("activity".into());
//! let ds = data::load_source(&DataSource::Files(source), &LoadOptions::default())?;
//! println!("{} inputs, classes {:?}", ds.info.input_len, ds.info.classes);
//! # Ok::<(), data::DataError>(())
//! ```

mod array;
pub mod augment;
mod batches;
mod classes;
mod delimited;
mod download;
mod error;
mod folder;
mod gz;
mod holdout;
mod idx;
mod idx_array;
pub mod info;
mod locate;
mod name;
mod npy;
mod npz;
mod own;
pub mod pixels;
mod source;
mod split;
mod standardize;
mod stream;

use std::path::{Path, PathBuf};

pub use augment::{Augment, Augmenter};
pub use batches::{Batches, Step as BatchStep};
pub use classes::MAX_CLASSES;
pub use download::{checksums, download, raw_checksums};
pub use error::DataError;
pub use folder::ImageSize;
pub use gz::read_gz;
pub use holdout::{DEFAULT_TEST_FRACTION, TEST_STREAM};
pub use idx::{CLASSES, COLS, IMAGE_LEN, IMAGES_MAGIC, Images, LABELS_MAGIC, ROWS, parse_idx_images, parse_idx_labels};
pub use info::{DataInfo, Preprocessing};
pub use locate::{
    DEFAULT_MIRROR, FILES, Place, SearchPaths, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, has_all_files,
    locate,
};
pub use name::DatasetName;
pub use npz::{MNIST_NPZ, MNIST_NPZ_SHA256, NpyBytes, npz_to_idx, parse_npy_u8};
pub use source::{DataSource, FileSource, parse_delimiter};
pub use split::{SPLIT_STREAM, Split, Values, split_indices, train_count};

/// A dataset in memory: the training data split into `train` and `validation`, and `test`
/// (a test file, or held out of the training data).
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The built-in dataset, if it is one.
    pub name: Option<DatasetName>,
    /// The folder the four files were read from, or the user's data file or folder.
    pub source: PathBuf,
    pub train: Split,
    pub validation: Split,
    pub test: Split,
    /// Input width, preprocessing, class names, origin: what a model of this data needs.
    pub info: DataInfo,
}

impl Dataset {
    /// The class names, by class index.
    pub fn class_names(&self) -> Vec<&str> {
        self.info.classes.iter().map(String::as_str).collect()
    }

    /// `--pixel_scaling`: with `standardize`, 8-bit data reaches the network
    /// standardised per input with the training split's statistics; float
    /// data is standardised when loaded, whatever it says.
    pub fn scale_pixels(&mut self, scaling: pixels::PixelScaling) {
        if scaling != pixels::PixelScaling::Standardize {
            return;
        }
        if let Some(bytes) = self.train.bytes() {
            let (mean, std) = pixels::statistics(bytes, self.train.width());
            self.standardize_pixels(mean, std);
        }
    }

    /// 8-bit data reaches the network as `(byte − mean[i]) / std[i]`
    /// (statistics in grey levels, recorded in `info`), as a model trained
    /// with `--pixel_scaling standardize` reads it; float data is left as it is.
    pub fn standardize_pixels(&mut self, mean: Vec<f32>, std: Vec<f32>) {
        if self.train.bytes().is_none() {
            return;
        }
        for split in [&mut self.train, &mut self.validation, &mut self.test] {
            split.standardize_pixels(&mean, &std);
        }
        self.info.preprocessing = Preprocessing::StandardizeBytes { mean, std };
    }
}

#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// `--data_dir`: when set, the only place looked.
    pub data_dir: Option<PathBuf>,
    /// Seed of the train/validation split.
    pub seed: u64,
    /// Share of the training file held out for validation, in [0, 1).
    pub validation_fraction: f32,
    /// Keep only the first N training samples (after the split), for fast runs and tests.
    pub train_limit: Option<usize>,
    /// Download into the user cache when no folder has the files.
    pub allow_download: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { data_dir: None, seed: 0, validation_fraction: 0.1, train_limit: None, allow_download: true }
    }
}

/// Loads what the user named: a built-in dataset (found or downloaded) or their own files.
pub fn load_source(source: &DataSource, opts: &LoadOptions) -> Result<Dataset, DataError> {
    check_options(opts)?;
    match source {
        DataSource::Builtin(name) => load(*name, opts),
        DataSource::Files(files) => own::load_files(files, opts),
    }
}

/// Finds (or downloads) `name` in the standard places and loads it.
pub fn load(name: DatasetName, opts: &LoadOptions) -> Result<Dataset, DataError> {
    load_with(name, opts, &SearchPaths::from_env(opts.data_dir.as_deref()))
}

/// [`load`] with explicit places to look (`opts.data_dir` is ignored: `paths.data_dir` rules).
pub fn load_with(name: DatasetName, opts: &LoadOptions, paths: &SearchPaths) -> Result<Dataset, DataError> {
    check_options(opts)?;
    let dir = match paths.find_or_unpack(name)? {
        Some(dir) => dir,
        None if opts.allow_download && paths.data_dir.is_none() => {
            download(name, paths).map_err(|e| paths.not_found(name, Some(&e)))?
        }
        None => return Err(paths.not_found(name, None)),
    };
    load_dir(name, &dir, opts)
}

fn check_options(opts: &LoadOptions) -> Result<(), DataError> {
    let f = opts.validation_fraction;
    if !(0.0..1.0).contains(&f) {
        return Err(DataError::Option(format!("validation fraction {f} must be at least 0 and below 1")));
    }
    if opts.train_limit == Some(0) {
        return Err(DataError::Option("train limit 0 leaves nothing to train on: use at least 1".into()));
    }
    Ok(())
}

/// Loads the four files of `dir` (which must hold them) and splits the training file.
pub fn load_dir(name: DatasetName, dir: &Path, opts: &LoadOptions) -> Result<Dataset, DataError> {
    check_options(opts)?;
    let train_labels = read_gz(&dir.join(TRAIN_LABELS))?;
    let labels = idx::label_data(&train_labels).map_err(|e| e.in_file(&dir.join(TRAIN_LABELS)))?;
    let (mut train_order, validation_order) = split_indices(labels.len(), opts.seed, opts.validation_fraction);
    if train_order.is_empty() {
        return Err(DataError::Option(format!(
            "{} holds {} samples: nothing is left to train on after holding out {} for validation",
            dir.join(TRAIN_LABELS).display(),
            labels.len(),
            validation_order.len()
        )));
    }
    if let Some(limit) = opts.train_limit {
        train_order.truncate(limit);
    }
    // The training images take most of the time (stream.rs): the test split is built beside them.
    let (train_validation, test) = std::thread::scope(|s| {
        let test = s.spawn(|| read_split(dir, TEST_IMAGES, TEST_LABELS));
        let (images, labels_path) = (dir.join(TRAIN_IMAGES), dir.join(TRAIN_LABELS));
        let train_validation = stream::scatter_images(&images, &labels_path, labels, &train_order, &validation_order);
        (train_validation, test.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let ((train, validation), test) = (train_validation?, test?);
    let info = DataInfo::for_dataset(name);
    Ok(Dataset { name: Some(name), source: dir.to_path_buf(), train, validation, test, info })
}

/// A whole image file and its label file as one split, in file order.
fn read_split(dir: &Path, images: &str, labels: &str) -> Result<Split, DataError> {
    let (image_bytes, label_bytes) = (read_gz(&dir.join(images))?, read_gz(&dir.join(labels))?);
    let (pixels, labels) = checked(dir, images, &image_bytes, labels, &label_bytes)?;
    Ok(Split::gather(IMAGE_LEN, pixels, labels, &(0..labels.len()).collect::<Vec<_>>()))
}

/// The pixels and labels of a decompressed image/label file pair, checked to agree.
fn checked<'a>(
    dir: &Path,
    images: &str,
    image_bytes: &'a [u8],
    labels: &str,
    label_bytes: &'a [u8],
) -> Result<(&'a [u8], &'a [u8]), DataError> {
    let (count, pixels) = idx::image_data(image_bytes).map_err(|e| e.in_file(&dir.join(images)))?;
    let label_data = idx::label_data(label_bytes).map_err(|e| e.in_file(&dir.join(labels)))?;
    same_count(dir, images, count, labels, label_data.len())?;
    Ok((pixels, label_data))
}

fn same_count(dir: &Path, images: &str, image_count: usize, labels: &str, label_count: usize) -> Result<(), DataError> {
    if image_count == label_count {
        return Ok(());
    }
    Err(DataError::CountMismatch { images: dir.join(images), image_count, labels: dir.join(labels), label_count })
}
