//! The one error type of data loading. Every message is one line that names the
//! file (or the places looked) and says what to do next, because it is what the
//! user of `train` sees when the data is missing or damaged.

use std::path::PathBuf;

/// Where to get the original files, appended to every "replace the file" hint.
const GET_FILES: &str = "get the original four .gz files (Fashion-MNIST: `apt-get install dataset-fashion-mnist` or \
     github.com/zalandoresearch/fashion-mnist; MNIST: the IDX files from yann.lecun.com/exdb/mnist or the \
     fgnt/mnist repository)";

#[derive(thiserror::Error, Debug)]
pub enum DataError {
    #[error(
        "{dataset} data not found: no folder holds all four files ({files}); looked in: {looked}{download}; \
         pass --data_dir DIR or set FFN_DATA_DIR to a folder that has them, or {GET_FILES}"
    )]
    NotFound { dataset: &'static str, files: String, looked: String, download: String },

    #[error("--data_dir {path}: {problem}; point --data_dir at the folder holding the four .gz files (or its parent)")]
    DataDir { path: PathBuf, problem: String },

    #[error("cannot read {path}: {source}; check that the file exists and is readable")]
    Read { path: PathBuf, source: std::io::Error },

    #[error("{path} is not a gzip file (it starts with {start}); replace it with the original .gz file: {GET_FILES}")]
    NotGzip { path: PathBuf, start: String },

    #[error("{path} is a damaged gzip file ({reason}); replace it with the original .gz file: {GET_FILES}")]
    CorruptGzip { path: PathBuf, reason: String },

    #[error("{file}: {problem}; replace it with the original file: {GET_FILES}")]
    Idx { file: String, problem: String },

    #[error(
        "{images} holds {image_count} images but {labels} holds {label_count} labels; the two files must come from \
         the same set: {GET_FILES}"
    )]
    CountMismatch { images: PathBuf, image_count: usize, labels: PathBuf, label_count: usize },

    #[error("download of {url} failed: {reason}; check the network or set FFN_DATA_MIRROR, or {GET_FILES}")]
    Download { url: String, reason: String },

    #[error(
        "{url} has SHA-256 {actual}, expected {expected}: the mirror served a different file and it was not kept; \
         set FFN_DATA_MIRROR to a mirror of the original files, or {GET_FILES}"
    )]
    Checksum { url: String, expected: String, actual: String },

    #[error("cannot write {path}: {source}; check that the folder is writable (or set XDG_CACHE_HOME)")]
    Write { path: PathBuf, source: std::io::Error },

    #[error("{file}: {problem}; delete it so that it is downloaded again, or {GET_FILES}")]
    Npz { file: String, problem: String },

    #[error("invalid data option: {0}")]
    Option(String),
}

impl DataError {
    /// An IDX/npz parse error (raised on bytes, without a name) now naming its file.
    pub(crate) fn in_file(self, path: &std::path::Path) -> Self {
        let file = path.display().to_string();
        match self {
            DataError::Idx { problem, .. } => DataError::Idx { file, problem },
            DataError::Npz { problem, .. } => DataError::Npz { file, problem },
            other => other,
        }
    }
}
