//! The sweep's state file (`sweep-state.json` in the output folder): every
//! run's configuration, progress and result. It is rewritten atomically
//! after every change, so a sweep killed at any moment restarts from it:
//! finished, stopped and failed runs are kept, interrupted ones continue
//! from their last epoch checkpoint (or start over without one).

use super::config::{Method, Metric};
use super::error::{Result, SweepError};
use super::space::Config;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const FILE_NAME: &str = "sweep-state.json";
const FORMAT: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Finished,
    /// Ended early by hyperband (or by `train` for its own reasons), cleanly.
    Stopped,
    Failed,
    /// Stopped by Ctrl-C or a signal; continues when the sweep resumes.
    Interrupted,
}

impl RunState {
    /// The run has its final result and is not run again on resume.
    pub fn is_final(self) -> bool {
        matches!(self, RunState::Finished | RunState::Stopped | RunState::Failed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Finished => "finished",
            RunState::Stopped => "stopped",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub index: usize,
    pub name: String,
    /// The swept parameters, as passed to `train`.
    pub config: Config,
    pub state: RunState,
    #[serde(default)]
    pub epochs_done: usize,
    /// The sweep metric after each epoch (`None` where it was not finite).
    #[serde(default)]
    pub history: Vec<Option<f64>>,
    /// val_accuracy after each epoch, for the live table and the summary.
    #[serde(default)]
    pub val_accuracy: Vec<Option<f64>>,
    /// The run's final value of the sweep metric.
    pub metric: Option<f64>,
    /// `summary.json` as `train` wrote it.
    pub summary: Option<serde_json::Value>,
    pub reason: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub wall_seconds: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepState {
    pub format: u32,
    pub name: String,
    pub sweep_id: String,
    /// Digest of the YAML's method, metric, parameters and early_terminate:
    /// resuming with a different search space is refused.
    pub config_digest: String,
    pub seed: u64,
    pub method: Method,
    pub metric: Option<Metric>,
    /// The extra `train` arguments (`sweep … -- ARGS`) every run got; `None`
    /// in states written before they were recorded.
    #[serde(default)]
    pub train_args: Option<Vec<String>>,
    pub runs: Vec<RunRecord>,
}

impl SweepState {
    pub fn new(name: &str, config_digest: String, seed: u64, method: Method, metric: Option<Metric>) -> SweepState {
        SweepState {
            format: FORMAT,
            name: name.into(),
            sweep_id: new_sweep_id(name),
            config_digest,
            seed,
            method,
            metric,
            train_args: None,
            runs: Vec::new(),
        }
    }

    /// Takes the extra `train` arguments of this start: the ones the sweep ran
    /// with, or a message when they differ (its runs would not be comparable).
    /// A state that never recorded them records these.
    pub fn adopt_train_args(&mut self, given: &[String]) -> std::result::Result<(), String> {
        match &self.train_args {
            Some(recorded) if recorded.as_slice() != given => {
                let show = |args: &[String]| {
                    if args.is_empty() { "no extra arguments".to_string() } else { format!("-- {}", args.join(" ")) }
                };
                Err(format!(
                    "sweep `{}` ran its runs with {}, not {}: resume it with the same arguments, or use another \
                     --output_dir for a new sweep",
                    self.name,
                    show(recorded),
                    show(given)
                ))
            }
            _ => {
                self.train_args = Some(given.to_vec());
                Ok(())
            }
        }
    }

    pub fn load(path: &Path) -> Result<Option<SweepState>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SweepError::Io { path: path.into(), source: e }),
        };
        let state: SweepState = serde_json::from_slice(&bytes).map_err(|e| SweepError::State {
            path: path.into(),
            message: format!("not a readable sweep state ({e}); move it away to start the sweep afresh"),
        })?;
        if state.format != FORMAT {
            return Err(SweepError::State {
                path: path.into(),
                message: format!("state format {} is not {FORMAT}", state.format),
            });
        }
        Ok(Some(state))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        crate::atomic::write_json(path, self).map_err(SweepError::io(path))
    }
}

/// The digest of the parts of the YAML that define the search. Computed on
/// the parsed document (JSON with sorted keys), so comments, layout and
/// keys such as `run_cap` or `description` may change between restarts.
pub fn config_digest(yaml: &str) -> String {
    let doc: serde_json::Value = serde_yaml::from_str(yaml).unwrap_or(serde_json::Value::Null);
    let keys = ["method", "metric", "parameters", "early_terminate"];
    let picked: serde_json::Map<String, serde_json::Value> =
        keys.iter().filter_map(|k| doc.get(*k).map(|v| (k.to_string(), v.clone()))).collect();
    let text = serde_json::to_string(&picked).unwrap_or_default();
    hex(&Sha256::digest(text.as_bytes()))[..16].to_string()
}

/// 8 characters of `[a-z0-9]`, like wandb's sweep ids.
fn new_sweep_id(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let digest = Sha256::digest(format!("{name}:{nanos}:{}", std::process::id()).as_bytes());
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    digest.iter().take(8).map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ignores_layout_and_bookkeeping_keys() {
        let a = "method: bayes\nparameters:\n  epochs: {values: [5, 10]}\nrun_cap: 5\n";
        let b =
            "# comment\nrun_cap: 50\ndescription: more\nparameters:\n  epochs:\n    values: [5, 10]\nmethod: bayes\n";
        let c = "method: bayes\nparameters:\n  epochs: {values: [5, 20]}\n";
        assert_eq!(config_digest(a), config_digest(b));
        assert_ne!(config_digest(a), config_digest(c));
    }

    #[test]
    fn a_resumed_sweep_keeps_its_train_arguments() {
        let mut state = SweepState::new("s", "d".into(), 1, Method::Grid, None);
        let limit = vec!["--train_limit=20000".to_string()];
        assert_eq!(state.adopt_train_args(&limit), Ok(()));
        assert_eq!(state.adopt_train_args(&limit), Ok(()));
        let err = state.adopt_train_args(&[]).expect_err("dropping an argument is refused");
        assert!(err.contains("-- --train_limit=20000") && err.contains("no extra arguments"), "{err}");
        assert!(state.adopt_train_args(&["--train_limit=5000".into()]).is_err());
        // A state from before the field existed takes what it is given.
        let mut old: SweepState = serde_json::from_value(serde_json::json!({
            "format": 1, "name": "o", "sweep_id": "x", "config_digest": "d", "seed": 1, "method": "grid",
            "metric": null, "runs": []
        }))
        .expect("old state");
        assert_eq!(old.train_args, None);
        assert_eq!(old.adopt_train_args(&limit), Ok(()));
        assert_eq!(old.train_args, Some(limit));
    }

    #[test]
    fn sweep_ids_look_like_wandb_ids() {
        let id = new_sweep_id("x");
        assert_eq!(id.len(), 8);
        assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
}
