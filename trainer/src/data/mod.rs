//! Fashion-MNIST / MNIST: finding the four gzipped IDX files (or downloading them),
//! parsing them strictly, and holding out a seeded validation set.
//!
//! ```no_run
//! use ffn_trainer::data::{self, DatasetName, LoadOptions};
//! let ds = data::load(DatasetName::FashionMnist, &LoadOptions::default())?;
//! assert_eq!((ds.train.len(), ds.validation.len(), ds.test.len()), (54_000, 6_000, 10_000));
//! # Ok::<(), data::DataError>(())
//! ```

mod download;
mod error;
mod gz;
mod idx;
mod locate;
mod name;
mod split;

use std::path::{Path, PathBuf};

pub use download::{checksums, download};
pub use error::DataError;
pub use gz::read_gz;
pub use idx::{CLASSES, COLS, IMAGE_LEN, IMAGES_MAGIC, Images, LABELS_MAGIC, ROWS, parse_idx_images, parse_idx_labels};
pub use locate::{
    DEFAULT_MIRROR, FILES, Place, SearchPaths, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, has_all_files,
    locate,
};
pub use name::DatasetName;
pub use split::{SPLIT_STREAM, Split, split_indices};

/// A dataset in memory: the training file split into `train` and `validation`, and `test`.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: DatasetName,
    /// The folder the four files were read from.
    pub source: PathBuf,
    pub train: Split,
    pub validation: Split,
    pub test: Split,
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

/// Finds (or downloads) `name` in the standard places and loads it.
pub fn load(name: DatasetName, opts: &LoadOptions) -> Result<Dataset, DataError> {
    load_with(name, opts, &SearchPaths::from_env(opts.data_dir.as_deref()))
}

/// [`load`] with explicit places to look (`opts.data_dir` is ignored: `paths.data_dir` rules).
pub fn load_with(name: DatasetName, opts: &LoadOptions, paths: &SearchPaths) -> Result<Dataset, DataError> {
    check_options(opts)?;
    let dir = match paths.find(name) {
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
    // The 47 MB training images dominate: decompress them beside the three small files.
    let (train_images, (train_labels, test_images, test_labels)) = std::thread::scope(|s| {
        let big = s.spawn(|| read_images(&dir.join(TRAIN_IMAGES)));
        let rest = (
            read_labels(&dir.join(TRAIN_LABELS)),
            read_images(&dir.join(TEST_IMAGES)),
            read_labels(&dir.join(TEST_LABELS)),
        );
        (big.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), rest)
    });
    let (train_images, train_labels) = (train_images?, train_labels?);
    let (test_images, test_labels) = (test_images?, test_labels?);
    same_count(dir, TRAIN_IMAGES, train_images.count, TRAIN_LABELS, train_labels.len())?;
    same_count(dir, TEST_IMAGES, test_images.count, TEST_LABELS, test_labels.len())?;

    let (mut train_order, validation_order) = split_indices(train_labels.len(), opts.seed, opts.validation_fraction);
    if train_order.is_empty() {
        return Err(DataError::Option(format!(
            "{} holds {} samples: nothing is left to train on after holding out {} for validation",
            dir.join(TRAIN_LABELS).display(),
            train_labels.len(),
            validation_order.len()
        )));
    }
    if let Some(limit) = opts.train_limit {
        train_order.truncate(limit);
    }
    let (train, validation) = std::thread::scope(|s| {
        let train = s.spawn(|| Split::gather(&train_images.pixels, &train_labels, &train_order));
        let validation = Split::gather(&train_images.pixels, &train_labels, &validation_order);
        (train.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), validation)
    });
    let test = Split::from_parts(test_images.pixels, test_labels);
    Ok(Dataset { name, source: dir.to_path_buf(), train, validation, test })
}

fn read_images(path: &Path) -> Result<Images, DataError> {
    parse_idx_images(&read_gz(path)?).map_err(|e| e.in_file(path))
}

fn read_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    parse_idx_labels(&read_gz(path)?).map_err(|e| e.in_file(path))
}

fn same_count(dir: &Path, images: &str, image_count: usize, labels: &str, label_count: usize) -> Result<(), DataError> {
    if image_count == label_count {
        return Ok(());
    }
    Err(DataError::CountMismatch { images: dir.join(images), image_count, labels: dir.join(labels), label_count })
}
