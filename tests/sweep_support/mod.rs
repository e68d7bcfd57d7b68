//! Shared by the `sweep_*` tests: the real `train` and `sweep` binaries (built
//! once per test process, in the profile the tests run in) and the repo root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `(train, sweep)`, freshly built: the binaries belong to `ffn-trainer`, so
/// cargo does not build them for this package's tests by itself.
pub fn bins() -> &'static (PathBuf, PathBuf) {
    static BINS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BINS.get_or_init(|| {
        // The test executable lives in <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        // `--workspace --tests` resolves features exactly as `cargo test --workspace`
        // (CI) does, so the libraries it just built are reused, not rebuilt.
        cmd.current_dir(workspace()).args(["build", "-q", "--workspace", "--tests", "--bins"]);
        if release {
            cmd.arg("--release");
        }
        // The variables cargo sets for this test process must not reach the
        // nested build: build scripts that watch them (ring watches
        // CARGO_MANIFEST_DIR) would rebuild, and the next `cargo test` again.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let set_for_tests = [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_BIN_",
                "CARGO_CRATE_",
                "CARGO_PRIMARY_",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_",
                "OUT_DIR",
            ];
            if set_for_tests.iter().any(|p| key.starts_with(p)) {
                cmd.env_remove(&*key);
            }
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build of train and sweep failed");
        (profile_dir.join("train"), profile_dir.join("sweep"))
    })
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
