//! The C API (`infer-embedded/ffn-c`) classifies like the host's `predict`:
//! - on the host: `ffn-c/tests/host_test.c`, compiled by the host's `cc`
//!   against `libffn_c.a`, checks every `FFN_E_*` path a caller can reach and
//!   prints the class of each test image, for an int8 and an f32 model;
//! - on the emulated Cortex-M4F: the C example (`ffn-c/example`, built with
//!   `arm-none-eabi-gcc` against the `panic-never` library) prints the same
//!   class names and probabilities as `ffn predict MODEL IDX:K` for the same images.
//!
//! Needs a host `cc`; the QEMU half needs `arm-none-eabi-gcc`, `make` and
//! `qemu-system-arm` and is skipped without them unless `CI` is set.

mod cli_support;

use cli_support::{fashion_dir, run, workspace};
use ffn_infer_embedded::format::{decode, encode_f32};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const IMAGES: usize = 16;
const IMAGE_LEN: usize = 784;

fn ffn_c_dir() -> PathBuf {
    workspace().join("infer-embedded/ffn-c")
}

fn int8_model() -> PathBuf {
    workspace().join("infer-embedded/firmware/models/fashion-4x128-relu.int8.ffn")
}

fn test_images_idx() -> PathBuf {
    fashion_dir().join("t10k-images-idx3-ubyte.gz")
}

/// `target/` and the profile of the running test.
fn target_and_profile() -> (PathBuf, String) {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let profile = profile_dir.file_name().unwrap().to_string_lossy().into_owned();
    (profile_dir.parent().unwrap().to_path_buf(), profile)
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace()).env("CARGO_TARGET_DIR", target_and_profile().0);
    cmd
}

/// One class per sample: `(name, percent)`.
type Classes = Vec<(String, f64)>;

/// `ffn predict MODEL IDX:0 … IDX:n-1`, as a user runs it.
fn host_predict(model: &Path) -> Classes {
    let idx = test_images_idx();
    let mut args = vec![model.display().to_string()];
    args.extend((0..IMAGES).map(|k| format!("{}:{k}", idx.display())));
    let out = run("predict", workspace(), &args);
    assert_eq!(out.code, Some(0), "predict failed: {}", out.describe());
    // "IDX:K: NAME (P%) | …": the name and percent follow the label's ": ".
    out.stdout
        .lines()
        .map(|line| {
            let rest = line.rsplit_once(&format!("{}:", idx.display())).map(|(_, r)| r).unwrap_or(line);
            parse_class(rest.split_once(": ").map_or(rest, |(_, r)| r).split(" | ").next().unwrap())
        })
        .collect()
}

/// `NAME (P%)`.
fn parse_class(text: &str) -> (String, f64) {
    let (name, percent) = text.trim().rsplit_once(" (").unwrap_or_else(|| panic!("no class in {text:?}"));
    (name.to_string(), percent.trim_end_matches("%)").parse().unwrap_or_else(|_| panic!("bad percent in {text:?}")))
}

/// The `image K: NAME (P%)` lines of the C programs, in order.
fn c_classes(stdout: &str) -> Classes {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("image "))
        .enumerate()
        .map(|(k, rest)| {
            let (index, class) = rest.split_once(": ").unwrap();
            assert_eq!(index.parse::<usize>().unwrap(), k, "images out of order");
            parse_class(class)
        })
        .collect()
}

fn assert_same_classes(what: &str, got: &Classes, host: &Classes) {
    assert_eq!(got.len(), IMAGES, "{what}: {} classes", got.len());
    for (k, ((name, p), (host_name, host_p))) in got.iter().zip(host).enumerate() {
        assert_eq!(name, host_name, "{what}: image {k}");
        // One decimal printed by two programs: the last digit may round differently.
        assert!((p - host_p).abs() <= 0.11, "{what}: image {k}: {p} % vs {host_p} %");
    }
}

fn first_images() -> Vec<u8> {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(test_images_idx()).unwrap()).read_to_end(&mut bytes).unwrap();
    bytes[16..16 + IMAGES * IMAGE_LEN].to_vec()
}

#[test]
fn host_c_program_checks_every_error_and_matches_predict() {
    let (target, profile) = target_and_profile();
    let cargo_profile = if profile == "debug" { "dev" } else { profile.as_str() };
    let status = cargo().args(["build", "--quiet", "-p", "ffn-c", "--profile", cargo_profile]).status().unwrap();
    assert!(status.success(), "cargo build -p ffn-c failed");
    let library = target.join(&profile).join("libffn_c.a");

    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("host_test");
    let compiled = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror"])
        .arg(ffn_c_dir().join("tests/host_test.c"))
        .arg(&library)
        // What Rust's std needs on Linux (`--print native-static-libs`).
        .args(["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc", "-o"])
        .arg(&exe)
        .output()
        .expect("a host C compiler (cc)");
    assert!(compiled.status.success(), "cc failed:\n{}", String::from_utf8_lossy(&compiled.stderr));

    let images = tmp.path().join("images.raw");
    std::fs::write(&images, first_images()).unwrap();
    // The committed int8 model, and the same network dequantised to f32.
    let f32_model = tmp.path().join("model.f32.ffn");
    let decoded = decode(&std::fs::read(int8_model()).unwrap()).unwrap();
    std::fs::write(&f32_model, encode_f32(&decoded.network, &decoded.description.unwrap()).unwrap()).unwrap();
    for model in [int8_model(), f32_model] {
        let out = Command::new(&exe).arg(&model).arg(&images).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: host_test failed:\n{stderr}", model.display());
        assert!(stderr.contains("0 checks failed"), "{stderr}");
        assert_same_classes(&format!("host C, {}", model.display()), &c_classes(&stdout), &host_predict(&model));
    }
}

/// `Some(reason)` when the QEMU half cannot run here.
fn missing_cross_tools() -> Option<String> {
    for (tool, package) in
        [("arm-none-eabi-gcc", "gcc-arm-none-eabi"), ("qemu-system-arm", "qemu-system-arm"), ("make", "make")]
    {
        if Command::new(tool).arg("--version").output().is_err() {
            return Some(format!("{tool} is not installed (apt-get install {package})"));
        }
    }
    None
}

#[test]
fn c_example_in_qemu_prints_the_classes_of_predict() {
    if let Some(reason) = missing_cross_tools() {
        assert!(std::env::var_os("CI").is_none(), "CI must run the C example, but {reason}");
        eprintln!("skipping the C example in QEMU: {reason}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("make")
        .current_dir(ffn_c_dir().join("example"))
        .arg("--quiet")
        .arg("run")
        .arg(format!("BUILD={}", tmp.path().display()))
        .arg(format!("COUNT={IMAGES}"))
        .arg(format!("MODEL={}", int8_model().display()))
        .arg(format!("IDX={}", test_images_idx().display()))
        .env("CARGO_TARGET_DIR", target_and_profile().0)
        .env("CARGO", std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "make run failed:\n{log}");
    // SYS_WRITE0 reaches QEMU's console, which QEMU 7.2 prints on its stderr: read both.
    assert!(log.contains(&format!("classified {IMAGES} of {IMAGES}; u8/f32 disagreements 0")), "{log}");
    let classes = c_classes(&log);
    let host = host_predict(&int8_model());
    assert_same_classes("C example in QEMU", &classes, &host);
    eprintln!("C example on mps2-an386 and host predict agree on {IMAGES} images: {classes:?}");
}
