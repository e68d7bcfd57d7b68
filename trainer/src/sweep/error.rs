//! The one error type of the sweep module: every message names the file (and
//! for the YAML, the line and column) so the user knows what to fix.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A problem in the sweep YAML, located at `line:column` (1-based).
    #[error("{file}:{line}:{column}: {message}")]
    Yaml { file: String, line: usize, column: usize, message: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// The state file exists but does not belong to this sweep, or is corrupt.
    #[error("{}: {message}", path.display())]
    State { path: PathBuf, message: String },
    /// `train` could not be started or rejected its arguments.
    #[error("{0}")]
    Train(String),
}

impl SweepError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SweepError {
        let path = path.into();
        move |source| SweepError::Io { path, source }
    }
}

pub type Result<T, E = SweepError> = std::result::Result<T, E>;
