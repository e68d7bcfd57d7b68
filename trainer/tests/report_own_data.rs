//! `sweep` and `report` on own data (issue 20 point 7), through the real
//! binaries on scikit-learn's iris and digits: a sweep whose parameters set
//! `data`, `test_data` and `label_column` runs, resumes (finished or
//! interrupted) and reproduces its best run; the report over it uses the
//! runs' class names and leaves out what only the course's datasets have
//! (sample images of a table, Fashion-MNIST, the MNIST transfer); a report
//! over built-in and own runs keeps them apart by dataset.

mod cli_support;
mod sweep_support;

use cli_support::{command, confusion_total, read_json, run, sklearn_data};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use sweep_support::wait_for;

const IRIS: [&str; 3] = ["setosa", "versicolor", "virginica"];

/// The part of the page from `<section id="{id}"` to its end.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<section id=\"{id}\"")).unwrap_or_else(|| panic!("section {id} missing"));
    let end = page[start..].find("</section>").map_or(page.len(), |e| start + e);
    &page[start..end]
}

fn section_ids(page: &str) -> Vec<&str> {
    page.split("<section id=\"").skip(1).filter_map(|s| s.split('"').next()).collect()
}

/// `report RUNS... -o <tmp>/report.html` from `cwd`, and the page.
fn report(cwd: &Path, inputs: &[&Path], out: &Path) -> String {
    let mut args: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    args.extend(["-o".into(), out.display().to_string()]);
    args.extend(["--data_dir".into(), cli_support::fashion_dir().display().to_string()]);
    let r = run("report", cwd, &args);
    assert_eq!(r.code, Some(0), "report: {}", r.describe());
    std::fs::read_to_string(out).expect("the report")
}

fn runs_of(sweep: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> =
        std::fs::read_dir(sweep.join("runs")).expect("runs/").map(|e| e.expect("entry").path()).collect();
    dirs.sort();
    dirs
}

#[test]
fn a_sweep_over_a_csv_resumes_reproduces_and_is_reported_with_its_class_names() {
    let data = sklearn_data();
    let tmp = tempfile::tempdir().expect("tempdir");
    let yaml = tmp.path().join("iris.yaml");
    // Paths as a user writes them: relative to where the sweep runs.
    std::fs::write(
        &yaml,
        "name: iris-sweep\nmethod: grid\nmetric: {name: val_accuracy, goal: maximize}\nparameters:\n  \
         data: {value: iris.csv}\n  test_data: {value: iris.tsv}\n  label_column: {value: species}\n  \
         epochs: {value: 4}\n  hidden_size: {value: 16}\n  loss: {values: [cross_entropy, mean_squared_error]}\n  \
         learning_rate: {values: [0.01, 0.001]}\n",
    )
    .expect("yaml");
    let out = tmp.path().join("iris-sweep");
    let args = [yaml.display().to_string(), "-j".into(), "2".into(), "--no-wandb".into(), "--output_dir".into()];
    let mut args = args.to_vec();
    args.push(out.display().to_string());
    let r = run("sweep", data, &args);
    assert_eq!(r.code, Some(0), "sweep: {}", r.describe());
    let dirs = runs_of(&out);
    assert_eq!(dirs.len(), 4, "{dirs:?}");
    let mut digests = Vec::new();
    for dir in &dirs {
        let summary = read_json(&dir.join("summary.json"));
        assert_eq!(summary["state"], "finished", "{}", dir.display());
        assert_eq!(summary["classes"], serde_json::json!(IRIS), "{}", dir.display());
        let config = read_json(&dir.join("config.json"));
        assert_eq!((config["data"].as_str(), config["label_column"].as_str()), (Some("iris.csv"), Some("species")));
        // The test set is the whole of iris.tsv, not a hold-out of iris.csv.
        let confusion = read_json(&dir.join("confusion.json"));
        assert_eq!(confusion_total(&confusion), 150, "{}", dir.display());
        digests.push(summary["weights_digest"].clone());
    }

    // The same command again: every run ended, so nothing runs again.
    let again = run("sweep", data, &args);
    assert_eq!(again.code, Some(0), "resumed sweep: {}", again.describe());
    assert!(again.stdout.contains("resuming sweep iris-sweep"), "{}", again.stdout);
    assert!(!again.stdout.lines().any(|l| l.starts_with("epoch ")), "a finished run ran again:\n{}", again.stdout);
    for (dir, digest) in dirs.iter().zip(&digests) {
        assert_eq!(&read_json(&dir.join("summary.json"))["weights_digest"], digest, "{}", dir.display());
    }

    // The printed command reproduces the best run's weights bit for bit.
    let best = read_json(&out.join("sweep-summary.json"))["best"].clone();
    let command_line: Vec<String> =
        best["command"].as_array().expect("command").iter().map(|a| a.as_str().unwrap().to_string()).collect();
    assert_eq!(command_line[0], "train");
    assert!(command_line.contains(&"--data=iris.csv".to_string()), "{command_line:?}");
    assert!(command_line.contains(&"--test_data=iris.tsv".to_string()), "{command_line:?}");
    assert!(command_line.contains(&"--label_column=species".to_string()), "{command_line:?}");
    let again_dir = tmp.path().join("reproduced");
    let mut train_args = command_line[1..].to_vec();
    train_args.extend(["--no-wandb".into(), "--output_dir".into(), again_dir.display().to_string()]);
    let r = run("train", data, &train_args);
    assert_eq!(r.code, Some(0), "reproduce: {}", r.describe());
    let best_dir = out.join("runs").join(best["name"].as_str().expect("name"));
    assert_eq!(
        read_json(&again_dir.join("summary.json"))["weights_digest"],
        read_json(&best_dir.join("summary.json"))["weights_digest"]
    );

    // The report: iris's class names, no images of a table, nothing of the course's datasets.
    let page = report(data, &[&out], &tmp.path().join("report.html"));
    let ids = section_ids(&page);
    assert!(!ids.contains(&"q1-samples"), "a table has no sample images: {ids:?}");
    assert!(!ids.iter().any(|id| id.contains("mnist")), "no MNIST section without an MNIST run: {ids:?}");
    assert!(!page.contains("<image"), "no image anywhere in a report of tables");
    assert!(!page.contains("Fashion-MNIST") && !page.contains("MNIST"), "the page speaks of the course's datasets");
    assert!(!page.contains("course project&#39;s 95"), "the course's target applies to Fashion-MNIST only");
    // Runs are grouped by their data: the training and the test file.
    assert!(page.contains("4 run folders (4 iris.csv (test: iris.tsv);"), "the header counts the runs by dataset");
    let ours =
        ["q5-best", "q6-params", "q7-confusion", "q8-loss", "curves"].map(|q| format!("{q}-iris-csv-test-iris-tsv"));
    assert_eq!(ids[0], "q4-sweeps");
    assert_eq!(ids[1..], ours, "{ids:?}");
    let q7 = section(&page, &ours[2]);
    for class in IRIS {
        assert!(q7.contains(&format!(">{class}<")), "the confusion matrix names {class}");
    }
    assert!(q7.contains(" of 150 test samples right"), "a table's rows are samples, not images");
    // Chance on three classes is a third, not the course's 10 %.
    assert!(!section(&page, &ours[3]).contains("chance being 10%"));
}

#[test]
fn an_interrupted_sweep_over_a_csv_continues_from_its_checkpoint() {
    let data = sklearn_data();
    let tmp = tempfile::tempdir().expect("tempdir");
    let yaml = tmp.path().join("digits.yaml");
    // Batches of one sample: slow enough to be interrupted after an epoch.
    std::fs::write(
        &yaml,
        "name: digits-sweep\nmethod: grid\nmetric: {name: val_accuracy, goal: maximize}\nparameters:\n  \
         data: {value: digits.csv}\n  label_column: {value: label}\n  epochs: {value: 30}\n  batch_size: {value: 1}\n  \
         hidden_size: {value: 64}\n  seed: {values: [1, 2]}\n",
    )
    .expect("yaml");
    let out = tmp.path().join("digits-sweep");
    let args = [yaml.display().to_string(), "-j".into(), "1".into(), "--no-wandb".into(), "--output_dir".into()];
    let mut args = args.to_vec();
    args.push(out.display().to_string());
    let state_path = out.join("sweep-state.json");
    let mut child =
        command("sweep", data).args(&args).stdout(std::process::Stdio::null()).spawn().expect("sweep starts");
    wait_for(
        || {
            std::fs::read_to_string(&state_path).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok()).is_some_and(
                |s| {
                    s["runs"].as_array().is_some_and(|runs| {
                        runs.iter().any(|r| r["state"] == "running" && r["epochs_done"].as_u64() >= Some(1))
                    })
                },
            )
        },
        Duration::from_secs(600),
    );
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(kill.success());
    assert_eq!(child.wait().expect("wait").code(), Some(130), "an interrupted sweep exits with 130");

    let r = run("sweep", data, &args);
    assert_eq!(r.code, Some(0), "resumed sweep: {}", r.describe());
    assert!(r.stdout.lines().any(|l| l.starts_with("continue  ")), "no run continued:\n{}", r.stdout);
    let state = read_json(&state_path);
    let runs = state["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    for run in runs {
        assert_eq!((run["state"].as_str(), run["epochs_done"].as_u64()), (Some("finished"), Some(30)), "{run}");
    }
    let resumed = runs_of(&out)
        .iter()
        .filter(|d| std::fs::read_to_string(d.join("train.log")).is_ok_and(|log| log.contains("resuming")))
        .count();
    assert_eq!(resumed, 1, "the interrupted run continued from its checkpoint");
}

#[test]
fn a_report_over_built_in_and_own_runs_keeps_them_apart_by_dataset() {
    let data = sklearn_data();
    let tmp = tempfile::tempdir().expect("tempdir");
    let runs = tmp.path().join("runs");
    let train = |name: &str, args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["-nhl", "1", "-sz", "16", "--no-wandb", "--run_name", name, "--output_dir"].map(String::from));
        all.push(runs.join(name).display().to_string());
        let r = run("train", data, &all);
        assert_eq!(r.code, Some(0), "train {name}: {}", r.describe());
    };
    let fashion = cli_support::fashion_dir().display().to_string();
    train("fashion", &["--data_dir", &fashion, "--train_limit", "1000", "-e", "1"]);
    train("digits_png", &["--data", "digits_png", "-e", "2"]);
    train("iris_a", &["--data", "iris.csv", "-e", "2"]);
    train("iris_b", &["--data", "iris.csv", "-e", "2", "-lr", "0.01"]);

    let page = report(data, &[&runs], &tmp.path().join("report.html"));
    let ids = section_ids(&page);
    assert!(
        page.contains("4 run folders (1 Fashion-MNIST, 0 MNIST, 1 digits_png, 2 iris.csv;"),
        "the header counts the runs by dataset"
    );
    // The course's sections count Fashion-MNIST runs only.
    for id in ["q5-best", "q6-params", "q7-confusion", "q8-loss", "q10-mnist", "curves"] {
        assert!(ids.contains(&id), "{id} missing: {ids:?}");
    }
    assert!(section(&page, "q5-best").contains("of the 1 Fashion-MNIST runs"), "own runs counted as Fashion-MNIST");
    assert!(section(&page, "q7-confusion").contains("Ankle boot"));
    // Each own dataset has its own sections, with its class names.
    for id in ["q5-best-digits-png", "q7-confusion-digits-png", "q5-best-iris-csv", "q7-confusion-iris-csv"] {
        assert!(ids.contains(&id), "{id} missing: {ids:?}");
    }
    assert!(section(&page, "q5-best-iris-csv").contains("of the 2 iris.csv runs"));
    let q7 = section(&page, "q7-confusion-iris-csv");
    assert!(IRIS.iter().all(|c| q7.contains(&format!(">{c}<"))), "iris's class names");
    assert!(!q7.contains("Ankle boot") && !q7.contains("<image"), "a table's confusions have no thumbnails");
    // Sample images: the built-in datasets' and the image folder's own (8×8, from the run's data), not the table's.
    let q1 = section(&page, "q1-samples");
    assert!(q1.contains("<h3>Fashion-MNIST</h3>"), "{q1}");
    let digits = q1.split("<h3>digits_png (8×8, grey)</h3>").nth(1).expect("the image folder's samples");
    let digits = digits.split("<h3>").next().unwrap();
    assert_eq!(digits.matches("<image").count(), 10, "one sample per digit: {digits}");
    assert!(q1.contains("Not images, so not shown: iris.csv."), "{q1}");
    let q7 = section(&page, "q7-confusion-digits-png");
    if q7.contains("class=\"pair\"") {
        assert!(q7.contains("<image"), "the folder's confused test images are shown");
    }
}
