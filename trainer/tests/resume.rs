//! Interrupted runs through the real `train` process (issue 7): killed with
//! SIGKILL, SIGINT or SIGTERM in the middle of an epoch, resumed with
//! `--resume`, they end with a model file bit-identical to an uninterrupted
//! run with the same seed, and their wandb run holds each epoch's row once.
//! Also: divergence fails cleanly and keeps the last good checkpoint, and a
//! STOP file ends a run early but cleanly.

mod cli_support;

use cli_support::{assert_clean_error, command, read_json, run, sha256, wandb_run_dir};
use ffn_trainer::run::checkpoint::Checkpoint;
use ffn_trainer::wandb::{framing, records};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Enough epochs that a signal sent half an epoch after the first checkpoint
/// lands mid-run however fast the machine trains (an epoch here took about a
/// second at first and 0.19 s after the small-batch step got faster; with 3
/// epochs the run sometimes ended before the signal arrived).
const EPOCHS: usize = 8;

/// Small enough to be quick; with dropout, so a resumed run must also redraw
/// the uninterrupted run's masks; `extra` flags last.
fn args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "-e",
        &EPOCHS.to_string(),
        "--train_limit",
        "20000",
        "--seed",
        "7",
        "-nhl",
        "3",
        "-sz",
        "96",
        "-o",
        "adam",
        "-lr",
        "0.0005",
        "--dropout",
        "0.1",
    ]
    .map(|s| s.to_string())
    .to_vec();
    a.push("--output_dir".into());
    a.push(out.display().to_string());
    // train refuses a repeated flag, so the batch size is batch 16 unless `extra` sets it.
    if !extra.contains(&"-b") {
        a.extend(["-b".to_string(), "16".to_string()]);
    }
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// Every transform of the augmentation, at batch 128 (gathered over the
/// pool, before the step), on standardised pixels: a resumed run must redraw
/// each image's transform and standardise with the same statistics.
const AUGMENTED: &[&str] = &[
    "--pixel_scaling",
    "standardize",
    "--shift",
    "1",
    "--rotate",
    "8",
    "--zoom",
    "0.1",
    "--elastic",
    "1",
    "--flip",
    "0.5",
    "--erase",
    "0.3",
    "-b",
    "128",
];

fn metrics_lines(run_dir: &Path) -> usize {
    std::fs::read_to_string(run_dir.join("metrics.jsonl")).map(|s| s.lines().count()).unwrap_or(0)
}

/// Polls `ready` every `poll` while `child` trains; fails if train ends
/// first or nothing comes within 2 minutes (`what`: what is awaited).
fn wait_while_training(child: &mut Child, what: &str, poll: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("train ended ({status}) before {what}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no {what} after 2 minutes");
        std::thread::sleep(poll);
    }
}

fn wait_for_epochs(child: &mut Child, run_dir: &Path, epochs: usize) {
    let what = format!("checkpoint of epoch {epochs}");
    wait_while_training(child, &what, Duration::from_millis(20), || metrics_lines(run_dir) >= epochs);
}

/// How long the run's first epoch took, from its metrics line.
fn first_epoch_seconds(run_dir: &Path) -> f64 {
    let metrics = std::fs::read_to_string(run_dir.join("metrics.jsonl")).expect("metrics");
    let first: serde_json::Value = serde_json::from_str(metrics.lines().next().expect("a line")).expect("json");
    first["seconds"].as_f64().expect("seconds")
}

fn signal(child: &Child, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([format!("-{sig}"), child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{sig} failed");
}

/// Every history `_step` in the run's `.wandb` log, read with our own decoder.
fn history_steps(wandb_dir: &Path) -> Vec<u64> {
    let log = std::fs::read_dir(wandb_dir)
        .expect("wandb run folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "wandb"))
        .expect("a .wandb log");
    let decoded = framing::decode_log(&std::fs::read(&log).expect("log"));
    assert_eq!(decoded.error, None, "{}", log.display());
    decoded
        .records
        .iter()
        .map(|r| records::parse(r).expect("record"))
        .filter(|p| p.kind == records::HISTORY)
        .map(|p| records::history_step(p.body).expect("history").expect("has a step"))
        .collect()
}

/// The per-epoch numbers of metrics.jsonl without the wall-clock ones.
fn learning_curve(run_dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run_dir.join("metrics.jsonl"))
        .expect("metrics")
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("metrics line");
            v.as_object_mut().expect("object").remove("seconds");
            v
        })
        .collect()
}

struct Reference {
    hash: String,
    curve: Vec<serde_json::Value>,
    extra: &'static [&'static str],
}

fn reference(tmp: &Path, extra: &'static [&'static str]) -> Reference {
    let dir = tmp.join("reference");
    let r = run("train", tmp, &args(&dir, extra));
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(read_json(&dir.join("summary.json"))["state"], "finished");
    Reference { hash: sha256(&dir.join("model.ffn")), curve: learning_curve(&dir), extra }
}

/// Kills a run mid-epoch with `sig`, checks what the interruption left,
/// resumes it and compares the result with the uninterrupted reference.
fn interrupt_and_resume(tmp: &Path, reference: &Reference, sig: &str, expected_code: Option<i32>) {
    let dir = tmp.join(format!("killed-{sig}"));
    let mut child = command("train", tmp)
        .args(args(&dir, reference.extra))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("train starts");
    wait_for_epochs(&mut child, &dir, 1);
    // Half an epoch in: mid-epoch, with the model and optimizer state changed
    // since the checkpoint.
    std::thread::sleep(Duration::from_secs_f64(first_epoch_seconds(&dir) / 2.0));
    signal(&child, sig);
    let out = child.wait_with_output().expect("train ends");
    let r = cli_support::finish(out);
    assert_eq!(r.code, expected_code, "kill -{sig}: {}", r.describe());
    let done = metrics_lines(&dir);
    assert!((1..EPOCHS).contains(&done), "kill -{sig} should land mid-run, {done} epochs were done");
    assert!(!dir.join("model.ffn").exists(), "an interrupted run wrote a model");
    let ck = Checkpoint::load(&dir).expect("the last epoch checkpoint is readable");
    assert_eq!(ck.epochs_done, done);
    let wandb = wandb_run_dir(&dir);
    if let Some(code) = expected_code {
        let summary = read_json(&dir.join("summary.json"));
        assert_eq!(summary["state"], "interrupted", "{summary}");
        assert_eq!(summary["epochs_done"], done);
        assert!(summary["reason"].as_str().is_some_and(|s| s.contains("--resume")), "{summary}");
        assert!(r.stderr.contains("train --resume"), "tells how to continue: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        if let Some(checker) = ffn_trainer::wandb::check::for_tests() {
            let report = checker.check(&wandb, &[]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(report["exit_code"], code, "the wandb run is closed with the exit code");
            assert_eq!(report["summary"]["state"], "interrupted");
        }
    }

    let r = run("train", tmp, &["--resume".to_string(), dir.display().to_string()]);
    assert_eq!(r.code, Some(0), "resume after kill -{sig}: {}", r.describe());
    assert!(r.stdout.contains(&format!("after epoch {done}")), "{}", r.stdout);
    let hash = sha256(&dir.join("model.ffn"));
    eprintln!("kill -{sig} after {done} epochs, resumed: model.ffn sha256 {hash} (uninterrupted {})", reference.hash);
    assert_eq!(hash, reference.hash, "kill -{sig}: the resumed model differs from the uninterrupted one");
    assert_eq!(learning_curve(&dir), reference.curve, "kill -{sig}: the resumed metrics differ");
    assert_eq!(read_json(&dir.join("summary.json"))["state"], "finished");
    assert_eq!(wandb_run_dir(&dir), wandb, "the resumed run continues the same wandb run");
    assert_eq!(history_steps(&wandb), (0..EPOCHS as u64).collect::<Vec<_>>(), "kill -{sig}: wandb history");
    if let Some(checker) = ffn_trainer::wandb::check::for_tests() {
        let keys = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"];
        let report = checker.check(&wandb, &keys).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report["history_rows"], EPOCHS);
        assert_eq!(report["exit_code"], 0);
        assert_eq!(report["last_history_row"]["_step"], EPOCHS - 1);
        assert_eq!(report["summary"]["state"], "finished");
    }

    // Resuming a finished run changes nothing.
    let before = std::fs::read(dir.join("summary.json")).expect("summary");
    let r = run("train", tmp, &["--resume".to_string(), dir.display().to_string()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(std::fs::read(dir.join("summary.json")).expect("summary"), before);
    assert_eq!(sha256(&dir.join("model.ffn")), reference.hash);
}

#[test]
fn killed_runs_resume_to_the_same_model() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let reference = reference(tmp.path(), &[]);
    interrupt_and_resume(tmp.path(), &reference, "KILL", None);
    interrupt_and_resume(tmp.path(), &reference, "INT", Some(130));
    interrupt_and_resume(tmp.path(), &reference, "TERM", Some(143));
}

/// Augmentation draws from (seed, global step) and the pixel statistics come
/// from the training split, so the checkpoint needs no state of its own:
/// kill -9 and `--resume` still give the uninterrupted bits.
#[test]
fn killed_augmented_runs_resume_to_the_same_model() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let reference = reference(tmp.path(), AUGMENTED);
    interrupt_and_resume(tmp.path(), &reference, "KILL", None);
}

/// A run killed inside its first epoch has only the checkpoint its start
/// wrote: `--resume` says it continues after epoch 0 (as `sweep` does for
/// such a run) and ends with the uninterrupted run's bits.
#[test]
fn a_run_killed_in_its_first_epoch_resumes_after_epoch_0() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The whole training split at batch 16: a first epoch of about a second,
    // against the few milliseconds between the checkpoint appearing and the kill.
    let flags = ["-e", "2", "--seed", "7", "-nhl", "3", "-sz", "96", "-b", "16", "--dropout", "0.1"];
    let with_dir = |dir: &Path| {
        let mut a: Vec<String> = flags.map(String::from).to_vec();
        a.extend(["--output_dir".to_string(), dir.display().to_string()]);
        a
    };
    let reference = tmp.path().join("reference");
    let r = run("train", tmp.path(), &with_dir(&reference));
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let dir = tmp.path().join("killed-first");
    let mut child = command("train", tmp.path())
        .args(with_dir(&dir))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("train starts");
    let checkpoint = dir.join(ffn_trainer::run::checkpoint::FILE_NAME);
    wait_while_training(&mut child, "first checkpoint", Duration::from_millis(2), || checkpoint.is_file());
    signal(&child, "KILL");
    child.wait().expect("train ends");
    let done = Checkpoint::load(&dir).expect("the checkpoint is readable").epochs_done;
    assert_eq!(done, metrics_lines(&dir), "the checkpoint and metrics.jsonl agree");
    let r = run("train", tmp.path(), &["--resume".to_string(), dir.display().to_string()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    eprintln!("killed after {done} epochs");
    assert!(r.stdout.contains(&format!("resuming {} after epoch {done}", dir.display())), "{}", r.stdout);
    assert_eq!(sha256(&dir.join("model.ffn")), sha256(&reference.join("model.ffn")));
    assert_eq!(learning_curve(&dir), learning_curve(&reference));
}

#[test]
fn divergence_fails_cleanly_and_keeps_the_last_good_checkpoint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir: PathBuf = tmp.path().join("diverged");
    // A linear network whose learning rate warms up past the point where it
    // blows up: two good epochs, then NaN weights (runs are deterministic).
    let r = run(
        "train",
        tmp.path(),
        &[
            "-a",
            "identity",
            "-nhl",
            "4",
            "-sz",
            "128",
            "-b",
            "16",
            "-o",
            "sgd",
            "-lr",
            "0.1",
            "--warmup",
            "0.99",
            "-e",
            "3",
            "--train_limit",
            "4000",
            "--dropout",
            "0",
            "--pixel_scaling",
            "unit",
            "--output_dir",
            dir.to_str().expect("utf-8 path"),
        ],
    );
    assert_clean_error(&r, "train", Some(1), &["diverged", "learning_rate"]);
    assert!(!dir.join("model.ffn").exists(), "a diverged run wrote a model");
    let summary = read_json(&dir.join("summary.json"));
    assert_eq!(summary["state"], "failed", "{summary}");
    assert!(summary["reason"].as_str().is_some_and(|s| s.contains("diverged")), "{summary}");
    let ck = Checkpoint::load(&dir).expect("the last good checkpoint is kept");
    assert_eq!(ck.epochs_done, metrics_lines(&dir));
    assert!(ck.epochs_done >= 1, "expected divergence after a good epoch, so a trained checkpoint is kept");
    assert_eq!(summary["epochs_done"], ck.epochs_done);
    assert!(ck.params.iter().all(|p| p.is_finite()), "the kept checkpoint holds finite weights");
    if let Some(checker) = ffn_trainer::wandb::check::for_tests() {
        let report = checker.check(&wandb_run_dir(&dir), &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report["exit_code"], 1);
        assert_eq!(report["summary"]["state"], "failed");
    }
}

#[test]
fn a_stop_file_ends_the_run_cleanly_after_the_epoch() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("stopped");
    let mut a = args(&dir, &[]);
    a.push("--no-wandb".into());
    let mut child = command("train", tmp.path()).args(&a).stdout(Stdio::null()).spawn().expect("train starts");
    wait_for_epochs(&mut child, &dir, 1);
    std::fs::write(dir.join("STOP"), "").expect("STOP file");
    let status = child.wait().expect("train ends");
    assert_eq!(status.code(), Some(0));
    let summary = read_json(&dir.join("summary.json"));
    assert_eq!(summary["state"], "stopped", "{summary}");
    let done = summary["epochs_done"].as_u64().expect("epochs_done") as usize;
    assert!((1..EPOCHS).contains(&done), "{summary}");
    assert!(summary["test_accuracy"].as_f64().is_some_and(|a| a > 0.5), "a stopped run is scored: {summary}");
    assert!(dir.join("model.ffn").is_file(), "a stopped run keeps its model");
}
