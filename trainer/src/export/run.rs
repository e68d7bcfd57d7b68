//! The `export` command: read a run's model, quantise it to int8 (and/or
//! re-export f32), measure both on the full test set, write the files.

use super::evaluate::accuracy_percent;
use super::quantize::{Calibration, quantize};
use super::{HostModel, read_model, resolve_model_path, write_atomic};
use crate::data::{self, DatasetName, LoadOptions};
use anyhow::Context;
use ffn_infer_embedded::ElementType;
use ffn_infer_embedded::format::{decode_f32, encode_f32, encode_int8};
use std::path::PathBuf;

/// Calibrations `auto` tries, picking the best on the validation split.
const AUTO_CALIBRATIONS: [Calibration; 3] =
    [Calibration::Max, Calibration::Quantile(0.9999), Calibration::Quantile(0.999)];

#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// A run folder (holding `model.ffn`) or a model file.
    pub input: PathBuf,
    pub int8_out: Option<PathBuf>,
    pub f32_out: Option<PathBuf>,
    /// Defaults to the run's `config.json` dataset, else Fashion-MNIST.
    pub dataset: Option<DatasetName>,
    pub data_dir: Option<PathBuf>,
    /// Training images whose activations set the int8 activation scales.
    pub calibration_samples: usize,
    /// `None` = try `AUTO_CALIBRATIONS` and keep the best on validation data.
    pub calibration: Option<Calibration>,
}

/// One column of the side-by-side table.
#[derive(Clone, Debug)]
pub struct Variant {
    pub element: ElementType,
    pub bytes: Vec<u8>,
    /// Bytes of RAM for activations ([`ffn_infer_embedded::Scratch`] sized to the widest layer).
    pub scratch_bytes: usize,
    pub test_accuracy: f64,
    pub written_to: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct ExportReport {
    pub source: PathBuf,
    pub dataset: DatasetName,
    pub sizes: Vec<usize>,
    pub activation: &'static str,
    pub test_images: usize,
    pub calibration: Calibration,
    pub calibration_samples: usize,
    /// The f32 column is a dequantised int8 file when the input was int8.
    pub f32_from_int8: bool,
    pub f32: Variant,
    pub int8: Variant,
}

/// The run's `config.json` (if any): dataset, and the seed of its validation split.
fn run_config(input: &std::path::Path) -> (Option<DatasetName>, u64) {
    let dir = if input.is_dir() { Some(input) } else { input.parent() };
    let config = dir
        .and_then(|d| std::fs::read_to_string(d.join("config.json")).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
    let dataset = config.as_ref().and_then(|c| c.get("dataset")?.as_str().and_then(DatasetName::from_name));
    let seed = config.as_ref().and_then(|c| c.get("seed")?.as_u64()).unwrap_or(0);
    (dataset, seed)
}

pub fn run(opts: &ExportOptions) -> anyhow::Result<ExportReport> {
    let source = resolve_model_path(&opts.input);
    let input = read_model(&source)?;
    let decoded = decode_f32(&input).with_context(|| format!("cannot decode {}", source.display()))?;
    let (config_dataset, seed) = run_config(&opts.input);
    let dataset = opts.dataset.or(config_dataset).unwrap_or(DatasetName::FashionMnist);
    let load = LoadOptions { data_dir: opts.data_dir.clone(), seed, ..LoadOptions::default() };
    let data =
        data::load(dataset, &load).with_context(|| format!("cannot load {dataset} for calibration and testing"))?;
    anyhow::ensure!(!data.test.is_empty(), "the {dataset} test set is empty");

    let samples = opts.calibration_samples.clamp(1, data.train.len().max(1));
    let calibration_images = data.train.inputs_of(0..samples);
    let measure = |bytes: &[u8], split: &data::Split| -> anyhow::Result<f64> {
        let model = HostModel::from_bytes(bytes).context("exported model does not load")?;
        Ok(accuracy_percent(&model, split.bytes().unwrap_or_default(), &split.labels))
    };

    let candidates: Vec<Calibration> = match opts.calibration {
        Some(c) => vec![c],
        None => AUTO_CALIBRATIONS.to_vec(),
    };
    let mut best: Option<(f64, Calibration, Vec<u8>)> = None;
    for calibration in candidates {
        let layers = quantize(&decoded, &calibration_images, calibration)?;
        let bytes = encode_int8(&decoded.sizes, decoded.activation, &layers);
        // Pick on validation data so the test set stays unseen (an empty split: the first wins).
        let score = if data.validation.is_empty() { 0.0 } else { measure(&bytes, &data.validation)? };
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, calibration, bytes));
        }
    }
    let (_, calibration, int8_bytes) = best.context("no calibration to try")?;
    let f32_bytes = match decoded.element {
        ElementType::F32 => input.clone(),
        ElementType::Int8 => encode_f32(&decoded.sizes, decoded.activation, &decoded.params),
    };

    let int8_out = match (&opts.int8_out, &opts.f32_out) {
        (None, None) => Some(source.with_file_name("model.int8.ffn")),
        (out, _) => out.clone(),
    };
    let variant = |element, bytes: Vec<u8>, out: Option<PathBuf>| -> anyhow::Result<Variant> {
        let model = HostModel::from_bytes(&bytes).context("exported model does not load")?;
        let scratch_bytes = model.scratch_bytes();
        let test_accuracy = accuracy_percent(&model, data.test.bytes().unwrap_or_default(), &data.test.labels);
        if let Some(path) = &out {
            write_atomic(path, &bytes)?;
        }
        Ok(Variant { element, bytes, scratch_bytes, test_accuracy, written_to: out })
    };
    let f32 = variant(ElementType::F32, f32_bytes, opts.f32_out.clone())?;
    let int8 = variant(ElementType::Int8, int8_bytes, int8_out)?;
    Ok(ExportReport {
        source,
        dataset,
        sizes: decoded.sizes.clone(),
        activation: decoded.activation.name(),
        test_images: data.test.len(),
        calibration,
        calibration_samples: samples,
        f32_from_int8: decoded.element == ElementType::Int8,
        f32,
        int8,
    })
}

impl std::fmt::Display for Calibration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Calibration::Max => write!(f, "max"),
            Calibration::Quantile(q) => write!(f, "q{q}"),
        }
    }
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes: Vec<String> = self.sizes.iter().map(|s| s.to_string()).collect();
        writeln!(f, "model    {} ({} {}, {})", self.source.display(), sizes.join("-"), self.activation, self.dataset)?;
        writeln!(
            f,
            "int8     per-output-channel weight scales; activation scales: {} over {} training images",
            self.calibration, self.calibration_samples
        )?;
        let f32_name = if self.f32_from_int8 { "f32 (dequantised)" } else { "f32" };
        writeln!(f, "{:<30} {:>18} {:>12}", "", f32_name, "int8")?;
        writeln!(f, "{:<30} {:>18} {:>12}", "flash: model file (bytes)", self.f32.bytes.len(), self.int8.bytes.len())?;
        writeln!(
            f,
            "{:<30} {:>18} {:>12}",
            "RAM: activations (bytes)", self.f32.scratch_bytes, self.int8.scratch_bytes
        )?;
        writeln!(
            f,
            "{:<30} {:>17.2}% {:>11.2}%",
            format!("test accuracy ({} images)", self.test_images),
            self.f32.test_accuracy,
            self.int8.test_accuracy
        )?;
        write!(f, "int8 - f32: {:+.2} points", self.int8.test_accuracy - self.f32.test_accuracy)?;
        for variant in [&self.f32, &self.int8] {
            if let Some(path) = &variant.written_to {
                write!(f, "\nwrote {} model to {}", variant.element.name(), path.display())?;
            }
        }
        Ok(())
    }
}
