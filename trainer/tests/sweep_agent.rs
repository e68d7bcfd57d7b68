//! The wandb-agent side of a sweep: the exact argument lists wandb's agent
//! builds from a sweep YAML (`command: [${env}, ${program}, ${args}]`,
//! parameters sorted, values printed by Python's `str()`) are accepted by the
//! real `train` binary, which honours the agent's environment.

mod sweep_support;

use ffn_trainer::sweep::agent;
use ffn_trainer::sweep::config::SweepConfig;
use std::process::Command;
use sweep_support::{read_json, train_bin, workspace};

fn yaml(train: &str, data: &str) -> String {
    format!(
        "program: {train}
command:
  - ${{env}}
  - ${{program}}
  - ${{args}}
method: grid
metric: {{name: val_accuracy, goal: maximize}}
parameters:
  learning_rate: {{values: [0.00001, 0.001]}}
  weight_decay: {{values: [0, 0.0005]}}
  batch_size: {{value: 32}}
  hidden_size: {{value: 32}}
  num_layers: {{value: 1}}
  optimizer: {{value: adam}}
  activation: {{value: ReLU}}
  weight_init: {{value: Xavier}}
  epochs: {{value: 1}}
  train_limit: {{value: 500}}
  label_smoothing: {{value: 0.1}}
  lr_schedule: {{value: cosine}}
  data_dir: {{value: {data}}}
"
    )
}

#[test]
fn the_agents_argument_lists_run_the_real_train_binary() {
    let train = train_bin();
    let train = train.display().to_string();
    let data = sweep_support::data_dir();
    let cfg = SweepConfig::parse(&yaml(&train, &data), "agent.yaml").unwrap();
    let grid = cfg.space.grid().unwrap();
    assert_eq!(cfg.space.grid_size(), Some(4));

    // What `wandb agent` executes for the first grid point, literally.
    let first = agent::command(&cfg, &cfg.space.grid_point(&grid, 0));
    let expected: Vec<String> = [
        "/usr/bin/env",
        &train,
        "--activation=ReLU",
        "--batch_size=32",
        &format!("--data_dir={data}"),
        "--epochs=1",
        "--hidden_size=32",
        "--label_smoothing=0.1",
        "--learning_rate=1e-05",
        "--lr_schedule=cosine",
        "--num_layers=1",
        "--optimizer=adam",
        "--train_limit=500",
        "--weight_decay=0",
        "--weight_init=Xavier",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(first, expected);

    let tmp = tempfile::tempdir().unwrap();
    for (point, lr, wd) in [(0, 1e-5, 0.0), (3, 1e-3, 0.0005)] {
        let argv = agent::command(&cfg, &cfg.space.grid_point(&grid, point));
        let run_id = format!("agentrun{point}");
        // The agent's environment (wandb_agent.py): sweep and run ids, WANDB_DIR = cwd.
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(tmp.path())
            .env("WANDB_SWEEP_ID", "swp12345")
            .env("WANDB_RUN_ID", &run_id)
            .env("WANDB_DIR", tmp.path())
            .env_remove("WANDB_MODE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{argv:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The run folder train chose holds the values exactly as parsed.
        let runs: Vec<_> = std::fs::read_dir(tmp.path().join("runs")).unwrap().flatten().map(|e| e.path()).collect();
        let dir = runs
            .iter()
            .find(|d| {
                read_json(&d.join("config.json"))["learning_rate"].as_f64().is_some_and(|x| (x - lr).abs() < 1e-12)
            })
            .unwrap_or_else(|| panic!("no run folder with learning_rate {lr} in {runs:?}"));
        let config = read_json(&dir.join("config.json"));
        assert!((config["weight_decay"].as_f64().unwrap() - wd).abs() < 1e-9);
        assert_eq!(config["train_limit"], 500);
        assert_eq!(config["lr_schedule"], "cosine");
        assert_eq!(read_json(&dir.join("summary.json"))["state"], "finished");
        // The offline run carries the agent's run id, under WANDB_DIR.
        let wandb: Vec<String> = std::fs::read_dir(tmp.path().join("wandb"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(wandb.iter().any(|n| n.starts_with("offline-run-") && n.ends_with(&run_id)), "{wandb:?}");
    }
}

#[test]
fn the_agent_wrapper_passes_project_and_entity_and_uploads_the_run() {
    let train = train_bin();
    let data = sweep_support::data_dir();
    let tmp = tempfile::tempdir().unwrap();
    // A stand-in `wandb` that records how it was called and, as `wandb sync`
    // does after a complete upload, marks the run folder synced.
    let fake_bin = tmp.path().join("bin");
    std::fs::create_dir_all(&fake_bin).unwrap();
    let calls = tmp.path().join("wandb-calls.txt");
    let fake = fake_bin.join("wandb");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> {}\n[ \"$1\" = sync ] && touch \"$2/run-$WANDB_RUN_ID.wandb.synced\"\nexit 0\n",
        calls.display()
    );
    std::fs::write(&fake, script).unwrap();
    std::process::Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let path = format!("{}:{}", fake_bin.display(), std::env::var("PATH").unwrap_or_default());

    let out = Command::new("/usr/bin/env")
        .arg(workspace().join("sweeps/wandb-train.sh"))
        .args(["--epochs=1", "--train_limit=500", "--hidden_size=16", "--num_layers=1", &format!("--data_dir={data}")])
        .current_dir(tmp.path())
        .env("PATH", path)
        .env("FFN_TRAIN", train)
        .env("WANDB_RUN_ID", "wraprun1")
        .env("WANDB_SWEEP_ID", "swp12345")
        .env("WANDB_DIR", tmp.path())
        .env("WANDB_PROJECT", "proj-x")
        .env("WANDB_ENTITY", "ent-y")
        .env_remove("WANDB_MODE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let runs: Vec<_> = std::fs::read_dir(tmp.path().join("runs")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(runs.len(), 1);
    let config = read_json(&runs[0].join("config.json"));
    assert_eq!((config["wandb_project"].as_str(), config["wandb_entity"].as_str()), (Some("proj-x"), Some("ent-y")));
    let calls = std::fs::read_to_string(&calls).expect("wandb was called");
    let line = calls.lines().next().unwrap();
    assert!(line.starts_with("sync ") && line.ends_with("-wraprun1"), "{line}");
    assert!(line.contains(&format!("{}/wandb/offline-run-", tmp.path().display())), "{line}");
}

/// `sweep --dry_run` of a YAML without `program:` says that wandb's agent
/// could not run it and shows the local `train` arguments, not wandb's
/// default command with an empty program (`/usr/bin/env python '' …`).
#[test]
fn a_dry_run_without_program_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("local.yaml");
    std::fs::write(&yaml, "method: grid\nparameters:\n  learning_rate: {values: [0.001, 0.003]}\n").unwrap();
    let out =
        sweep_support::sweep_command().arg(&yaml).args(["--dry_run", "--", "--train_limit=500"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("no `program:`") && stdout.contains("program: sweeps/wandb-train.sh"), "{stdout}");
    let commands: Vec<&str> = stdout.lines().filter(|l| l.starts_with("train ")).collect();
    assert_eq!(
        commands,
        ["train --learning_rate=0.001 --train_limit=500", "train --learning_rate=0.003 --train_limit=500"]
    );
    assert!(!stdout.contains("python"), "{stdout}");
}
