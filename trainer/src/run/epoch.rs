//! The epoch stage: one shuffled pass over the training data (learning-rate
//! schedule, dropout masks, the steps), the validation score, and the
//! epoch's record. Owns `metrics.jsonl`, the wandb history rows and
//! `checkpoint.ffnck`.

use super::checkpoint::Checkpoint;
use super::metrics::EpochMetrics;
use super::progress::Progress;
use super::signals::Signals;
use super::{Outcome, Run, TrainError, output_error, schedule};
use ffn_core::rng::{rng_for, shuffle};
use std::ops::ControlFlow;
use std::time::Instant;

/// Seed stream of the per-epoch shuffles (stream 1 = weights, 2 = validation split).
const SHUFFLE_STREAM: u64 = 3;
/// Dropout masks of step `s` come from stream `DROPOUT_STREAM + s`: a resumed
/// run redraws exactly the masks of the uninterrupted one. Far above the
/// shuffle streams (`SHUFFLE_STREAM + epoch`).
const DROPOUT_STREAM: u64 = 1 << 40;

/// Trains epoch `epoch` and scores the validation set; the outcome instead
/// when a signal, a non-finite loss or weight ends the run.
pub(super) fn train(run: &mut Run, epoch: usize, signals: &Signals) -> Result<EpochMetrics, Outcome> {
    let config = &run.config;
    let train = &run.dataset.train;
    let (model, optimizer, loss, batches, pool) =
        (&mut run.model, &mut run.optimizer, run.loss, &mut run.batches, &run.pool);
    let epoch_started = Instant::now();
    let steps_per_epoch = train.len().div_ceil(config.batch_size);
    let total_steps = steps_per_epoch * config.epochs;
    let mut order: Vec<usize> = (0..train.len()).collect();
    shuffle(&mut rng_for(config.seed, SHUFFLE_STREAM + epoch as u64), &mut order);
    let progress = Progress::new();
    let bar = progress.epoch_bar(epoch, config.epochs, steps_per_epoch);
    let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
    let mut learning_rate = config.learning_rate as f32;
    let mut ended = None;
    batches.for_each(train, &order, config.batch_size, (epoch - 1) * steps_per_epoch, |batch| {
        let step_in_epoch = batch.index;
        if let Some(code) = signals.pending() {
            ended = Some(Outcome::Interrupted(code));
            return ControlFlow::Break(());
        }
        let step = (epoch - 1) * steps_per_epoch + step_in_epoch;
        learning_rate = config.learning_rate as f32
            * schedule::lr_factor(config.lr_schedule, config.warmup as f32, step, total_steps);
        optimizer.hyper.learning_rate = learning_rate;
        if config.dropout > 0.0 {
            model.set_dropout(config.dropout as f32, rng_for(config.seed, DROPOUT_STREAM + step as u64));
        }
        let stats = model.train_step_alongside(
            pool,
            batch.images,
            batch.labels,
            loss,
            config.label_smoothing as f32,
            optimizer,
            batch.gather_next,
        );
        if !stats.loss_sum.is_finite() {
            ended = Some(Outcome::Failed(format!(
                "training diverged at epoch {epoch}, step {} (loss = {}); try a lower --learning_rate \
                 or another optimizer",
                step_in_epoch + 1,
                stats.loss_sum
            )));
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
    if let Some(outcome) = ended {
        return Err(outcome);
    }

    let (val_loss, val_accuracy) = super::evaluate::validation(run);
    let seconds = epoch_started.elapsed().as_secs_f64();
    let m = EpochMetrics {
        epoch,
        loss: loss_sum / seen as f64,
        accuracy: correct as f64 / seen as f64,
        val_loss,
        val_accuracy,
        learning_rate: learning_rate as f64,
        seconds,
    };
    if !m.val_loss.is_finite() {
        return Err(Outcome::Failed(format!(
            "training diverged at epoch {epoch} (validation loss = {}); try a lower --learning_rate",
            m.val_loss
        )));
    }
    // Weights that overflowed must never reach a checkpoint, whatever the
    // loss of the last batch looked like.
    if let Some(bad) = run.model.params.iter().find(|p| !p.is_finite()) {
        return Err(Outcome::Failed(format!(
            "training diverged at epoch {epoch} (a weight became {bad}); try a lower --learning_rate \
             or another optimizer"
        )));
    }
    run.console.say(&format!(
        "epoch {epoch:>3}/{}  loss {:.4}  accuracy {:.2}%  val_loss {:.4}  val_accuracy {:.2}%  lr {:.3e}  \
         {seconds:.2}s ({:.0} samples/s)",
        run.config.epochs,
        m.loss,
        100.0 * m.accuracy,
        m.val_loss,
        100.0 * m.val_accuracy,
        m.learning_rate,
        seen as f64 / seconds
    ));
    Ok(m)
}

/// The record as the run starts: for a new run an epoch-0 checkpoint, which
/// makes a run killed during its first epoch resumable (into the same wandb
/// run); `metrics.jsonl` as the checkpoint's history has it (a kill between the
/// checkpoint and the metrics line left it one line short).
pub(super) fn record_start(run: &mut Run, resuming: bool) -> Result<(), TrainError> {
    if !resuming {
        save_checkpoint(run)?;
    }
    write_metrics(run)
}

/// Records epoch `m` (with the test scores when they were taken): the wandb
/// history row, the checkpoint, the `metrics.jsonl` line.
pub(super) fn record(run: &mut Run, m: EpochMetrics, test: Option<(f64, f64)>) -> Result<(), TrainError> {
    run.history.push(m.clone());
    let mut row = serde_json::to_value(&m).expect("metrics serialise");
    if let (Some((test_loss, test_accuracy)), Some(obj)) = (test, row.as_object_mut()) {
        obj.insert("test_loss".into(), test_loss.into());
        obj.insert("test_accuracy".into(), test_accuracy.into());
    }
    // The wandb row goes before the checkpoint that covers it: a kill in
    // between leaves one row too many, which a resume drops and redoes,
    // never one too few.
    if let (Some(wandb), Some(obj)) = (run.console.wandb.as_mut(), row.as_object()) {
        wandb.log(obj)?;
    }
    save_checkpoint(run)?;
    write_metrics(run)
}

fn write_metrics(run: &Run) -> Result<(), TrainError> {
    let lines: String = run.history.iter().map(EpochMetrics::to_json_line).collect();
    crate::atomic::write(&run.dir.join("metrics.jsonl"), lines.as_bytes()).map_err(output_error(&run.dir))
}

fn save_checkpoint(run: &Run) -> Result<(), TrainError> {
    Checkpoint::capture(&run.model, &run.optimizer, &run.history, run.wandb_dir.clone(), run.wall_seconds())
        .save(&run.dir)
        .map_err(output_error(&run.dir))
}
