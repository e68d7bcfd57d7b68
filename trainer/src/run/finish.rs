//! The finish stage: how the run ended, in `summary.json`, on the console and
//! in the wandb run's summary and exit record. Owns `summary.json`.

use super::metrics::{self, Summary, SummaryFile};
use super::{Outcome, Run, TrainError, count, output_error};

pub(super) fn finish(mut run: Run, outcome: Outcome) -> Result<Outcome, TrainError> {
    let wall_seconds = run.wall_seconds();
    // A run stopped before its first checkpoint (during set-up) has nothing to resume.
    let resumable = run.dir.join(super::checkpoint::FILE_NAME).is_file();
    let stopped_by = |signal: &str| {
        if resumable {
            format!("{signal}; resume with --resume")
        } else {
            format!("{signal} before the run's first checkpoint: nothing to resume")
        }
    };
    let summary = Summary {
        state: outcome.state().into(),
        epochs_done: run.history.len(),
        val_accuracy: run.history.last().map(|m| m.val_accuracy),
        best_val_accuracy: run.history.iter().map(|m| m.val_accuracy).reduce(f64::max),
        test_accuracy: run.test.map(|t| t.1),
        test_loss: run.test.map(|t| t.0),
        wall_seconds,
        reason: match &outcome {
            Outcome::Failed(why) => Some(why.clone()),
            Outcome::Interrupted(130) => Some(stopped_by("interrupted by Ctrl-C (SIGINT)")),
            Outcome::Interrupted(_) => Some(stopped_by("terminated (SIGTERM)")),
            Outcome::Stopped => Some("stopped early by the sweep (hyperband)".into()),
            Outcome::Finished => None,
        },
        weights_digest: Some(metrics::weights_digest(&run.model.params)),
    };
    let file = SummaryFile { summary: &summary, classes: &run.dataset.info.classes };
    crate::atomic::write_json(&run.dir.join("summary.json"), &file).map_err(output_error(&run.dir))?;

    match &outcome {
        Outcome::Finished | Outcome::Stopped => {
            if let Some(t) = run.test {
                run.console.say(&format!(
                    "test_accuracy {:.2}%  test_loss {:.4}  ({} in {wall_seconds:.1}s)",
                    100.0 * t.1,
                    t.0,
                    count(run.history.len(), "epoch")
                ));
            }
        }
        Outcome::Failed(why) => eprintln!("train: error: {why}"),
        Outcome::Interrupted(_) if !resumable => {
            eprintln!("train: {}; run the same command again", summary.reason.as_deref().unwrap_or("interrupted"))
        }
        Outcome::Interrupted(_) => eprintln!(
            "train: {}; the last checkpoint is in {}: continue with: train --resume {}",
            summary.reason.as_deref().unwrap_or("interrupted"),
            run.dir.display(),
            run.dir.display()
        ),
    }
    run.console.say(&format!("run folder: {}", run.dir.display()));
    if let Some(mut wandb) = run.console.wandb.take() {
        let mut values = serde_json::Map::new();
        values.insert("state".into(), summary.state.clone().into());
        if let Some(b) = summary.best_val_accuracy {
            values.insert("best_val_accuracy".into(), b.into());
        }
        if let Some(reason) = &summary.reason {
            values.insert("reason".into(), reason.clone().into());
        }
        wandb.update_summary(&values)?;
        if summary.reason.is_none() {
            // A resumed run's log still holds the interruption's reason.
            wandb.remove_summary(&["reason"])?;
        }
        let sync = wandb.sync_command();
        let dir = wandb.finish(outcome.exit_code())?;
        println!("wandb: offline run written to {}", dir.display());
        println!("wandb: upload it with: {sync}");
    }
    Ok(outcome)
}
