//! The `export` command: read a run's model, quantise it to int8 (and/or
//! re-export f32) as version-2 files with the data description inside,
//! measure both on the full test set (and the int8 model with float
//! requantisation, the host reference), estimate what each costs on the
//! Cortex-M cores and whether it fits the boards, write the files.

use super::boards::{self, Board, Fit, thousands};
use super::describe::{self, RunFolder};
use super::estimate::Estimate;
use super::evaluate::{Samples, accuracy_percent, accuracy_with};
use super::quantize::{Calibration, quantize};
use super::{HostModel, LoadedModel, read_model, reference, resolve_model_path, write_atomic};
use crate::data::{self, DatasetName, LoadOptions};
use anyhow::{Context, bail};
use ffn_infer_embedded::format::{Description, Network, OwnedPreprocessing, encode_f32, encode_int8};
use ffn_infer_embedded::{ElementType, InputType};
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
    /// Defaults to the model's source, else the run's `config.json` dataset.
    pub dataset: Option<DatasetName>,
    pub data_dir: Option<PathBuf>,
    /// Training samples whose activations set the int8 ranges.
    pub calibration_samples: usize,
    /// `None` = try `AUTO_CALIBRATIONS` and keep the best on validation data.
    pub calibration: Option<Calibration>,
    /// The element type the device is fed; `None` = the input file's, else
    /// `u8` for 8-bit images and `f32` for tables.
    pub input_type: Option<InputType>,
    /// Points of test accuracy int8 may lose against f32 before `run` refuses
    /// to write anything.
    pub max_int8_loss: f64,
    /// Check this board only (`--board`), else every board of [`boards::BOARDS`].
    pub board: Option<&'static Board>,
    /// An output path that holds another file: move that file aside to
    /// `PATH.old-N` (never deleted) instead of refusing.
    pub overwrite: bool,
}

/// One column of the side-by-side table.
#[derive(Clone, Debug)]
pub struct Variant {
    pub element: ElementType,
    pub bytes: Vec<u8>,
    /// Bytes of RAM for one inference's scratch, for the model's own input type.
    pub scratch_bytes: usize,
    pub test_accuracy: f64,
    pub written_to: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct ExportReport {
    pub source: PathBuf,
    pub note: Option<String>,
    pub description: Description,
    pub sizes: Vec<usize>,
    pub activation: &'static str,
    pub test_samples: usize,
    pub calibration: Calibration,
    pub calibration_samples: usize,
    /// The f32 column is a dequantised int8 file when the input was int8.
    pub f32_from_int8: bool,
    pub f32: Variant,
    pub int8: Variant,
    /// The int8 model's test accuracy with float requantisation between layers (host reference).
    pub int8_float_requant_accuracy: f64,
    /// Flash, RAM and instructions per inference on each core: int8, then f32 where the firmware runs it.
    pub estimates: Vec<Estimate>,
    /// The boards checked (`--board`, else all) for int8 and, where estimated, f32.
    pub fits: Vec<Fit>,
}

impl ExportReport {
    /// The boards a written model does not fit.
    pub fn misfits(&self) -> impl Iterator<Item = &Fit> {
        self.fits.iter().filter(|fit| {
            !fit.fits() && [&self.f32, &self.int8].iter().any(|v| v.element == fit.element && v.written_to.is_some())
        })
    }
}

/// The data `export` calibrates on and measures with.
struct EvaluationData {
    /// Network inputs (preprocessed) of the calibration samples.
    calibration: Vec<f32>,
    calibration_samples: usize,
    validation: Samples,
    test: Samples,
}

fn evaluation_data(
    opts: &ExportOptions,
    description: &Description,
    folder: &RunFolder,
    inputs: usize,
) -> anyhow::Result<EvaluationData> {
    let dataset =
        opts.dataset.or_else(|| DatasetName::from_name(&description.source)).or_else(|| folder.dataset_name());
    let mut data = match dataset.filter(|_| inputs == data::IMAGE_LEN) {
        Some(dataset) => {
            let load = LoadOptions { data_dir: opts.data_dir.clone(), seed: folder.seed, ..LoadOptions::default() };
            data::load(dataset, &load).with_context(|| format!("cannot load {dataset} for calibration and testing"))?
        }
        None if opts.dataset.is_none() => own_data(folder, inputs, description)?,
        None => bail!(
            "-d {} is 784-pixel images but this model reads {inputs} values (from {:?}): drop -d to use the run's \
             own data",
            opts.dataset.map(|d| d.to_string()).unwrap_or_default(),
            description.source
        ),
    };
    // 8-bit data standardised in training: calibrate on the inputs the network saw.
    if let OwnedPreprocessing::Standardize { mean, std } = &description.preprocessing {
        data.standardize_pixels(mean.clone(), std.clone());
    }
    anyhow::ensure!(!data.test.is_empty(), "the test set of {} is empty", description.source);
    let samples = opts.calibration_samples.min(data.train.len());
    let preprocessing = &data.info.preprocessing;
    Ok(EvaluationData {
        calibration: data.train.inputs_of(0..samples).to_vec(),
        calibration_samples: samples,
        validation: Samples::from_split(&data.validation, preprocessing),
        test: Samples::from_split(&data.test, preprocessing),
    })
}

/// The own data a run trained on (`--data` and its options in `config.json`),
/// split as the run split it: its training split calibrates, its test split measures.
fn own_data(folder: &RunFolder, inputs: usize, description: &Description) -> anyhow::Result<data::Dataset> {
    let config = folder.dir.as_ref().map(|d| d.join("config.json")).filter(|p| p.is_file());
    let Some(config) = config else {
        bail!(
            "export calibrates int8 on the run's training data and measures on its test data, but this model \
             ({inputs} values from {:?}) has no run folder with a config.json beside it: export the run folder \
             train wrote",
            description.source
        );
    };
    let text = std::fs::read_to_string(&config).with_context(|| format!("cannot read {}", config.display()))?;
    let config: crate::config::TrainConfig =
        serde_json::from_str(&text).with_context(|| format!("{} is not a run's configuration", config.display()))?;
    let source = config.source().map_err(anyhow::Error::msg)?;
    let data = data::load_source(&source, &config.load_options()).map_err(|e| {
        anyhow::anyhow!(
            "cannot load the run's data for calibration and testing ({e}); paths in config.json are relative to \
             the folder train ran in: run export there"
        )
    })?;
    anyhow::ensure!(
        data.info.input_len == inputs,
        "the run's data has {} values per sample but the model reads {inputs}",
        data.info.input_len
    );
    Ok(data)
}

/// The description to write: the file's own (a version-1 file got its run
/// folder's when it was read), with `--input_type` applied.
fn description_for(loaded: &LoadedModel, folder: &RunFolder, input_type: Option<InputType>) -> Description {
    let mut description = loaded.decoded.description.clone().unwrap_or_else(|| describe::version_1_description(folder));
    if let Some(input_type) = input_type {
        description.input_type = input_type;
    }
    description
}

pub fn run(opts: &ExportOptions) -> anyhow::Result<ExportReport> {
    if opts.calibration_samples == 0 {
        bail!("--calibration_samples 0 leaves nothing to calibrate the int8 ranges on: use at least 1");
    }
    let source = resolve_model_path(&opts.input);
    let loaded = read_model(&source)?;
    let folder = RunFolder::of(&opts.input);
    let description = description_for(&loaded, &folder, opts.input_type);
    let network: &Network = &loaded.decoded.network;
    let data = evaluation_data(opts, &description, &folder, network.sizes[0])?;

    let candidates: Vec<Calibration> = match opts.calibration {
        Some(c) => vec![c],
        None => AUTO_CALIBRATIONS.to_vec(),
    };
    let mut best: Option<(f64, Calibration, Vec<u8>)> = None;
    for calibration in candidates {
        let int8 = quantize(network, &description, &data.calibration, calibration)?;
        let bytes = encode_int8(&int8, &description).context("cannot write the int8 model")?;
        // Pick on validation data so the test set stays unseen (an empty split: the first wins).
        let model = HostModel::from_bytes(&bytes).context("exported model does not load")?;
        let score = if data.validation.is_empty() { 0.0 } else { accuracy_percent(&model, &data.validation) };
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, calibration, bytes));
        }
    }
    let (_, calibration, int8_bytes) = best.context("no calibration to try")?;
    let unchanged = loaded.version == 2
        && loaded.decoded.element == ElementType::F32
        && loaded.decoded.description.as_ref() == Some(&description);
    let f32_bytes = if unchanged {
        loaded.bytes.clone()
    } else {
        encode_f32(network, &description).context("cannot write the f32 model")?
    };

    let int8_out = match (&opts.int8_out, &opts.f32_out) {
        (None, None) => Some(source.with_file_name("model.int8.ffn")),
        (out, _) => out.clone(),
    };
    let variant = |element, bytes: Vec<u8>, out: Option<PathBuf>| -> anyhow::Result<Variant> {
        let model = HostModel::from_bytes(&bytes).context("exported model does not load")?;
        let scratch_bytes = model.scratch_bytes_for(model.input_type());
        let test_accuracy = accuracy_percent(&model, &data.test);
        Ok(Variant { element, bytes, scratch_bytes, test_accuracy, written_to: out })
    };
    let decoded_int8 = ffn_infer_embedded::format::decode(&int8_bytes)?.int8.context("an int8 model")?;
    let int8_float_requant_accuracy =
        accuracy_with(&data.test, |input| reference::classify(&decoded_int8, description.input_type, input));
    let f32 = variant(ElementType::F32, f32_bytes, opts.f32_out.clone())?;
    let int8 = variant(ElementType::Int8, int8_bytes, int8_out)?;
    // Judged before anything is written, so a refused export leaves no file behind.
    let loss = f32.test_accuracy - int8.test_accuracy;
    if int8.written_to.is_some() && loss > opts.max_int8_loss {
        bail!(
            "int8 classifies {:.2}% of the test set against f32's {:.2}%: {loss:.2} points lost, more than \
             --max_int8_loss {}; nothing written. Try --calibration max or 0.9999, or more --calibration_samples \
             (now {}); --max_int8_loss 100 writes it anyway",
            int8.test_accuracy,
            f32.test_accuracy,
            opts.max_int8_loss,
            data.calibration_samples
        );
    }
    // Nothing a user made is replaced unasked: an output path holding other
    // bytes (an earlier export, the user's own file) is refused before anything
    // is written, or with --overwrite moved aside. The same bytes again are no change.
    let replaced: Vec<&PathBuf> = [&f32, &int8]
        .into_iter()
        .filter_map(|v| v.written_to.as_ref().filter(|path| std::fs::read(path).is_ok_and(|old| old != v.bytes)))
        .collect();
    if let Some(path) = replaced.first().filter(|_| !opts.overwrite) {
        bail!(
            "{} holds another file: choose another --int8/--f32 path, or pass --overwrite to move it aside (to {}); \
             nothing written",
            path.display(),
            crate::atomic::aside(path).display()
        );
    }
    for path in replaced {
        let to = crate::atomic::aside(path);
        std::fs::rename(path, &to).with_context(|| format!("cannot move {} aside", path.display()))?;
        println!("moved the file that was in {} to {}", path.display(), to.display());
    }
    for variant in [&f32, &int8] {
        if let Some(path) = &variant.written_to {
            write_atomic(path, &variant.bytes)?;
        }
    }
    let activation = network.hidden_activation().name();
    let mut estimates = Vec::new();
    for variant in [&int8, &f32] {
        estimates.extend(super::estimate::estimates(&variant.bytes).context("exported model does not load")?);
    }
    let checked: Vec<&'static Board> = match opts.board {
        Some(board) => vec![board],
        None => boards::BOARDS.iter().collect(),
    };
    let fits = [ElementType::Int8, ElementType::F32]
        .iter()
        .flat_map(|&element| {
            let of_element: Vec<Estimate> = estimates.iter().filter(|e| e.element == element).cloned().collect();
            checked.iter().filter_map(move |board| Fit::of(board, &of_element)).collect::<Vec<_>>()
        })
        .collect();
    Ok(ExportReport {
        source,
        note: loaded.conversion_note(),
        description,
        sizes: network.sizes.clone(),
        activation,
        test_samples: data.test.len(),
        calibration,
        calibration_samples: data.calibration_samples,
        f32_from_int8: loaded.decoded.element == ElementType::Int8,
        f32,
        int8,
        int8_float_requant_accuracy,
        estimates,
        fits,
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
        if let Some(note) = &self.note {
            writeln!(f, "{note}")?;
        }
        let sizes: Vec<String> = self.sizes.iter().map(|s| s.to_string()).collect();
        let d = &self.description;
        let preprocessing = match &d.preprocessing {
            OwnedPreprocessing::Identity => "as they are".to_string(),
            OwnedPreprocessing::Divide(divisor) => format!("x / {divisor}"),
            OwnedPreprocessing::Standardize { .. } => "standardised with the training split's statistics".to_string(),
        };
        writeln!(f, "model    {} ({} {}, {})", self.source.display(), sizes.join("-"), self.activation, d.source)?;
        writeln!(
            f,
            "input    {} values as {}, {preprocessing}; {} classes: {}",
            self.sizes[0],
            d.input_type.name(),
            d.classes.len(),
            d.classes.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
                + if d.classes.len() > 10 { ", …" } else { "" }
        )?;
        writeln!(
            f,
            "int8     per-output-channel weight scales, integer requantisation; activation ranges: {} over {} training samples",
            self.calibration, self.calibration_samples
        )?;
        let f32_name = if self.f32_from_int8 { "f32 (dequantised)" } else { "f32" };
        writeln!(f, "{:<30} {:>18} {:>12}", "", f32_name, "int8")?;
        writeln!(f, "{:<30} {:>18} {:>12}", "flash: model file (bytes)", self.f32.bytes.len(), self.int8.bytes.len())?;
        writeln!(f, "{:<30} {:>18} {:>12}", "RAM: scratch (bytes)", self.f32.scratch_bytes, self.int8.scratch_bytes)?;
        writeln!(
            f,
            "{:<30} {:>17.2}% {:>11.2}%",
            format!("test accuracy ({} samples)", self.test_samples),
            self.f32.test_accuracy,
            self.int8.test_accuracy
        )?;
        writeln!(f, "int8 - f32: {:+.2} points", self.int8.test_accuracy - self.f32.test_accuracy)?;
        write!(
            f,
            "int8 with float requantisation (host reference): {:.2}% (integer - float: {:+.2} points)",
            self.int8_float_requant_accuracy,
            self.int8.test_accuracy - self.int8_float_requant_accuracy
        )?;
        write!(
            f,
            "\nbefore you flash: a minimal firmware embedding the model, as a cost model fitted on QEMU \
             runs predicts it (RAM: statics, stack, scratch, one input)\n{:<11} {:<12} {:>5} {:>11} {:>9} {:>24}",
            "core", "QEMU board", "model", "flash (B)", "RAM (B)", "instructions/inference"
        )?;
        for e in &self.estimates {
            write!(
                f,
                "\n{:<11} {:<12} {:>5} {:>11} {:>9} {:>24}",
                e.core,
                e.board,
                e.element.name(),
                thousands(e.flash),
                thousands(e.ram),
                thousands(e.instructions)
            )?;
        }
        for fit in &self.fits {
            write!(f, "\n{}", fit.verdict())?;
        }
        for variant in [&self.f32, &self.int8] {
            if let Some(path) = &variant.written_to {
                write!(f, "\nwrote {} model to {}", variant.element.name(), path.display())?;
            }
        }
        Ok(())
    }
}
