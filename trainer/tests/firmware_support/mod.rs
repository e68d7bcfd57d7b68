//! Builds and runs the Cortex-M firmware in QEMU for the tests (`embedded_parity`,
//! `export_estimate`), and the data they feed it: test images and a small trained table model.
#![allow(dead_code)]

use ffn_core::model::Model as CoreModel;
use ffn_infer_embedded::format::{Description, Network, OwnedPreprocessing, encode_f32, encode_int8, producer};
use ffn_infer_embedded::{Activation, InputType, Model};
use ffn_trainer::data::IMAGE_LEN;
use ffn_trainer::export::quantize::{Calibration, quantize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("trainer/ sits in the workspace").to_path_buf()
}

pub fn firmware_dir() -> PathBuf {
    repo().join("infer-embedded/firmware")
}

pub fn default_model_path() -> PathBuf {
    firmware_dir().join("models/fashion-4x128-relu.int8.ffn")
}

pub fn data_root() -> PathBuf {
    std::env::var_os("FFN_DATA_DIR").map_or_else(|| repo().join("../shared/data"), PathBuf::from)
}

pub fn gunzip(dataset: &str, name: &str, header: usize) -> Vec<u8> {
    let root = data_root();
    let dir = if root.join(dataset).is_dir() { root.join(dataset) } else { root };
    let path = dir.join(name);
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .read_to_end(&mut bytes)
        .unwrap();
    bytes.split_off(header)
}

/// A dataset's raw pixels and labels (`t10k` or `train`).
pub fn images(dataset: &str, split: &str) -> (Vec<u8>, Vec<u8>) {
    (
        gunzip(dataset, &format!("{split}-images-idx3-ubyte.gz"), 16),
        gunzip(dataset, &format!("{split}-labels-idx1-ubyte.gz"), 8),
    )
}

/// MNIST pooled to 8×8 (the 24×24 centre, 3×3 means): 64 features of 0–255, as f32.
pub fn pooled(pixels: &[u8]) -> Vec<f32> {
    pixels
        .chunks_exact(IMAGE_LEN)
        .flat_map(|image| {
            (0..64).map(move |k| {
                let (row, col) = (2 + 3 * (k / 8), 2 + 3 * (k % 8));
                let sum: u32 = (0..9).map(|d| image[(row + d / 3) * 28 + col + d % 3] as u32).sum();
                sum as f32 / 9.0
            })
        })
        .collect()
}

/// A 64 → 32 → 10 table model on pooled MNIST, trained here (3 Adam
/// epochs), with its test samples: the int8 and f32 files, the quantised
/// layers, the f32 test features and labels.
pub struct TableModel {
    pub int8: Vec<u8>,
    pub f32: Vec<u8>,
    pub quantised: ffn_infer_embedded::format::Int8Model,
    pub test: Vec<f32>,
    pub labels: Vec<u8>,
}

pub fn table_model(activation: Activation) -> TableModel {
    let (train_pixels, train_labels) = images("mnist", "train");
    let (test_pixels, test_labels) = images("mnist", "t10k");
    let (train, test) = (pooled(&train_pixels), pooled(&test_pixels));
    let mean: Vec<f32> =
        (0..64).map(|i| train.iter().skip(i).step_by(64).sum::<f32>() / train_labels.len() as f32).collect();
    let std: Vec<f32> = (0..64)
        .map(|i| {
            let var = train.iter().skip(i).step_by(64).map(|v| (v - mean[i]).powi(2)).sum::<f32>()
                / train_labels.len() as f32;
            if var > 0.0 { var.sqrt() } else { 1.0 }
        })
        .collect();
    let standardised: Vec<f32> = train.iter().enumerate().map(|(k, v)| (v - mean[k % 64]) / std[k % 64]).collect();
    let sizes = [64, 32, 10];
    let spec = ffn_core::activation::by_name(activation.name()).unwrap();
    let loss = ffn_core::loss::by_name("cross_entropy").unwrap();
    let mut core = CoreModel::new(&sizes, spec, ffn_core::Init::Xavier, 5, 64);
    let hyper = ffn_core::Hyper { learning_rate: 2e-3, ..Default::default() };
    let mut optimizer =
        ffn_core::optim::Optimizer::new(ffn_core::optim::by_name("adam").unwrap(), hyper, core.params.len());
    let labels: Vec<u32> = train_labels.iter().map(|&l| l as u32).collect();
    for _ in 0..3 {
        for start in (0..labels.len()).step_by(64) {
            let end = (start + 64).min(labels.len());
            core.train_step(
                &ffn_core::exec::Serial,
                &standardised[start * 64..end * 64],
                &labels[start..end],
                loss,
                0.0,
                &mut optimizer,
            );
        }
    }
    let desc = Description {
        input_type: InputType::F32,
        image: None,
        preprocessing: OwnedPreprocessing::Standardize { mean, std },
        classes: (0..10).map(|c| c.to_string()).collect(),
        features: (0..64).map(|k| format!("p{}_{}", k / 8, k % 8)).collect(),
        source: "mnist pooled to 8×8 (embedded_parity)".into(),
        run: "table-model".into(),
        producer: producer(),
    };
    let network = Network::new(&sizes, activation, core.params.to_vec());
    let quantised = quantize(&network, &desc, &standardised[..2000 * 64], Calibration::Max).unwrap();
    TableModel {
        int8: encode_int8(&quantised, &desc).unwrap(),
        f32: encode_f32(&network, &desc).unwrap(),
        quantised,
        test,
        labels: test_labels,
    }
}

/// An int8 MNIST model of layer sizes that no kernel takes in whole steps
/// (784 → 37 → 13 → 10: fan-ins 37 and 13 leave 1–15 columns past the last
/// full step and past a multiple of 4, 37 and 13 rows one past a block of
/// four), trained here for one Adam epoch on 20,000 images, fed `u8` pixels.
pub fn odd_shaped_model() -> Vec<u8> {
    const SIZES: [usize; 4] = [IMAGE_LEN, 37, 13, 10];
    const IMAGES: usize = 20_000;
    let (pixels, labels) = images("mnist", "train");
    let inputs: Vec<f32> = pixels[..IMAGES * IMAGE_LEN].iter().map(|&p| p as f32 / 255.0).collect();
    let labels: Vec<u32> = labels[..IMAGES].iter().map(|&l| l as u32).collect();
    let spec = ffn_core::activation::by_name("relu").unwrap();
    let loss = ffn_core::loss::by_name("cross_entropy").unwrap();
    let mut core = CoreModel::new(&SIZES, spec, ffn_core::Init::Xavier, 11, 64);
    let hyper = ffn_core::Hyper { learning_rate: 2e-3, ..Default::default() };
    let mut optimizer =
        ffn_core::optim::Optimizer::new(ffn_core::optim::by_name("adam").unwrap(), hyper, core.params.len());
    for start in (0..IMAGES).step_by(64) {
        let end = (start + 64).min(IMAGES);
        let batch = &inputs[start * IMAGE_LEN..end * IMAGE_LEN];
        core.train_step(&ffn_core::exec::Serial, batch, &labels[start..end], loss, 0.0, &mut optimizer);
    }
    let desc = Description {
        input_type: InputType::U8,
        image: None,
        preprocessing: OwnedPreprocessing::Divide(255.0),
        classes: (0..10).map(|c| c.to_string()).collect(),
        features: Vec::new(),
        // The firmware's build script streams MNIST test images to models of this source.
        source: "mnist".into(),
        run: "odd-shaped-model".into(),
        producer: producer(),
    };
    let network = Network::new(&SIZES, Activation::Relu, core.params.to_vec());
    let quantised = quantize(&network, &desc, &inputs[..2000 * IMAGE_LEN], Calibration::Max).unwrap();
    encode_int8(&quantised, &desc).unwrap()
}

pub fn scratch_for(model: &Model<'_>) -> Vec<u32> {
    vec![0u32; model.scratch_bytes().div_ceil(4)]
}

pub fn host_classes(model_bytes: &[u8], samples: &[f32]) -> Vec<u16> {
    let model = Model::from_bytes(model_bytes).expect("valid model");
    let mut scratch = scratch_for(&model);
    samples
        .chunks_exact(model.inputs())
        .map(|s| model.predict(s, bytemuck::cast_slice_mut(&mut scratch), &mut []).unwrap() as u16)
        .collect()
}

/// The cores of `infer-embedded/firmware/boards.sh`: `(board, rust target)`.
pub const BOARDS: [(&str, &str); 6] = [
    ("microbit", "thumbv6m-none-eabi"),
    ("lm3s6965evb", "thumbv7m-none-eabi"),
    ("mps2-an386", "thumbv7em-none-eabihf"),
    ("mps2-an500", "thumbv7em-none-eabihf"),
    ("mps2-an505", "thumbv8m.main-none-eabihf"),
    ("mps3-an547", "thumbv8m.main-none-eabihf"),
];

/// `Some(reason)` when the QEMU test cannot run on this machine.
pub fn missing_tools() -> Option<String> {
    if Command::new("qemu-system-arm").arg("--version").output().is_err() {
        return Some("qemu-system-arm is not installed (apt-get install qemu-system-arm)".into());
    }
    let targets = Command::new("rustup").args(["target", "list", "--installed"]).output();
    let installed = targets.map(|out| String::from_utf8_lossy(&out.stdout).into_owned()).unwrap_or_default();
    BOARDS
        .iter()
        .find(|(_, target)| !installed.contains(target))
        .map(|(_, target)| format!("the {target} target is not installed (scripts/setup.sh adds it)"))
}

pub fn skip_without_tools() -> bool {
    let Some(reason) = missing_tools() else { return false };
    assert!(std::env::var_os("CI").is_none(), "CI must run the QEMU parity tests, but {reason}");
    eprintln!("skipping the QEMU parity test: {reason}");
    true
}

/// What the firmware reported.
pub struct Run {
    pub board: String,
    pub classes: Vec<u16>,
    pub host_mismatches: usize,
    pub static_ram: usize,
    pub peak_stack: usize,
    pub instructions_per_inference: usize,
    pub flash: Option<usize>,
    pub log: String,
}

pub fn field(log: &str, key: &str) -> usize {
    let rest = log.split(&format!("{key} ")).nth(1).unwrap_or_else(|| panic!("no {key} in firmware output:\n{log}"));
    rest.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("bad {key} in:\n{log}"))
}

/// Flash of an ELF as `measure.sh` counts it (vector table, code, read-only data), if binutils are there.
pub fn flash_bytes(elf: &Path) -> Option<usize> {
    let out = Command::new("arm-none-eabi-size").arg("-A").arg(elf).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let sections = [".vector_table", ".text", ".rodata", ".data"];
    Some(
        text.lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let name = words.next()?;
                sections.contains(&name).then(|| words.next()?.parse::<usize>().ok()).flatten()
            })
            .sum(),
    )
}

/// [`run_firmware`] on every board of [`BOARDS`] at once, in their order.
pub fn run_on_every_board(env: &[(&str, &Path)], images: usize) -> Vec<Run> {
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            BOARDS.iter().map(|(board, _)| scope.spawn(move || run_firmware(board, &[], env, Some(images)))).collect();
        handles.into_iter().map(|h| h.join().expect("a board's run panicked")).collect()
    })
}

/// Builds the firmware for `board` with `env` (model, samples) through
/// `firmware/run.sh` (which serialises builds and runs each in its own folder)
/// and runs it in QEMU.
pub fn run_firmware(board: &str, features: &[&str], env: &[(&str, &Path)], images: Option<usize>) -> Run {
    let dir = firmware_dir();
    let run_dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(dir.join("run.sh"));
    cmd.arg(board).env("CARGO_TARGET_DIR", dir.join("target")).env("FFN_DATA_DIR", data_root());
    cmd.env("FFN_RUN_DIR", run_dir.path());
    for name in ["FFN_MODEL", "FFN_SAMPLES", "FFN_LABELS", "FFN_IMAGES", "FFN_FIRST_IMAGE", "RUSTFLAGS"] {
        cmd.env_remove(name);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    if let Some(n) = images {
        cmd.env("FFN_IMAGES", n.to_string());
    }
    let output = cmd.output().expect("run.sh runs");
    let log = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("host mismatches"), "{board}: the firmware did not report:\n{log}");
    let classes: Vec<u16> = log
        .lines()
        .filter_map(|line| line.strip_prefix("classes "))
        .flat_map(|line| {
            line.split_whitespace().nth(1).unwrap_or("").split(',').map(|c| c.parse().unwrap()).collect::<Vec<_>>()
        })
        .collect();
    let host_mismatches = field(&log, "host mismatches");
    assert_eq!(output.status.code(), Some(if host_mismatches == 0 { 0 } else { 2 }), "{board}:\n{log}");
    assert_eq!(field(&log, "failed predictions"), 0, "{log}");
    Run {
        board: board.to_string(),
        instructions_per_inference: field(&log, "instructions_per_inference"),
        classes,
        host_mismatches,
        static_ram: field(&log, "static_ram_bytes"),
        peak_stack: field(&log, "peak_stack_bytes"),
        flash: flash_bytes(&run_dir.path().join("ffn-firmware")),
        log,
    }
}
