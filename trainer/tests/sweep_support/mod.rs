//! Shared by the `sweep_*` tests: the real `train` binary, the `ffn sweep`
//! command (cargo builds both for this package's tests) and the repo root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("trainer/ sits in the workspace")
}

/// The `train` binary.
pub fn train_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_train"))
}

/// A command that runs `ffn sweep`.
pub fn sweep_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ffn"));
    cmd.arg("sweep");
    cmd
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The folder holding the datasets: `$FFN_DATA_DIR`, else `../shared/data`
/// beside the repository (as on CI), as an absolute path.
pub fn data_dir() -> String {
    let dir = std::env::var_os("FFN_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("../shared/data"));
    dir.canonicalize().unwrap_or_else(|e| panic!("{}: {e} (set FFN_DATA_DIR)", dir.display())).display().to_string()
}

/// Polls `ready` until it holds; fails the test after `limit` (a sweep that
/// never gets there).
pub fn wait_for(mut ready: impl FnMut() -> bool, limit: Duration) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out");
        std::thread::sleep(Duration::from_millis(100));
    }
}
