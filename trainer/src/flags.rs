//! The one table of `train` flags. It drives argument parsing (including the
//! course project's multi-letter single-dash shorts such as `-nhl` and `-w_d`,
//! which clap cannot declare), `--help`, the defaults (some depend on the data:
//! [`defaults`]), the run config written to `config.json` / wandb, and the run
//! name. The values of choice flags come from their registries ([`choices`]).

pub mod choices;
pub mod defaults;
pub mod own_data;
mod parse;
pub mod recipes;

pub use defaults::{DataFacts, DataRule, DefaultRule, SizeRule, to_values};
pub use parse::{Parsed, check, command, given, parse_args, translate_args};

use choices::Choices;

/// What a flag's value is, and how it is checked.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Text,
    /// One of a registry's names or aliases; matched case-insensitively, stored
    /// as the canonical name.
    Choice(Choices),
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
    /// How the default is found: none (optional setting), one value, or a rule on the data.
    pub default: DefaultRule,
    pub help: &'static str,
    /// Part of the model/training configuration (as opposed to where files go).
    pub hyper: bool,
    /// An ffn-only extra the course project did not have: the value that turns it
    /// off (what `--no_extras` makes its default).
    pub extra: Option<&'static str>,
}

const POSITIVE: Kind = Kind::Float { min: 0.0, max: f64::INFINITY, min_exclusive: true, max_exclusive: true };
const NON_NEGATIVE: Kind = Kind::Float { min: 0.0, max: f64::INFINITY, min_exclusive: false, max_exclusive: true };
const UNIT_OPEN_TOP: Kind = Kind::Float { min: 0.0, max: 1.0, min_exclusive: false, max_exclusive: true };
const OPEN_UNIT: Kind = Kind::Float { min: 0.0, max: 1.0, min_exclusive: true, max_exclusive: true };
const PROBABILITY: Kind = Kind::Float { min: 0.0, max: 1.0, min_exclusive: false, max_exclusive: false };

/// Every flag of `train`. The defaults here are the project's defaults: for the
/// built-in datasets the configuration with the best validation accuracy in our
/// own sweeps (see the README, "Defaults"); MNIST has a recipe of its own for
/// a few flags ([`recipes`]); own data derives its epochs, batch size and width
/// from its size ([`own_data`]).
pub const FLAGS: &[Flag] = &[
    Flag {
        long: "wandb_project",
        short: Some("-wp"),
        kind: Kind::Text,
        default: DefaultRule::Value("myprojectname"),
        help: "Project name used to track experiments in Weights & Biases dashboard",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "wandb_entity",
        short: Some("-we"),
        kind: Kind::Text,
        default: DefaultRule::Value("myname"),
        help: "Wandb Entity used to track experiments in the Weights & Biases dashboard",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "dataset",
        short: Some("-d"),
        kind: Kind::Choice(choices::DATASET),
        default: DefaultRule::Value("fashion_mnist"),
        help: "Built-in dataset to train on (or your own with --data)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "epochs",
        short: Some("-e"),
        kind: Kind::Int { min: 1 },
        default: DefaultRule::Data(&own_data::EPOCHS),
        help: "Number of epochs to train neural network",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "batch_size",
        short: Some("-b"),
        kind: Kind::Int { min: 1 },
        default: DefaultRule::Data(&own_data::BATCH_SIZE),
        help: "Batch size used to train neural network",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "loss",
        short: Some("-l"),
        kind: Kind::Choice(choices::LOSS),
        default: DefaultRule::Value("cross_entropy"),
        help: "Loss on the softmax output",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "optimizer",
        short: Some("-o"),
        kind: Kind::Choice(choices::OPTIMIZER),
        default: DefaultRule::Value("adam"),
        help: "Optimizer",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "learning_rate",
        short: Some("-lr"),
        kind: POSITIVE,
        default: DefaultRule::Value("0.001"),
        help: "Learning rate used to optimize model parameters",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "momentum",
        short: Some("-m"),
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Value("0.9"),
        help: "Momentum used by momentum and nag optimizers",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "beta",
        short: Some("-beta"),
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Value("0.9"),
        help: "Beta used by rmsprop optimizer",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "beta1",
        short: Some("-beta1"),
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Value("0.9"),
        help: "Beta1 used by adam-like optimizers",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "beta2",
        short: Some("-beta2"),
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Value("0.999"),
        help: "Beta2 used by adam-like optimizers",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "epsilon",
        short: Some("-eps"),
        kind: POSITIVE,
        default: DefaultRule::Value("0.00000001"),
        help: "Epsilon used by optimizers",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "weight_decay",
        short: Some("-w_d"),
        kind: NON_NEGATIVE,
        default: DefaultRule::Value("0"),
        help: "L2 weight decay: adds weight_decay*w to every weight gradient (not biases)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "weight_init",
        short: Some("-w_i"),
        kind: Kind::Choice(choices::WEIGHT_INIT),
        default: DefaultRule::Value("Xavier"),
        help: "Weight initialisation (biases start at 0)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "num_layers",
        short: Some("-nhl"),
        kind: Kind::Int { min: 0 },
        default: DefaultRule::Value("2"),
        help: "Number of hidden layers used in feedforward neural network",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "hidden_size",
        short: Some("-sz"),
        kind: Kind::Int { min: 1 },
        default: DefaultRule::Data(&own_data::HIDDEN_SIZE),
        help: "Number of hidden neurons in a feedforward layer",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "activation",
        short: Some("-a"),
        kind: Kind::Choice(choices::ACTIVATION),
        default: DefaultRule::Value("ReLU"),
        help: "Activation of the hidden layers",
        hyper: true,
        extra: None,
    },
    // ffn's extras.
    Flag {
        long: "lr_schedule",
        short: None,
        kind: Kind::Choice(choices::LR_SCHEDULE),
        default: DefaultRule::Value("cosine"),
        help: "Learning-rate schedule over all steps",
        hyper: true,
        extra: Some("constant"),
    },
    Flag {
        long: "warmup",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Value("0.02"),
        help: "Fraction of all steps spent warming the learning rate up linearly from 0",
        hyper: true,
        extra: Some("0"),
    },
    Flag {
        long: "label_smoothing",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Value("0.1"),
        help: "Label smoothing: targets become (1-s)*one_hot + s/classes",
        hyper: true,
        extra: Some("0"),
    },
    Flag {
        long: "dropout",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Data(&recipes::DROPOUT),
        help: "Probability of dropping each hidden unit in training (inverted dropout; evaluation keeps all)",
        hyper: true,
        extra: Some("0"),
    },
    Flag {
        long: "pixel_scaling",
        short: None,
        kind: Kind::Choice(choices::PIXEL_SCALING),
        default: DefaultRule::Data(&recipes::PIXEL_SCALING),
        help: "How 8-bit inputs (image pixels) reach the network (float data is always standardised)",
        hyper: true,
        extra: Some("unit"),
    },
    // Augmentation of training images (image data only: data/augment.rs).
    Flag {
        long: "shift",
        short: None,
        kind: Kind::Int { min: 0 },
        default: DefaultRule::Data(&recipes::SHIFT),
        help: "Augmentation: shift each training image by a random whole number of pixels in -N..=N on each axis",
        hyper: true,
        extra: Some("0"),
    },
    Flag {
        long: "rotate",
        short: None,
        kind: Kind::Float { min: 0.0, max: 180.0, min_exclusive: false, max_exclusive: false },
        default: DefaultRule::Value("0"),
        help: "Augmentation: rotate each training image by a random angle within +-X degrees",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "zoom",
        short: None,
        kind: UNIT_OPEN_TOP,
        default: DefaultRule::Value("0"),
        help: "Augmentation: zoom each training image by a random factor in [1-X, 1+X]",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "elastic",
        short: None,
        kind: Kind::Float { min: 0.0, max: 10.0, min_exclusive: false, max_exclusive: false },
        default: DefaultRule::Value("0"),
        help: "Augmentation: elastic distortion (Simard et al. 2003), a smooth random field moving pixels by about X pixels",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "flip",
        short: None,
        kind: PROBABILITY,
        default: DefaultRule::Value("0"),
        help: "Augmentation: probability of mirroring a training image left to right",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "erase",
        short: None,
        kind: PROBABILITY,
        default: DefaultRule::Value("0"),
        help: "Augmentation: probability of zeroing a random rectangle (2-40 % of the area) of a training image",
        hyper: true,
        extra: None,
    },
    // Own data (data::FileSource), instead of -d.
    Flag {
        long: "data",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Your own data instead of -d: a CSV/TSV table (optionally .gz), .npy (with --labels), .npz, IDX file (with --labels) or image folder ROOT/<class>/*.png|jpg",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "labels",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "The labels of a .npy or IDX --data file (one per sample)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "test_data",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "A test set in the form of --data (default: a stratified hold-out of --data, see --test_fraction)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "test_labels",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "The labels of a .npy or IDX --test_data file",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "label_column",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "The label column of a table, by name or 0-based index (default: label, class, target or y, else the last)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "delimiter",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "The delimiter of a table: one character, or tab, comma, semicolon, pipe, space (default: detected)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "no_header",
        short: None,
        kind: Kind::Switch,
        default: DefaultRule::None,
        help: "The table's first row is data, not column names (default: detected)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "image_size",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Resize every image of an image folder to HxW, e.g. 32x32 (needed when sizes differ)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "channels",
        short: None,
        kind: Kind::Int { min: 1 },
        default: DefaultRule::None,
        help: "Read images with 1 (grey) or 3 (RGB) channels (default: 1 when every image is grey)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "test_fraction",
        short: None,
        kind: OPEN_UNIT,
        default: DefaultRule::Value("0.2"),
        help: "Without --test_data: the share of --data held out (stratified, seeded) as the test set",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "seed",
        short: None,
        kind: Kind::Int { min: 0 },
        default: DefaultRule::Value("1"),
        help: "Seed of the initial weights, the validation split and the shuffles",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "train_limit",
        short: None,
        kind: Kind::Int { min: 1 },
        default: DefaultRule::None,
        help: "Use only the first N training samples (quick checks)",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "precision",
        short: None,
        kind: Kind::Choice(choices::PRECISION),
        default: DefaultRule::Value("f32"),
        help: "Precision of the training step's matrix products: bf16 rounds their operands to bfloat16 and sums in f32 \
               (AMX or AVX512-BF16 when the CPU has them); weights, optimizer, loss and evaluation stay f32",
        hyper: true,
        extra: None,
    },
    Flag {
        long: "threads",
        short: None,
        kind: Kind::Int { min: 0 },
        default: DefaultRule::Value("0"),
        help: "Threads for the matrix products (0 = all cores)",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "data_dir",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Folder holding -d's four gzipped IDX files (default: FFN_DATA_DIR, ../shared/data, /usr/share/datasets, ~/.keras/datasets)",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "output_dir",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Run folder (default: runs/<run name>); one that holds a run is refused unless --overwrite",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "overwrite",
        short: None,
        kind: Kind::Switch,
        default: DefaultRule::None,
        help: "When --output_dir holds a run, move it aside (to DIR.old-N) and start a new one there",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "no_extras",
        short: None,
        kind: Kind::Switch,
        default: DefaultRule::None,
        help: "Turn ffn's extras off (cosine schedule, warm-up, label smoothing, dropout, MNIST's shifts), as the course project trained; a flag given explicitly still counts",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "run_name",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Run name (default: derived from the configuration)",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "wandb_group",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Weights & Biases group (sweeps set it)",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "wandb_sweep_id",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Weights & Biases sweep id (default: WANDB_SWEEP_ID)",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "no-wandb",
        short: None,
        kind: Kind::Switch,
        default: DefaultRule::None,
        help: "Do not write a Weights & Biases run (also: WANDB_MODE=disabled)",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "dry_run",
        short: None,
        kind: Kind::Switch,
        default: DefaultRule::None,
        help: "Print the resolved configuration as JSON and exit without training",
        hyper: false,
        extra: None,
    },
    Flag {
        long: "resume",
        short: None,
        kind: Kind::Text,
        default: DefaultRule::None,
        help: "Continue the interrupted run in this run folder from its last checkpoint",
        hyper: false,
        extra: None,
    },
];

/// The augmentation flags (all off means no augmentation).
pub const AUGMENTATION: [&str; 6] = ["shift", "rotate", "zoom", "elastic", "flip", "erase"];

pub fn flag(long: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.long == long)
}
