//! Native Weights & Biases offline runs: the `.wandb` transaction log that
//! `wandb sync` uploads, written without Python (`shared/docs/wandb-offline-format.md`).
//!
//! A run lives in `<base_dir>/wandb/offline-run-YYYYMMDD_HHMMSS-<id>/`:
//! `run-<id>.wandb` (header, run record with config, one history row per
//! [`WandbRun::log`], summaries, console lines, files, exit) and `files/`
//! (config.yaml, wandb-summary.json, wandb-metadata.json, output.log). Every
//! record is written and flushed on its own, so a killed process leaves a valid,
//! shorter log that [`WandbRun::resume`] can continue.

pub mod check;
mod files;
pub mod framing;
mod media;
pub mod proto;
pub mod pyjson;
pub mod records;
mod run;
mod sys;

pub use run::WandbRun;

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// What the run record says about a run; see [`WandbRun::create`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WandbSettings {
    pub entity: String,
    pub project: String,
    pub display_name: String,
    pub group: Option<String>,
    pub sweep_id: Option<String>,
    pub job_type: Option<String>,
    pub tags: Vec<String>,
    /// `None`: `$WANDB_RUN_ID` (the sweep agent sets it), else 8 random `[a-z0-9]`.
    pub run_id: Option<String>,
    /// Runs go to `<base_dir>/wandb/`; the caller resolves `WANDB_DIR` ([`base_dir_from_env`]).
    pub base_dir: PathBuf,
    pub config: Map<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum WandbError {
    #[error("cannot create the wandb run folder {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid wandb run id {0:?}: use 1 to 64 characters from a-z, A-Z, 0-9, '-' and '_'")]
    InvalidRunId(String),
    #[error("history key {0:?} is reserved: the wandb writer sets _step, _runtime and _timestamp itself")]
    ReservedKey(String),
    #[error("no run-*.wandb file in {}: not a wandb run folder", .0.display())]
    NoLog(PathBuf),
    #[error("{} is not a usable wandb run log: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot encode {what}: {reason}")]
    Encode { what: &'static str, reason: String },
}

/// False when `WANDB_MODE=disabled` or `WANDB_DISABLED` is true, as with the
/// Python SDK. `offline`, `online` and the old `dryrun` all write an offline run:
/// a native program cannot stream live, `wandb sync` uploads afterwards.
pub fn enabled_by_env() -> bool {
    mode_enabled(std::env::var("WANDB_MODE").ok().as_deref(), std::env::var("WANDB_DISABLED").ok().as_deref())
}

fn mode_enabled(mode: Option<&str>, disabled: Option<&str>) -> bool {
    let disabled = disabled.is_some_and(|d| matches!(d.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
    let mode_off = mode.is_some_and(|m| m.trim().eq_ignore_ascii_case("disabled"));
    !(disabled || mode_off)
}

/// `$WANDB_DIR` when set and non-empty, else `default`.
pub fn base_dir_from_env(default: &Path) -> PathBuf {
    std::env::var_os("WANDB_DIR").filter(|d| !d.is_empty()).map(PathBuf::from).unwrap_or_else(|| default.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert!(mode_enabled(None, None));
        assert!(mode_enabled(Some("offline"), None));
        assert!(mode_enabled(Some("dryrun"), Some("false")));
        assert!(mode_enabled(Some("online"), Some("")));
        assert!(!mode_enabled(Some("disabled"), None));
        assert!(!mode_enabled(Some(" Disabled "), None));
        assert!(!mode_enabled(None, Some("true")));
    }
}
