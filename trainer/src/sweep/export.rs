//! A compact copy of a sweep for committing (`results/`): the YAML, state and
//! summary, and per run only what a report reads (config, per-epoch metrics,
//! summary, confusion matrix) of runs that ended: no model files, logs or wandb
//! transaction logs.

use super::error::{Result, SweepError};
use std::path::Path;

const SWEEP_FILES: &[&str] = &["sweep.yaml", super::state::FILE_NAME, "sweep-summary.txt", "sweep-summary.json"];
const RUN_FILES: &[&str] = &["config.json", "metrics.jsonl", "summary.json", "confusion.json"];

/// Copies the compact sweep from `out_dir` to `dest`; returns the number of runs copied.
pub fn export(out_dir: &Path, dest: &Path) -> Result<usize> {
    let state = super::state::SweepState::load(&out_dir.join(super::state::FILE_NAME))?;
    // Runs of two sweeps must not mix in one folder (runs are only ever added,
    // so refreshing the same sweep's export in place is safe).
    let dest_state = dest.join(super::state::FILE_NAME);
    if let (Some(old), Some(new)) = (super::state::SweepState::load(&dest_state)?, &state)
        && old.sweep_id != new.sweep_id
    {
        return Err(SweepError::State {
            path: dest_state,
            message: format!(
                "{} holds sweep {} ({}), not {} ({}); export to another folder or delete it first",
                dest.display(),
                old.name,
                old.sweep_id,
                new.name,
                new.sweep_id
            ),
        });
    }
    std::fs::create_dir_all(dest).map_err(SweepError::io(dest))?;
    for f in SWEEP_FILES {
        let from = out_dir.join(f);
        if from.is_file() {
            std::fs::copy(&from, dest.join(f)).map_err(SweepError::io(&from))?;
        }
    }
    // Only runs with their final result: a run still going (an export while
    // the sweep runs) or interrupted would show half a learning curve.
    let done: Vec<&str> = state
        .as_ref()
        .map_or(Vec::new(), |s| s.runs.iter().filter(|r| r.state.is_final()).map(|r| r.name.as_str()).collect());
    let runs = out_dir.join("runs");
    let mut copied = 0;
    let Ok(entries) = std::fs::read_dir(&runs) else { return Ok(0) };
    for entry in entries.flatten() {
        if !entry.path().is_dir() || !done.iter().any(|n| entry.file_name() == **n) {
            continue;
        }
        let to = dest.join("runs").join(entry.file_name());
        std::fs::create_dir_all(&to).map_err(SweepError::io(&to))?;
        for f in RUN_FILES {
            let from = entry.path().join(f);
            if from.is_file() {
                std::fs::copy(&from, to.join(f)).map_err(SweepError::io(&from))?;
            }
        }
        copied += 1;
    }
    Ok(copied)
}
