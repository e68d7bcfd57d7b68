//! One training run, in four stages, each owning its part of the run folder:
//!
//! - `setup`: the data, the model and optimizer (fresh or from the checkpoint),
//!   then — only once all of that worked — the run folder itself (an occupied
//!   `--output_dir` is refused, or moved aside with `--overwrite`), `config.json`,
//!   `data.json` and the start of the wandb run;
//! - `epoch`: one pass over the training data and the validation score, then
//!   its record: a `metrics.jsonl` line, a wandb history row and `checkpoint.ffnck`;
//! - `evaluate`: the test set, once, at the end: `model.ffn` and `confusion.json`;
//! - `finish`: `summary.json`, the wandb summary and exit, the last console lines.

pub mod checkpoint;
mod epoch;
mod evaluate;
mod finish;
pub mod metrics;
pub mod precision;
pub mod progress;
pub mod schedule;
mod setup;
pub mod signals;

use crate::config::TrainConfig;
use crate::data::{self, Batches, Dataset};
use crate::wandb::{self, WandbRun};
use ffn_core::LossSpec;
use ffn_core::model::Model;
use ffn_core::optim::Optimizer;
use ffn_pool::Pool;
use metrics::EpochMetrics;
use signals::Signals;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Rows per forward pass when evaluating (validation/test).
pub const EVAL_BATCH: usize = 1000;
/// A sweep asks a run to stop early by creating this file in the run folder.
pub const STOP_FILE: &str = "STOP";

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    Data(#[from] data::DataError),
    #[error("{0}")]
    Wandb(#[from] wandb::WandbError),
    #[error("cannot write to the run folder {path}: {source} (choose another folder with --output_dir)")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Config(String),
}

fn output_error(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Output { path: path.to_path_buf(), source }
}

/// How a run ended; `exit_code` is the process status `train` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Finished,
    Stopped,
    Failed(String),
    Interrupted(i32),
}

impl Outcome {
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Finished | Outcome::Stopped => 0,
            Outcome::Failed(_) => 1,
            Outcome::Interrupted(code) => *code,
        }
    }

    fn state(&self) -> &'static str {
        match self {
            Outcome::Finished => "finished",
            Outcome::Stopped => "stopped",
            Outcome::Failed(_) => "failed",
            Outcome::Interrupted(_) => "interrupted",
        }
    }
}

/// Prints a line to stdout and mirrors it into the wandb run's console log.
struct Console {
    wandb: Option<WandbRun>,
}

impl Console {
    fn say(&mut self, line: &str) {
        println!("{line}");
        let _ = std::io::stdout().flush();
        if let Some(run) = self.wandb.as_mut() {
            let _ = run.output_line(line);
        }
    }
}

/// A run that has started: what every stage reads and advances.
struct Run {
    config: TrainConfig,
    dataset: Dataset,
    loss: &'static LossSpec,
    model: Model,
    optimizer: Optimizer,
    /// Each step's batch, gathered while the step before runs.
    batches: Batches,
    /// The epochs done (restored from the checkpoint when resuming).
    history: Vec<EpochMetrics>,
    /// Wall time of the run before this process (resumed runs).
    prior_seconds: f64,
    started: Instant,
    dir: PathBuf,
    console: Console,
    /// The wandb run's folder, recorded in each checkpoint so a resume continues it.
    wandb_dir: Option<String>,
    /// Test loss and accuracy, once scored.
    test: Option<(f64, f64)>,
    /// The threads every matrix product and batch gather runs on (`--threads`).
    pool: Pool,
}

impl Run {
    fn wall_seconds(&self) -> f64 {
        self.prior_seconds + self.started.elapsed().as_secs_f64()
    }
}

/// Runs `config` to the end (or resumes `config.resume`) on `dataset` (loaded
/// here when `None`). Errors are problems before the run could start, which
/// leave no run folder behind; a run that started reports how it ended
/// through [`Outcome`].
pub fn train(config: TrainConfig, dataset: Option<Dataset>, signals: &Signals) -> Result<Outcome, TrainError> {
    let started = Instant::now();
    let Some(prepared) = setup::prepare(config, dataset)? else { return Ok(Outcome::Finished) };
    let mut run = prepared.start(started)?;
    let mut outcome = Outcome::Finished;
    for epoch in run.history.len() + 1..=run.config.epochs {
        let metrics = match epoch::train(&mut run, epoch, signals) {
            Ok(metrics) => metrics,
            Err(ended) => {
                outcome = ended;
                break;
            }
        };
        let last = epoch == run.config.epochs;
        let stop_requested = run.dir.join(STOP_FILE).exists();
        // The test set is scored once, at the end, and logged with the last epoch.
        let test = if last || stop_requested { Some(evaluate::test(&mut run)?) } else { None };
        epoch::record(&mut run, metrics, test)?;
        if stop_requested && !last {
            outcome = Outcome::Stopped;
            run.console.say(&format!("stopped after epoch {epoch}: the sweep asked this run to stop early"));
            break;
        }
    }
    if outcome == Outcome::Finished && run.test.is_none() && !run.history.is_empty() {
        // Killed after the last checkpoint but before the summary: the model
        // is the checkpoint's, so scoring it again gives the same outputs.
        let scores = evaluate::test(&mut run)?;
        if let Some(wandb) = run.console.wandb.as_mut() {
            let mut values = serde_json::Map::new();
            values.insert("test_loss".into(), scores.0.into());
            values.insert("test_accuracy".into(), scores.1.into());
            wandb.update_summary(&values)?;
        }
    }
    finish::finish(run, outcome)
}

/// `1 epoch`, `2 epochs`.
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 { format!("1 {thing}") } else { format!("{n} {thing}s") }
}
