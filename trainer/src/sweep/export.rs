//! A compact copy of a sweep for committing (`results/`): the YAML, state and
//! summary, and per run only what a report reads (config, per-epoch metrics,
//! summary, confusion matrix): no model files, logs or wandb transaction logs.

use super::error::{Result, SweepError};
use std::path::Path;

const SWEEP_FILES: &[&str] = &["sweep.yaml", super::state::FILE_NAME, "sweep-summary.txt", "sweep-summary.json"];
const RUN_FILES: &[&str] = &["config.json", "metrics.jsonl", "summary.json", "confusion.json"];

/// Copies the compact sweep from `out_dir` to `dest`; returns the number of runs copied.
pub fn export(out_dir: &Path, dest: &Path) -> Result<usize> {
    std::fs::create_dir_all(dest).map_err(SweepError::io(dest))?;
    for f in SWEEP_FILES {
        let from = out_dir.join(f);
        if from.is_file() {
            std::fs::copy(&from, dest.join(f)).map_err(SweepError::io(&from))?;
        }
    }
    let runs = out_dir.join("runs");
    let mut copied = 0;
    let Ok(entries) = std::fs::read_dir(&runs) else { return Ok(0) };
    for entry in entries.flatten() {
        if !entry.path().is_dir() {
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
