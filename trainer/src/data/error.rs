//! The one error type of data loading. Every message names the file (or the places
//! looked) and says what to do next, because it is what the user of `train` sees when
//! the data is missing or damaged. Each is one line, except "not found": it lists up
//! to a dozen folders, so it says what is missing, where it looked and how to get the
//! files on lines of their own.

use std::path::PathBuf;

/// The hint of every error about a damaged file.
const REPLACE: &str = "replace it with an intact copy of the original file";

#[derive(thiserror::Error, Debug)]
pub enum DataError {
    #[error(
        "{dataset} data not found: no folder holds all four files ({files})\n  \
         looked in: {looked}{download}\n  \
         get them:  {how_to_get}\n  \
         then pass --data_dir DIR or set FFN_DATA_DIR to their folder"
    )]
    NotFound { dataset: &'static str, files: String, looked: String, download: String, how_to_get: &'static str },

    #[error("--data_dir {path}: {problem}; point --data_dir at the folder holding the four .gz files (or its parent)")]
    DataDir { path: PathBuf, problem: String },

    #[error("cannot read {path}: {source}; check that the file exists and is readable")]
    Read { path: PathBuf, source: std::io::Error },

    #[error("{path} is not a gzip file (it starts with {start}); {REPLACE}")]
    NotGzip { path: PathBuf, start: String },

    #[error("{path} is a damaged gzip file ({reason}); {REPLACE}")]
    CorruptGzip { path: PathBuf, reason: String },

    #[error("{file}: {problem}; {REPLACE}")]
    Idx { file: String, problem: String },

    #[error(
        "{images} holds {image_count} images but {labels} holds {label_count} labels; the two files must come from \
         the same set: {REPLACE}"
    )]
    CountMismatch { images: PathBuf, image_count: usize, labels: PathBuf, label_count: usize },

    #[error("download of {url} failed: {reason}; check the network, or set FFN_DATA_MIRROR to a mirror that has it")]
    Download { url: String, reason: String },

    #[error(
        "{url} has SHA-256 {actual}, expected {expected}: the mirror served a different file and it was not kept; \
         set FFN_DATA_MIRROR to a mirror of the original files"
    )]
    Checksum { url: String, expected: String, actual: String },

    #[error("cannot write {path}: {source}; check that the folder is writable (or set XDG_CACHE_HOME)")]
    Write { path: PathBuf, source: std::io::Error },

    #[error("{file}: {problem}; delete it, or {REPLACE}")]
    Npz { file: String, problem: String },

    #[error("invalid data option: {0}")]
    Option(String),

    /// Own data that cannot be used as it is: `at` locates the problem in the file
    /// (", line 12, column 'x'", or empty), `problem` says what it is and what to do.
    #[error("{path}{at}: {problem}")]
    Invalid { path: PathBuf, at: String, problem: String },
}

impl DataError {
    /// A problem with the file (or folder) `path` as a whole.
    pub(crate) fn invalid(path: &std::path::Path, problem: impl Into<String>) -> Self {
        DataError::Invalid { path: path.into(), at: String::new(), problem: problem.into() }
    }

    /// A problem at a place in `path` (`at` reads ", line 3" or ", sample 7").
    pub(crate) fn invalid_at(path: &std::path::Path, at: impl Into<String>, problem: impl Into<String>) -> Self {
        DataError::Invalid { path: path.into(), at: at.into(), problem: problem.into() }
    }

    /// The message without its advice, for an error reported inside another one.
    pub(crate) fn summary(&self) -> String {
        match self {
            DataError::Download { url, reason } => format!("download of {url} failed: {reason}"),
            DataError::Checksum { url, expected, actual } => {
                format!("{url} had SHA-256 {actual}, expected {expected} (not kept)")
            }
            other => other.to_string(),
        }
    }

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
