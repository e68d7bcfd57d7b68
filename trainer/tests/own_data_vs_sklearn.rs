//! ffn's own-data defaults against scikit-learn, on data nobody here wrote
//! (issue 20, points 6 and 10): scikit-learn's bundled `load_iris` and
//! `load_digits`, split by scikit-learn (`train_test_split`, stratified 20 %,
//! one split per seed) and written as CSV files, `.npz` archives and (digits)
//! PNG folders by `scripts/sklearn_splits.py`, which also scores scikit-learn's
//! `MLPClassifier` at its defaults behind a `StandardScaler` on each split.
//! `train` then runs on the same splits with no tuning flag (`--data TRAIN
//! --test_data TEST`, or the `.npz`'s own x_test/y_test), and its mean test
//! accuracy over the splits must reach scikit-learn's mean minus a margin.
//! Nothing is hard-coded: both figures are computed here.
//!
//! The margins, in test rows: the two models see the same rows, so the
//! difference of their means moves only with the rows one gets right and the
//! other wrong. Iris has 30 test rows a split: 5 splits are 150 rows and the
//! margin is 3 of them (2 points); digits has 360 a split: 3 splits are 1,080
//! rows and the margin is 11 (1 point). The margin catches what point 6
//! fixed: ffn with the built-in datasets' defaults on iris (batch 256, 30
//! epochs: one step an epoch; 2 × 768) scored 89.33 % on these five splits
//! against scikit-learn's 94.00 % (README, "Your own data").
//!
//! ffn trains on 90 % of each training split (it holds out 10 % for
//! validation); scikit-learn on all of it. The PNG folder holds the same
//! digits with their 17 levels scaled to 0-255 (image data: scaled by 1/255,
//! not standardised), compared with the same scikit-learn figure.

mod cli_support;

use cli_support::{read_json, run, sklearn_script};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const IRIS_SEEDS: &[u64] = &[1, 2, 3, 4, 5];
const DIGITS_SEEDS: &[u64] = &[1, 2, 3];
/// ffn's mean may trail scikit-learn's by this much (see the module's doc).
const IRIS_MARGIN: f64 = 0.02;
const DIGITS_MARGIN: f64 = 0.01;

/// One `train` run: a dataset's form, one split.
struct Job {
    form: &'static str,
    seed: u64,
    args: Vec<String>,
}

/// scikit-learn's accuracy on each split of `dataset` (written under `dir/<seed>/`).
fn sklearn(dir: &Path, dataset: &str, seeds: &[u64]) -> Vec<f64> {
    let mut args: Vec<std::ffi::OsString> = vec![dir.into(), dataset.into()];
    args.extend(seeds.iter().map(|s| s.to_string().into()));
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = sklearn_script("sklearn_splits.py", &args);
    let json: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("sklearn_splits.py: {e}: {out}"));
    let accuracy: Vec<f64> = json["accuracy"].as_array().expect("accuracy").iter().filter_map(Value::as_f64).collect();
    assert_eq!(accuracy.len(), seeds.len(), "{out}");
    accuracy
}

fn jobs(dir: &Path) -> Vec<Job> {
    let path = |seed: u64, name: &str| dir.join(seed.to_string()).join(name).display().to_string();
    let mut jobs = Vec::new();
    let mut add = |form: &'static str, seed: u64, args: Vec<String>| jobs.push(Job { form, seed, args });
    for &seed in IRIS_SEEDS {
        add(
            "iris csv",
            seed,
            vec!["--data".into(), path(seed, "iris_train.csv"), "--test_data".into(), path(seed, "iris_test.csv")],
        );
        add("iris npz", seed, vec!["--data".into(), path(seed, "iris.npz")]);
    }
    for &seed in DIGITS_SEEDS {
        let csv =
            vec!["--data".into(), path(seed, "digits_train.csv"), "--test_data".into(), path(seed, "digits_test.csv")];
        add("digits csv", seed, csv);
        add("digits npz", seed, vec!["--data".into(), path(seed, "digits.npz")]);
        let png =
            vec!["--data".into(), path(seed, "digits_png/train"), "--test_data".into(), path(seed, "digits_png/test")];
        add("digits png", seed, png);
    }
    jobs
}

/// Runs `job` with ffn's defaults (its seed, one thread: the jobs run side by
/// side) and returns its run folder's `summary.json` and `config.json`.
fn train(job: &Job, out: &Path) -> (Value, Value) {
    let dir = out.join(format!("{}-{}", job.form.replace(' ', "-"), job.seed));
    let mut args = job.args.clone();
    let seed = job.seed.to_string();
    args.extend(["--seed", &seed, "--threads", "1", "--no-wandb", "--output_dir"].map(String::from));
    args.push(dir.display().to_string());
    let r = run("train", out, &args);
    assert_eq!(r.code, Some(0), "train {args:?}: {}", r.describe());
    (read_json(&dir.join("summary.json")), read_json(&dir.join("config.json")))
}

/// Every job's `(summary, config)`, in the order of `jobs`, two at a time.
fn train_all(jobs: &[Job], out: &Path) -> Vec<(Value, Value)> {
    let next = Mutex::new(0usize);
    let done: Mutex<Vec<Option<(Value, Value)>>> = Mutex::new(vec![None; jobs.len()]);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(job) = jobs.get(i) else { break };
                    let result = train(job, out);
                    done.lock().unwrap()[i] = Some(result);
                }
            });
        }
    });
    done.into_inner().unwrap().into_iter().map(|r| r.expect("every job ran")).collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn percent(values: &[f64]) -> String {
    values.iter().map(|v| format!("{:.2}", 100.0 * v)).collect::<Vec<_>>().join(" ")
}

#[test]
fn ffn_defaults_match_scikit_learn_on_iris_and_digits() {
    let start = std::time::Instant::now();
    let tmp = tempfile::tempdir().expect("tempdir");
    let splits: PathBuf = tmp.path().join("splits");
    let reference =
        [("iris", sklearn(&splits, "iris", IRIS_SEEDS)), ("digits", sklearn(&splits, "digits", DIGITS_SEEDS))];
    let jobs = jobs(&splits);
    let results = train_all(&jobs, tmp.path());

    let mut failures = Vec::new();
    for form in ["iris csv", "iris npz", "digits csv", "digits npz", "digits png"] {
        let dataset = form.split(' ').next().unwrap();
        let (margin, sklearn) = match dataset {
            "iris" => (IRIS_MARGIN, &reference[0].1),
            _ => (DIGITS_MARGIN, &reference[1].1),
        };
        let runs: Vec<&(Value, Value)> =
            jobs.iter().zip(&results).filter(|(j, _)| j.form == form).map(|(_, r)| r).collect();
        let ffn: Vec<f64> = runs.iter().map(|(s, _)| s["test_accuracy"].as_f64().expect("test_accuracy")).collect();
        for (summary, config) in &runs {
            assert_eq!(summary["state"], "finished", "{summary}");
            // The defaults came from the data's size, and config.json says how.
            let why = config["data_defaults"]["epochs"].as_str().unwrap_or("");
            assert!(why.starts_with("own data:"), "{form}: epochs not from the own-data rule: {config}");
        }
        let line = format!(
            "{form}: ffn {:.2} % ({}) vs scikit-learn {:.2} % ({}), margin {:.0} pt",
            100.0 * mean(&ffn),
            percent(&ffn),
            100.0 * mean(sklearn),
            percent(sklearn),
            100.0 * margin
        );
        println!("{line}");
        if mean(&ffn) < mean(sklearn) - margin {
            failures.push(line);
        }
    }
    // The same numbers in a CSV and an .npz train the same weights.
    for (csv, npz) in [("iris csv", "iris npz"), ("digits csv", "digits npz")] {
        let digests = |form: &str| -> Vec<String> {
            jobs.iter()
                .zip(&results)
                .filter(|(j, _)| j.form == form)
                .map(|(_, (s, _))| s["weights_digest"].to_string())
                .collect()
        };
        assert_eq!(digests(csv), digests(npz), "{csv} and {npz} trained different weights");
    }
    println!("{} runs of train and scikit-learn's in {:.1} s", jobs.len(), start.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "ffn's defaults trail scikit-learn's MLPClassifier:\n{}", failures.join("\n"));
}
