//! The embedded classifier agrees with the host:
//! - the host f32 path of `ffn-infer-embedded` reproduces ffn-core's own
//!   forward pass (same argmax, probabilities within 1e-4), for every
//!   activation, with the preprocessing folded into the first layer;
//! - the committed int8 firmware model, run in QEMU on six cores (Cortex-M0
//!   microbit, M3 lm3s6965evb, M4F mps2-an386, M7 mps2-an500, M33 mps2-an505,
//!   M55 mps3-an547; the test images streamed over semihosting), predicts
//!   exactly the classes that `ffn-infer-embedded` compiled for the host
//!   predicts for the same 256 test images;
//! - so does a table model that is not MNIST-shaped: 64 standardised f32
//!   features (MNIST pooled to 8×8) → 32 → 10, trained here through ffn-core
//!   and exported to int8 and f32.
//!
//! Needs `qemu-system-arm` and the four Cortex-M targets (`scripts/setup.sh`):
//! without them the QEMU tests are skipped with a message, unless `CI` is set,
//! where they fail.

use ffn_core::model::Model as CoreModel;
use ffn_infer_embedded::format::{Description, Network, OwnedPreprocessing, encode_f32, encode_int8, producer};
use ffn_infer_embedded::{Activation, InputType, Model};
use ffn_trainer::data::info::DataInfo;
use ffn_trainer::data::{DatasetName, IMAGE_LEN};
use ffn_trainer::export::describe::description;
use ffn_trainer::export::quantize::{Calibration, quantize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Test images every core classifies (streamed over semihosting: no flash needed).
const FIRMWARE_IMAGES: usize = 256;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("trainer/ sits in the workspace").to_path_buf()
}

fn firmware_dir() -> PathBuf {
    repo().join("infer-embedded/firmware")
}

fn default_model_path() -> PathBuf {
    firmware_dir().join("models/fashion-4x128-relu.int8.ffn")
}

fn data_root() -> PathBuf {
    std::env::var_os("FFN_DATA_DIR").map_or_else(|| repo().join("../shared/data"), PathBuf::from)
}

fn gunzip(dataset: &str, name: &str, header: usize) -> Vec<u8> {
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
fn images(dataset: &str, split: &str) -> (Vec<u8>, Vec<u8>) {
    (
        gunzip(dataset, &format!("{split}-images-idx3-ubyte.gz"), 16),
        gunzip(dataset, &format!("{split}-labels-idx1-ubyte.gz"), 8),
    )
}

fn scratch_for(model: &Model<'_>) -> Vec<u32> {
    vec![0u32; model.scratch_bytes().div_ceil(4)]
}

/// Compares infer-embedded's f32 path with ffn-core's batched forward pass on real images.
fn assert_f32_parity(sizes: &[usize], activation: Activation, params: Vec<f32>, pixels: &[u8]) {
    let count = pixels.len() / IMAGE_LEN;
    let images: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    let spec = ffn_core::activation::by_name(activation.name()).expect("ffn-core knows every file activation");
    let desc = description(&DataInfo::for_dataset(DatasetName::FashionMnist), InputType::U8, "parity");
    let bytes = encode_f32(&Network::new(sizes, activation, params.clone()), &desc).unwrap();
    let mut core = CoreModel::from_params(sizes, spec, params, count);
    let probabilities = core.forward(&ffn_core::exec::Serial, &images, count);
    let model = Model::from_bytes(&bytes).expect("valid model");
    let mut scratch = scratch_for(&model);
    let mut scores = vec![0.0f32; model.classes()];
    let mut worst = 0.0f32;
    for (k, (image, expected)) in pixels.chunks_exact(IMAGE_LEN).zip(probabilities.chunks_exact(10)).enumerate() {
        let class = model.predict(image, bytemuck::cast_slice_mut(&mut scratch), &mut scores).unwrap();
        for (got, want) in scores.iter().zip(expected) {
            worst = worst.max((got - want).abs());
        }
        let mut ranked: Vec<(usize, f32)> = expected.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        // A near-tie may legitimately flip with a different summation order.
        if ranked[0].1 - ranked[1].1 > 1e-5 {
            assert_eq!(class, ranked[0].0, "{activation:?}: image {k} classified differently");
        }
    }
    assert!(worst < 1e-4, "{activation:?}: probabilities differ by up to {worst}");
}

#[test]
fn host_f32_path_matches_ffn_core_forward() {
    let (pixels, _) = images("fashion-mnist", "t10k");
    let pixels = &pixels[..1000 * IMAGE_LEN];
    // The trained firmware model, dequantised: real weights.
    let trained = ffn_infer_embedded::format::decode(&std::fs::read(default_model_path()).unwrap()).unwrap().network;
    assert_f32_parity(&trained.sizes, Activation::Relu, trained.params, pixels);
    // Every activation, on freshly initialised ffn-core models.
    for activation in Activation::ALL {
        let spec = ffn_core::activation::by_name(activation.name()).unwrap();
        let sizes = [IMAGE_LEN, 48, 24, 10];
        let core = CoreModel::new(&sizes, spec, ffn_core::Init::Xavier, 7, 1);
        assert_f32_parity(&sizes, activation, core.params.to_vec(), &pixels[..300 * IMAGE_LEN]);
    }
}

/// MNIST pooled to 8×8 (the 24×24 centre, 3×3 means): 64 features of 0–255, as f32.
fn pooled(pixels: &[u8]) -> Vec<f32> {
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
struct TableModel {
    int8: Vec<u8>,
    f32: Vec<u8>,
    quantised: ffn_infer_embedded::format::Int8Model,
    test: Vec<f32>,
    labels: Vec<u8>,
}

fn table_model(activation: Activation) -> TableModel {
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

fn host_classes(model_bytes: &[u8], samples: &[f32]) -> Vec<u16> {
    let model = Model::from_bytes(model_bytes).expect("valid model");
    let mut scratch = scratch_for(&model);
    samples
        .chunks_exact(model.inputs())
        .map(|s| model.predict(s, bytemuck::cast_slice_mut(&mut scratch), &mut []).unwrap() as u16)
        .collect()
}

/// The cores of `infer-embedded/firmware/boards.sh`: `(board, rust target)`.
const BOARDS: [(&str, &str); 6] = [
    ("microbit", "thumbv6m-none-eabi"),
    ("lm3s6965evb", "thumbv7m-none-eabi"),
    ("mps2-an386", "thumbv7em-none-eabihf"),
    ("mps2-an500", "thumbv7em-none-eabihf"),
    ("mps2-an505", "thumbv8m.main-none-eabihf"),
    ("mps3-an547", "thumbv8m.main-none-eabihf"),
];

/// `Some(reason)` when the QEMU test cannot run on this machine.
fn missing_tools() -> Option<String> {
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

fn skip_without_tools() -> bool {
    let Some(reason) = missing_tools() else { return false };
    assert!(std::env::var_os("CI").is_none(), "CI must run the QEMU parity tests, but {reason}");
    eprintln!("skipping the QEMU parity test: {reason}");
    true
}

/// What the firmware reported.
struct Run {
    board: String,
    classes: Vec<u16>,
    host_mismatches: usize,
    static_ram: usize,
    peak_stack: usize,
    instructions_per_inference: usize,
    flash: Option<usize>,
    log: String,
}

fn field(log: &str, key: &str) -> usize {
    let rest = log.split(&format!("{key} ")).nth(1).unwrap_or_else(|| panic!("no {key} in firmware output:\n{log}"));
    rest.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("bad {key} in:\n{log}"))
}

/// Flash of an ELF as `measure.sh` counts it (vector table, code, read-only data), if binutils are there.
fn flash_bytes(elf: &Path) -> Option<usize> {
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

/// Builds the firmware for `board` with `env` (model, samples) through
/// `firmware/run.sh` (which serialises builds and runs each in its own folder)
/// and runs it in QEMU.
fn run_firmware(board: &str, features: &[&str], env: &[(&str, &Path)], images: Option<usize>) -> Run {
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

fn report(what: &str, run: &Run, correct: usize) {
    let count = run.classes.len();
    eprintln!(
        "{what} on {}: {count} samples, {correct} correct, identical to the host; flash {:?} B, RAM {} B (static {} + peak stack {}), {} instructions per inference",
        run.board,
        run.flash,
        run.static_ram + run.peak_stack,
        run.static_ram,
        run.peak_stack,
        run.instructions_per_inference
    );
}

#[test]
fn int8_firmware_on_six_cores_matches_host() {
    if skip_without_tools() {
        return;
    }
    let model = std::fs::read(default_model_path()).unwrap();
    let (pixels, labels) = images("fashion-mnist", "t10k");
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = BOARDS
            .iter()
            .map(|(board, _)| scope.spawn(move || run_firmware(board, &[], &[], Some(FIRMWARE_IMAGES))))
            .collect();
        handles.into_iter().map(|h| h.join().expect("a board's run panicked")).collect()
    });
    let samples: Vec<f32> = pixels[..FIRMWARE_IMAGES * IMAGE_LEN].iter().map(|&p| p as f32).collect();
    let host = host_classes(&model, &samples);
    for run in &runs {
        let board = &run.board;
        assert_eq!(run.classes.len(), FIRMWARE_IMAGES, "{board}:\n{}", run.log);
        assert_eq!(run.classes, host, "{board}: QEMU and host predictions differ");
        assert_eq!(run.host_mismatches, 0);
        let correct = run.classes.iter().zip(&labels).filter(|(c, l)| **c == **l as u16).count();
        assert!(correct * 100 >= FIRMWARE_IMAGES * 80, "{board}: {correct}/{FIRMWARE_IMAGES} is not a trained model");
        // The goal for the default int8 model: activations, sample buffer and stack within 4 KiB of RAM.
        assert!(run.static_ram + run.peak_stack <= 4096, "{board}: RAM {} + {}", run.static_ram, run.peak_stack);
        report("int8 4x128", run, correct);
    }
}

#[test]
fn table_model_in_qemu_matches_host() {
    if skip_without_tools() {
        return;
    }
    let table = table_model(Activation::Relu);
    let tmp = tempfile::tempdir().unwrap();
    let count = FIRMWARE_IMAGES;
    let samples: Vec<u8> = table.test[..count * 64].iter().flat_map(|v| v.to_le_bytes()).collect();
    let labels: Vec<u8> = table.labels[..count].iter().flat_map(|&l| (l as u16).to_le_bytes()).collect();
    let (samples_path, labels_path) = (tmp.path().join("samples.bin"), tmp.path().join("labels.bin"));
    std::fs::write(&samples_path, samples).unwrap();
    std::fs::write(&labels_path, labels).unwrap();
    for (name, bytes) in [("int8", &table.int8), ("f32", &table.f32)] {
        let model_path = tmp.path().join(format!("table.{name}.ffn"));
        std::fs::write(&model_path, bytes).unwrap();
        let env = [("FFN_MODEL", model_path.as_path()), ("FFN_SAMPLES", &samples_path), ("FFN_LABELS", &labels_path)];
        let run = run_firmware("mps2-an386", &[], &env, None);
        assert_eq!(run.classes, host_classes(bytes, &table.test[..count * 64]), "{name}: QEMU and host differ");
        let correct = run.classes.iter().zip(&table.labels).filter(|(c, l)| **c == **l as u16).count();
        assert!(correct * 100 >= count * 85, "{name}: {correct}/{count} correct is not a trained model");
        report(&format!("64-32-10 table model, {name}"), &run, correct);
    }
}

/// Accuracy in percent of `classes` against `labels`.
fn percent(classes: &[u16], labels: &[u8]) -> f64 {
    100.0 * classes.iter().zip(labels).filter(|(c, l)| **c == **l as u16).count() as f64 / classes.len() as f64
}

#[test]
fn int8_tables_stay_close_to_f32_for_sigmoid_and_tanh() {
    for activation in [Activation::Sigmoid, Activation::Tanh] {
        let table = table_model(activation);
        let f32 = percent(&host_classes(&table.f32, &table.test), &table.labels);
        let int8 = percent(&host_classes(&table.int8, &table.test), &table.labels);
        let reference: Vec<u16> = table
            .test
            .chunks_exact(64)
            .map(|s| {
                let input = ffn_infer_embedded::InputSlice::F32(s);
                ffn_trainer::export::reference::classify(&table.quantised, InputType::F32, input).unwrap() as u16
            })
            .collect();
        let float_requant = percent(&reference, &table.labels);
        eprintln!(
            "{activation:?}: f32 {f32:.2} %, int8 {int8:.2} %, int8 with float requantisation {float_requant:.2} %"
        );
        assert!(f32 > 90.0, "{activation:?}: f32 {f32} is not a trained model");
        assert!((int8 - f32).abs() <= 1.0, "{activation:?}: int8 {int8} vs f32 {f32}");
        assert!((int8 - float_requant).abs() <= 0.5, "{activation:?}: integer {int8} vs float {float_requant}");
    }
}
