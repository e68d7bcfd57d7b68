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

/// Writes a model file atomically (temporary sibling + rename), so an
/// interrupted export never leaves a half-written model behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::atomic::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
