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
}
