//! `sweep` end to end with the real `train`: parallel runs with their own
//! folders and wandb runs, hyperband stops recorded as stopped, the summary
//! with the reproducing command, Ctrl-C and resume, and clear errors.

mod sweep_support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use sweep_support::{read_json, sweep_command, train_bin, wait_for};

fn data_dir() -> String {
    sweep_support::data_dir()
}

/// Runs whose epochs take over half a second on this machine (2 cores), so the
/// sweep sees each epoch well before the next one ends.
fn slow_params(epochs: usize) -> String {
    format!(
        "  train_limit: {{value: 12000}}\n  num_layers: {{value: 2}}\n  hidden_size: {{value: 512}}\n  \
         batch_size: {{value: 32}}\n  epochs: {{value: {epochs}}}\n  data_dir: {{value: {}}}\n",
        data_dir()
    )
}

fn sweep_cmd(yaml: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = sweep_command();
    cmd.arg(yaml).arg("--output_dir").arg(out).arg("--train_bin").arg(train_bin()).args(extra).env_remove("WANDB_MODE");
    cmd
}

fn text(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn runs(state: &serde_json::Value) -> &Vec<serde_json::Value> {
    state["runs"].as_array().expect("runs")
}

#[test]
fn a_grid_sweep_with_hyperband_runs_stops_and_summarises() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("hb.yaml");
    // Runs 2 and 3 (sgd, tiny learning rates) trail run 1 (adam) after epoch 1:
    // with eta 3 only the best third of the runs at a band continues.
    std::fs::write(
        &yaml,
        format!(
            "name: hb-test\nmethod: grid\nmetric: {{name: val_accuracy, goal: maximize}}\n\
             early_terminate: {{type: hyperband, min_iter: 1, eta: 3}}\nparameters:\n  \
             optimizer: {{values: [adam, sgd]}}\n  learning_rate: {{values: [0.001, 0.00001]}}\n{}",
            slow_params(3)
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let result = sweep_cmd(&yaml, &out, &["-j", "1"]).output().unwrap();
    assert!(result.status.success(), "{}", text(&result));

    let state = read_json(&out.join("sweep-state.json"));
    let all = runs(&state);
    assert_eq!(all.len(), 4, "the grid has four points");
    let sweep_id = state["sweep_id"].as_str().unwrap();
    for run in all {
        let name = run["name"].as_str().unwrap();
        let dir = out.join("runs").join(name);
        // Every run is a normal train run with its own folder and wandb run, in the sweep's group.
        let config = read_json(&dir.join("config.json"));
        assert_eq!(config["wandb_group"], "hb-test", "{name}");
        assert_eq!(config["wandb_sweep_id"], sweep_id, "{name}");
        assert_eq!(config["run_name"], name);
        assert!(
            std::fs::read_dir(dir.join("wandb"))
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("offline-run-"))
        );
        let summary = read_json(&dir.join("summary.json"));
        assert_eq!(summary["state"], run["state"], "{name}: train's summary and the sweep state agree");
        assert_ne!(run["state"], "failed", "{name}: {}", run["reason"]);
    }
    // Grid order: learning_rate outer, optimizer inner; the first run sets the bar.
    assert_eq!(all[0]["name"], "o_adam_lr_0.001_r000");
    assert_eq!(all[0]["state"], "finished");
    let stopped: Vec<&serde_json::Value> = all.iter().filter(|r| r["state"] == "stopped").collect();
    assert!(!stopped.is_empty(), "hyperband stopped no run: {all:#?}");
    for r in &stopped {
        assert!(r["epochs_done"].as_u64().unwrap() < 3, "{r}");
        assert!(r["reason"].as_str().unwrap().starts_with("hyperband: val_accuracy"), "{r}");
    }

    // The summary ranks by val_accuracy and gives a command that reproduces the best run.
    let summary = read_json(&out.join("sweep-summary.json"));
    assert_eq!(summary["best"]["name"], "o_adam_lr_0.001_r000");
    let ranked: Vec<f64> = summary["runs"].as_array().unwrap().iter().map(|r| r["metric"].as_f64().unwrap()).collect();
    assert!(ranked.windows(2).all(|w| w[0] >= w[1]), "{ranked:?}");
    let command: Vec<String> =
        summary["best"]["command"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
    assert!(
        command.contains(&"--optimizer=adam".to_string()) && command.contains(&"--learning_rate=0.001".to_string()),
        "{command:?}"
    );
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(stdout.contains("best configuration (val_accuracy"), "{stdout}");
    assert!(stdout.contains("reproduce it:"), "{stdout}");

    // Rerunning the reproducing command gives the same validation accuracy (same seed).
    let again = tmp.path().join("again");
    let status = Command::new(train_bin())
        .args(&command[1..])
        .arg(format!("--output_dir={}", again.display()))
        .arg("--no-wandb")
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status));
    let best_metric = summary["best"]["metric"].as_f64().unwrap();
    assert_eq!(read_json(&again.join("summary.json"))["val_accuracy"].as_f64().unwrap(), best_metric);

    // A compact export: no model files, no logs, no wandb folders.
    let export = tmp.path().join("results");
    let status = sweep_cmd(&yaml, &out, &["--export", export.to_str().unwrap()]).output().unwrap();
    assert!(status.status.success(), "{}", text(&status));
    for f in ["sweep.yaml", "sweep-state.json", "sweep-summary.json", "sweep-summary.txt"] {
        assert!(export.join(f).is_file(), "{f}");
    }
    let run0 = export.join("runs/o_adam_lr_0.001_r000");
    for f in ["config.json", "metrics.jsonl", "summary.json", "confusion.json"] {
        assert!(run0.join(f).is_file(), "{f}");
    }
    assert!(!run0.join("model.ffn").exists() && !run0.join("wandb").exists() && !run0.join("train.log").exists());
    assert_eq!(std::fs::read_dir(export.join("runs")).unwrap().count(), 4);

    // --export_only copies without running (also while a sweep runs: it takes no lock)...
    let only = tmp.path().join("only");
    let status = sweep_cmd(&yaml, &out, &["--export", only.to_str().unwrap(), "--export_only"]).output().unwrap();
    assert!(status.status.success(), "{}", text(&status));
    assert_eq!(read_json(&only.join("sweep-summary.json"))["best"]["name"], "o_adam_lr_0.001_r000");
    // ...and never mixes two sweeps in one folder.
    let mut other = read_json(&only.join("sweep-state.json"));
    other["sweep_id"] = "zzzzzzzz".into();
    std::fs::write(only.join("sweep-state.json"), other.to_string()).unwrap();
    let status = sweep_cmd(&yaml, &out, &["--export", only.to_str().unwrap(), "--export_only"]).output().unwrap();
    assert_eq!(status.status.code(), Some(2), "{}", text(&status));
    assert!(String::from_utf8_lossy(&status.stderr).contains("holds sweep hb-test (zzzzzzzz)"), "{}", text(&status));
}

#[test]
fn an_interrupted_sweep_resumes_without_redoing_finished_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("resume.yaml");
    std::fs::write(
        &yaml,
        format!(
            "name: resume-test\nmethod: random\nmetric: {{name: val_accuracy, goal: maximize}}\nparameters:\n  \
             learning_rate: {{distribution: log_uniform_values, min: 0.0001, max: 0.001}}\n  optimizer: {{value: adam}}\n{}",
            slow_params(5)
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let state_path = out.join("sweep-state.json");
    let args = ["-j", "2", "--count", "3"];
    let mut child = sweep_cmd(&yaml, &out, &args).stdout(std::process::Stdio::null()).spawn().unwrap();
    // Interrupt once a run has a checkpoint (an epoch done) and is still running.
    wait_for(
        || {
            std::fs::read_to_string(&state_path)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .is_some_and(|s| {
                    runs(&s).iter().any(|r| r["state"] == "running" && r["epochs_done"].as_u64() >= Some(1))
                })
        },
        Duration::from_secs(180),
    );
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "an interrupted sweep exits with 130");

    let state = read_json(&state_path);
    let before: Vec<serde_json::Value> = runs(&state).clone();
    assert!(before.iter().all(|r| r["state"] != "running"), "no run is left marked running: {before:#?}");
    let interrupted: Vec<String> = before
        .iter()
        .filter(|r| r["state"] == "interrupted")
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!interrupted.is_empty(), "{before:#?}");
    let finished_before: Vec<String> =
        before.iter().filter(|r| r["state"] == "finished").map(|r| r["name"].as_str().unwrap().to_string()).collect();

    // The same command resumes: interrupted runs continue from their checkpoint, nothing finished runs again.
    let result = sweep_cmd(&yaml, &out, &args).output().unwrap();
    assert!(result.status.success(), "{}", text(&result));
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(stdout.contains("resuming sweep resume-test"), "{stdout}");
    // The log says which runs continue and from which epoch, and shows only
    // their new epochs: nothing that looks like a restart.
    let continued: Vec<(String, u64)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("continue  "))
        .map(|l| {
            let (name, rest) = l.split_once(" after epoch ").unwrap_or_else(|| panic!("{l}"));
            let done = rest.split_once("/5 (its checkpoint)").unwrap_or_else(|| panic!("{l}")).0;
            (name.to_string(), done.parse().unwrap_or_else(|_| panic!("{l}")))
        })
        .collect();
    assert!(!continued.is_empty(), "no run said it continues:\n{stdout}");
    let n = continued.len();
    let said = if n == 1 { "1 run interrupted continue".to_string() } else { format!("{n} runs interrupted continue") };
    assert!(stdout.contains(&format!("{said} from their last epoch checkpoint")), "{stdout}");
    let over = interrupted.len() - n;
    if over > 0 {
        let runs = if over == 1 { "1 run".to_string() } else { format!("{over} runs") };
        assert!(stdout.contains(&format!("{runs} interrupted start over (no checkpoint)")), "{stdout}");
    }
    // The run that was waited for has an epoch behind it; the other may have been stopped
    // inside its first epoch (a slow machine), and then continues from its epoch-0 checkpoint.
    assert!(continued.iter().any(|(_, done)| *done >= 1), "no run continued after an epoch:\n{stdout}");
    for (name, done) in &continued {
        assert!(interrupted.contains(name) && (0..5).contains(done), "{name} after {done}:\n{stdout}");
        assert!(!stdout.contains(&format!("start     {name}")), "{name} restarted:\n{stdout}");
        let shown: Vec<u64> = stdout
            .lines()
            .filter(|l| l.starts_with("epoch ") && l.contains(&format!("  {name}  ")))
            .map(|l| l["epoch ".len()..].split('/').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(shown, (done + 1..=5).collect::<Vec<u64>>(), "{name}'s epochs after its checkpoint:\n{stdout}");
    }
    let state = read_json(&state_path);
    let after = runs(&state);
    assert_eq!(after.len(), 3);
    for r in after {
        let name = r["name"].as_str().unwrap();
        assert_eq!(r["state"], "finished", "{r}");
        assert_eq!(r["epochs_done"], 5);
        assert_eq!(r["history"].as_array().unwrap().len(), 5, "{name}: one metric per epoch");
        let attempts = r["attempts"].as_u64().unwrap();
        if finished_before.iter().any(|n| n == name) {
            assert_eq!(attempts, 1, "{name} finished before the interrupt and must not run again");
        }
        if interrupted.iter().any(|n| n == name) {
            assert_eq!(attempts, 2, "{name}");
            // A run stopped before its first epoch ended has no checkpoint and starts
            // over, as the resume line said; every other one continues from its own.
            let log = std::fs::read_to_string(out.join("runs").join(name).join("train.log")).unwrap();
            let said_continue = continued.iter().any(|(n, _)| n == name);
            assert_eq!(log.contains("resuming"), said_continue, "{name} (continued: {said_continue}):\n{log}");
        }
    }
    // Same configurations as before the interrupt (the search is seeded per run index).
    for (b, a) in before.iter().zip(after) {
        assert_eq!(b["config"], a["config"]);
    }
}

/// `sweep --help` says what resuming does, as sweeps/README.md does.
#[test]
fn the_help_says_interrupted_runs_continue_from_their_checkpoint() {
    let out = sweep_command().arg("--help").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    assert!(help.contains("interrupted runs continue from their last epoch checkpoint"), "{help}");
    assert!(!help.contains("run again"), "{help}");
}

/// The extra `train` arguments (`-- ARGS`) belong to the sweep: a resume with
/// others is refused, and `--export_only` (without them) reproduces each run
/// from its config.json, as `train` with every flag it ran with.
#[test]
fn the_sweeps_train_arguments_are_kept_and_reproduced() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("args.yaml");
    std::fs::write(
        &yaml,
        format!(
            "name: args-test\nmethod: grid\nmetric: {{name: val_accuracy, goal: maximize}}\nparameters:\n  \
             learning_rate: {{values: [0.001, 0.003]}}\n  epochs: {{value: 1}}\n  hidden_size: {{value: 16}}\n  \
             num_layers: {{value: 1}}\n  data_dir: {{value: {}}}\n",
            data_dir()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let limit = ["--no-wandb", "-j", "2", "--", "--train_limit=1000", "--threads=1"];
    let result = sweep_cmd(&yaml, &out, &limit).output().unwrap();
    assert!(result.status.success(), "{}", text(&result));
    for r in runs(&read_json(&out.join("sweep-state.json"))) {
        let config = read_json(&out.join("runs").join(r["name"].as_str().unwrap()).join("config.json"));
        assert_eq!(config["train_limit"], 1000, "{r}");
    }

    // Another train_limit, or none, in the same folder: refused, nothing run.
    for other in [&["--no-wandb", "--", "--train_limit=2000", "--threads=1"][..], &["--no-wandb"][..]] {
        let refused = sweep_cmd(&yaml, &out, other).output().unwrap();
        assert_eq!(refused.status.code(), Some(2), "{other:?}: {}", text(&refused));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("ran its runs with -- --train_limit=1000 --threads=1"), "{stderr}");
    }
    let state = read_json(&out.join("sweep-state.json"));
    assert!(runs(&state).iter().all(|r| r["attempts"] == 1), "{state}");

    // --export_only without the arguments: the reproducing command is the run's.
    let export = tmp.path().join("export");
    let status = sweep_cmd(&yaml, &out, &["--export", export.to_str().unwrap(), "--export_only"]).output().unwrap();
    assert!(status.status.success(), "{}", text(&status));
    let summary = read_json(&export.join("sweep-summary.json"));
    let command: Vec<&str> =
        summary["best"]["command"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(command[0], "train", "{command:?}");
    for flag in ["--train_limit=1000", "--epochs=1", "--hidden_size=16", "--optimizer=", "--seed="] {
        assert!(command.iter().any(|a| a.starts_with(flag)), "{flag} missing from {command:?}");
    }
    assert!(!command.iter().any(|a| a.contains(&*train_bin().display().to_string())), "{command:?}");
    let text_summary = std::fs::read_to_string(export.join("sweep-summary.txt")).unwrap();
    assert!(text_summary.contains("train --") && text_summary.contains("--train_limit=1000"), "{text_summary}");

    // The command reproduces the run's validation accuracy.
    let again = tmp.path().join("again");
    let rerun = Command::new(train_bin())
        .args(&command[1..])
        .arg(format!("--output_dir={}", again.display()))
        .arg("--no-wandb")
        .output()
        .unwrap();
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert_eq!(read_json(&again.join("summary.json"))["val_accuracy"].as_f64(), summary["best"]["metric"].as_f64());
}

#[test]
fn bad_input_gets_one_clear_line_and_a_non_zero_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("bad.yaml");
    std::fs::write(&yaml, "method: random\nparameters:\n  epochs: {values: [5]}\n  hidden_layers: {values: [3]}\n")
        .unwrap();
    let out = sweep_cmd(&yaml, &tmp.path().join("out"), &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.yaml:4:3: parameters.hidden_layers: `hidden_layers` is not a train flag"), "{stderr}");

    // A missing train binary is named, with how to build it.
    let good = tmp.path().join("good.yaml");
    let good_yaml = format!(
        "method: random\nparameters:\n  epochs: {{value: 1}}\n  train_limit: {{value: 500}}\n  data_dir: {{value: {}}}\n",
        data_dir()
    );
    std::fs::write(&good, good_yaml).unwrap();
    let train = train_bin();
    let out = sweep_command()
        .arg(&good)
        .args(["--count", "1", "--train_bin", "/nonexistent/train", "--output_dir"])
        .arg(tmp.path().join("o2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cargo build --release --bin train"));
    let out = sweep_command()
        .arg(&good)
        .args(["--count", "1", "--no-wandb", "--output_dir"])
        .arg(tmp.path().join("o2"))
        .arg("--train_bin")
        .arg(&train)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    // A different search in the same folder is refused rather than mixed in.
    let other = tmp.path().join("other.yaml");
    std::fs::write(&other, "method: random\nparameters:\n  epochs: {value: 2}\n").unwrap();
    let out = sweep_command()
        .arg(&other)
        .arg("--output_dir")
        .arg(tmp.path().join("o2"))
        .arg("--train_bin")
        .arg(&train)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different search"), "{}", text(&out));
}
