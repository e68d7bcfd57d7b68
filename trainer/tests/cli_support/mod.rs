//! Shared by the tests that run ffn's real binaries (`cli_*`, `bad_input`,
//! `resume`, ...). They belong to this package, so cargo builds them before
//! these tests and names them in `CARGO_BIN_EXE_*`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (the data sit in `../shared/data` beside it).
pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("trainer/ sits in the workspace")
}

pub fn fashion_dir() -> PathBuf {
    workspace().join("../shared/data/fashion-mnist")
}

pub fn mnist_dir() -> PathBuf {
    workspace().join("../shared/data/mnist")
}

/// The `train` binary.
pub fn train_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_train"))
}

/// The `ffn` binary.
pub fn ffn_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ffn"))
}

/// A command that runs `name` as a user types it: `train` is its own binary,
/// every other name (`sweep`, `export`, …) an `ffn` subcommand.
pub fn program(name: &str) -> Command {
    if name == "train" {
        return Command::new(train_bin());
    }
    let mut cmd = Command::new(ffn_bin());
    cmd.arg(name);
    cmd
}

/// A command for `name` that ignores the caller's environment where it would
/// change what the binary does (data folder, wandb folder and mode, CI).
pub fn command(name: &str, cwd: &Path) -> Command {
    let mut cmd = program(name);
    for key in ["FFN_DATA_DIR", "WANDB_DIR", "WANDB_MODE", "WANDB_DISABLED", "WANDB_RUN_ID", "WANDB_SWEEP_ID"] {
        cmd.env_remove(key);
    }
    cmd.env("RUST_BACKTRACE", "1").current_dir(cwd).stdin(Stdio::null());
    cmd
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn describe(&self) -> String {
        format!("exit {:?}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run<S: AsRef<std::ffi::OsStr>>(name: &str, cwd: &Path, args: &[S]) -> Run {
    finish(command(name, cwd).args(args).output().expect("the binary starts"))
}

/// Asserts the contract for bad input: a non-zero exit (`code` when given),
/// exactly one line on stderr of the form `<program>: error: …` that contains
/// every `needle` (case-insensitive), and no panic or backtrace.
pub fn assert_clean_error(r: &Run, program: &str, code: Option<i32>, needles: &[&str]) {
    let ctx = r.describe();
    assert!(r.code.is_some_and(|c| c != 0), "expected a non-zero exit: {ctx}");
    if let Some(code) = code {
        assert_eq!(r.code, Some(code), "{ctx}");
    }
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!r.stderr.contains(bad), "stderr shows a panic ({bad}): {ctx}");
    }
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected exactly one line on stderr: {ctx}");
    let prefix = format!("{program}: error: ");
    assert!(lines[0].starts_with(&prefix), "stderr must start with {prefix:?}: {ctx}");
    let lower = lines[0].to_lowercase();
    for needle in needles {
        assert!(lower.contains(&needle.to_lowercase()), "stderr does not name {needle:?}: {ctx}");
    }
}

/// The resolved configuration `train --dry_run ARGS` prints.
pub fn dry_run<S: AsRef<str>>(cwd: &Path, args: &[S]) -> Result<serde_json::Value, Run> {
    let mut all: Vec<String> = args.iter().map(|a| a.as_ref().to_string()).collect();
    all.push("--dry_run".into());
    let r = run("train", cwd, &all);
    if r.code != Some(0) {
        return Err(r);
    }
    Ok(serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("--dry_run printed no JSON ({e}): {}", r.describe())))
}

/// SHA-256 of a file, hex.
pub fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The single `wandb/offline-run-*` folder under `base`.
pub fn wandb_run_dir(base: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(base.join("wandb"))
        .unwrap_or_else(|e| panic!("no wandb folder in {}: {e}", base.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("offline-run-")))
        .collect();
    assert_eq!(dirs.len(), 1, "expected one offline run in {}: {dirs:?}", base.display());
    dirs[0].clone()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The samples a `confusion.json` counts: the sum of its matrix.
pub fn confusion_total(confusion: &serde_json::Value) -> u64 {
    let rows = confusion["matrix"].as_array().expect("confusion.json has a matrix");
    rows.iter().flat_map(|r| r.as_array().expect("a matrix row")).map(|v| v.as_u64().expect("a count")).sum()
}

/// Two config values are equal, numbers by value (`1e-3` = `0.001`, `0` = `0.0`).
pub fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if !(a.is_string() || b.is_string()) => x == y,
        _ => a == b,
    }
}

/// scikit-learn's bundled `load_digits` and `load_iris` in every form ffn
/// reads (see `scripts/sklearn_datasets.py`), plus the iris table as a TSV
/// (`iris.tsv`) and header-less with `;` between the fields
/// (`iris_plain.txt`); written once per test process.
pub fn sklearn_data() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        sklearn_datasets(dir.path());
        let csv = std::fs::read_to_string(dir.path().join("iris.csv")).expect("iris.csv");
        std::fs::write(dir.path().join("iris.tsv"), csv.replace(',', "\t")).expect("tsv");
        let body: String = csv.lines().skip(1).map(|l| format!("{}\n", l.replace(',', ";"))).collect();
        std::fs::write(dir.path().join("iris_plain.txt"), body).expect("plain");
        dir
    })
    .path()
}

/// Runs `scripts/sklearn_datasets.py OUT`.
fn sklearn_datasets(out: &Path) {
    sklearn_script("sklearn_datasets.py", &[out.as_os_str()]);
}

/// Runs `scripts/SCRIPT ARGS` with `$FFN_SKLEARN_PYTHON`, else the workspace's
/// `.venv/bin/python` (`scripts/setup.sh` installs scikit-learn there), with
/// one BLAS thread (the tests run binaries beside it); returns its stdout.
pub fn sklearn_script(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let python = std::env::var_os("FFN_SKLEARN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/python"));
    let script = workspace().join("scripts").join(script);
    let mut cmd = Command::new(&python);
    for key in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"] {
        cmd.env(key, "1");
    }
    match cmd.arg(&script).args(args).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => panic!(
            "{} {} failed: {}\n(scripts/setup.sh installs scikit-learn and Pillow into .venv; or set \
             FFN_SKLEARN_PYTHON)",
            python.display(),
            script.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "cannot run {} ({e}): run scripts/setup.sh (it installs scikit-learn and Pillow into .venv) or set \
             FFN_SKLEARN_PYTHON",
            python.display()
        ),
    }
}

/// The two percentages (f32, int8) of `ffn export`'s `test accuracy` row.
pub fn export_accuracies(stdout: &str) -> (f64, f64) {
    let line = stdout.lines().find(|l| l.starts_with("test accuracy")).unwrap_or_else(|| panic!("{stdout}"));
    let values: Vec<f64> =
        line.split_whitespace().filter_map(|w| w.strip_suffix('%')).map(|v| v.parse().unwrap()).collect();
    assert_eq!(values.len(), 2, "{line}");
    (values[0], values[1])
}
