//! The set-up stage: everything a run needs before it can start (data, model,
//! optimizer, the checkpoint of a resumed run), and only then the run folder:
//! a start that fails leaves nothing behind, and the next good run gets the
//! name the failed one would have had. Owns the folder itself, `config.json`,
//! `data.json` and the start of the wandb run.

use super::checkpoint::Checkpoint;
use super::{Console, Run, TrainError, output_error};
use crate::config::TrainConfig;
use crate::data::{self, Augmenter, Batches, Dataset, info::DATA_INFO_FILE};
use crate::flags::DataFacts;
use crate::huge_pages;
use crate::wandb::{self, WandbRun, WandbSettings};
use ffn_core::kernels::bf16;
use ffn_core::model::Model;
use ffn_core::optim::{Hyper, Optimizer};
use ffn_pool::Pool;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The files a run writes into its folder: a folder holding any of them holds a run.
pub const RUN_FILES: &[&str] = &[
    "config.json",
    DATA_INFO_FILE,
    "metrics.jsonl",
    "summary.json",
    "confusion.json",
    "model.ffn",
    super::checkpoint::FILE_NAME,
];

/// A run ready to start: nothing of it is on disk yet.
pub(super) struct Prepared {
    config: TrainConfig,
    dataset: Dataset,
    model: Model,
    optimizer: Optimizer,
    checkpoint: Option<Checkpoint>,
    load_seconds: f64,
    pool: Pool,
    /// Said at start when a resumed bf16 run gets another kernel level.
    level_note: Option<String>,
}

/// Loads the data (unless given), builds the model and optimizer and restores a
/// resumed run's checkpoint. `None` when a resumed run had already finished.
pub(super) fn prepare(mut config: TrainConfig, dataset: Option<Dataset>) -> Result<Option<Prepared>, TrainError> {
    // Before the pool's threads start, so they all inherit it.
    ffn_core::kernels::flush_subnormals();
    let pool = Pool::new(match config.threads {
        0 => ffn_pool::default_threads(),
        limit => limit.min(ffn_pool::default_threads()),
    });
    let resume_dir = config.resume.as_ref().map(PathBuf::from);
    let checkpoint = match &resume_dir {
        Some(dir) => Some(Checkpoint::load(dir).map_err(TrainError::Config)?),
        None => None,
    };
    if let (Some(dir), Some(ck)) = (&resume_dir, &checkpoint)
        && ck.epochs_done >= config.epochs
        && finished_before(dir)
    {
        // Resuming again would only redo the test evaluation and reopen a closed wandb run.
        println!("{} already finished all {}: nothing to resume", dir.display(), super::count(ck.epochs_done, "epoch"));
        return Ok(None);
    }
    let load_started = Instant::now();
    let mut dataset = match dataset {
        Some(dataset) => dataset,
        None => load(&config)?,
    };
    dataset.scale_pixels(config.pixel_scaling);
    let load_seconds = load_started.elapsed().as_secs_f64();
    config.validate(&DataFacts::of(&dataset)).map_err(TrainError::Config)?;
    if !config.augment().is_identity() && dataset.info.image.is_none() {
        let flags = "--shift, --rotate, --zoom, --elastic, --flip and --erase";
        return Err(TrainError::Config(format!(
            "{flags} transform images: {} holds no images",
            dataset.source.display()
        )));
    }

    let hyper = Hyper {
        learning_rate: config.learning_rate as f32,
        momentum: config.momentum as f32,
        beta: config.beta as f32,
        beta1: config.beta1 as f32,
        beta2: config.beta2 as f32,
        epsilon: config.epsilon as f32,
        weight_decay: config.weight_decay as f32,
    };
    let sizes = config.sizes(dataset.info.input_len, dataset.info.classes.len());
    let max_batch = config.batch_size.max(super::EVAL_BATCH);
    let (bf16, level_note) = bf16_kernels(&mut config);
    let mut model = Model::new(&sizes, config.activation, config.weight_init, config.seed, max_batch);
    model.kernels = model.kernels.with_bf16(bf16);
    let mut optimizer = Optimizer::new(config.optimizer, hyper, model.params.len());
    if let Some(ck) = &checkpoint {
        if ck.params.len() != model.params.len() || ck.optimizer_state.len() != optimizer.state.len() {
            return Err(TrainError::Config(format!(
                "the checkpoint in {} does not match its config.json (parameter counts differ)",
                config.resume.as_deref().unwrap_or_default()
            )));
        }
        model.params.copy_from_slice(&ck.params);
        optimizer.state.copy_from_slice(&ck.optimizer_state);
        optimizer.scalars = ck.optimizer_scalars;
        optimizer.step = ck.optimizer_step;
    }
    for buffer in [&model.params[..], &model.grads[..], &optimizer.state[..]] {
        huge_pages::collapse(buffer);
    }
    Ok(Some(Prepared { config, dataset, model, optimizer, checkpoint, load_seconds, pool, level_note }))
}

/// The bf16 kernels of a `--precision bf16` run, recorded in
/// `config.bf16_level`: the best level this CPU allows or, when resuming,
/// the level the run started with (lowered to what this CPU allows, with a
/// note that the bits then differ from an uninterrupted run's).
fn bf16_kernels(config: &mut TrainConfig) -> (Option<bf16::Kernels>, Option<String>) {
    if config.precision != super::precision::Precision::Bf16 {
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

/// The data `config` names, split as every run splits it.
pub fn load(config: &TrainConfig) -> Result<Dataset, TrainError> {
    let source = config.source().map_err(TrainError::Config)?;
    Ok(data::load_source(&source, &config.load_options())?)
}

impl Prepared {
    /// Starts the run: its folder, `config.json`, `data.json`, the wandb run and
    /// the console's first lines. On failure the folder is removed again if
    /// this call made it.
    pub(super) fn start(self, started: Instant) -> Result<Run, TrainError> {
        let Prepared { mut config, dataset, model, optimizer, checkpoint, load_seconds, pool, level_note } = self;
        let name = config.run_name.clone().unwrap_or_else(|| "run".into());
        let resuming = checkpoint.is_some();
        let dir = match &config.resume {
            Some(dir) => PathBuf::from(dir),
            None => claim_folder(&config, &name)?,
        };
        let made = !dir.exists();
        std::fs::create_dir_all(&dir).map_err(output_error(&dir))?;
        config.output_dir = Some(dir.display().to_string());
        let history = checkpoint.as_ref().map(|ck| ck.history.clone()).unwrap_or_default();
        let augmenter = dataset.info.image.and_then(|shape| Augmenter::new(config.augment(), shape, config.seed));
        let opened = open(&config, &dataset, &model, checkpoint.as_ref(), &dir);
        let wandb = match opened {
            Ok(wandb) => wandb,
            Err(e) => {
                if made && !resuming {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                return Err(e);
            }
        };
        let wandb_dir = wandb.as_ref().map(|r| r.dir().display().to_string());
        let mut run = Run {
            prior_seconds: checkpoint.as_ref().map_or(0.0, |ck| ck.wall_seconds),
            loss: config.loss,
            config,
            dataset,
            model,
            optimizer,
            batches: Batches::augmented(augmenter),
            history,
            started,
            dir,
            console: Console { wandb },
            wandb_dir,
            test: None,
            pool,
        };
        super::epoch::record_start(&mut run, resuming)?;
        greet(&mut run, &name, load_seconds, resuming);
        if let Some(note) = level_note {
            run.console.say(&note);
        }
        Ok(run)
    }
}

/// `config.json`, `data.json` and the wandb run (created, or continued from the checkpoint).
fn open(
    config: &TrainConfig,
    dataset: &Dataset,
    model: &Model,
    checkpoint: Option<&Checkpoint>,
    dir: &Path,
) -> Result<Option<WandbRun>, TrainError> {
    crate::atomic::write_json(&dir.join("config.json"), config).map_err(output_error(dir))?;
    crate::atomic::write_json(&dir.join(DATA_INFO_FILE), &dataset.info).map_err(output_error(dir))?;
    let _ = std::fs::remove_file(dir.join(super::STOP_FILE));
    if config.no_wandb || !wandb::enabled_by_env() {
        return Ok(None);
    }
    if let Some(wandb_dir) = checkpoint.and_then(|ck| ck.wandb_dir.as_ref()) {
        return Ok(Some(WandbRun::resume(Path::new(wandb_dir), checkpoint.map_or(0, |ck| ck.history.len() as u64))?));
    }
    let mut wandb_config = config.hyper_values();
    wandb_config.insert("parameters".into(), model.params.len().into());
    if let Some(level) = &config.bf16_level {
        wandb_config.insert("bf16_level".into(), level.clone().into());
    }
    wandb_config.insert("inputs".into(), dataset.info.input_len.into());
    wandb_config.insert("classes".into(), dataset.info.classes.clone().into());
    wandb_config.insert("data_source".into(), dataset.info.source.clone().into());
    let data_tag = match config.dataset {
        Some(name) => name.to_string(),
        None => dataset.info.source.clone(),
    };
    Ok(Some(WandbRun::create(WandbSettings {
        entity: config.wandb_entity.clone(),
        project: config.wandb_project.clone(),
        display_name: config.run_name.clone().unwrap_or_default(),
        group: config.wandb_group.clone(),
        sweep_id: config.wandb_sweep_id.clone().or_else(|| std::env::var("WANDB_SWEEP_ID").ok()),
        job_type: Some("train".into()),
        tags: vec![data_tag, config.optimizer.name.to_string()],
        run_id: None,
        base_dir: wandb::base_dir_from_env(dir),
        config: wandb_config,
    })?))
}

/// The run folder of a new run: `--output_dir` (refused when it holds a run,
/// unless `--overwrite` moves that run aside), or `runs/<run name>` made unique
/// rather than overwriting an earlier run of the same name.
fn claim_folder(config: &TrainConfig, name: &str) -> Result<PathBuf, TrainError> {
    let Some(dir) = &config.output_dir else {
        let base = Path::new("runs").join(name);
        if !base.exists() {
            return Ok(base);
        }
        let free = (2..).map(|i| Path::new("runs").join(format!("{name}-{i}"))).find(|p| !p.exists());
        return Ok(free.expect("some suffix is free"));
    };
    let dir = PathBuf::from(dir);
    let found: Vec<&str> = RUN_FILES.iter().copied().filter(|f| dir.join(f).exists()).collect();
    if found.is_empty() {
        return Ok(dir);
    }
    let aside = crate::atomic::aside(&dir);
    if !config.overwrite {
        return Err(TrainError::Config(format!(
            "--output_dir {} holds a run ({}): choose another folder, continue it with --resume {}, or pass \
             --overwrite to move it aside (to {}) and start anew",
            dir.display(),
            found.join(", "),
            dir.display(),
            aside.display()
        )));
    }
    std::fs::rename(&dir, &aside).map_err(output_error(&dir))?;
    println!("moved the run that was in {} to {}", dir.display(), aside.display());
    Ok(dir)
}

/// The console's first lines: what trains on what, which defaults came from
/// the data, and which of ffn's extras are on.
fn greet(run: &mut Run, name: &str, load_seconds: f64, resuming: bool) {
    let info = &run.dataset.info;
    let what = if info.image.is_some() { "images" } else { "samples" };
    let line = format!(
        "ffn train: run {name} | {} train / {} validation / {} test {what} of {} values in {} classes from {} \
         (loaded in {load_seconds:.1}s) | {} parameters, kernels {}, products {}",
        run.dataset.train.len(),
        run.dataset.validation.len(),
        run.dataset.test.len(),
        info.input_len,
        info.classes.len(),
        run.dataset.source.display(),
        run.model.params.len(),
        run.model.kernels.level().name(),
        match &run.config.bf16_level {
            Some(level) => format!("bf16 ({level})"),
            None => "f32".into(),
        }
    );
    run.console.say(&line);
    if !resuming {
        let from_data: Vec<String> = run
            .config
            .data_defaults
            .iter()
            .filter(|(_, why)| why.starts_with("own data"))
            .map(|(flag, why)| format!("{flag} {why}", why = why.trim_start_matches("own data: ")))
            .collect();
        if !from_data.is_empty() {
            run.console.say(&format!("defaults from the data: {}", from_data.join("; ")));
        }
        let extras = run.config.extras_on();
        if !extras.is_empty() {
            run.console.say(&format!(
                "ffn's extras on (the course project had none): {}; --no_extras turns them off",
                extras.join(", ")
            ));
        }
    }
    // A run stopped inside its first epoch resumes from the checkpoint its
    // start wrote, after epoch 0 (as `sweep` says it continues).
    if resuming {
        let done = run.history.last().map_or(0, |m| m.epoch);
        run.console.say(&format!("resuming {} after epoch {done}", run.dir.display()));
    }
}

/// Whether the run folder's summary says the run finished.
fn finished_before(run_dir: &Path) -> bool {
    std::fs::read(run_dir.join("summary.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<super::metrics::Summary>(&bytes).ok())
        .is_some_and(|s| s.state == super::Outcome::Finished.state())
}
