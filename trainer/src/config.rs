//! A run's resolved configuration: the flags of [`crate::flags::FLAGS`] with
//! defaults filled in (some from the data: [`crate::flags::defaults`]), typed
//! once — an optimizer is its registry entry, not a string — and written to
//! `config.json` and the wandb run with every choice as its name.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::data::pixels::PixelScaling;
use crate::data::{self, DataSource, DatasetName, FileSource, ImageSize, LoadOptions};
use crate::flags::choices::{by_name, by_name_or_null};
use crate::flags::{self, DataFacts, FLAGS, Parsed};
use crate::run::precision::Precision;
use crate::run::schedule::Schedule;
use ffn_core::{ActivationSpec, Init, LossSpec, OptimizerSpec};

const GIB: f64 = (1u64 << 30) as f64;
/// Above this a run is refused up front (see [`TrainConfig::validate`]).
const MEMORY_LIMIT_BYTES: f64 = 8.0 * GIB;
/// Far beyond what trains on 28×28 images; bounds per-layer bookkeeping.
const MAX_HIDDEN_LAYERS: usize = 1000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainConfig {
    pub wandb_project: String,
    pub wandb_entity: String,
    /// The built-in dataset; `null` with `--data`.
    #[serde(with = "by_name_or_null")]
    pub dataset: Option<DatasetName>,
    pub epochs: usize,
    pub batch_size: usize,
    #[serde(with = "by_name")]
    pub loss: &'static LossSpec,
    #[serde(with = "by_name")]
    pub optimizer: &'static OptimizerSpec,
    pub learning_rate: f64,
    pub momentum: f64,
    pub beta: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
    pub weight_decay: f64,
    #[serde(with = "by_name")]
    pub weight_init: Init,
    pub num_layers: usize,
    pub hidden_size: usize,
    #[serde(with = "by_name")]
    pub activation: &'static ActivationSpec,
    #[serde(with = "by_name")]
    pub lr_schedule: Schedule,
    pub warmup: f64,
    pub label_smoothing: f64,
    /// Absent from run folders written before the flag existed: those ran without dropout.
    #[serde(default)]
    pub dropout: f64,
    /// Augmentation (absent from run folders written before it existed: off).
    #[serde(default)]
    pub shift: usize,
    #[serde(default)]
    pub rotate: f64,
    #[serde(default)]
    pub zoom: f64,
    #[serde(default)]
    pub elastic: f64,
    #[serde(default)]
    pub flip: f64,
    #[serde(default)]
    pub erase: f64,
    // Own data (absent from run folders of the built-in datasets written before it existed).
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub labels: Option<String>,
    #[serde(default)]
    pub test_data: Option<String>,
    #[serde(default)]
    pub test_labels: Option<String>,
    #[serde(default)]
    pub label_column: Option<String>,
    #[serde(default)]
    pub delimiter: Option<String>,
    #[serde(default)]
    pub no_header: bool,
    #[serde(default)]
    pub image_size: Option<String>,
    #[serde(default)]
    pub channels: Option<usize>,
    /// Own data without `--test_data`: the held-out share (`null` for a built-in dataset).
    #[serde(default)]
    pub test_fraction: Option<f64>,
    pub seed: u64,
    pub train_limit: Option<usize>,
    /// Absent from run folders written before the flag existed: those divided bytes by 255.
    #[serde(with = "by_name", default)]
    pub pixel_scaling: PixelScaling,
    /// Absent from run folders written before the flag existed: those trained in f32.
    #[serde(with = "by_name", default = "f32_precision")]
    pub precision: Precision,
    /// The bf16 kernel level a `--precision bf16` run multiplies with
    /// (`amx`, `avx512_bf16` or `f32`, the latter two giving the same bits);
    /// not a flag: recorded at the start and kept by `--resume`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bf16_level: Option<String>,
    pub threads: usize,
    pub data_dir: Option<String>,
    pub output_dir: Option<String>,
    #[serde(default)]
    pub overwrite: bool,
    #[serde(default)]
    pub no_extras: bool,
    pub run_name: Option<String>,
    pub wandb_group: Option<String>,
    pub wandb_sweep_id: Option<String>,
    #[serde(rename = "no-wandb")]
    pub no_wandb: bool,
    pub resume: Option<String>,
    /// Why each flag whose default depends on the data (or on `--no_extras`)
    /// has its value, e.g. `"epochs": "own data: …"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data_defaults: BTreeMap<String, String>,
}

/// A configuration in the making: the given flags with every default that
/// needs no data, and so the data to load.
pub struct Request {
    values: Map<String, Value>,
    why: BTreeMap<String, String>,
    /// The data the flags name.
    pub source: DataSource,
}

impl Request {
    /// The given flags, the defaults that need no data, and the data source
    /// (`--data` and its options, or `-d`).
    pub fn new(parsed: Parsed) -> Result<Self, String> {
        let mut values = parsed.values;
        let why = flags::defaults::fill(&mut values)?;
        let source = source_of(&values)?;
        Ok(Request { values, why, source })
    }

    /// A built-in dataset's facts, known without loading it (`None` for own data).
    pub fn builtin_facts(&self) -> Option<DataFacts> {
        match &self.source {
            DataSource::Builtin(name) => {
                let limit = self.values.get("train_limit").and_then(Value::as_u64).map(|l| l as usize);
                Some(DataFacts::builtin(*name, limit))
            }
            DataSource::Files(_) => None,
        }
    }

    /// How the data is loaded and split (seed, `--train_limit`, `--data_dir`).
    pub fn load_options(&self) -> LoadOptions {
        let limit = self.values.get("train_limit").and_then(Value::as_u64).map(|l| l as usize);
        let seed = self.values.get("seed").and_then(Value::as_u64).unwrap_or(0);
        let data_dir = self.values.get("data_dir").and_then(Value::as_str).map(String::from);
        load_options(seed, limit, data_dir.as_deref())
    }

    /// The configuration for data with `facts`: its defaults and its run name.
    pub fn resolve(mut self, facts: &DataFacts) -> Result<TrainConfig, String> {
        self.why.extend(flags::defaults::resolve(&mut self.values, facts));
        let values = self.values.clone();
        let mut config = TrainConfig::from_values(self.values).map_err(|e| format!("invalid configuration: {e}"))?;
        config.data_defaults = self.why;
        if config.run_name.is_none() {
            config.run_name = Some(derived_run_name(&values, facts, &self.source));
        }
        Ok(config)
    }
}

/// How every run loads and splits its data.
fn load_options(seed: u64, train_limit: Option<usize>, data_dir: Option<&str>) -> LoadOptions {
    LoadOptions {
        data_dir: data_dir.map(PathBuf::from),
        seed,
        validation_fraction: flags::defaults::VALIDATION_FRACTION,
        train_limit,
        allow_download: true,
    }
}

/// The data the (filled) flag values name.
fn source_of(values: &Map<String, Value>) -> Result<DataSource, String> {
    let text = |long: &str| values.get(long).and_then(Value::as_str).map(str::to_string);
    let Some(data) = text("data") else {
        let name = text("dataset").and_then(|d| DatasetName::from_name(&d)).unwrap_or(DatasetName::FashionMnist);
        let own_only = [
            "labels",
            "test_data",
            "test_labels",
            "label_column",
            "delimiter",
            "no_header",
            "image_size",
            "channels",
            "test_fraction",
        ];
        let given = |v: &Value| !v.is_null() && *v != Value::Bool(false);
        if let Some(flag) = own_only.iter().find(|f| values.get(**f).is_some_and(given)) {
            return Err(format!("--{flag} is an option of --data (your own data); -d {name} needs none"));
        }
        return Ok(DataSource::Builtin(name));
    };
    let mut source = FileSource::new(data);
    source.labels = text("labels").map(PathBuf::from);
    source.test_data = text("test_data").map(PathBuf::from);
    source.test_labels = text("test_labels").map(PathBuf::from);
    source.label_column = text("label_column");
    source.delimiter =
        text("delimiter").map(|d| data::parse_delimiter(&d)).transpose().map_err(|e| format!("--delimiter: {e}"))?;
    source.no_header = values.get("no_header").and_then(Value::as_bool).unwrap_or(false);
    source.image_size =
        text("image_size").map(|s| ImageSize::parse(&s)).transpose().map_err(|e| format!("--image_size: {e}"))?;
    source.channels = values.get("channels").and_then(Value::as_u64).map(|c| c as usize);
    if let Some(f) = values.get("test_fraction").and_then(Value::as_f64) {
        source.test_fraction = f as f32;
    }
    Ok(DataSource::Files(source))
}

fn f32_precision() -> Precision {
    Precision::F32
}

impl TrainConfig {
    pub fn from_values(values: Map<String, Value>) -> Result<Self, serde_json::Error> {
        serde_json::from_value(Value::Object(values))
    }

    /// The defaults of the flag table for Fashion-MNIST.
    pub fn defaults() -> Self {
        let request = Request::new(Parsed::default()).expect("no flags given");
        let facts = request.builtin_facts().expect("the default data is a built-in dataset");
        request.resolve(&facts).expect("the flag table's defaults are valid")
    }

    /// The data this configuration trains on.
    pub fn source(&self) -> Result<DataSource, String> {
        let values = match serde_json::to_value(self) {
            Ok(Value::Object(values)) => values,
            _ => unreachable!("a struct serialises to an object"),
        };
        source_of(&values)
    }

    /// How the data is loaded and split (seed, `--train_limit`, `--data_dir`).
    pub fn load_options(&self) -> LoadOptions {
        load_options(self.seed, self.train_limit, self.data_dir.as_deref())
    }

    /// Checks what the per-flag ranges cannot: that the model fits in memory
    /// (an allocation failure aborts with a trace instead of an error) and
    /// that the run name cannot escape `runs/`.
    pub fn validate(&self, facts: &DataFacts) -> Result<(), String> {
        if self.num_layers > MAX_HIDDEN_LAYERS {
            return Err(format!(
                "--num_layers {} is too large: it must be at most {MAX_HIDDEN_LAYERS}",
                self.num_layers
            ));
        }
        let bytes = self.estimated_memory_bytes(facts);
        if bytes > MEMORY_LIMIT_BYTES {
            return Err(format!(
                "this model needs about {:.1} GiB of memory ({} inputs, --num_layers {} --hidden_size {} \
                 --batch_size {}); the limit is {:.0} GiB: choose smaller values",
                bytes / GIB,
                facts.inputs,
                self.num_layers,
                self.hidden_size,
                self.batch_size,
                MEMORY_LIMIT_BYTES / GIB
            ));
        }
        if let Some(name) = &self.run_name {
            let bad = name.is_empty()
                || name == "."
                || name == ".."
                || name.chars().any(|c| c == '/' || c == '\\' || c.is_control());
            if bad {
                return Err(format!(
                    "--run_name {name:?} is not usable as a folder name: use letters, digits, '_', '-' and '.', \
                     without '/' (put the run elsewhere with --output_dir)"
                ));
            }
        }
        Ok(())
    }

    /// Weights, gradients, optimizer state (at most three slots) and the
    /// checkpoint copy, plus activations for the largest batch; in
    /// f64 so absurd sizes cannot overflow the estimate itself.
    fn estimated_memory_bytes(&self, facts: &DataFacts) -> f64 {
        let (layers, width) = (self.num_layers as f64, self.hidden_size as f64);
        let (input, classes) = (facts.inputs as f64, facts.classes as f64);
        let params = if self.num_layers == 0 {
            (input + 1.0) * classes
        } else {
            (input + 1.0) * width + (layers - 1.0) * (width + 1.0) * width + (width + 1.0) * classes
        };
        let max_batch = self.batch_size.max(1000) as f64;
        // Four values per unit and row; dropout keeps two more (mask, kept value) per hidden unit.
        let hidden_share = if self.dropout > 0.0 { 6.0 / 4.0 } else { 1.0 };
        let activations = max_batch * (input + hidden_share * layers * width + classes) * 4.0;
        4.0 * (params * 6.0 + activations)
    }

    /// The augmentation flags.
    pub fn augment(&self) -> crate::data::Augment {
        crate::data::Augment {
            shift: self.shift,
            rotate: self.rotate as f32,
            zoom: self.zoom as f32,
            elastic: self.elastic as f32,
            flip: self.flip as f32,
            erase: self.erase as f32,
        }
    }

    /// `[inputs, hidden…, classes]`.
    pub fn sizes(&self, inputs: usize, classes: usize) -> Vec<usize> {
        let mut sizes = vec![inputs];
        sizes.extend(std::iter::repeat_n(self.hidden_size, self.num_layers));
        sizes.push(classes);
        sizes
    }

    /// The hyper-parameters as a JSON object (what wandb shows as the run config).
    pub fn hyper_values(&self) -> Map<String, Value> {
        let all = serde_json::to_value(self).expect("config serialises");
        let Value::Object(all) = all else { unreachable!("a struct serialises to an object") };
        all.into_iter()
            .filter(|(k, _)| crate::flags::flag(k).is_some_and(|f| f.hyper || k.starts_with("wandb_")))
            .collect()
    }

    /// The `train` command line that reproduces this configuration.
    pub fn command_line(&self) -> String {
        let defaults = Self::defaults();
        let (mine, theirs) = (self.hyper_values(), defaults.hyper_values());
        let mut cmd = String::from("train");
        for f in crate::flags::FLAGS {
            if let (Some(a), Some(b)) = (mine.get(f.long), theirs.get(f.long))
                && a != b
                && !a.is_null()
            {
                let shown = match a {
                    Value::String(s) => s.clone(),
                    Value::Bool(true) => {
                        cmd.push_str(&format!(" --{}", f.long));
                        continue;
                    }
                    other => other.to_string(),
                };
                cmd.push_str(&format!(" --{} {shown}", f.long));
            }
        }
        cmd
    }

    /// The ffn-only extras that are on (`lr_schedule cosine`, …), each with its value.
    pub fn extras_on(&self) -> Vec<String> {
        let values = self.hyper_values();
        FLAGS
            .iter()
            .filter_map(|f| {
                let off = flags::check(f.kind, f.extra?).ok()?;
                let value = values.get(f.long)?;
                let same = match (value.as_f64(), off.as_f64()) {
                    (Some(a), Some(b)) => a == b,
                    _ => *value == off,
                };
                let shown = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), compact),
                    other => other.to_string(),
                };
                (!same).then(|| format!("{} {shown}", f.long))
            })
            .collect()
    }
}

/// The settings a run name shows when they differ from their default, with
/// their tags (`_ep_5`); the loss by its initials (`_mse`), the schedule by name.
const NAMED_WHEN_CHANGED: &[(&str, &str)] = &[
    ("loss", ""),
    ("epochs", "ep"),
    ("weight_decay", "wd"),
    ("weight_init", "wi"),
    ("lr_schedule", ""),
    ("label_smoothing", "ls"),
    ("dropout", "do"),
    ("shift", "sh"),
    ("rotate", "rot"),
    ("zoom", "zm"),
    ("elastic", "el"),
    ("flip", "fl"),
    ("erase", "er"),
    ("pixel_scaling", "px"),
    ("precision", ""),
];

/// A name that says what the run is, e.g. `hl_4_sz_128_bs_16_ac_ReLU_o_rmsprop_lr_0.0001`:
/// the data first unless it is Fashion-MNIST (`mnist_…`, or the file's stem for
/// own data), then the settings of [`NAMED_WHEN_CHANGED`] that differ from their
/// default for this data.
fn derived_run_name(values: &Map<String, Value>, facts: &DataFacts, source: &DataSource) -> String {
    let get = |k: &str| values.get(k).cloned().unwrap_or(Value::Null);
    let text = |k: &str| match get(k) {
        Value::String(s) => s,
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), compact),
        other => other.to_string(),
    };
    let mut name = format!(
        "hl_{}_sz_{}_bs_{}_ac_{}_o_{}_lr_{}",
        text("num_layers"),
        text("hidden_size"),
        text("batch_size"),
        text("activation"),
        text("optimizer"),
        text("learning_rate")
    );
    match source {
        DataSource::Builtin(DatasetName::FashionMnist) => {}
        DataSource::Builtin(other) => name = format!("{other}_{name}"),
        DataSource::Files(files) => name = format!("{}_{name}", data_name(&files.data)),
    }
    for (long, tag) in NAMED_WHEN_CHANGED {
        let f = flags::flag(long).expect("a flag of the table");
        let (mine, default) = (get(long), flags::defaults::default_in(f, values, facts));
        let same = match (mine.as_f64(), default.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => mine == default,
        };
        if same {
            continue;
        }
        let shown = if *long == "loss" { initials(&text(long)) } else { text(long) };
        name.push_str(&if tag.is_empty() { format!("_{shown}") } else { format!("_{tag}_{shown}") });
    }
    name
}

/// `mean_squared_error` → `mse`.
fn initials(name: &str) -> String {
    name.split('_').filter_map(|w| w.chars().next()).collect()
}

/// The stem of a data file or folder, as a run name shows it: `sensors` for
/// `data/sensors.csv.gz`, letters, digits, `-` and `_` only.
fn data_name(path: &Path) -> String {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
    let stem = file.strip_suffix(".gz").unwrap_or(&file);
    let stem = match stem.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() && !path.is_dir() => s,
        _ => stem,
    };
    let clean: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if clean.is_empty() { "data".into() } else { clean }
}

/// A number as a run name shows it: plain (`0.0001`) unless that would be
/// long, then in exponent form (`1e30`, `1e-7`).
fn compact(value: f64) -> String {
    let magnitude = value.abs();
    if value != 0.0 && !(1e-5..1e6).contains(&magnitude) { format!("{value:e}") } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::DataFacts;

    fn config(args: &[&str]) -> TrainConfig {
        let matches = flags::command().get_matches_from(flags::translate_args(
            std::iter::once("train").chain(args.iter().copied()).map(String::from),
        ));
        let request = Request::new(flags::parse_args(&matches)).expect("valid flags");
        let facts =
            request.builtin_facts().unwrap_or(DataFacts { dataset: None, train_rows: 1000, inputs: 64, classes: 10 });
        request.resolve(&facts).expect("resolves")
    }

    #[test]
    fn run_names_show_extreme_numbers_in_exponent_form() {
        for (lr, shown) in [("1e30", "lr_1e30"), ("1e-7", "lr_1e-7"), ("0.0001", "lr_0.0001"), ("0.5", "lr_0.5")] {
            let name = config(&["-lr", lr]).run_name.unwrap();
            assert!(name.ends_with(shown), "{lr}: {name}");
        }
        let name = config(&["-w_d", "0.0005"]).run_name.unwrap();
        assert!(name.ends_with("_wd_0.0005"), "{name}");
    }

    #[test]
    fn run_names_show_the_data_and_the_changed_settings() {
        assert_eq!(config(&[]).run_name.unwrap(), "hl_2_sz_1024_bs_256_ac_ReLU_o_adam_lr_0.001");
        let name = config(&["-d", "mnist", "-l", "mean_squared_error", "-e", "3", "--dropout", "0"]).run_name.unwrap();
        assert_eq!(name, "mnist_hl_2_sz_768_bs_256_ac_ReLU_o_adam_lr_0.001_mse_ep_3_do_0");
        let name = config(&["--data", "some/where/sensors.csv.gz"]).run_name.unwrap();
        assert!(name.starts_with("sensors_hl_"), "{name}");
        // Under --no_extras the extras' default is off: off is not a change.
        let name = config(&["--no_extras"]).run_name.unwrap();
        assert_eq!(name, "hl_2_sz_1024_bs_256_ac_ReLU_o_adam_lr_0.001");
        // A setting is tagged when it differs from its dataset's default: `unit` pixels are MNIST's
        // default and a change on Fashion-MNIST.
        let name = config(&["-d", "mnist", "-sz", "1024", "--pixel_scaling", "unit"]).run_name.unwrap();
        assert_eq!(name, "mnist_hl_2_sz_1024_bs_256_ac_ReLU_o_adam_lr_0.001");
        let name = config(&["--pixel_scaling", "unit"]).run_name.unwrap();
        assert_eq!(name, "hl_2_sz_1024_bs_256_ac_ReLU_o_adam_lr_0.001_px_unit");
    }

    #[test]
    fn the_config_has_one_field_per_flag_and_stores_choices_by_name() {
        let config = config(&["-o", "Nesterov", "-a", "relu", "-w_i", "xavier"]);
        let Value::Object(values) = serde_json::to_value(&config).unwrap() else { panic!("an object") };
        for f in FLAGS.iter().filter(|f| f.long != "dry_run") {
            assert!(values.contains_key(f.long), "config.json lacks --{}", f.long);
        }
        assert_eq!((values["optimizer"].as_str(), values["activation"].as_str()), (Some("nag"), Some("ReLU")));
        let back: TrainConfig = serde_json::from_value(Value::Object(values)).unwrap();
        assert_eq!(back.optimizer.name, "nag");
        assert_eq!(back.weight_init.name(), "Xavier");
    }
}
