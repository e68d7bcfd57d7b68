//! One training run, from config to run folder: data, model, the epoch loop,
//! checkpoints, wandb logging, the final test evaluation and the model file.

pub mod checkpoint;
pub mod metrics;
pub mod progress;
pub mod schedule;
pub mod signals;

use crate::config::TrainConfig;
use crate::data::{self, Augmenter, Batches, DatasetName, LoadOptions};
use crate::wandb::{self, WandbRun, WandbSettings};
use checkpoint::Checkpoint;
use ffn_core::kernels::bf16;
use ffn_core::model::Model;
use ffn_core::optim::{Hyper, Optimizer};
use ffn_core::rng::{rng_for, shuffle};
use ffn_pool::Pool;
use metrics::{Confusion, EpochMetrics, Summary};
use progress::Progress;
use signals::Signals;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Seed stream of the per-epoch shuffles (stream 1 = weights, 2 = validation split).
const SHUFFLE_STREAM: u64 = 3;
/// Dropout masks of step `s` come from stream `DROPOUT_STREAM + s`: a resumed
/// run redraws exactly the masks of the uninterrupted one. Far above the
/// shuffle streams (`SHUFFLE_STREAM + epoch`).
const DROPOUT_STREAM: u64 = 1 << 40;
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

/// The run folder: `--output_dir`, or `runs/<run name>` (made unique rather
/// than overwriting an earlier run of the same name).
fn choose_run_dir(config: &TrainConfig, name: &str) -> PathBuf {
    if let Some(dir) = &config.output_dir {
        return PathBuf::from(dir);
    }
    let base = Path::new("runs").join(name);
    if !base.exists() {
        return base;
    }
    (2..).map(|i| Path::new("runs").join(format!("{name}-{i}"))).find(|p| !p.exists()).expect("some suffix is free")
}

/// The bf16 kernels of a `--precision bf16` run, recorded in
/// `config.bf16_level`: the best level this CPU allows or, when resuming,
/// the level the run started with (lowered to what this CPU allows, with a
/// note that the bits then differ from an uninterrupted run's).
fn bf16_kernels(config: &mut TrainConfig) -> (Option<bf16::Kernels>, Option<String>) {
    if config.precision != "bf16" {
        config.bf16_level = None;
        return (None, None);
    }
    let recorded =
        config.bf16_level.as_deref().and_then(|name| bf16::Level::ALL.into_iter().find(|l| l.name() == name));
    let kernels = recorded.map_or_else(bf16::Kernels::detect, bf16::Kernels::force);
    let note = recorded.filter(|&l| l != kernels.level()).map(|l| {
        format!(
            "note: this run started with bf16 level {} but this CPU allows only {}: its bits will differ from an \
             uninterrupted run's",
            l.name(),
            kernels.level().name()
        )
    });
    config.bf16_level = Some(kernels.level().name().into());
    (Some(kernels), note)
}

/// Runs `config` to the end (or resumes `config.resume`). Errors are setup
/// problems; a run that started reports how it ended through [`Outcome`].
pub fn train(mut config: TrainConfig, signals: &Signals) -> Result<Outcome, TrainError> {
    let started = Instant::now();
    // Before the pool's threads start, so they all inherit it.
    ffn_core::kernels::flush_subnormals();
    let pool = Pool::new(match config.threads {
        0 => ffn_pool::default_threads(),
        limit => limit.min(ffn_pool::default_threads()),
    });
    config.validate().map_err(TrainError::Config)?;
    let resume_dir = config.resume.clone().map(PathBuf::from);
    let checkpoint = match &resume_dir {
        Some(dir) => Some(Checkpoint::load(dir).map_err(TrainError::Config)?),
        None => None,
    };
    if let (Some(dir), Some(ck)) = (&resume_dir, &checkpoint)
        && ck.epochs_done >= config.epochs
        && finished_before(dir)
    {
        // Resuming again would only redo the test evaluation and reopen a closed wandb run.
        println!("{} already finished all {} epochs: nothing to resume", dir.display(), ck.epochs_done);
        return Ok(Outcome::Finished);
    }
    let (bf16, level_note) = bf16_kernels(&mut config);
    let name = config.run_name.clone().unwrap_or_else(|| config.derived_run_name());
    config.run_name = Some(name.clone());
    let run_dir = resume_dir.clone().unwrap_or_else(|| choose_run_dir(&config, &name));
    std::fs::create_dir_all(&run_dir).map_err(output_error(&run_dir))?;
    config.output_dir = Some(run_dir.display().to_string());
    crate::atomic::write_json(&run_dir.join("config.json"), &config).map_err(output_error(&run_dir))?;
    let _ = std::fs::remove_file(run_dir.join(STOP_FILE));

    let dataset_name = DatasetName::from_name(&config.dataset)
        .ok_or_else(|| TrainError::Config(format!("unknown dataset '{}'", config.dataset)))?;
    let load_started = Instant::now();
    let dataset = data::load(
        dataset_name,
        &LoadOptions {
            data_dir: config.data_dir.as_ref().map(PathBuf::from),
            seed: config.seed,
            validation_fraction: 0.1,
            train_limit: config.train_limit,
            allow_download: true,
        },
    )?;
    let load_seconds = load_started.elapsed().as_secs_f64();
    if !config.augment().is_identity() && dataset.info.image.is_none() {
        let flags = "--shift, --rotate, --zoom, --elastic, --flip and --erase";
        return Err(TrainError::Config(format!(
            "{flags} transform images: {} holds no images",
            dataset.source.display()
        )));
    }

    let activation = ffn_core::activation::by_name(&config.activation)
        .ok_or_else(|| TrainError::Config(format!("unknown activation '{}'", config.activation)))?;
    let loss = ffn_core::loss::by_name(&config.loss)
        .ok_or_else(|| TrainError::Config(format!("unknown loss '{}'", config.loss)))?;
    let optimizer_spec = ffn_core::optim::by_name(&config.optimizer)
        .ok_or_else(|| TrainError::Config(format!("unknown optimizer '{}'", config.optimizer)))?;
    let init = ffn_core::Init::by_name(&config.weight_init)
        .ok_or_else(|| TrainError::Config(format!("unknown weight init '{}'", config.weight_init)))?;
    let hyper = Hyper {
        learning_rate: config.learning_rate as f32,
        momentum: config.momentum as f32,
        beta: config.beta as f32,
        beta1: config.beta1 as f32,
        beta2: config.beta2 as f32,
        epsilon: config.epsilon as f32,
        weight_decay: config.weight_decay as f32,
    };
    let sizes = config.sizes();
    let max_batch = config.batch_size.max(EVAL_BATCH);
    let mut model = Model::new(&sizes, activation, init, config.seed, max_batch);
    model.kernels = model.kernels.with_bf16(bf16);
    let mut optimizer = Optimizer::new(optimizer_spec, hyper, model.params.len());
    let mut history: Vec<EpochMetrics> = Vec::new();
    let mut prior_seconds = 0.0;
    if let Some(ck) = &checkpoint {
        if ck.params.len() != model.params.len() || ck.optimizer_state.len() != optimizer.state.len() {
            return Err(TrainError::Config(format!(
                "the checkpoint in {} does not match its config.json (parameter counts differ)",
                run_dir.display()
            )));
        }
        model.params.copy_from_slice(&ck.params);
        optimizer.state.copy_from_slice(&ck.optimizer_state);
        optimizer.scalars = ck.optimizer_scalars;
        optimizer.step = ck.optimizer_step;
        history = ck.history.clone();
        prior_seconds = ck.wall_seconds;
    }

    let wandb_enabled = !config.no_wandb && wandb::enabled_by_env();
    let wandb_run = if !wandb_enabled {
        None
    } else if let Some(dir) = checkpoint.as_ref().and_then(|ck| ck.wandb_dir.as_ref()) {
        Some(WandbRun::resume(Path::new(dir), history.len() as u64)?)
    } else {
        let mut wandb_config = config.hyper_values();
        wandb_config.insert("parameters".into(), model.params.len().into());
        if let Some(level) = &config.bf16_level {
            wandb_config.insert("bf16_level".into(), level.clone().into());
        }
        Some(WandbRun::create(WandbSettings {
            entity: config.wandb_entity.clone(),
            project: config.wandb_project.clone(),
            display_name: name.clone(),
            group: config.wandb_group.clone(),
            sweep_id: config.wandb_sweep_id.clone().or_else(|| std::env::var("WANDB_SWEEP_ID").ok()),
            job_type: Some("train".into()),
            tags: vec![config.dataset.clone(), config.optimizer.clone()],
            run_id: None,
            base_dir: wandb::base_dir_from_env(&run_dir),
            config: wandb_config,
        })?)
    };
    let wandb_dir = wandb_run.as_ref().map(|r| r.dir().display().to_string());
    let mut console = Console { wandb: wandb_run };
    if checkpoint.is_none() {
        // An epoch-0 checkpoint makes a run killed during its first epoch
        // resumable, into the same wandb run.
        Checkpoint::capture(&model, &optimizer, &history, wandb_dir.clone(), 0.0)
            .save(&run_dir)
            .map_err(output_error(&run_dir))?;
    }

    let metrics_path = run_dir.join("metrics.jsonl");
    let mut metrics_lines: String = history.iter().map(EpochMetrics::to_json_line).collect();
    crate::atomic::write(&metrics_path, metrics_lines.as_bytes()).map_err(output_error(&run_dir))?;

    let train = &dataset.train;
    let n_train = train.len();
    let steps_per_epoch = n_train.div_ceil(config.batch_size);
    let total_steps = steps_per_epoch * config.epochs;
    console.say(&format!(
        "ffn train: run {name} | {} train / {} validation / {} test images from {} (loaded in {load_seconds:.1}s) | \
         {} parameters, kernels {}, products {}",
        n_train,
        dataset.validation.len(),
        dataset.test.len(),
        dataset.source.display(),
        model.params.len(),
        model.kernels.level().name(),
        match &config.bf16_level {
            Some(level) => format!("bf16 ({level})"),
            None => "f32".into(),
        }
    ));
    if let Some(note) = level_note {
        console.say(&note);
    }
    if let Some(ck) = &checkpoint {
        console.say(&format!("resuming {} after epoch {}", run_dir.display(), ck.epochs_done));
    }

    let mut order: Vec<usize> = (0..n_train).collect();
    let augmenter = dataset.info.image.and_then(|shape| Augmenter::new(config.augment(), shape, config.seed));
    let mut batches = Batches::augmented(augmenter);
    let mut outcome = Outcome::Finished;
    let progress = Progress::new();
    let classes = dataset.class_names();
    let mut test: Option<(f64, f64)> = None;

    for epoch in history.len() + 1..=config.epochs {
        let epoch_started = Instant::now();
        order.iter_mut().enumerate().for_each(|(i, slot)| *slot = i);
        shuffle(&mut rng_for(config.seed, SHUFFLE_STREAM + epoch as u64), &mut order);
        let bar = progress.epoch_bar(epoch, config.epochs, steps_per_epoch);
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        let mut learning_rate = config.learning_rate as f32;
        batches.for_each(train, &order, config.batch_size, (epoch - 1) * steps_per_epoch, |batch| {
            let step_in_epoch = batch.index;
            if let Some(code) = signals.pending() {
                outcome = Outcome::Interrupted(code);
                return ControlFlow::Break(());
            }
            let step = (epoch - 1) * steps_per_epoch + step_in_epoch;
            learning_rate = config.learning_rate as f32
                * schedule::lr_factor(&config.lr_schedule, config.warmup as f32, step, total_steps);
            optimizer.hyper.learning_rate = learning_rate;
            if config.dropout > 0.0 {
                model.set_dropout(config.dropout as f32, rng_for(config.seed, DROPOUT_STREAM + step as u64));
            }
            let stats = model.train_step_alongside(
                &pool,
                batch.images,
                batch.labels,
                loss,
                config.label_smoothing as f32,
                &mut optimizer,
                batch.gather_next,
            );
            if !stats.loss_sum.is_finite() {
                outcome = Outcome::Failed(format!(
                    "training diverged at epoch {epoch}, step {} (loss = {}); try a lower --learning_rate \
                     or another optimizer",
                    step_in_epoch + 1,
                    stats.loss_sum
                ));
                return ControlFlow::Break(());
            }
            loss_sum += stats.loss_sum as f64;
            correct += stats.correct;
            seen += batch.labels.len();
            if step_in_epoch % 64 == 0 {
                progress.advance(&bar, step_in_epoch + 1, seen, epoch_started.elapsed().as_secs_f64());
            }
            ControlFlow::Continue(())
        });
        progress.finish(bar);
        if outcome != Outcome::Finished {
            break;
        }

        let mut ignore = |_, _| {};
        let val = model.evaluate(&pool, &dataset.validation.inputs(), &dataset.validation.labels, loss, &mut ignore);
        let n_val = dataset.validation.len().max(1) as f64;
        let seconds = epoch_started.elapsed().as_secs_f64();
        let m = EpochMetrics {
            epoch,
            loss: loss_sum / seen as f64,
            accuracy: correct as f64 / seen as f64,
            val_loss: val.loss_sum as f64 / n_val,
            val_accuracy: val.correct as f64 / n_val,
            learning_rate: learning_rate as f64,
            seconds,
        };
        if !m.val_loss.is_finite() {
            outcome = Outcome::Failed(format!(
                "training diverged at epoch {epoch} (validation loss = {}); try a lower --learning_rate",
                m.val_loss
            ));
            break;
        }
        // Weights that overflowed must never reach a checkpoint, whatever the
        // loss of the last batch looked like.
        if let Some(bad) = model.params.iter().find(|p| !p.is_finite()) {
            outcome = Outcome::Failed(format!(
                "training diverged at epoch {epoch} (a weight became {bad}); try a lower --learning_rate \
                 or another optimizer"
            ));
            break;
        }
        console.say(&format!(
            "epoch {epoch:>3}/{}  loss {:.4}  accuracy {:.2}%  val_loss {:.4}  val_accuracy {:.2}%  lr {:.3e}  \
             {seconds:.2}s ({:.0} samples/s)",
            config.epochs,
            m.loss,
            100.0 * m.accuracy,
            m.val_loss,
            100.0 * m.val_accuracy,
            m.learning_rate,
            seen as f64 / seconds
        ));
        history.push(m.clone());

        let last = epoch == config.epochs;
        let stop_requested = run_dir.join(STOP_FILE).exists();
        let mut row = serde_json::to_value(&m).expect("metrics serialise");
        if (last || stop_requested)
            && let Some(obj) = row.as_object_mut()
        {
            // The test set is scored once, at the end, and logged with the last epoch.
            let (scores, confusion) = evaluate_test(&mut model, &pool, &dataset.test, loss, &classes);
            obj.insert("test_loss".into(), scores.0.into());
            obj.insert("test_accuracy".into(), scores.1.into());
            test = Some(scores);
            finish_outputs(&run_dir, &model, &confusion, &mut console).map_err(output_error(&run_dir))?;
        }
        // The wandb row goes before the checkpoint that covers it: a kill in
        // between leaves one row too many, which a resume drops and redoes,
        // never one too few.
        if let (Some(run), Some(obj)) = (console.wandb.as_mut(), row.as_object()) {
            run.log(obj)?;
        }
        let wall_seconds = prior_seconds + started.elapsed().as_secs_f64();
        Checkpoint::capture(&model, &optimizer, &history, wandb_dir.clone(), wall_seconds)
            .save(&run_dir)
            .map_err(output_error(&run_dir))?;
        metrics_lines.push_str(&m.to_json_line());
        crate::atomic::write(&metrics_path, metrics_lines.as_bytes()).map_err(output_error(&run_dir))?;

        if stop_requested && !last {
            outcome = Outcome::Stopped;
            console.say(&format!("stopped after epoch {epoch}: the sweep asked this run to stop early"));
            break;
        }
    }

    if outcome == Outcome::Finished && test.is_none() && !history.is_empty() {
        // Killed after the last checkpoint but before the summary: the model
        // is the checkpoint's, so scoring it again gives the same outputs.
        let (scores, confusion) = evaluate_test(&mut model, &pool, &dataset.test, loss, &classes);
        test = Some(scores);
        finish_outputs(&run_dir, &model, &confusion, &mut console).map_err(output_error(&run_dir))?;
        if let Some(run) = console.wandb.as_mut() {
            let mut values = serde_json::Map::new();
            values.insert("test_loss".into(), scores.0.into());
            values.insert("test_accuracy".into(), scores.1.into());
            run.update_summary(&values)?;
        }
    }

    let wall_seconds = prior_seconds + started.elapsed().as_secs_f64();
    let summary = Summary {
        state: outcome.state().into(),
        epochs_done: history.len(),
        val_accuracy: history.last().map(|m| m.val_accuracy),
        best_val_accuracy: history.iter().map(|m| m.val_accuracy).reduce(f64::max),
        test_accuracy: test.map(|t| t.1),
        test_loss: test.map(|t| t.0),
        wall_seconds,
        reason: match &outcome {
            Outcome::Failed(why) => Some(why.clone()),
            Outcome::Interrupted(130) => Some("interrupted by Ctrl-C (SIGINT); resume with --resume".into()),
            Outcome::Interrupted(_) => Some("terminated (SIGTERM); resume with --resume".into()),
            Outcome::Stopped => Some("stopped early by the sweep (hyperband)".into()),
            Outcome::Finished => None,
        },
        weights_digest: Some(metrics::weights_digest(&model.params)),
    };
    crate::atomic::write_json(&run_dir.join("summary.json"), &summary).map_err(output_error(&run_dir))?;

    match &outcome {
        Outcome::Finished | Outcome::Stopped => {
            if let Some(t) = test {
                console.say(&format!(
                    "test_accuracy {:.2}%  test_loss {:.4}  ({} epochs in {wall_seconds:.1}s)",
                    100.0 * t.1,
                    t.0,
                    history.len()
                ));
            }
        }
        Outcome::Failed(why) => eprintln!("train: error: {why}"),
        Outcome::Interrupted(_) => eprintln!(
            "train: {}; the last checkpoint is in {}: continue with  train --resume {}",
            summary.reason.as_deref().unwrap_or("interrupted"),
            run_dir.display(),
            run_dir.display()
        ),
    }
    console.say(&format!("run folder: {}", run_dir.display()));
    if let Some(mut run) = console.wandb.take() {
        let mut values = serde_json::Map::new();
        values.insert("state".into(), summary.state.clone().into());
        if let Some(b) = summary.best_val_accuracy {
            values.insert("best_val_accuracy".into(), b.into());
        }
        if let Some(reason) = &summary.reason {
            values.insert("reason".into(), reason.clone().into());
        }
        run.update_summary(&values)?;
        if summary.reason.is_none() {
            // A resumed run's log still holds the interruption's reason.
            run.remove_summary(&["reason"])?;
        }
        let sync = run.sync_command();
        let dir = run.finish(outcome.exit_code())?;
        println!("wandb: offline run written to {}", dir.display());
        println!("wandb: upload it with: {sync}");
    }
    Ok(outcome)
}

/// Whether the run folder's summary says the run finished.
fn finished_before(run_dir: &Path) -> bool {
    std::fs::read(run_dir.join("summary.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Summary>(&bytes).ok())
        .is_some_and(|s| s.state == Outcome::Finished.state())
}

/// Test loss/accuracy and the confusion matrix.
fn evaluate_test(
    model: &mut Model,
    executor: &Pool,
    test: &data::Split,
    loss: &ffn_core::LossSpec,
    classes: &[&str],
) -> ((f64, f64), Confusion) {
    let mut confusion = Confusion::new(classes);
    let mut index = 0;
    let stats = model.evaluate(executor, &test.inputs(), &test.labels, loss, |truth, predicted| {
        confusion.add(index, truth, predicted);
        index += 1;
    });
    let n = test.len().max(1) as f64;
    ((stats.loss_sum as f64 / n, stats.correct as f64 / n), confusion)
}

/// Writes the model file, the confusion matrix and the test scores.
fn finish_outputs(run_dir: &Path, model: &Model, confusion: &Confusion, console: &mut Console) -> std::io::Result<()> {
    if model.params.iter().any(|p| !p.is_finite()) {
        return Err(std::io::Error::other("refusing to write a model with non-finite weights"));
    }
    crate::export::write_run_model(run_dir, model)?;
    crate::atomic::write_json(&run_dir.join("confusion.json"), confusion)?;
    for line in confusion.to_text().lines() {
        console.say(line);
    }
    Ok(())
}
