//! `report` on bad or thin input: one-line errors with a non-zero status,
//! unreadable run folders listed instead of fatal, and sections without data
//! that say so.

mod cli_support;

use std::process::Output;

fn run(args: &[&std::ffi::OsStr]) -> Output {
    cli_support::program("report").args(args).current_dir(cli_support::workspace()).output().expect("run report")
}

fn one_line_error(out: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.starts_with("ffn report: error: ") && stderr.contains(needle), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_inputs_get_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    let out_html = tmp.path().join("r.html");
    one_line_error(&run(&[missing.as_os_str(), "-o".as_ref(), out_html.as_os_str()]), 1, "is not a folder");
    one_line_error(&run(&[tmp.path().as_os_str(), "-o".as_ref(), out_html.as_os_str()]), 1, "no run folders under");
    one_line_error(&run(&[]), 2, "required argument");
    one_line_error(&run(&[tmp.path().as_os_str(), "--bogus".as_ref()]), 2, "--bogus");
    assert!(!out_html.exists());
}

#[test]
fn thin_input_still_renders_and_says_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let good = runs.join("only");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::write(
        good.join("config.json"),
        r#"{"run_name":"only","dataset":"fashion_mnist","loss":"cross_entropy","activation":"ReLU"}"#,
    )
    .unwrap();
    std::fs::write(
        good.join("metrics.jsonl"),
        "{\"epoch\":1,\"loss\":0.9,\"accuracy\":0.7,\"val_loss\":0.8,\"val_accuracy\":0.71,\"learning_rate\":0.001,\"seconds\":1}\n",
    )
    .unwrap();
    let broken = runs.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("config.json"), "{ not json").unwrap();

    let out_html = tmp.path().join("out/report.html");
    // The output folder does not exist: a clear error, not a panic.
    one_line_error(&run(&[runs.as_os_str(), "-o".as_ref(), out_html.as_os_str()]), 1, "cannot write");
    std::fs::create_dir_all(out_html.parent().unwrap()).unwrap();
    let out = run(&[runs.as_os_str(), "-o".as_ref(), out_html.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 runs (1 unreadable folders left out)"));
    let page = std::fs::read_to_string(&out_html).unwrap();
    assert!(page.contains("71.0%"), "the run's validation accuracy is on the page");
    assert!(page.contains("could not be read") && page.contains("broken"), "the unreadable folder is listed");
    assert!(page.contains("No MNIST run found"), "Q10 says it has no data");
    assert!(page.contains("at least 3 are needed"), "Q6 says why it has nothing to compare");
    assert!(page.contains("has a test confusion matrix"), "Q7 says there is no confusion matrix");
    assert!(page.contains("squared error: the comparison below is one-sided"), "Q8 names the missing loss");

    // --data_dir as train spells it, and --data-dir: both look only there.
    let empty = tmp.path().join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    for flag in ["--data_dir", "--data-dir"] {
        let out = run(&[runs.as_os_str(), "-o".as_ref(), out_html.as_os_str(), flag.as_ref(), empty.as_os_str()]);
        assert!(out.status.success(), "{flag}: {}", String::from_utf8_lossy(&out.stderr));
        let page = std::fs::read_to_string(&out_html).unwrap();
        assert!(page.contains("Fashion-MNIST test images not found"), "{flag}: Q1 looked in the empty folder");
        assert!(page.contains(&empty.display().to_string()), "{flag}: Q1 names the folder it looked in");
    }
}

/// The same runs give the same report, byte for byte, whatever their file
/// times (a copy or a git checkout resets them): real runs, two of each
/// configuration, so the tables hold equal values whose order must come from
/// the runs, not from the file system.
#[test]
fn the_same_runs_give_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let mut configs = Vec::new();
    for copy in ["a", "b"] {
        for loss in ["cross_entropy", "mean_squared_error"] {
            let dir = runs.join(copy).join(loss);
            let out = cli_support::program("train")
                .args(["--train_limit", "1000", "--epochs", "1", "-nhl", "1", "-sz", "16", "--threads", "1"])
                .args(["--no-wandb", "-l", loss, "--run_name", &format!("{copy}_{loss}")])
                .arg("--data_dir")
                .arg(cli_support::fashion_dir())
                .arg("--output_dir")
                .arg(&dir)
                .output()
                .expect("run train");
            assert!(out.status.success(), "train: {}", String::from_utf8_lossy(&out.stderr));
            configs.push(dir.join("config.json"));
        }
    }
    let html = tmp.path().join("report.html");
    let report = || {
        let out = cli_support::program("report")
            .arg(&runs)
            .arg("-o")
            .arg(&html)
            .arg("--data-dir")
            .arg(cli_support::fashion_dir())
            .env("SOURCE_DATE_EPOCH", "1796601600")
            .output()
            .expect("run report");
        assert!(out.status.success(), "report: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(&html).unwrap()
    };
    // File times first in one order, then in the other.
    let age = |path: &std::path::Path, secs: u64| {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(secs)).unwrap();
    };
    for (i, c) in configs.iter().enumerate() {
        age(c, 100 + 10 * i as u64);
    }
    let first = report();
    for (i, c) in configs.iter().enumerate() {
        age(c, 200 - 10 * i as u64);
    }
    let second = report();
    assert!(first == second, "the report changed with the file times alone");
    let page = String::from_utf8_lossy(&first);
    assert!(page.contains("a_cross_entropy") && page.contains("b_mean_squared_error"), "the runs are on the page");
}

/// The README's report command must not overwrite the committed
/// `docs/report.*` unannounced: it writes elsewhere, and the README says
/// which command regenerates the committed one and that it overwrites it.
#[test]
fn the_readme_report_command_leaves_the_committed_report_alone() {
    let readme = std::fs::read_to_string(cli_support::workspace().join("README.md")).unwrap();
    let section = readme.split("\n## Report\n").nth(1).expect("a Report section").split("\n## ").next().unwrap();
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a command block");
    let first = block.lines().find(|l| l.contains(" report ")).expect("the report command");
    assert!(!first.contains("docs/"), "the first report command writes into docs/: {first}");
    let text = section.replace('\n', " ");
    assert!(
        text.contains("-o docs/report.html --screenshot docs/report.png") && text.contains("overwrites"),
        "the README does not say how the committed report is regenerated, or that this overwrites it"
    );
}
