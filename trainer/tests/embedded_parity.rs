//! The embedded classifier agrees with the host:
//! - the host f32 path of `ffn-infer-embedded` reproduces ffn-core's own
//!   forward pass (same argmax, probabilities within 1e-4), for every activation;
//! - the committed int8 firmware model, run in QEMU (Cortex-M4F, mps2-an386 and
//!   the 256 KiB/64 KiB lm3s6965evb map), predicts exactly the classes that
//!   `ffn-infer-embedded` compiled for the host predicts for the same test images.
//!
//! Needs `qemu-system-arm` and the `thumbv7em-none-eabihf` target: without them the
//! QEMU test is skipped with a message, unless `CI` is set, where it fails.

use ffn_core::model::Model as CoreModel;
use ffn_infer_embedded::format::{decode_f32, encode_f32};
use ffn_infer_embedded::{Activation, INPUT_SIZE, Model, NUM_CLASSES, Scratch};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const HOST_WIDTH: usize = 512;
/// Images the mps2-an386 firmware classifies (lm3s6965's flash holds fewer: its build default).
const MPS2_IMAGES: usize = 256;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("trainer/ sits in the workspace").to_path_buf()
}

fn firmware_dir() -> PathBuf {
    repo().join("infer-embedded/firmware")
}

fn default_model() -> Vec<u8> {
    std::fs::read(firmware_dir().join("models/fashion-4x128-relu.int8.ffn")).expect("committed firmware model")
}

fn data_dir() -> PathBuf {
    match std::env::var_os("FFN_DATA_DIR") {
        Some(dir) if Path::new(&dir).join("fashion-mnist").is_dir() => Path::new(&dir).join("fashion-mnist"),
        Some(dir) => dir.into(),
        None => repo().join("../shared/data/fashion-mnist"),
    }
}

fn gunzip(name: &str, header: usize) -> Vec<u8> {
    let path = data_dir().join(name);
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .read_to_end(&mut bytes)
        .unwrap();
    bytes.split_off(header)
}

/// The first `count` Fashion-MNIST test images (raw pixels) and labels.
fn test_images(count: usize) -> (Vec<u8>, Vec<u8>) {
    let pixels = gunzip("t10k-images-idx3-ubyte.gz", 16);
    let labels = gunzip("t10k-labels-idx1-ubyte.gz", 8);
    (pixels[..count * INPUT_SIZE].to_vec(), labels[..count].to_vec())
}

fn host_classes(model_bytes: &[u8], pixels: &[u8]) -> Vec<u8> {
    let model = Model::<HOST_WIDTH>::from_bytes(model_bytes).expect("valid model");
    let mut scratch = Box::new(Scratch::new());
    pixels.chunks_exact(INPUT_SIZE).map(|p| model.predict(p.try_into().unwrap(), &mut scratch).class as u8).collect()
}

/// Compares infer-embedded's f32 path with ffn-core's batched forward pass on real images.
fn assert_f32_parity(sizes: &[usize], activation: Activation, params: Vec<f32>, pixels: &[u8]) {
    let count = pixels.len() / INPUT_SIZE;
    let images: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    let spec = ffn_core::activation::by_name(activation.name()).expect("ffn-core knows every file activation");
    let bytes = encode_f32(sizes, activation, &params);
    let mut core = CoreModel::from_params(sizes, spec, params, count);
    let probabilities = core.forward(&ffn_core::exec::Serial, &images, count);
    let model = Model::<HOST_WIDTH>::from_bytes(&bytes).expect("valid model");
    let mut scratch = Box::new(Scratch::new());
    let mut worst = 0.0f32;
    for (k, (image, expected)) in
        pixels.chunks_exact(INPUT_SIZE).zip(probabilities.chunks_exact(NUM_CLASSES)).enumerate()
    {
        let prediction = model.predict(image.try_into().unwrap(), &mut scratch);
        for (got, want) in prediction.scores.iter().zip(expected) {
            worst = worst.max((got - want).abs());
        }
        let mut ranked: Vec<(usize, f32)> = expected.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        // A near-tie may legitimately flip with a different summation order.
        if ranked[0].1 - ranked[1].1 > 1e-5 {
            assert_eq!(prediction.class, ranked[0].0, "{activation:?}: image {k} classified differently");
        }
    }
    assert!(worst < 1e-4, "{activation:?}: probabilities differ by up to {worst}");
}

#[test]
fn host_f32_path_matches_ffn_core_forward() {
    let (pixels, _) = test_images(1000);
    // The trained firmware model, dequantised: real weights.
    let trained = decode_f32(&default_model()).expect("committed model decodes");
    assert_f32_parity(&trained.sizes, trained.activation, trained.params, &pixels);
    // Every activation, on freshly initialised ffn-core models.
    for activation in Activation::ALL {
        let spec = ffn_core::activation::by_name(activation.name()).unwrap();
        let sizes = [INPUT_SIZE, 48, 24, NUM_CLASSES];
        let core = CoreModel::new(&sizes, spec, ffn_core::Init::Xavier, 7, 1);
        assert_f32_parity(&sizes, activation, core.params.to_vec(), &pixels[..300 * INPUT_SIZE]);
    }
}

/// `Some(reason)` when the QEMU test cannot run on this machine.
fn missing_tools() -> Option<String> {
    if Command::new("qemu-system-arm").arg("--version").output().is_err() {
        return Some("qemu-system-arm is not installed (apt-get install qemu-system-arm)".into());
    }
    let targets = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match targets {
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("thumbv7em-none-eabihf") => None,
        _ => Some("the thumbv7em-none-eabihf target is not installed (rustup target add thumbv7em-none-eabihf)".into()),
    }
}

/// What the firmware reported.
struct Run {
    classes: Vec<u8>,
    host_mismatches: usize,
    static_ram: usize,
    peak_stack: usize,
    log: String,
}

fn field(log: &str, key: &str) -> usize {
    let rest = log.split(&format!("{key} ")).nth(1).unwrap_or_else(|| panic!("no {key} in firmware output:\n{log}"));
    rest.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("bad {key} in:\n{log}"))
}

/// Builds the firmware for `board` and runs it in QEMU (under a timeout).
fn run_firmware(board: &str, images: Option<usize>) -> Run {
    let dir = firmware_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    // cargo reads the firmware's .cargo/config.toml (its target) only from its own directory.
    build.current_dir(&dir).args(["build", "--release", "--quiet"]);
    build.env("CARGO_TARGET_DIR", dir.join("target")).env("FFN_DATA_DIR", data_dir());
    if board == "lm3s6965evb" {
        build.args(["--features", "lm3s6965"]);
    }
    match images {
        Some(n) => build.env("FFN_IMAGES", n.to_string()),
        None => build.env_remove("FFN_IMAGES"),
    };
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "firmware build for {board} failed");

    let elf = dir.join("target/thumbv7em-none-eabihf/release/ffn-firmware");
    let output = Command::new("timeout")
        .args(["120", "qemu-system-arm", "-cpu", "cortex-m4", "-machine", board, "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native", "-icount", "shift=0", "-kernel"])
        .arg(&elf)
        .output()
        .expect("qemu-system-arm runs");
    let log = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    let classes: Vec<u8> = log
        .lines()
        .filter_map(|line| line.strip_prefix("classes "))
        .flat_map(|line| line.split_whitespace().nth(1).unwrap_or("").bytes().map(|b| b - b'0').collect::<Vec<_>>())
        .collect();
    let host_mismatches = field(&log, "host mismatches");
    assert_eq!(output.status.code(), Some(if host_mismatches == 0 { 0 } else { 2 }), "{board}:\n{log}");
    Run {
        classes,
        host_mismatches,
        static_ram: field(&log, "static_ram_bytes"),
        peak_stack: field(&log, "peak_stack_bytes"),
        log,
    }
}

#[test]
fn int8_firmware_in_qemu_matches_host() {
    if let Some(reason) = missing_tools() {
        assert!(std::env::var_os("CI").is_none(), "CI must run the QEMU parity test, but {reason}");
        eprintln!("skipping the QEMU parity test: {reason}");
        return;
    }
    let model = default_model();
    // Both boards, one after the other: they share the firmware's target folder.
    for (board, images) in [("mps2-an386", Some(MPS2_IMAGES)), ("lm3s6965evb", None)] {
        let run = run_firmware(board, images);
        let count = run.classes.len();
        assert!(count >= if images.is_some() { 200 } else { 32 }, "{board}: only {count} classes:\n{}", run.log);
        let (pixels, labels) = test_images(count);
        let expected = host_classes(&model, &pixels);
        assert_eq!(run.classes, expected, "{board}: QEMU and host predictions differ");
        assert_eq!(run.host_mismatches, 0);
        let correct = run.classes.iter().zip(&labels).filter(|(c, l)| c == l).count();
        assert!(correct * 100 >= count * 80, "{board}: {correct}/{count} correct is not a trained model");
        // The goal for the default int8 model: activations + stack within 4 KiB of RAM.
        assert!(run.static_ram + run.peak_stack <= 4096, "{board}: RAM {} + {}", run.static_ram, run.peak_stack);
        eprintln!("{board}: {count} images, {correct} correct, identical to the host");
    }
}
