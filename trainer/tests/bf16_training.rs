//! `train --precision bf16` through the real binaries (issue 22): the level
//! is printed and recorded in `config.json`; the same seed gives the same
//! bits on one thread and on two, at a small batch (the weight-rows plan)
//! and a large one (the batch-rows plan); the bits differ from the f32
//! run's (the products really ran in bf16); a run killed with SIGKILL and
//! resumed ends with the uninterrupted run's model, byte for byte; and
//! `export` writes the f32 and int8 models of a bf16-trained run.

use ffn_core::kernels::bf16;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist")
}

/// A fresh folder under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ffn-bf16-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `train` on a small slice with dropout, into `out`.
fn train_command(out: &Path, batch: usize, threads: usize, precision: &str, epochs: usize) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
    cmd.args(["--no-wandb", "--seed", "5", "-nhl", "2", "-sz", "96", "--dropout", "0.1", "--train_limit", "4000"])
        .args(["-e", &epochs.to_string(), "-b", &batch.to_string(), "--threads", &threads.to_string()])
        .args(["--precision", precision, "--output_dir"])
        .arg(out)
        .arg("--data_dir")
        .arg(data_dir())
        .env_remove("FFN_DATA_DIR")
        .env_remove("WANDB_MODE");
    cmd
}

fn ok(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{what}: {}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    stdout
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn model(run: &Path) -> Vec<u8> {
    std::fs::read(run.join("model.ffn")).expect("model.ffn")
}

#[test]
fn bf16_runs_record_their_level_and_give_the_same_bits_on_any_thread_count() {
    let tmp = TempDir::new("threads");
    let level = bf16::Kernels::detect().level().name();
    for batch in [16, 200] {
        let run = |threads: usize, precision: &str| {
            let dir = tmp.0.join(format!("b{batch}-t{threads}-{precision}"));
            let stdout = ok(train_command(&dir, batch, threads, precision, 2).output().unwrap(), "train");
            (dir, stdout)
        };
        let (one, stdout) = run(1, "bf16");
        assert!(stdout.contains(&format!("products bf16 ({level})")), "{stdout}");
        let config = json(&one.join("config.json"));
        assert_eq!((config["precision"].as_str(), config["bf16_level"].as_str()), (Some("bf16"), Some(level)));
        let (two, _) = run(2, "bf16");
        assert!(model(&one) == model(&two), "batch {batch}: bf16 on 1 and 2 threads differ");
        let digest = |dir: &Path| json(&dir.join("summary.json"))["weights_digest"].clone();
        assert_eq!(digest(&one), digest(&two));

        let (f32_run, stdout) = run(2, "f32");
        assert!(stdout.contains("products f32"), "{stdout}");
        assert!(json(&f32_run.join("config.json")).get("bf16_level").is_none());
        assert!(model(&f32_run) != model(&one), "batch {batch}: bf16 gave the f32 bits");
        // Same data, same seed: bf16's rounding changes the accuracy little.
        let accuracy = |dir: &Path| json(&dir.join("summary.json"))["test_accuracy"].as_f64().unwrap();
        let (a, b) = (accuracy(&f32_run), accuracy(&one));
        assert!(b > 0.6 && (a - b).abs() < 0.03, "batch {batch}: test accuracy f32 {a}, bf16 {b}");
    }
}

fn metrics_lines(run: &Path) -> usize {
    std::fs::read_to_string(run.join("metrics.jsonl")).map(|s| s.lines().count()).unwrap_or(0)
}

#[test]
fn a_bf16_run_killed_with_sigkill_resumes_to_the_uninterrupted_bits() {
    const EPOCHS: usize = 6;
    let tmp = TempDir::new("resume");
    let reference = tmp.0.join("reference");
    ok(train_command(&reference, 16, 2, "bf16", EPOCHS).output().unwrap(), "reference run");

    let killed = tmp.0.join("killed");
    let mut child = train_command(&killed, 16, 2, "bf16", EPOCHS).stdout(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while metrics_lines(&killed) < 2 {
        assert!(child.try_wait().unwrap().is_none(), "train ended before its second epoch was checkpointed");
        assert!(start.elapsed() < Duration::from_secs(120), "no second epoch after 2 minutes");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Mid-epoch: the model has moved since the last checkpoint.
    let first: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(killed.join("metrics.jsonl")).unwrap().lines().next().unwrap())
            .unwrap();
    std::thread::sleep(Duration::from_secs_f64(first["seconds"].as_f64().unwrap() / 2.0));
    child.kill().unwrap();
    child.wait().unwrap();
    let done = metrics_lines(&killed);
    assert!((2..EPOCHS).contains(&done), "the kill should land mid-run: {done} epochs done");
    assert!(!killed.join("model.ffn").exists());

    let mut resume = Command::new(env!("CARGO_BIN_EXE_train"));
    resume.arg("--resume").arg(&killed).env_remove("FFN_DATA_DIR").env_remove("WANDB_MODE");
    ok(resume.output().unwrap(), "resume");
    assert!(model(&killed) == model(&reference), "the resumed bf16 run differs from the uninterrupted one");
    assert_eq!(json(&killed.join("config.json"))["bf16_level"], json(&reference.join("config.json"))["bf16_level"]);
}

#[test]
fn export_writes_f32_and_int8_models_of_a_bf16_run() {
    let tmp = TempDir::new("export");
    let run = tmp.0.join("run");
    ok(train_command(&run, 64, 2, "bf16", 2).output().unwrap(), "train");
    let trained = json(&run.join("summary.json"))["test_accuracy"].as_f64().unwrap();
    let f32_copy = tmp.0.join("copy.f32.ffn");
    let mut export = Command::new(env!("CARGO_BIN_EXE_ffn"));
    export.arg("export").arg(&run).arg("--f32").arg(&f32_copy).arg("--int8").arg(tmp.0.join("model.int8.ffn"));
    let stdout = ok(export.arg("--data_dir").arg(data_dir()).output().unwrap(), "export");
    // The f32 export is the master weights as trained, byte for byte.
    assert!(std::fs::read(&f32_copy).unwrap() == model(&run));
    let line = stdout.lines().find(|l| l.starts_with("test accuracy")).unwrap_or_else(|| panic!("{stdout}"));
    let values: Vec<f64> =
        line.split_whitespace().filter_map(|w| w.strip_suffix('%')).map(|v| v.parse().unwrap()).collect();
    let [f32_accuracy, int8_accuracy] = values[..] else { panic!("{line}") };
    // The f32 model on the embedded path scores what train measured (evaluation is f32 in both).
    assert!((f32_accuracy - 100.0 * trained).abs() < 0.015, "export {f32_accuracy} vs train {trained}");
    assert!(f32_accuracy > 70.0 && (int8_accuracy - f32_accuracy).abs() <= 0.5, "{line}");
    let int8 = std::fs::read(tmp.0.join("model.int8.ffn")).unwrap();
    assert!(int8.len() * 3 < model(&run).len(), "the int8 model is not about 4× smaller");
}
