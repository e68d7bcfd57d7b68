//! From a trained run to files a microcontroller can use: the run's model as
//! a version-2 file (`train` writes it), int8 quantisation with calibrated
//! ranges and integer requantisation, f32 re-export, accuracy and footprint
//! of both (the `export` command), and reading images and table rows for
//! `predict`.
//!
//! Inference on the host goes through the very code the device runs
//! (`ffn-infer-embedded`), so the accuracy printed here is the device's.

pub mod describe;
pub mod evaluate;
pub mod image;
pub mod predict;
pub mod quantize;
pub mod reference;
pub mod rows;
pub mod run;

use anyhow::Context;
use describe::RunFolder;
use ffn_infer_embedded::format::{Decoded, Network, decode, encode_f32};
use ffn_infer_embedded::{Activation, ElementType};
use std::path::{Path, PathBuf};

/// A model read on the host: the device's own view.
pub type HostModel<'a> = ffn_infer_embedded::Model<'a>;

/// The file `train` writes into a run folder.
pub const RUN_MODEL_FILE: &str = "model.ffn";

/// `RUN_DIR` → `RUN_DIR/model.ffn`; a file path is taken as is.
pub fn resolve_model_path(path: &Path) -> PathBuf {
    if path.is_dir() { path.join(RUN_MODEL_FILE) } else { path.to_path_buf() }
}

/// A model file read from disk, as version 2.
#[derive(Clone, Debug)]
pub struct LoadedModel {
    pub path: PathBuf,
    /// The file's format version and element type on disk.
    pub version: u8,
    pub original_element: ElementType,
    /// Version-2 bytes: the file itself, or a version-1 file converted in memory.
    pub bytes: Vec<u8>,
    pub decoded: Decoded,
}

/// Reads a model file (version 2, or version 1 converted to a version-2 f32
/// model: int8 weights dequantised, names from its run folder), with the path
/// in every error.
pub fn read_model(path: &Path) -> anyhow::Result<LoadedModel> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    let unusable = || format!("{} is not a usable model", path.display());
    let on_disk = decode(&raw).with_context(unusable)?;
    let (version, original_element) = (on_disk.version, on_disk.element);
    let (bytes, decoded) = match on_disk.description {
        Some(_) => (raw, on_disk),
        None => {
            let description = describe::version_1_description(&RunFolder::of(path));
            let bytes = encode_f32(&on_disk.network, &description)
                .with_context(|| format!("cannot convert version-1 model {}", path.display()))?;
            let decoded = decode(&bytes).with_context(unusable)?;
            (bytes, decoded)
        }
    };
    HostModel::from_bytes(&bytes).with_context(unusable)?;
    Ok(LoadedModel { path: path.to_path_buf(), version, original_element, bytes, decoded })
}

impl LoadedModel {
    /// The device's view of the model.
    pub fn model(&self) -> HostModel<'_> {
        HostModel::from_bytes(&self.bytes).expect("checked by read_model")
    }

    /// A note for the user when the file was converted from version 1.
    pub fn conversion_note(&self) -> Option<String> {
        (self.version == 1).then(|| {
            let int8 = if self.original_element == ElementType::Int8 { " (its int8 weights dequantised)" } else { "" };
            format!(
                "note: {} is a version-1 model file, read as a version-2 f32 model{int8}; \
                 `export` writes version-2 files",
                self.path.display()
            )
        })
    }
}

/// Writes a model file atomically (temporary sibling + rename), so an
/// interrupted export never leaves a half-written model behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::atomic::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// `train`'s `model.ffn`: the trained network as a version-2 f32 file, with
/// the run folder's data description (`data.json`, else the dataset of its
/// `config.json`) and input type `export` would choose by default.
pub fn write_run_model(run_dir: &Path, model: &ffn_core::model::Model) -> std::io::Result<()> {
    let folder = RunFolder::of(run_dir);
    let info = folder
        .data_info()
        .ok_or_else(|| std::io::Error::other("the run folder has neither data.json nor a known dataset"))?;
    let activation = Activation::from_name(model.activation.name)
        .ok_or_else(|| std::io::Error::other("activation not supported by the model file format"))?;
    let network = Network::new(&model.sizes, activation, model.params.to_vec());
    let description =
        describe::description(&info, describe::default_input_type(&info), folder.run_name.as_deref().unwrap_or(""));
    let bytes = encode_f32(&network, &description).map_err(std::io::Error::other)?;
    crate::atomic::write(&run_dir.join(RUN_MODEL_FILE), &bytes)
}
