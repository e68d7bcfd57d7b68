//! Know before you flash: the flash, RAM and instructions per inference that
//! `ffn export` prints for each Cortex-M core are within 10 % of what the
//! firmware measures in QEMU, for three trained models of different shapes
//! (784-128-128-10 and a wide 784-256-10 trained by `ffn train` on
//! Fashion-MNIST and exported by `ffn export`, and the 64-32-10 table model
//! of `embedded_parity`, fed f32 features); `--board NAME` warns, with the
//! numbers, when a model does not fit that board, and without it `export`
//! says for every board whether the model fits.
//!
//! The QEMU part needs what `embedded_parity` needs (skipped without it, unless `CI` is set).

mod cli_support;
mod firmware_support;

use ffn_trainer::export::estimate::estimates;
use firmware_support::{BOARDS, run_firmware, skip_without_tools, table_model};
use std::path::{Path, PathBuf};

/// How far an estimate may be from QEMU's measurement.
const TOLERANCE: f64 = 0.10;
/// Test images each run classifies (instructions are their mean).
const IMAGES: usize = 32;

/// One row of `export`'s estimate table.
#[derive(Clone, Debug)]
struct Estimate {
    board: String,
    element: String,
    flash: usize,
    ram: usize,
    instructions: usize,
}

fn number(text: &str) -> usize {
    text.replace(',', "").parse().unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

/// The rows under "before you flash" in `export`'s output.
fn printed_estimates(stdout: &str) -> Vec<Estimate> {
    let table = stdout.split("before you flash").nth(1).unwrap_or_else(|| panic!("no estimate in:\n{stdout}"));
    table
        .lines()
        .filter(|l| l.starts_with("Cortex-"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(w.len(), 6, "{l}");
            Estimate {
                board: w[1].into(),
                element: w[2].into(),
                flash: number(w[3]),
                ram: number(w[4]),
                instructions: number(w[5]),
            }
        })
        .collect()
}

/// `ffn train` for one epoch on 5,000 Fashion-MNIST images: `-nhl layers -sz size`.
fn train(tmp: &Path, layers: usize, size: usize) -> PathBuf {
    let dir = tmp.join(format!("run-{layers}x{size}"));
    let fashion = cli_support::fashion_dir();
    let args = ["-e", "1", "--train_limit", "5000", "-o", "adam", "-lr", "0.001", "--no-wandb"];
    let r = cli_support::run(
        "train",
        tmp,
        &[
            &args[..],
            &["-nhl", &layers.to_string(), "-sz", &size.to_string()],
            &["--output_dir", dir.to_str().unwrap(), "--data_dir", fashion.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(r.code, Some(0), "{}", r.describe());
    dir
}

/// `ffn export RUN ARGS…` (a one-epoch model may lose more than a point in int8: allowed).
fn export(tmp: &Path, run: &Path, args: &[&str]) -> cli_support::Run {
    let fashion = cli_support::fashion_dir();
    let base = [run.to_str().unwrap(), "--data_dir", fashion.to_str().unwrap(), "--max_int8_loss", "100"];
    cli_support::run("export", tmp, &[&base[..], args].concat())
}

/// A model to measure: its file, what `export` estimated, and the samples to stream (None: test images).
struct Case {
    name: String,
    model: PathBuf,
    estimates: Vec<Estimate>,
    samples: Option<(PathBuf, PathBuf)>,
}

/// The 64-32-10 table model, int8, with the library's estimate (`export` reads MNIST-shaped models only).
fn table_case(tmp: &Path) -> Case {
    let table = table_model(ffn_infer_embedded::Activation::Relu);
    let model = tmp.join("table.int8.ffn");
    std::fs::write(&model, &table.int8).unwrap();
    let estimates = estimates(&table.int8)
        .unwrap()
        .into_iter()
        .map(|e| Estimate {
            board: e.board.into(),
            element: e.element.name().into(),
            flash: e.flash,
            ram: e.ram,
            instructions: e.instructions,
        })
        .collect();
    let samples: Vec<u8> = table.test[..IMAGES * 64].iter().flat_map(|v| v.to_le_bytes()).collect();
    let labels: Vec<u8> = table.labels[..IMAGES].iter().flat_map(|&l| (l as u16).to_le_bytes()).collect();
    let (samples_path, labels_path) = (tmp.join("table-samples.bin"), tmp.join("table-labels.bin"));
    std::fs::write(&samples_path, samples).unwrap();
    std::fs::write(&labels_path, labels).unwrap();
    Case { name: "64-32-10 f32 in".into(), model, estimates, samples: Some((samples_path, labels_path)) }
}

#[test]
fn estimates_are_within_ten_percent_of_qemu() {
    if skip_without_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    let mut cases = Vec::new();
    for (layers, size) in [(2, 128), (1, 256)] {
        let run = train(tmp, layers, size);
        let (int8, f32) = (tmp.join(format!("{layers}x{size}.int8.ffn")), tmp.join(format!("{layers}x{size}.f32.ffn")));
        let r = export(tmp, &run, &["--int8", int8.to_str().unwrap(), "--f32", f32.to_str().unwrap()]);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let printed = printed_estimates(&r.stdout);
        assert_eq!(printed.iter().filter(|e| e.element == "int8").count(), BOARDS.len(), "{}", r.stdout);
        let name = format!("784-{}-10", vec![size.to_string(); layers].join("-"));
        let (int8_rows, f32_rows) = printed.into_iter().partition(|e| e.element == "int8");
        cases.push(Case { name: format!("{name} u8 in"), model: int8, estimates: int8_rows, samples: None });
        if layers == 2 {
            assert_eq!(f32_rows.len(), 1, "the firmware runs f32 on the M4F only:\n{}", r.stdout);
            cases.push(Case { name: format!("{name} u8 in"), model: f32, estimates: f32_rows, samples: None });
        }
    }
    cases.push(table_case(tmp));

    let jobs: Vec<(&Case, &Estimate)> = cases.iter().flat_map(|c| c.estimates.iter().map(move |e| (c, e))).collect();
    let runs: Vec<firmware_support::Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(case, estimate)| {
                scope.spawn(move || {
                    let mut env: Vec<(&str, &Path)> = vec![("FFN_MODEL", case.model.as_path())];
                    if let Some((samples, labels)) = &case.samples {
                        env.extend([("FFN_SAMPLES", samples.as_path()), ("FFN_LABELS", labels.as_path())]);
                    }
                    let images = case.samples.is_none().then_some(IMAGES);
                    run_firmware(&estimate.board, &[], &env, images)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a firmware run panicked")).collect()
    });

    let mut misses = Vec::new();
    eprintln!(
        "{:<24} {:<12} {:>5} | {:>9} {:>9} {:>6} | {:>6} {:>6} {:>6} | {:>10} {:>10} {:>6}",
        "model", "board", "elem", "flash est", "QEMU", "diff", "RAM e", "QEMU", "diff", "instr est", "QEMU", "diff"
    );
    for ((case, estimate), run) in jobs.iter().zip(&runs) {
        let flash = run.flash.expect("arm-none-eabi-size (binutils-arm-none-eabi) measures the flash");
        let ram = run.static_ram + run.peak_stack;
        let diff = |est: usize, measured: usize| est as f64 / measured as f64 - 1.0;
        let diffs = [
            ("flash", diff(estimate.flash, flash)),
            ("RAM", diff(estimate.ram, ram)),
            ("instructions", diff(estimate.instructions, run.instructions_per_inference)),
        ];
        eprintln!(
            "{:<24} {:<12} {:>5} | {:>9} {:>9} {:>+5.1}% | {:>6} {:>6} {:>+5.1}% | {:>10} {:>10} {:>+5.1}%",
            case.name,
            estimate.board,
            estimate.element,
            estimate.flash,
            flash,
            100.0 * diffs[0].1,
            estimate.ram,
            ram,
            100.0 * diffs[1].1,
            estimate.instructions,
            run.instructions_per_inference,
            100.0 * diffs[2].1
        );
        for (what, d) in diffs {
            if d.abs() > TOLERANCE {
                misses.push(format!("{} on {}: {what} off by {:+.1} %", case.name, estimate.board, 100.0 * d));
            }
        }
    }
    assert!(misses.is_empty(), "estimates further than 10 % from QEMU:\n{}", misses.join("\n"));
}

#[test]
fn board_says_when_the_model_does_not_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    // 2×768 (the default width until 2026-12-08): about 1.2 MB in int8.
    let run = train(tmp, 2, 768);
    let int8 = tmp.join("big.int8.ffn");
    let r = export(tmp, &run, &["--int8", int8.to_str().unwrap(), "--board", "microbit-v1"]);
    assert_eq!(r.code, Some(0), "a warning, not an error:\n{}", r.describe());
    assert!(int8.is_file(), "the model is still written");
    let bytes = std::fs::metadata(&int8).unwrap().len() as usize;
    assert!(bytes > 1_000_000, "{bytes}");
    let warning = r.stderr.lines().find(|l| l.starts_with("warning:")).unwrap_or_else(|| panic!("{}", r.describe()));
    assert!(warning.contains("does NOT fit microbit-v1") && warning.contains("> 262,144 B"), "{warning}");
    // The flash it names is the estimate: the model and a firmware around it.
    let flash = number(warning.split("flash ").nth(1).unwrap().split_whitespace().next().unwrap());
    assert!(flash > bytes && flash < bytes + 64 * 1024, "{warning}");
    assert!(!r.stdout.lines().any(|l| l.contains("nrf52840")), "--board checks that board only:\n{}", r.stdout);

    // Without --board: one verdict per board; 1.2 MB fits the Pico's 2 MB only.
    let r = export(tmp, &run, &["--int8", int8.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    for (board, fits) in [
        ("nrf52840", false),
        ("stm32f4-discovery", false),
        ("rp2040", true),
        ("lm3s6965", false),
        ("microbit-v1", false),
    ] {
        let line = r.stdout.lines().find(|l| l.starts_with("int8 model") && l.contains(&format!(" {board} ")));
        let line = line.unwrap_or_else(|| panic!("no verdict for {board}:\n{}", r.stdout));
        assert_eq!(line.contains("int8 model fits"), fits, "{line}");
    }
    assert!(!r.stderr.contains("warning"), "warnings only for the --board asked for:\n{}", r.stderr);

    // A small model fits a micro:bit: no warning.
    let small = train(tmp, 1, 16);
    let r = export(tmp, &small, &["--board", "microbit-v1"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(r.stdout.contains("int8 model fits microbit-v1") && !r.stderr.contains("warning"), "{}", r.describe());

    let r = export(tmp, &small, &["--int8", tmp.join("x.ffn").to_str().unwrap(), "--board", "arduino-uno"]);
    cli_support::assert_clean_error(&r, "ffn export", Some(2), &["unknown board", "nrf52840", "microbit-v1"]);
    assert!(!tmp.join("x.ffn").exists());
}
