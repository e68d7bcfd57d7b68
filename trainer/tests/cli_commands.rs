//! The installed command names: `ffn` with subcommands (as cargo and git do)
//! and `train` as it always was. `ffn --help` lists every subcommand,
//! `ffn help <sub>` and `ffn <sub> --help` print the subcommand's own help,
//! `ffn train` takes exactly `train`'s flags, `ffn sweep` finds `train` beside
//! itself, and no bare `sweep`/`report`/`export`/`predict`/`bench-epoch`/`bench-load` is built.

mod cli_support;

use cli_support::{assert_clean_error, fashion_dir, run};
use std::process::Command;

const SUBCOMMANDS: [&str; 7] = ["train", "sweep", "report", "export", "predict", "bench-epoch", "bench-load"];

fn ffn(args: &[&str]) -> cli_support::Run {
    cli_support::finish(Command::new(cli_support::ffn_bin()).args(args).output().expect("ffn starts"))
}

#[test]
fn ffn_help_lists_every_subcommand() {
    let r = ffn(&["--help"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let commands: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A long about line wraps onto lines indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(commands, [&SUBCOMMANDS[..], &["help"]].concat(), "{}", r.stdout);
    // Each with its own about line, not an empty stub.
    assert!(r.stdout.contains("Quantise a trained ffn model to int8"), "{}", r.stdout);
    assert!(r.stdout.contains("Train a feed-forward network"), "{}", r.stdout);
    // `ffn` alone says the same, as an error (status 2, on stderr).
    let bare = ffn(&[]);
    assert_eq!(bare.code, Some(2), "{}", bare.describe());
    assert!(bare.stderr.contains("Commands:") && bare.stderr.contains("bench-epoch"), "{}", bare.describe());
    let version = ffn(&["--version"]);
    assert_eq!((version.code, version.stdout.trim()), (Some(0), concat!("ffn ", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn subcommand_help_is_the_subcommands_own_under_its_ffn_name() {
    for name in SUBCOMMANDS {
        let flag = ffn(&[name, "--help"]);
        assert_eq!(flag.code, Some(0), "{}", flag.describe());
        assert!(flag.stdout.contains(&format!("Usage: ffn {name} ")), "ffn {name} --help:\n{}", flag.stdout);
        assert!(flag.stdout.contains("--help"), "ffn {name} --help has no options:\n{}", flag.stdout);
        let help = ffn(&["help", name]);
        assert_eq!(help.code, Some(0), "{}", help.describe());
        assert_eq!(help.stdout, flag.stdout, "ffn help {name} differs from ffn {name} --help");
    }
    // Options only the real subcommands know are in their help.
    assert!(ffn(&["export", "--help"]).stdout.contains("--calibration_samples"));
    assert!(ffn(&["sweep", "--help"]).stdout.contains("--train_bin"));
    assert!(ffn(&["train", "--help"]).stdout.contains("[-nhl]"));
    // Every command that reads the datasets spells the folder flag as train does (issue 23 point 15).
    for name in ["train", "export", "report", "bench-epoch"] {
        assert!(ffn(&[name, "--help"]).stdout.contains("--data_dir"), "ffn {name} --help has no --data_dir");
    }
    // `train` keeps its own name.
    let train = run("train", std::env::temp_dir().as_path(), &["--help"]);
    assert!(train.stdout.contains("Usage: train "), "{}", train.stdout);
}

#[test]
fn unknown_subcommands_get_one_line_with_the_near_name() {
    let r = ffn(&["exprt", "runs/x"]);
    assert_clean_error(&r, "ffn", Some(2), &["exprt", "export"]);
    let r = ffn(&["help", "nonsense"]);
    assert_clean_error(&r, "ffn", Some(2), &["nonsense"]);
    // Errors of a subcommand name it as typed.
    let tmp = tempfile::tempdir().unwrap();
    let r = run("export", tmp.path(), &["--bogus"]);
    assert_clean_error(&r, "ffn export", Some(2), &["--bogus", "ffn export --help"]);
    let r = run("train", tmp.path(), &["--bogus"]);
    assert_clean_error(&r, "train", Some(2), &["--bogus", "train --help"]);
}

/// The course's spellings (`-nhl 3`, `-w_d=0.5`, `--flag=value`, `--flag value`)
/// resolve to the same configuration under `ffn train` as under `train`.
#[test]
fn ffn_train_takes_exactly_trains_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let command_lines: [&[&str]; 3] = [
        &[
            "-wp",
            "p",
            "-we",
            "e",
            "-d",
            "mnist",
            "-e",
            "3",
            "-b",
            "32",
            "-l",
            "mean_squared_error",
            "-o",
            "nesterov",
            "-lr",
            "0.01",
            "-m",
            "0.8",
            "-beta",
            "0.95",
            "-beta1",
            "0.85",
            "-beta2",
            "0.99",
            "-eps",
            "1e-6",
            "-w_d",
            "0.5",
            "-w_i",
            "random",
            "-nhl",
            "3",
            "-sz",
            "64",
            "-a",
            "tanh",
        ],
        &["-w_d=0.5", "-nhl=3", "--learning_rate=1e-3", "--hidden_size", "16", "--activation=ReLU", "--no-wandb"],
        &["--optimizer", "ADAM", "--epochs=2", "--batch_size=1", "--seed", "7", "--weight_init=Xavier"],
    ];
    for args in command_lines {
        let mut all = args.to_vec();
        all.push("--dry_run");
        let plain = run("train", tmp.path(), &all);
        assert_eq!(plain.code, Some(0), "{}", plain.describe());
        let under_ffn = ffn(&[&["train"][..], &all].concat());
        assert_eq!(under_ffn.code, Some(0), "{}", under_ffn.describe());
        let a: serde_json::Value = serde_json::from_str(&plain.stdout).expect("JSON");
        let b: serde_json::Value = serde_json::from_str(&under_ffn.stdout).expect("JSON");
        assert_eq!(a, b, "train and ffn train resolve {args:?} differently");
    }
    // Both refuse the same things, each in its own name.
    for (args, needles) in
        [(&["-o", "foo"][..], &["foo", "optimizer"][..]), (&["-sz=0"], &["hidden_size"]), (&["stray"], &["stray"])]
    {
        let all = [args, &["--dry_run"]].concat();
        assert_clean_error(&run("train", tmp.path(), &all), "train", Some(2), needles);
        assert_clean_error(&ffn(&[&["train"][..], &all].concat()), "ffn train", Some(2), needles);
    }
    // And it trains: a short run through `ffn train` writes a finished run folder.
    let out = tmp.path().join("run");
    let r = ffn(&[
        "train",
        "-e",
        "1",
        "--train_limit",
        "500",
        "-nhl",
        "1",
        "-sz",
        "16",
        "--no-wandb",
        "--data_dir",
        fashion_dir().to_str().unwrap(),
        "--output_dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(cli_support::read_json(&out.join("summary.json"))["state"], "finished");
}

/// `ffn sweep` without `--train_bin` runs the `train` beside its own executable.
#[test]
fn ffn_sweep_finds_train_beside_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = tmp.path().join("one.yaml");
    std::fs::write(
        &yaml,
        format!(
            "method: grid\nmetric: {{name: val_accuracy, goal: maximize}}\nparameters:\n  epochs: {{value: 1}}\n  train_limit: {{value: 500}}\n  hidden_size: {{value: 16}}\n  \
             num_layers: {{value: 1}}\n  data_dir: {{value: {}}}\n",
            fashion_dir().canonicalize().unwrap().display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let r =
        run("sweep", tmp.path(), &[yaml.as_os_str(), "--no-wandb".as_ref(), "--output_dir".as_ref(), out.as_os_str()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let state = cli_support::read_json(&out.join("sweep-state.json"));
    let runs = state["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{state}");
    assert_eq!(runs[0]["state"], "finished", "{state}");
    // One epoch is "1 epoch" (issue 23 point 17: "[1 epochs, 2 s]").
    assert!(r.stdout.contains("[1 epoch, ") && !r.stdout.contains("1 epochs"), "{}", r.stdout);
    // The summary's reproducing command is `train` as installed, not a path
    // into this checkout (issue 23 point 13).
    let summary = std::fs::read_to_string(out.join("sweep-summary.txt")).unwrap();
    assert!(summary.contains("reproduce it:\n  train --dataset=fashion_mnist"), "{summary}");
    let train = cli_support::train_bin().canonicalize().unwrap();
    assert!(!summary.contains(&train.display().to_string()), "{summary}");
}

/// The package builds `ffn` and `train`, and no bare `sweep`, `report`,
/// `export` (a shell builtin), `predict`, `bench-epoch` or `bench-load`.
#[test]
fn only_ffn_and_train_are_built() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
        .current_dir(cli_support::workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let mut bins: Vec<String> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin")))
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect();
    bins.sort();
    assert_eq!(bins, ["ffn", "train"]);
}
