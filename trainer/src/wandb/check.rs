//! Runs `shared/tools/wandb-check` (wandb's own reader) on a run folder. Tests
//! of this crate and of the `train` binary share it, so the rule for finding a
//! Python with wandb lives in one place.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Python that imports `wandb`, and the checker script.
#[derive(Debug, Clone)]
pub struct Checker {
    pub python: PathBuf,
    pub script: PathBuf,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// `$FFN_WANDB_PYTHON`, else `<workspace>/.venv/bin/python`, else
/// `/work/.venv-wandb/bin/python`: the first that can `import wandb`.
/// The script is `$FFN_WANDB_CHECK` or `<workspace>/../shared/tools/wandb-check`.
pub fn find() -> Result<Checker, String> {
    let script = std::env::var_os("FFN_WANDB_CHECK")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/tools/wandb-check"));
    if !script.is_file() {
        return Err(format!("wandb-check not found at {} (set FFN_WANDB_CHECK)", script.display()));
    }
    let candidates: Vec<PathBuf> = match std::env::var_os("FFN_WANDB_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![workspace().join(".venv/bin/python"), PathBuf::from("/work/.venv-wandb/bin/python")],
    };
    let mut tried = Vec::new();
    for python in candidates {
        let ok = Command::new(&python).args(["-c", "import wandb"]).output().is_ok_and(|o| o.status.success());
        if ok {
            return Ok(Checker { python, script });
        }
        tried.push(python.display().to_string());
    }
    Err(format!(
        "no Python with wandb found (tried {}); install with `python3 -m venv .venv && .venv/bin/pip install wandb==0.29.0` or set FFN_WANDB_PYTHON",
        tried.join(", ")
    ))
}

/// For tests: the checker, or `None` after printing why when it is missing and
/// `CI` is unset. Under CI a missing checker is a failure, never a skip.
pub fn for_tests() -> Option<Checker> {
    or_skip("wandb-check", find())
}

/// A test's tool, or `None` after printing why it is missing; under `CI` a
/// missing tool fails the test instead of skipping it.
fn or_skip<T>(tool: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(t) => Some(t),
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping {tool}: {why}");
            None
        }
        Err(why) => panic!("CI is set but {tool} is missing: {why}"),
    }
}

/// Today's wandb client (`wandb agent`, `wandb sync` through wandb-core), in
/// its own venv beside the checker's 0.29 (`scripts/setup.sh` makes both):
/// `$FFN_WANDB_CURRENT_PYTHON`, else `<workspace>/.venv-agent/bin/python`.
pub fn current_client() -> Result<PathBuf, String> {
    let python = std::env::var_os("FFN_WANDB_CURRENT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv-agent/bin/python"));
    let out = Command::new(&python).args(["-c", "import wandb; print(wandb.__version__)"]).output();
    match out {
        Ok(o) if o.status.success() => Ok(python),
        _ => Err(format!(
            "no current wandb client at {} (scripts/setup.sh installs it, or set FFN_WANDB_CURRENT_PYTHON)",
            python.display()
        )),
    }
}

/// For tests: [`current_client`], or `None` after printing why when it is
/// missing and `CI` is unset; under CI a missing client is a failure.
pub fn current_client_for_tests() -> Option<PathBuf> {
    or_skip("the current wandb client", current_client())
}

impl Checker {
    /// The checker's JSON report; `Err` holds its error text when the run is invalid.
    pub fn check(&self, run: &Path, expect_keys: &[&str]) -> Result<Value, String> {
        let mut cmd = Command::new(&self.python);
        cmd.arg(&self.script).arg(run).arg("--json");
        if !expect_keys.is_empty() {
            cmd.arg("--expect-keys").arg(expect_keys.join(","));
        }
        let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report: Value = serde_json::from_str(stdout.trim()).map_err(|e| {
            format!("wandb-check printed no JSON ({e}): {stdout} {}", String::from_utf8_lossy(&out.stderr))
        })?;
        if out.status.success() && report["ok"] == Value::Bool(true) {
            Ok(report)
        } else {
            Err(format!("wandb-check rejected {}: {}", run.display(), report["error"]))
        }
    }
}
