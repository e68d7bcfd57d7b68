//! `train --data` and its flags (`--labels`, `--test_data`, `--label_column`,
//! `--delimiter`, `--no_header`, `--image_size`, `--channels`, `--test_fraction`)
//! through the real binary, on scikit-learn's bundled digits and iris as a user
//! would have them: a CSV, a TSV, a header-less `;` file, an `.npz`, a pair of
//! `.npy` files and a folder of PNGs. Each run must learn (accuracy far above
//! chance: features and labels line up), name its classes in `summary.json`,
//! `confusion.json` and `data.json`, and bad own data must end with one line
//! and no run folder.

mod cli_support;

use cli_support::{assert_clean_error, confusion_total, read_json, run, sklearn_data};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn data() -> &'static Path {
    sklearn_data()
}

/// Runs `train ARGS -e 3 --no-wandb --output_dir <cwd>/<name>` and returns the run folder.
fn train(cwd: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = cwd.join(name);
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["-e", "3", "--no-wandb", "--output_dir"].map(String::from));
    all.push(out.display().to_string());
    let r = run("train", data(), &all);
    assert_eq!(r.code, Some(0), "train {args:?}: {}", r.describe());
    out
}

struct Expected {
    inputs: u64,
    classes: &'static [&'static str],
    test_rows: u64,
    min_accuracy: f64,
}

/// Checks what a finished run says about its data.
fn check_run(dir: &Path, e: &Expected) -> Value {
    let summary = read_json(&dir.join("summary.json"));
    assert_eq!(summary["state"], "finished", "{}", dir.display());
    let classes: Vec<&str> =
        summary["classes"].as_array().expect("classes").iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(classes, e.classes, "{}", dir.display());
    let accuracy = summary["test_accuracy"].as_f64().expect("test_accuracy");
    assert!(accuracy >= e.min_accuracy, "{}: test accuracy {accuracy} < {}", dir.display(), e.min_accuracy);
    let info = read_json(&dir.join("data.json"));
    assert_eq!(info["input_len"].as_u64(), Some(e.inputs), "{}", dir.display());
    let confusion = read_json(&dir.join("confusion.json"));
    assert_eq!(confusion["classes"], summary["classes"]);
    assert_eq!(confusion_total(&confusion), e.test_rows, "{}: test rows", dir.display());
    let config = read_json(&dir.join("config.json"));
    assert_eq!(config["dataset"], Value::Null, "own data has no built-in dataset");
    summary
}

const DIGITS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const IRIS: &[&str] = &["setosa", "versicolor", "virginica"];

#[test]
fn every_table_and_array_form_of_iris_trains_the_same_model() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let iris = Expected { inputs: 4, classes: IRIS, test_rows: 30, min_accuracy: 0.6 };
    let forms: &[(&str, &[&str])] = &[
        ("csv", &["--data", "iris.csv", "--label_column", "species"]),
        ("csv-default-label", &["--data", "iris.csv"]),
        ("tsv", &["--data", "iris.tsv"]),
        ("plain", &["--data", "iris_plain.txt", "--no_header", "--delimiter", ";", "--label_column", "4"]),
        ("npz", &["--data", "iris.npz"]),
        ("npy", &["--data", "iris_x.npy", "--labels", "iris_y.npy"]),
    ];
    let mut digests = Vec::new();
    for (name, args) in forms {
        let summary = check_run(&train(tmp.path(), name, args), &iris);
        digests.push((name, summary["weights_digest"].as_str().expect("digest").to_string()));
    }
    // The same numbers, labels, seed and split: the same weights, whatever the form.
    assert!(digests.iter().all(|(_, d)| *d == digests[0].1), "{digests:?}");
    let info = read_json(&tmp.path().join("csv/data.json"));
    assert_eq!(info["feature_names"][0], "sepal_length");
    assert_eq!(info["preprocessing"]["kind"], "standardize");
}

#[test]
fn digits_as_a_table_an_npz_and_an_image_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // 1,797 samples: 20 % (stratified) held out for the test.
    let table = Expected { inputs: 64, classes: DIGITS, test_rows: 359, min_accuracy: 0.85 };
    check_run(&train(tmp.path(), "csv", &["--data", "digits.csv", "--label_column", "label"]), &table);
    check_run(&train(tmp.path(), "npz", &["--data", "digits.npz"]), &table);
    let png = train(tmp.path(), "png", &["--data", "digits_png", "--channels", "1"]);
    check_run(&png, &table);
    let info = read_json(&png.join("data.json"));
    assert!(info["image"].is_object(), "an image folder is image data: {info}");
    // Resized to 4×4: 16 inputs, still far above chance (10 %).
    let small = Expected { inputs: 16, min_accuracy: 0.4, ..table };
    check_run(&train(tmp.path(), "png-4x4", &["--data", "digits_png", "--image_size", "4x4"]), &small);
}

#[test]
fn the_test_set_is_a_file_or_a_stratified_share() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = train(tmp.path(), "half", &["--data", "iris.csv", "--test_fraction", "0.5"]);
    check_run(&dir, &Expected { inputs: 4, classes: IRIS, test_rows: 75, min_accuracy: 0.5 });
    // Stratified: 25 of each species' 50.
    let confusion = read_json(&dir.join("confusion.json"));
    for row in confusion["matrix"].as_array().unwrap() {
        assert_eq!(row.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).sum::<u64>(), 25, "{confusion}");
    }
    let dir = train(tmp.path(), "file", &["--data", "iris.csv", "--test_data", "iris.tsv"]);
    check_run(&dir, &Expected { inputs: 4, classes: IRIS, test_rows: 150, min_accuracy: 0.5 });
    let summary = read_json(&dir.join("summary.json"));
    let config = read_json(&dir.join("config.json"));
    assert_eq!(config["test_data"], "iris.tsv", "{summary}");
}

#[test]
fn bad_own_data_is_one_line_and_leaves_no_run_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = data();
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    let ragged = write("ragged.csv", "a,b,label\n1,2,x\n3,4\n");
    let one_class = write("one.csv", "a,b,label\n1,2,x\n3,4,x\n");
    let iris = d.join("iris.csv").display().to_string();
    let digits = d.join("digits.csv").display().to_string();
    let iris_x = d.join("iris_x.npy").display().to_string();
    let png = d.join("digits_png").display().to_string();
    let cases: Vec<(Vec<&str>, i32, &[&str])> = vec![
        (vec!["--data", "missing.csv"], 1, &["missing.csv", "cannot read"]),
        (vec!["--data", &ragged], 1, &["line 3", "2 fields"]),
        (vec!["--data", &one_class], 1, &["at least two classes"]),
        (vec!["--data", &iris, "--label_column", "kind"], 1, &["--label_column 'kind' names no column"]),
        (vec!["--data", &iris, "--test_data", &digits], 1, &["differ from the training file"]),
        (vec!["--data", &iris_x], 1, &["--labels"]),
        (vec!["--data", &iris, "--channels", "3"], 1, &["--channels does not apply"]),
        (vec!["--data", &png, "--label_column", "y"], 1, &["--label_column does not apply"]),
        (vec!["--data", &iris, "-d", "mnist"], 2, &["--data and -d"]),
        (vec!["--labels", &iris_x], 2, &["--labels is an option of --data"]),
        (vec!["--data", &iris, "--delimiter", "ab"], 2, &["--delimiter"]),
        (vec!["--data", &png, "--image_size", "big"], 2, &["--image_size"]),
    ];
    for (i, (args, code, needles)) in cases.into_iter().enumerate() {
        let out = tmp.path().join(format!("out-{i}"));
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--no-wandb".into(), "--output_dir".into(), out.display().to_string()]);
        let r = run("train", tmp.path(), &all);
        assert_clean_error(&r, "train", Some(code), needles);
        assert!(!out.exists(), "{args:?} left {} behind", out.display());
    }
    // Nor under the derived name in runs/.
    let r = run("train", tmp.path(), &["--data", &ragged, "--no-wandb"]);
    assert_clean_error(&r, "train", Some(1), &["ragged.csv"]);
    assert!(!tmp.path().join("runs").exists(), "a failed start made runs/");
}

#[test]
fn an_own_data_run_exports_and_predicts_with_its_class_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = train(tmp.path(), "iris", &["--data", "iris.csv"]);
    let dir_arg = dir.display().to_string();
    // export reads the run's data from config.json (paths relative to where train ran).
    let r = run("export", data(), &[dir_arg.as_str()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(r.stdout.contains("setosa, versicolor, virginica"), "{}", r.stdout);
    assert!(r.stdout.contains("test accuracy (30 samples)"), "{}", r.stdout);
    assert!(dir.join("model.int8.ffn").is_file());
    let elsewhere = run("export", tmp.path(), &[dir_arg.as_str()]);
    assert_clean_error(&elsewhere, "ffn export", Some(1), &["iris.csv", "run export there"]);

    // The first three rows of iris (all setosa) without their label, in the original units.
    let csv = std::fs::read_to_string(data().join("iris.csv")).expect("iris.csv");
    let rows: String =
        csv.lines().skip(1).take(3).map(|l| format!("{}\n", l.rsplit_once(',').expect("label").0)).collect();
    let rows_path = tmp.path().join("rows.csv");
    std::fs::write(&rows_path, rows).expect("rows");
    for model in ["model.ffn", "model.int8.ffn"] {
        let model = dir.join(model).display().to_string();
        let r = run("predict", tmp.path(), &[model.as_str(), &rows_path.display().to_string()]);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let predicted: Vec<&str> =
            r.stdout.lines().map(|l| l.split(": ").nth(1).unwrap_or("").split(' ').next().unwrap_or("")).collect();
        assert_eq!(predicted, ["setosa"; 3], "{}", r.stdout);
    }
}
