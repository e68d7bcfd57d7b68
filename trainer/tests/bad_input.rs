//! Bad input through the real binaries (SPEC §9, issue 7): every case must
//! end with a non-zero exit and exactly one line `<program>: error: …` on
//! stderr that names the problem, never a panic or a backtrace. Damaged data
//! files are built from the real Fashion-MNIST files.

mod cli_support;

use cli_support::{assert_clean_error, fashion_dir, run};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// A value a flag must refuse: (arguments, words the error must contain).
type Case = (&'static [&'static str], &'static [&'static str]);

#[test]
fn flag_values_of_the_wrong_type_range_or_zero() {
    let cases: &[Case] = &[
        (&["-b", "0"], &["batch_size", "at least 1"]),
        (&["-b", "-3"], &["batch_size"]),
        (&["-b", "abc"], &["batch_size", "whole number"]),
        (&["-b", "1.5"], &["batch_size", "whole number"]),
        (&["-b", "99999999999999999999"], &["batch_size"]),
        (&["-e", "0"], &["epochs", "at least 1"]),
        (&["-e", ""], &["epochs"]),
        (&["-e"], &["epochs"]),
        (&["-nhl", "-1"], &["num_layers", "at least 0"]),
        (&["-nhl", "100000"], &["num_layers", "at most"]),
        (&["-sz", "0"], &["hidden_size", "at least 1"]),
        (&["-sz", "100000000"], &["memory", "hidden_size"]),
        (&["-b", "100000000"], &["memory", "batch_size"]),
        (&["-lr", "nan"], &["learning_rate", "finite"]),
        (&["-lr", "-1"], &["learning_rate", "out of range"]),
        (&["-lr", "0"], &["learning_rate", "out of range"]),
        (&["-lr", "inf"], &["learning_rate", "finite"]),
        (&["-lr", "1e400"], &["learning_rate"]),
        (&["-lr=fast"], &["learning_rate", "not a number"]),
        (&["-m", "1.5"], &["momentum", "[0, 1)"]),
        (&["-m", "-0.1"], &["momentum"]),
        (&["-beta", "1"], &["beta", "[0, 1)"]),
        (&["-beta1", "2"], &["beta1"]),
        (&["-beta2", "1.0"], &["beta2"]),
        (&["-eps", "0"], &["epsilon", "out of range"]),
        (&["-eps", "-1e-8"], &["epsilon"]),
        (&["-w_d", "-1"], &["weight_decay", "out of range"]),
        (&["-w_d", "lots"], &["weight_decay", "not a number"]),
        (&["--seed", "-1"], &["seed"]),
        (&["--train_limit", "0"], &["train_limit"]),
        (&["--threads", "many"], &["threads"]),
        (&["--warmup", "1"], &["warmup"]),
        (&["--label_smoothing", "nan"], &["label_smoothing"]),
        (&["--run_name", "../escape"], &["run_name", "folder name"]),
        (&["--run_name", "a/b"], &["run_name"]),
        (&["-o", "foo"], &["foo", "optimizer"]),
        (&["-a", "relu6"], &["relu6", "activation"]),
        (&["-d", "cifar10"], &["cifar10", "dataset"]),
        (&["-l", "hinge"], &["hinge", "loss"]),
        (&["-w_i", "he"], &["he", "weight_init"]),
        (&["--lr_schedule", "step"], &["step", "lr_schedule"]),
        (&["--resume", "x", "-e", "3"], &["--resume", "drop --epochs"]),
    ];
    let tmp = tempfile::tempdir().expect("tempdir");
    for (args, needles) in cases {
        // --dry_run: a value that wrongly passes exits 0 at once instead of training.
        let r = run("train", tmp.path(), &[&["--dry_run"][..], args].concat());
        assert_clean_error(&r, "train", Some(2), needles);
    }
    let not_utf8: &std::ffi::OsStr = std::os::unix::ffi::OsStrExt::from_bytes(b"--run_name=\xff\xfe");
    let r = run("train", tmp.path(), &[not_utf8, "--dry_run".as_ref()]);
    assert_clean_error(&r, "train", Some(2), &["utf-8"]);
    assert!(std::fs::read_dir(tmp.path()).expect("tempdir").next().is_none(), "a refused run wrote files");
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(std::fs::File::open(path).expect("real data file")).read_to_end(&mut out).expect("real gzip");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

/// A dataset folder holding the real files, except `file` which holds `bytes`
/// (or is missing when `bytes` is `None`).
fn data_dir_with(root: &Path, case: &str, file: &str, bytes: Option<Vec<u8>>) -> PathBuf {
    let dir = root.join(case);
    std::fs::create_dir_all(&dir).expect("case folder");
    for name in FILES {
        if name != file {
            std::os::unix::fs::symlink(fashion_dir().join(name), dir.join(name)).expect("symlink a real file");
        }
    }
    if let Some(bytes) = bytes {
        std::fs::write(dir.join(file), bytes).expect("write the damaged file");
    }
    dir
}

/// A dataset folder holding the two training files only.
fn half_a_data_dir(root: &Path) -> PathBuf {
    let dir = root.join("half");
    std::fs::create_dir_all(&dir).expect("case folder");
    for name in &FILES[..2] {
        std::os::unix::fs::symlink(fashion_dir().join(name), dir.join(name)).expect("symlink a real file");
    }
    dir
}

fn train_on(dir: &Path, cwd: &Path) -> cli_support::Run {
    let out = cwd.join("out");
    run(
        "train",
        cwd,
        &[
            "--data_dir".as_ref(),
            dir.as_os_str(),
            "--output_dir".as_ref(),
            out.as_os_str(),
            "--no-wandb".as_ref(),
            "-e".as_ref(),
            "1".as_ref(),
            "--train_limit".as_ref(),
            "64".as_ref(),
        ],
    )
}

fn with_count(idx: &[u8], count: u32) -> Vec<u8> {
    let mut v = idx.to_vec();
    v[4..8].copy_from_slice(&count.to_be_bytes());
    v
}

#[test]
fn missing_damaged_and_inconsistent_data_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let fashion = fashion_dir();
    let train_labels = gunzip(&fashion.join(FILES[1]));
    let test_images = gunzip(&fashion.join(FILES[2]));
    let test_labels_gz = std::fs::read(fashion.join(FILES[3])).expect("real file");
    let test_images_gz = std::fs::read(fashion.join(FILES[2])).expect("real file");
    assert_eq!(&train_labels[..8], &[0, 0, 8, 1, 0, 0, 0xea, 0x60], "real labels: magic 2049, 60000 items");

    let mut wrong_magic = train_labels.clone();
    wrong_magic[3] = 3;
    let mut wrong_rows = test_images.clone();
    wrong_rows[11] = 29;
    let mut flipped = test_labels_gz.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    // Consistent files of a different length than their images.
    let fewer_labels = with_count(&train_labels[..8 + 59_000], 59_000);

    let cases: Vec<(&str, PathBuf, &[&str])> = vec![
        ("missing folder", root.join("does-not-exist"), &["does-not-exist"]),
        ("empty folder", root.join("empty-folder"), &["empty-folder"]),
        (
            "missing labels",
            data_dir_with(root, "missing", FILES[1], None),
            &["only some", "train-labels-idx1-ubyte.gz missing"],
        ),
        // Issue 23 point 15: a folder missing 2 of the 4 files names those two.
        (
            "missing test files",
            half_a_data_dir(root),
            &["only some", "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz missing"],
        ),
        ("empty file", data_dir_with(root, "zero", FILES[0], Some(Vec::new())), &["train-images-idx3-ubyte.gz"]),
        (
            "not gzip",
            data_dir_with(root, "text", FILES[3], Some(b"these are not labels\n".to_vec())),
            &["t10k-labels-idx1-ubyte.gz"],
        ),
        (
            "raw IDX under a .gz name",
            data_dir_with(root, "raw", FILES[1], Some(train_labels.clone())),
            &["train-labels-idx1-ubyte.gz"],
        ),
        (
            "truncated gzip",
            data_dir_with(root, "truncated", FILES[2], Some(test_images_gz[..test_images_gz.len() / 2].to_vec())),
            &["t10k-images-idx3-ubyte.gz"],
        ),
        ("corrupt gzip body", data_dir_with(root, "flipped", FILES[3], Some(flipped)), &["t10k-labels-idx1-ubyte.gz"]),
        ("wrong magic", data_dir_with(root, "magic", FILES[1], Some(gzip(&wrong_magic))), &["magic"]),
        (
            "count larger than the data",
            data_dir_with(root, "count", FILES[1], Some(gzip(&with_count(&train_labels, 60_001)))),
            &["train-labels-idx1-ubyte.gz"],
        ),
        (
            "data beyond the count",
            data_dir_with(root, "extra", FILES[3], Some(gzip(&with_count(&gunzip(&fashion.join(FILES[3])), 9_000)))),
            &["t10k-labels-idx1-ubyte.gz"],
        ),
        (
            "29-row images",
            data_dir_with(root, "rows", FILES[2], Some(gzip(&wrong_rows))),
            &["t10k-images-idx3-ubyte.gz"],
        ),
        (
            "truncated IDX inside valid gzip",
            data_dir_with(root, "short", FILES[2], Some(gzip(&test_images[..test_images.len() - 784 * 3]))),
            &["t10k-images-idx3-ubyte.gz"],
        ),
        (
            "images and labels of different lengths",
            data_dir_with(root, "lengths", FILES[1], Some(gzip(&fewer_labels))),
            &["60000", "59000"],
        ),
    ];
    std::fs::create_dir_all(root.join("empty-folder")).expect("empty folder");
    for (what, dir, needles) in cases {
        let r = train_on(&dir, root);
        assert!(r.code == Some(1), "{what}: expected exit 1: {}", r.describe());
        assert_clean_error(&r, "train", Some(1), needles);
        assert!(!root.join("out/model.ffn").exists(), "{what}: a model was written");
    }
    // A file where a folder is expected.
    let r = train_on(&fashion.join(FILES[0]), root);
    assert_clean_error(&r, "train", Some(1), &["train-images-idx3-ubyte.gz"]);
}

#[test]
fn unwritable_or_full_output_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("file");
    // Tests run as root in CI, where permission bits do not stop writes: use
    // places no one can create a folder in.
    for (out, needle) in [
        (file.join("run"), "a-file/run"),
        (file.clone(), "a-file"),
        (PathBuf::from("/proc/ffn-bad-input-test"), "/proc/ffn-bad-input-test"),
    ] {
        let r = run(
            "train",
            tmp.path(),
            &[
                "--output_dir".as_ref(),
                out.as_os_str(),
                "-e".as_ref(),
                "1".as_ref(),
                "--train_limit".as_ref(),
                "64".as_ref(),
            ],
        );
        assert_clean_error(&r, "train", Some(1), &["cannot write", needle, "--output_dir"]);
    }
    // A full disk, as the process sees it: a file-size limit makes writes fail
    // with EFBIG (SIGXFSZ ignored, as the shell's trap is inherited across exec).
    let out = tmp.path().join("full");
    let train = cli_support::train_bin();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1024; exec \"$0\" \"$@\"")
        .arg(&train)
        .args(["--no-wandb", "-e", "1", "--train_limit", "64", "-sz", "256", "--output_dir"])
        .arg(&out)
        .current_dir(tmp.path());
    let r = cli_support::finish(cmd.output().expect("sh runs"));
    assert_clean_error(&r, "train", Some(1), &["cannot write", "full", "too large"]);
    assert!(!out.join("model.ffn").exists());
}

/// A finished tiny run folder to damage.
fn tiny_run(cwd: &Path, name: &str) -> PathBuf {
    let dir = cwd.join(name);
    let r = run(
        "train",
        cwd,
        &[
            "--output_dir".as_ref(),
            dir.as_os_str(),
            "--no-wandb".as_ref(),
            "-e".as_ref(),
            "1".as_ref(),
            "--train_limit".as_ref(),
            "64".as_ref(),
            "-nhl".as_ref(),
            "1".as_ref(),
            "-sz".as_ref(),
            "8".as_ref(),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.describe());
    dir
}

#[test]
fn resume_without_or_with_a_damaged_checkpoint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = tiny_run(tmp.path(), "good");
    let checkpoint = std::fs::read(good.join("checkpoint.ffnck")).expect("checkpoint");
    let copy = |name: &str, edit: &dyn Fn(&Path)| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).expect("dir");
        for f in ["config.json", "checkpoint.ffnck", "summary.json"] {
            std::fs::copy(good.join(f), dir.join(f)).expect("copy");
        }
        edit(&dir);
        dir
    };
    let mut flipped = checkpoint.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 1;
    let cases: Vec<(PathBuf, &[&str])> = vec![
        (tmp.path().join("nowhere"), &["nowhere", "no such folder"]),
        (
            copy("no-config", &|d| std::fs::remove_file(d.join("config.json")).expect("rm")),
            &["not a run folder", "config.json"],
        ),
        (copy("bad-config", &|d| std::fs::write(d.join("config.json"), "{ not json").expect("w")), &["config.json"]),
        (
            copy("no-checkpoint", &|d| std::fs::remove_file(d.join("checkpoint.ffnck")).expect("rm")),
            &["no checkpoint", "without --resume"],
        ),
        (
            copy("flipped", &|d| std::fs::write(d.join("checkpoint.ffnck"), &flipped).expect("w")),
            &["checkpoint", "crc"],
        ),
        (
            copy("truncated", &|d| std::fs::write(d.join("checkpoint.ffnck"), &checkpoint[..100]).expect("w")),
            &["checkpoint", "truncated"],
        ),
        (copy("empty", &|d| std::fs::write(d.join("checkpoint.ffnck"), b"").expect("w")), &["checkpoint", "magic"]),
        (
            copy("other-model", &|d| {
                // Not finished, or resuming would be a no-op.
                std::fs::remove_file(d.join("summary.json")).expect("rm");
                let mut c: serde_json::Value = cli_support::read_json(&d.join("config.json"));
                c["hidden_size"] = 9.into();
                std::fs::write(d.join("config.json"), c.to_string()).expect("w");
            }),
            &["checkpoint", "does not match"],
        ),
    ];
    for (dir, needles) in cases {
        let r = run("train", tmp.path(), &["--resume".as_ref(), dir.as_os_str()]);
        assert_clean_error(&r, "train", Some(1), needles);
    }
}

#[test]
fn damaged_model_files_for_predict_and_export() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = tiny_run(tmp.path(), "good");
    let model = std::fs::read(good.join("model.ffn")).expect("model");
    assert_eq!(&model[..5], b"FFNM\x02", "format version 2");
    let write = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let mut version3 = model.clone();
    version3[4] = 3;
    let mut flipped = model.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x10;
    let image = format!("{}:0", fashion_dir().join(FILES[2]).display());
    let cases: Vec<(PathBuf, &[&str])> = vec![
        (tmp.path().join("missing.ffn"), &["missing.ffn"]),
        (write("empty.ffn", b""), &["empty.ffn", "truncated"]),
        (write("garbage.ffn", b"hello, not a model at all"), &["garbage.ffn", "magic"]),
        (write("truncated.ffn", &model[..model.len() / 3]), &["truncated.ffn"]),
        (write("flipped.ffn", &flipped), &["flipped.ffn", "corrupt"]),
        (write("v3.ffn", &version3), &["v3.ffn", "version 3"]),
        (tmp.path().to_path_buf(), &["model.ffn"]),
    ];
    for (path, needles) in &cases {
        let r = run("predict", tmp.path(), &[path.as_os_str(), image.as_ref()]);
        assert_clean_error(&r, "ffn predict", None, needles);
        let r = run("export", tmp.path(), &[path.as_os_str()]);
        assert_clean_error(&r, "ffn export", None, needles);
    }
    // A good model with a bad image reference: that image is reported (naming it), then the count.
    let out_of_range = format!("{}:10000", fashion_dir().join(FILES[2]).display());
    let r = run("predict", tmp.path(), &[good.join("model.ffn").as_os_str(), out_of_range.as_ref()]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(!r.stderr.contains("panicked"), "{}", r.describe());
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.describe());
    assert!(
        lines[0].starts_with(&format!("ffn predict: {out_of_range}: ")) && lines[0].contains("10000"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "ffn predict: error: 1 of 1 inputs could not be classified");
}

#[test]
fn sweep_yaml_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, &str, &[&str])] = &[
        ("syntax.yaml", "method: grid\nparameters:\n  epochs: [1\n", &["syntax.yaml"]),
        ("unknown-key.yaml", "method: grid\nbogus_key: 3\nparameters:\n  epochs:\n    values: [1]\n", &["bogus_key"]),
        ("unknown-param.yaml", "method: grid\nparameters:\n  nonflag:\n    values: [1]\n", &["nonflag"]),
        ("empty-values.yaml", "method: grid\nparameters:\n  epochs:\n    values: []\n", &["epochs", "empty"]),
        (
            "impossible-range.yaml",
            "method: random\nparameters:\n  learning_rate:\n    distribution: uniform\n    min: 0.1\n    max: 0.01\n",
            &["learning_rate", "min"],
        ),
        ("bad-value.yaml", "method: grid\nparameters:\n  batch_size:\n    values: [0, 16]\n", &["batch_size"]),
        ("bad-method.yaml", "method: sideways\nparameters:\n  epochs:\n    values: [1]\n", &["sideways"]),
        ("empty.yaml", "", &["empty.yaml"]),
    ];
    for (name, text, needles) in cases {
        std::fs::write(tmp.path().join(name), text).expect("yaml");
        let r = run("sweep", tmp.path(), &["--dry_run", name]);
        assert_clean_error(&r, "ffn sweep", Some(2), needles);
    }
    let r = run("sweep", tmp.path(), &["--dry_run", "absent.yaml"]);
    assert_clean_error(&r, "ffn sweep", None, &["absent.yaml"]);
}

#[test]
fn missing_positional_arguments_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    for (program, needle) in [("report", "RUNS_DIR"), ("export", "INPUT"), ("sweep", "CONFIG")] {
        let r = run(program, tmp.path(), &[] as &[&str]);
        assert_clean_error(&r, &format!("ffn {program}"), Some(2), &[needle]);
    }
}
