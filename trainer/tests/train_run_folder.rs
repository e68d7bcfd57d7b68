//! `train`'s run folder and its extras through the real binary (issue 23,
//! points 1, 2 and 18): an `--output_dir` that holds a run is refused and left
//! as it was, `--overwrite` moves it aside (never deletes it); a start that
//! fails leaves no folder; `--no_extras` turns ffn's cosine schedule, warm-up,
//! label smoothing and dropout off (a flag given explicitly still counts), and
//! a run says at start which extras are on.

mod cli_support;

use cli_support::{assert_clean_error, dry_run, read_json, run, sha256, sklearn_data};
use std::path::Path;

fn iris() -> String {
    sklearn_data().join("iris.csv").display().to_string()
}

fn train_into(cwd: &Path, out: &Path, extra: &[&str]) -> cli_support::Run {
    let iris = iris();
    let out = out.display().to_string();
    let mut args = vec!["--data", &iris, "-e", "2", "--no-wandb", "--output_dir", &out];
    args.extend_from_slice(extra);
    run("train", cwd, &args)
}

#[test]
fn an_occupied_output_dir_is_refused_and_overwrite_moves_it_aside() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("my-run");
    let first = train_into(tmp.path(), &out, &[]);
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let model = sha256(&out.join("model.ffn"));
    let config = std::fs::read(out.join("config.json")).expect("config");

    // Another seed would write another model over the first: refused, nothing touched.
    let again = train_into(tmp.path(), &out, &["--seed", "2"]);
    assert_clean_error(&again, "train", Some(1), &["holds a run", "--overwrite", "--resume"]);
    assert_eq!(sha256(&out.join("model.ffn")), model);
    assert_eq!(std::fs::read(out.join("config.json")).expect("config"), config);

    let moved = train_into(tmp.path(), &out, &["--seed", "2", "--overwrite"]);
    assert_eq!(moved.code, Some(0), "{}", moved.describe());
    let aside = tmp.path().join("my-run.old-1");
    assert!(moved.stdout.contains("my-run.old-1"), "says where the old run went: {}", moved.stdout);
    assert_eq!(sha256(&aside.join("model.ffn")), model, "the old run is kept whole");
    assert_eq!(std::fs::read(aside.join("config.json")).expect("config"), config);
    assert_ne!(sha256(&out.join("model.ffn")), model, "the new run is in my-run");
    assert_eq!(read_json(&out.join("config.json"))["seed"], 2);

    // A second --overwrite keeps both earlier runs.
    let third = train_into(tmp.path(), &out, &["--seed", "3", "--overwrite"]);
    assert_eq!(third.code, Some(0), "{}", third.describe());
    assert_eq!(sha256(&aside.join("model.ffn")), model);
    assert_eq!(read_json(&tmp.path().join("my-run.old-2/config.json"))["seed"], 2);

    // An existing folder that holds no run is used as it is, its files kept.
    let mine = tmp.path().join("mine");
    std::fs::create_dir_all(&mine).expect("mkdir");
    std::fs::write(mine.join("notes.txt"), "my notes").expect("write");
    let r = train_into(tmp.path(), &mine, &[]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).expect("notes"), "my notes");
}

#[test]
fn a_failed_start_leaves_no_folder_and_the_next_run_gets_the_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let r = run("train", tmp.path(), &["--data_dir", &empty.display().to_string(), "--no-wandb"]);
    assert_clean_error(&r, "train", Some(1), &["--data_dir"]);
    assert!(!tmp.path().join("runs").exists(), "a failed start made runs/");
    let iris = iris();
    let r = run("train", tmp.path(), &["--data", &iris, "-e", "1", "--no-wandb"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let names: Vec<String> = std::fs::read_dir(tmp.path().join("runs"))
        .expect("runs/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["iris_hl_2_sz_256_bs_16_ac_ReLU_o_adam_lr_0.001_ep_1"]);
}

fn config(cwd: &Path, args: &[&str]) -> serde_json::Value {
    dry_run(cwd, args).unwrap_or_else(|r| panic!("train {args:?} --dry_run: {}", r.describe()))
}

#[test]
fn no_extras_turns_the_extras_off_and_a_run_says_which_are_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let course = ["-o", "sgd", "-lr", "0.1", "-b", "256"];
    let with = config(tmp.path(), &course);
    assert_eq!((with["lr_schedule"].as_str(), with["dropout"].as_f64()), (Some("cosine"), Some(0.2)));
    let mut args = course.to_vec();
    args.push("--no_extras");
    let without = config(tmp.path(), &args);
    assert_eq!(without["lr_schedule"], "constant");
    for off in ["warmup", "label_smoothing", "dropout"] {
        assert_eq!(without[off].as_f64(), Some(0.0), "{off}: {without}");
    }
    assert_eq!(without["learning_rate"].as_f64(), Some(0.1));
    args.extend(["--dropout", "0.3"]);
    let one_back = config(tmp.path(), &args);
    assert_eq!((one_back["dropout"].as_f64(), one_back["label_smoothing"].as_f64()), (Some(0.3), Some(0.0)));

    let r = train_into(tmp.path(), &tmp.path().join("extras"), &[]);
    assert!(
        r.stdout.contains("extras on") && r.stdout.contains("label_smoothing 0.1") && r.stdout.contains("--no_extras"),
        "{}",
        r.stdout
    );
    let r = train_into(tmp.path(), &tmp.path().join("plain"), &["--no_extras"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(!r.stdout.contains("extras on"), "{}", r.stdout);
    let r = train_into(tmp.path(), &tmp.path().join("one"), &["--no_extras", "--dropout", "0.3"]);
    assert!(r.stdout.contains("extras on") && r.stdout.contains("dropout 0.3"), "{}", r.stdout);
    assert!(!r.stdout.contains("cosine"), "{}", r.stdout);
}
