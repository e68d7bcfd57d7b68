//! A run's resolved configuration: the flags of [`crate::flags::FLAGS`] with
//! defaults filled in, as written to `config.json` and the wandb run.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const GIB: f64 = (1u64 << 30) as f64;
/// Above this a run is refused up front (see [`TrainConfig::validate`]).
const MEMORY_LIMIT_BYTES: f64 = 8.0 * GIB;
/// Far beyond what trains on 28×28 images; bounds per-layer bookkeeping.
const MAX_HIDDEN_LAYERS: usize = 1000;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrainConfig {
    pub wandb_project: String,
    pub wandb_entity: String,
    pub dataset: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub loss: String,
    pub optimizer: String,
    pub learning_rate: f64,
    pub momentum: f64,
    pub beta: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
    pub weight_decay: f64,
    pub weight_init: String,
    pub num_layers: usize,
    pub hidden_size: usize,
    pub activation: String,
    pub lr_schedule: String,
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
    pub seed: u64,
    pub train_limit: Option<usize>,
    /// Absent from run folders written before the flag existed: those trained in f32.
    #[serde(default = "f32_precision")]
    pub precision: String,
    /// The bf16 kernel level a `--precision bf16` run multiplies with
    /// (`amx`, `avx512_bf16` or `f32`, the latter two giving the same bits);
    /// not a flag: recorded at the start and kept by `--resume`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bf16_level: Option<String>,
    pub threads: usize,
    pub data_dir: Option<String>,
    pub output_dir: Option<String>,
    pub run_name: Option<String>,
    pub wandb_group: Option<String>,
    pub wandb_sweep_id: Option<String>,
    #[serde(rename = "no-wandb")]
    pub no_wandb: bool,
    pub resume: Option<String>,
}

fn f32_precision() -> String {
    "f32".into()
}

impl TrainConfig {
    pub fn from_values(values: Map<String, Value>) -> Result<Self, serde_json::Error> {
        serde_json::from_value(Value::Object(values))
    }

    /// The defaults of the flag table.
    pub fn defaults() -> Self {
        let matches = crate::flags::command().get_matches_from(["train"]);
        Self::from_values(crate::flags::to_values(&matches)).expect("the flag table's defaults are valid")
    }

    /// Checks what the per-flag ranges cannot: that the model fits in memory
    /// (an allocation failure aborts with a trace instead of an error) and
    /// that the run name cannot escape `runs/`.
    pub fn validate(&self) -> Result<(), String> {
        if self.num_layers > MAX_HIDDEN_LAYERS {
            return Err(format!(
                "--num_layers {} is too large: it must be at most {MAX_HIDDEN_LAYERS}",
                self.num_layers
            ));
        }
        let bytes = self.estimated_memory_bytes();
        if bytes > MEMORY_LIMIT_BYTES {
            return Err(format!(
                "this model needs about {:.1} GiB of memory (--num_layers {} --hidden_size {} --batch_size {}); \
                 the limit is {:.0} GiB: choose smaller values",
                bytes / GIB,
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
    fn estimated_memory_bytes(&self) -> f64 {
        let (layers, width) = (self.num_layers as f64, self.hidden_size as f64);
        let (input, classes) = (crate::data::IMAGE_LEN as f64, crate::data::CLASSES as f64);
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

    /// `[784, hidden…, 10]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![crate::data::IMAGE_LEN];
        sizes.extend(std::iter::repeat_n(self.hidden_size, self.num_layers));
        sizes.push(crate::data::CLASSES);
        sizes
    }

    /// A name that says what the run is, e.g. `hl_4_sz_128_bs_16_ac_ReLU_o_rmsprop_lr_0.0001`;
    /// settings that differ from the defaults and matter are appended.
    pub fn derived_run_name(&self) -> String {
        let mut name = format!(
            "hl_{}_sz_{}_bs_{}_ac_{}_o_{}_lr_{}",
            self.num_layers,
            self.hidden_size,
            self.batch_size,
            self.activation,
            self.optimizer,
            compact(self.learning_rate)
        );
        let defaults = Self::defaults();
        if self.dataset != defaults.dataset {
            name = format!("{}_{name}", self.dataset);
        }
        if self.loss != defaults.loss {
            name.push_str(if self.loss == "mean_squared_error" { "_mse" } else { "_ce" });
        }
        if self.epochs != defaults.epochs {
            name.push_str(&format!("_ep_{}", self.epochs));
        }
        if self.weight_decay != defaults.weight_decay {
            name.push_str(&format!("_wd_{}", compact(self.weight_decay)));
        }
        if self.weight_init != defaults.weight_init {
            name.push_str(&format!("_wi_{}", self.weight_init));
        }
        if self.lr_schedule != defaults.lr_schedule {
            name.push_str(&format!("_{}", self.lr_schedule));
        }
        if self.label_smoothing != defaults.label_smoothing {
            name.push_str(&format!("_ls_{}", self.label_smoothing));
        }
        if self.dropout != defaults.dropout {
            name.push_str(&format!("_do_{}", self.dropout));
        }
        if self.shift != defaults.shift {
            name.push_str(&format!("_sh_{}", self.shift));
        }
        for (tag, mine, theirs) in [
            ("rot", self.rotate, defaults.rotate),
            ("zm", self.zoom, defaults.zoom),
            ("el", self.elastic, defaults.elastic),
            ("fl", self.flip, defaults.flip),
            ("er", self.erase, defaults.erase),
        ] {
            if mine != theirs {
                name.push_str(&format!("_{tag}_{mine}"));
            }
        }
        if self.precision != defaults.precision {
            name.push_str(&format!("_{}", self.precision));
        }
        name
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
                    other => other.to_string(),
                };
                cmd.push_str(&format!(" --{} {shown}", f.long));
            }
        }
        cmd
    }
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

    #[test]
    fn run_names_show_extreme_numbers_in_exponent_form() {
        let mut config = TrainConfig::defaults();
        for (lr, shown) in [(1e30, "lr_1e30"), (1e-7, "lr_1e-7"), (0.0001, "lr_0.0001"), (0.5, "lr_0.5")] {
            config.learning_rate = lr;
            assert!(config.derived_run_name().ends_with(shown), "{lr}: {}", config.derived_run_name());
        }
        config.learning_rate = 0.001;
        config.weight_decay = 0.0005;
        assert!(config.derived_run_name().ends_with("_wd_0.0005"), "{}", config.derived_run_name());
    }
}
