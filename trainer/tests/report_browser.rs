//! End to end: real `train` runs on the real data (both losses, two
//! activations, a sweep folder, one MNIST run), `report` over them, and the
//! page rendered in headless Chromium: no console output at all, every
//! section present with a drawn SVG, the brushing script run, a screenshot.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(name).output()
            && out.status.success()
        {
            return Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    Path::new("/usr/bin/chromium").exists().then(|| PathBuf::from("/usr/bin/chromium"))
}

/// Headless Chromium on `page`: (DOM after scripts ran, console lines, screenshot written).
fn render(browser: &Path, page: &Path, screenshot: Option<&Path>) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().expect("temp profile");
    let url = format!("file://{}", page.canonicalize().expect("page path").display());
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let user_data = format!("--user-data-dir={}", profile.path().display());
    let out =
        Command::new(browser).args(base).arg(&user_data).arg("--dump-dom").arg(&url).output().expect("run chromium");
    assert!(out.status.success(), "chromium --dump-dom failed: {}", String::from_utf8_lossy(&out.stderr));
    // Chromium logs every console message (log, warning, error, uncaught
    // exception, failed load) as INFO:CONSOLE: the report must print none.
    let console: Vec<String> =
        String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    if let Some(png) = screenshot {
        let shot = Command::new(browser)
            .args(base)
            .arg(&user_data)
            .arg(format!("--screenshot={}", png.display()))
            .arg("--window-size=1280,4000")
            .arg(&url)
            .output()
            .expect("run chromium");
        assert!(shot.status.success(), "chromium --screenshot failed: {}", String::from_utf8_lossy(&shot.stderr));
    }
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

fn browser_or_skip() -> Option<PathBuf> {
    match chromium() {
        Some(b) => Some(b),
        None if std::env::var_os("CI").is_some() => panic!("chromium is required in CI (scripts/setup.sh installs it)"),
        None => {
            eprintln!("skipped: chromium not found (apt-get install chromium); CI runs this test");
            None
        }
    }
}

fn train(train: &Path, out: &Path, args: &[&str]) {
    let result = Command::new(train)
        .args(["--train_limit", "2000", "--epochs", "2", "--no-wandb", "-nhl", "1", "-sz", "32", "-b", "32"])
        .args(["-o", "adam", "-lr", "0.003", "--threads", "1"])
        .args(args)
        .arg("--output_dir")
        .arg(out)
        .current_dir(cli_support::workspace())
        .output()
        .expect("run train");
    assert!(result.status.success(), "train {args:?} failed: {}", String::from_utf8_lossy(&result.stderr));
}

/// The part of the page from `<section id="{id}"` to its end.
fn section<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom.find(&format!("<section id=\"{id}\"")).unwrap_or_else(|| panic!("section {id} missing"));
    let end = dom[start..].find("</section>").map_or(dom.len(), |e| start + e);
    &dom[start..end]
}

#[test]
fn report_of_real_runs_renders_in_chromium_without_errors() {
    let Some(browser) = browser_or_skip() else { return };
    let train_bin = cli_support::train_bin();
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("results");
    let sweep = runs.join("small_sweep");
    std::fs::create_dir_all(&sweep).unwrap();
    std::fs::write(
        sweep.join("sweep.yaml"),
        "method: grid\nmetric: {name: val_accuracy, goal: maximize}\nparameters:\n  loss: {values: [cross_entropy, mean_squared_error]}\n  activation: {values: [ReLU, sigmoid]}\n",
    )
    .unwrap();
    for loss in ["cross_entropy", "mean_squared_error"] {
        for activation in ["ReLU", "sigmoid"] {
            let name = format!("{loss}_{activation}");
            train(
                &train_bin,
                &sweep.join(&name),
                &["-l", loss, "-a", activation, "--wandb_group", "small_sweep", "--run_name", &name],
            );
        }
    }
    train(&train_bin, &runs.join("mnist/relu"), &["-d", "mnist", "--run_name", "mnist_relu"]);

    let html = tmp.path().join("report.html");
    let out = cli_support::program("report").arg(&runs).arg("-o").arg(&html).output().expect("run report");
    assert!(out.status.success(), "report failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("5 runs"), "{stdout}");
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: the only URL is the SVG namespace.
    let urls = page.matches("http://").count() + page.matches("https://").count();
    assert_eq!(urls, page.matches("http://www.w3.org/2000/svg").count(), "the page must not load anything");

    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser.png");
    let _ = std::fs::remove_file(&png);
    let (dom, console) = render(&browser, &html, Some(&png));
    assert!(console.is_empty(), "console output while loading the report: {console:#?}");
    assert!(dom.contains("data-ready=\"1\""), "the page script did not run to its end");
    for id in ["q1-samples", "q4-sweeps", "q5-best", "q6-params", "q7-confusion", "q8-loss", "q10-mnist", "curves"] {
        let body = section(&dom, id);
        assert!(!body.contains("class=\"empty\""), "section {id} says it has no data:\n{body:.2000}");
        let svg_start = body.find("<svg").unwrap_or_else(|| panic!("section {id} has no <svg>"));
        let svg = &body[svg_start..];
        let drawn =
            ["<rect", "<circle", "<polyline", "<path", "<image"].iter().map(|t| svg.matches(t).count()).sum::<usize>();
        assert!(drawn >= 2, "section {id}: its SVG draws almost nothing");
    }
    // The data reached the page: both losses compared, four runs on the parallel plot, the sweep's method read.
    assert!(section(&dom, "q8-loss").contains("cross-entropy wins"), "no matched comparison in Q8");
    assert_eq!(section(&dom, "q6-params").matches("class=\"pc\"").count(), 4);
    assert!(section(&dom, "q4-sweeps").contains(">grid<"));
    assert_eq!(section(&dom, "q1-samples").matches("<image").count(), 20);
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "screenshot {} is missing or blank ({size} bytes)", png.display());
    println!("screenshot: {}", png.display());
}

#[test]
fn the_console_check_catches_a_broken_page() {
    let Some(browser) = browser_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("broken.html");
    std::fs::write(&page, "<!DOCTYPE html><p>x</p><script>notDefined();</script>").unwrap();
    let (_, console) = render(&browser, &page, None);
    assert!(console.iter().any(|l| l.contains("Uncaught ReferenceError")), "{console:?}");
}
