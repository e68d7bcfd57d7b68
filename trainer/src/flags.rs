//! The one table of `train` flags. It drives argument parsing (including the
//! course project's multi-letter single-dash shorts such as `-nhl` and `-w_d`,
//! which clap cannot declare), `--help`, the defaults, the run config written
//! to `config.json` / wandb, and the run name.

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

/// What a flag's value is, and how it is checked.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Text,
    /// One of the listed names; matched case-insensitively, stored as listed.
    Choice(&'static [&'static str]),
    /// A whole number `>= min` (upper bounds that depend on other flags, such
    /// as memory, are checked by `TrainConfig::validate`).
    Int {
        min: i64,
    },
    /// A finite number in `[min, max]` (`max_exclusive` makes the top open).
    Float {
        min: f64,
        max: f64,
        min_exclusive: bool,
        max_exclusive: bool,
    },
    /// A switch without a value.
    Switch,
}

#[derive(Debug)]
pub struct Flag {
    /// The long name: `--long`, the config key and the wandb config key.
    pub long: &'static str,
    /// The course project's short form, single dash, possibly several letters.
    pub short: Option<&'static str>,
    pub kind: Kind,
    /// `None` = no default (optional setting).
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// Part of the model/training configuration (as opposed to where files go).
    pub hyper: bool,
}

const POSITIVE: Kind = Kind::Float { min: 0.0, max: f64::INFINITY, min_exclusive: true, max_exclusive: true };
const NON_NEGATIVE: Kind = Kind::Float { min: 0.0, max: f64::INFINITY, min_exclusive: false, max_exclusive: true };
const UNIT_OPEN_TOP: Kind = Kind::Float { min: 0.0, max: 1.0, min_exclusive: false, max_exclusive: true };
const PROBABILITY: Kind = Kind::Float { min: 0.0, max: 1.0, min_exclusive: false, max_exclusive: false };

pub const OPTIMIZERS: &[&str] = &["sgd", "momentum", "nag", "nesterov", "rmsprop", "adam", "nadam", "eve"];
pub const ACTIVATIONS: &[&str] = &["identity", "sigmoid", "tanh", "ReLU"];
pub const LOSSES: &[&str] = &["mean_squared_error", "cross_entropy"];
pub const INITS: &[&str] = &["random", "Xavier"];
pub const DATASETS: &[&str] = &["mnist", "fashion_mnist"];
pub const SCHEDULES: &[&str] = &["constant", "cosine"];
pub const PRECISIONS: &[&str] = &["f32", "bf16"];

/// Every flag of `train`. The defaults here are the project's defaults: the
/// configuration with the best validation accuracy in our own sweep (see the
/// README, "Defaults").
pub const FLAGS: &[Flag] = &[
    Flag {
        long: "wandb_project",
        short: Some("-wp"),
        kind: Kind::Text,
        default: Some("myprojectname"),
        help: "Project name used to track experiments in Weights & Biases dashboard",
        hyper: false,
    },
    Flag {
        long: "wandb_entity",
        short: Some("-we"),
        kind: Kind::Text,
        default: Some("myname"),
        help: "Wandb Entity used to track experiments in the Weights & Biases dashboard",
        hyper: false,
    },
    Flag {
        long: "dataset",
        short: Some("-d"),
        kind: Kind::Choice(DATASETS),
        default: Some("fashion_mnist"),
        help: "Dataset to train on",
        hyper: true,
    },
    Flag {
        long: "epochs",
        short: Some("-e"),
        kind: Kind::Int { min: 1 },
        default: Some("30"),
        help: "Number of epochs to train neural network",
        hyper: true,
    },
    Flag {
        long: "batch_size",
        short: Some("-b"),
        kind: Kind::Int { min: 1 },
        default: Some("256"),
        help: "Batch size used to train neural network",
        hyper: true,
    },
    Flag {
        long: "loss",
        short: Some("-l"),
        kind: Kind::Choice(LOSSES),
        default: Some("cross_entropy"),
        help: "Loss on the softmax output",
        hyper: true,
    },
    Flag {
        long: "optimizer",
        short: Some("-o"),
        kind: Kind::Choice(OPTIMIZERS),
        default: Some("adam"),
        help: "Optimizer (nesterov = nag)",
        hyper: true,
    },
    Flag {
        long: "learning_rate",
        short: Some("-lr"),
        kind: POSITIVE,
        default: Some("0.001"),
        help: "Learning rate used to optimize model parameters",
        hyper: true,
    },
    Flag {
        long: "momentum",
        short: Some("-m"),
        kind: UNIT_OPEN_TOP,
        default: Some("0.9"),
        help: "Momentum used by momentum and nag optimizers",
        hyper: true,
    },
    Flag {
        long: "beta",
        short: Some("-beta"),
        kind: UNIT_OPEN_TOP,
        default: Some("0.9"),
        help: "Beta used by rmsprop optimizer",
        hyper: true,
    },
    Flag {
        long: "beta1",
        short: Some("-beta1"),
        kind: UNIT_OPEN_TOP,
        default: Some("0.9"),
        help: "Beta1 used by adam, nadam and eve optimizers",
        hyper: true,
    },
    Flag {
        long: "beta2",
        short: Some("-beta2"),
        kind: UNIT_OPEN_TOP,
        default: Some("0.999"),
        help: "Beta2 used by adam, nadam and eve optimizers",
        hyper: true,
    },
    Flag {
        long: "epsilon",
        short: Some("-eps"),
        kind: POSITIVE,
        default: Some("0.00000001"),
        help: "Epsilon used by optimizers",
        hyper: true,
    },
    Flag {
        long: "weight_decay",
        short: Some("-w_d"),
        kind: NON_NEGATIVE,
        default: Some("0"),
        help: "L2 weight decay: adds weight_decay*w to every weight gradient (not biases)",
        hyper: true,
    },
    Flag {
        long: "weight_init",
        short: Some("-w_i"),
        kind: Kind::Choice(INITS),
        default: Some("Xavier"),
        help: "Weight initialisation: random = N(0, 0.01^2), Xavier = Glorot uniform",
        hyper: true,
    },
    Flag {
        long: "num_layers",
        short: Some("-nhl"),
        kind: Kind::Int { min: 0 },
        default: Some("2"),
        help: "Number of hidden layers used in feedforward neural network",
        hyper: true,
    },
    Flag {
        long: "hidden_size",
        short: Some("-sz"),
        kind: Kind::Int { min: 1 },
        default: Some("768"),
        help: "Number of hidden neurons in a feedforward layer",
        hyper: true,
    },
    Flag {
        long: "activation",
        short: Some("-a"),
        kind: Kind::Choice(ACTIVATIONS),
        default: Some("ReLU"),
        help: "Activation of the hidden layers",
        hyper: true,
    },
    // ffn's extras.
    Flag {
        long: "lr_schedule",
        short: None,
        kind: Kind::Choice(SCHEDULES),
        default: Some("cosine"),
        help: "Learning-rate schedule over all steps: constant, or cosine decay to 0",
        hyper: true,
    },
    Flag {
        long: "warmup",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: Some("0.02"),
        help: "Fraction of all steps spent warming the learning rate up linearly from 0",
        hyper: true,
    },
    Flag {
        long: "label_smoothing",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: Some("0.1"),
        help: "Label smoothing: targets become (1-s)*one_hot + s/classes",
        hyper: true,
    },
    Flag {
        long: "dropout",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: Some("0.2"),
        help: "Probability of dropping each hidden unit in training (inverted dropout; evaluation keeps all)",
        hyper: true,
    },
    // Augmentation of training images (image data only: data/augment.rs).
    Flag {
        long: "shift",
        short: None,
        kind: Kind::Int { min: 0 },
        default: Some("0"),
        help: "Augmentation: shift each training image by a random whole number of pixels in -N..=N on each axis",
        hyper: true,
    },
    Flag {
        long: "rotate",
        short: None,
        kind: Kind::Float { min: 0.0, max: 180.0, min_exclusive: false, max_exclusive: false },
        default: Some("0"),
        help: "Augmentation: rotate each training image by a random angle within +-X degrees",
        hyper: true,
    },
    Flag {
        long: "zoom",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: Some("0"),
        help: "Augmentation: zoom each training image by a random factor in [1-X, 1+X]",
        hyper: true,
    },
    Flag {
        long: "elastic",
        short: None,
        kind: Kind::Float { min: 0.0, max: 10.0, min_exclusive: false, max_exclusive: false },
        default: Some("0"),
        help: "Augmentation: elastic distortion (Simard et al. 2003), a smooth random field moving pixels by about X pixels",
        hyper: true,
    },
    Flag {
        long: "flip",
        short: None,
        kind: PROBABILITY,
        default: Some("0"),
        help: "Augmentation: probability of mirroring a training image left to right",
        hyper: true,
    },
    Flag {
        long: "erase",
        short: None,
        kind: PROBABILITY,
        default: Some("0"),
        help: "Augmentation: probability of zeroing a random rectangle (2-40 % of the area) of a training image",
        hyper: true,
    },
    Flag {
        long: "seed",
        short: None,
        kind: Kind::Int { min: 0 },
        default: Some("1"),
        help: "Seed of the initial weights, the validation split and the shuffles",
        hyper: true,
    },
    Flag {
        long: "train_limit",
        short: None,
        kind: Kind::Int { min: 1 },
        default: None,
        help: "Use only the first N training samples (quick checks)",
        hyper: true,
    },
    Flag {
        long: "precision",
        short: None,
        kind: Kind::Choice(PRECISIONS),
        default: Some("f32"),
        help: "Precision of the training step's matrix products: bf16 rounds their operands to bfloat16 and sums in f32 \
               (AMX or AVX512-BF16 when the CPU has them); weights, optimizer, loss and evaluation stay f32",
        hyper: true,
    },
    Flag {
        long: "threads",
        short: None,
        kind: Kind::Int { min: 0 },
        default: Some("0"),
        help: "Threads for the matrix products (0 = all cores)",
        hyper: false,
    },
    Flag {
        long: "data_dir",
        short: None,
        kind: Kind::Text,
        default: None,
        help: "Folder holding the four gzipped IDX files (default: FFN_DATA_DIR, ../shared/data, /usr/share/datasets, ~/.keras/datasets)",
        hyper: false,
    },
    Flag {
        long: "output_dir",
        short: None,
        kind: Kind::Text,
        default: None,
        help: "Run folder (default: runs/<run name>)",
        hyper: false,
    },
    Flag {
        long: "run_name",
        short: None,
        kind: Kind::Text,
        default: None,
        help: "Run name (default: derived from the configuration)",
        hyper: false,
    },
    Flag {
        long: "wandb_group",
        short: None,
        kind: Kind::Text,
        default: None,
        help: "Weights & Biases group (sweeps set it)",
        hyper: false,
    },
    Flag {
        long: "wandb_sweep_id",
        short: None,
        kind: Kind::Text,
        default: None,
        help: "Weights & Biases sweep id (default: WANDB_SWEEP_ID)",
        hyper: false,
    },
    Flag {
        long: "no-wandb",
        short: None,
        kind: Kind::Switch,
        default: None,
        help: "Do not write a Weights & Biases run (also: WANDB_MODE=disabled)",
        hyper: false,
    },
    Flag {
        long: "dry_run",
        short: None,
        kind: Kind::Switch,
        default: None,
        help: "Print the resolved configuration as JSON and exit without training",
        hyper: false,
    },
    Flag {
        long: "resume",
        short: None,
        kind: Kind::Text,
        default: None,
        help: "Continue the interrupted run in this run folder from its last checkpoint",
        hyper: false,
    },
];

pub fn flag(long: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.long == long)
}

/// Rewrites the course project's single-dash shorts (`-nhl 3`, `-w_d=0.5`)
/// to long flags. A value given as the next argument is joined to its flag
/// (`--learning_rate=-1e-8`), so clap never mistakes a value that starts with
/// `-` for a flag.
pub fn translate_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut takes_value: Option<&'static Flag> = None;
    for arg in args {
        if let Some(f) = takes_value.take() {
            out.push(format!("--{}={arg}", f.long));
            continue;
        }
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (arg.as_str(), None),
        };
        let found = name.strip_prefix("--").map_or_else(|| FLAGS.iter().find(|f| f.short == Some(name)), flag);
        match (found, value) {
            (Some(f), Some(v)) => out.push(format!("--{}={v}", f.long)),
            (Some(f), None) if matches!(f.kind, Kind::Switch) => out.push(format!("--{}", f.long)),
            (Some(f), None) => takes_value = Some(f),
            (None, _) => out.push(arg),
        }
    }
    // A flag at the end without its value: clap says a value is required.
    if let Some(f) = takes_value {
        out.push(format!("--{}", f.long));
    }
    out
}

fn check(kind: Kind, raw: &str) -> Result<Value, String> {
    match kind {
        Kind::Text => Ok(Value::String(raw.to_string())),
        Kind::Switch => Ok(Value::Bool(true)),
        Kind::Choice(names) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(raw))
            .map(|n| Value::String(canonical_choice(n).to_string()))
            .ok_or_else(|| format!("'{raw}' is not one of: {}", names.join(", "))),
        Kind::Int { min } => {
            let v: i64 = raw.trim().parse().map_err(|_| format!("'{raw}' is not a whole number"))?;
            if v < min {
                return Err(format!("{v} is too small: it must be at least {min}"));
            }
            Ok(Value::from(v))
        }
        Kind::Float { min, max, min_exclusive, max_exclusive } => {
            let v: f64 = raw.trim().parse().map_err(|_| format!("'{raw}' is not a number"))?;
            let low_ok = if min_exclusive { v > min } else { v >= min };
            let high_ok = if max_exclusive { v < max } else { v <= max };
            if !v.is_finite() || !low_ok || !high_ok {
                let low = if min_exclusive { "(" } else { "[" };
                let high = if max_exclusive { ")" } else { "]" };
                return Err(format!("{raw} is out of range: it must be a finite number in {low}{min}, {max}{high}"));
            }
            Ok(Value::from(v))
        }
    }
}

/// `nesterov` is an alias: it is stored as `nag` so configs and names agree.
fn canonical_choice(name: &'static str) -> &'static str {
    if name == "nesterov" { "nag" } else { name }
}

/// The clap command built from [`FLAGS`].
pub fn command() -> Command {
    let mut cmd = Command::new("train")
        .about("Train a feed-forward network on Fashion-MNIST or MNIST (ffn)")
        .version(env!("CARGO_PKG_VERSION"))
        .after_help(
            "Short forms are the course project's: -wp -we -d -e -b -l -o -lr -m -beta -beta1 -beta2 -eps -w_d -w_i -nhl -sz -a.\n\
             --flag value and --flag=value both work.",
        );
    for f in FLAGS {
        let mut arg = Arg::new(f.long).long(f.long);
        let help = match (f.short, f.default) {
            (Some(s), Some(d)) => format!("[{s}] {} [default: {d}]", f.help),
            (Some(s), None) => format!("[{s}] {}", f.help),
            (None, Some(d)) if !matches!(f.kind, Kind::Switch) => format!("{} [default: {d}]", f.help),
            _ => f.help.to_string(),
        };
        arg = arg.help(help);
        arg = match f.kind {
            Kind::Switch => arg.action(ArgAction::SetTrue),
            kind => {
                let value_name = match kind {
                    Kind::Choice(names) => names.join("|"),
                    Kind::Int { .. } => "N".into(),
                    Kind::Float { .. } => "X".into(),
                    _ => "VALUE".into(),
                };
                arg.value_name(value_name)
                    .allow_negative_numbers(true)
                    .value_parser(move |raw: &str| check(kind, raw).map(|_| raw.to_string()))
            }
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// The parsed flags as a JSON object keyed by long name, defaults filled in.
pub fn to_values(matches: &ArgMatches) -> Map<String, Value> {
    let mut map = Map::new();
    for f in FLAGS {
        let value = match f.kind {
            Kind::Switch => Some(Value::Bool(matches.get_flag(f.long))),
            kind => matches
                .get_one::<String>(f.long)
                .map(String::as_str)
                .or(f.default)
                .map(|raw| check(kind, raw).expect("validated by clap or a valid default")),
        };
        map.insert(f.long.to_string(), value.unwrap_or(Value::Null));
    }
    map
}

/// Which flags the user gave explicitly (for `--resume` checks).
pub fn given(matches: &ArgMatches) -> Vec<&'static str> {
    FLAGS
        .iter()
        .filter(|f| matches.value_source(f.long) == Some(clap::parser::ValueSource::CommandLine))
        .map(|f| f.long)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_passes_its_own_check() {
        for f in FLAGS {
            if let Some(d) = f.default {
                assert!(check(f.kind, d).is_ok(), "default of --{} is invalid", f.long);
            }
        }
    }

    #[test]
    fn shorts_are_unique_and_translate() {
        for f in FLAGS {
            if let Some(s) = f.short {
                assert_eq!(FLAGS.iter().filter(|g| g.short == Some(s)).count(), 1);
                let out = translate_args([s.to_string(), "7".to_string()]);
                assert_eq!(out, vec![format!("--{}=7", f.long)]);
                let out = translate_args([format!("{s}=7")]);
                assert_eq!(out, vec![format!("--{}=7", f.long)]);
            }
        }
    }

    #[test]
    fn values_that_look_like_flags_are_left_alone() {
        let out = translate_args(["-lr".into(), "-e".into(), "-e".into(), "3".into(), "-eps".into()]);
        assert_eq!(out, vec!["--learning_rate=-e", "--epochs=3", "--epsilon"]);
    }
}
