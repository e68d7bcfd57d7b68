//! From a trained run to files a microcontroller can use: int8 quantisation
//! with calibrated activation scales, f32 re-export, accuracy and footprint of
//! both (the `export` command), and image loading for `predict`.
//!
//! Inference on the host goes through the very code the device runs
//! (`ffn-infer-embedded`), so the accuracy printed here is the device's.

pub mod evaluate;
pub mod image;
pub mod quantize;
pub mod run;

use anyhow::Context;
use std::path::{Path, PathBuf};

/// The widest layer the host-side tools accept (the device picks its own `N`).
pub const HOST_WIDTH: usize = 4096;
/// A model read on the host.
pub type HostModel<'a> = ffn_infer_embedded::Model<'a, HOST_WIDTH>;
pub type HostScratch = ffn_infer_embedded::Scratch<HOST_WIDTH>;

/// The file `train` writes into a run folder.
pub const RUN_MODEL_FILE: &str = "model.ffn";

/// `RUN_DIR` → `RUN_DIR/model.ffn`; a file path is taken as is.
pub fn resolve_model_path(path: &Path) -> PathBuf {
    if path.is_dir() { path.join(RUN_MODEL_FILE) } else { path.to_path_buf() }
}

/// Reads and validates a model file, with the path in every error.
pub fn read_model(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    HostModel::from_bytes(&bytes).with_context(|| format!("{} is not a usable model", path.display()))?;
    Ok(bytes)
}

/// Writes `bytes` through a temporary file in the same folder and a rename, so
/// an interrupted export never leaves a half-written model behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot move {} to {}", tmp.display(), path.display())
    })
}
