//! End to end: real `train` runs on the real data (both losses, two
//! activations, a sweep folder, a scan over most hyper-parameters, one MNIST
//! run), `report` over them, and the page rendered in headless Chromium: no
//! console output at all, every section present with a drawn SVG, the
//! brushing script run, a screenshot, and the parallel-coordinates chart laid
//! out on a 1366-px-wide screen: every axis and label on screen, none over
//! another, round ticks.

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
    let base =
        ["--train_limit", "2000", "--epochs", "2", "-nhl", "1", "-sz", "32", "-b", "32", "-o", "adam", "-lr", "0.003"];
    train_as(train, out, &[&base[..], args].concat());
}

/// `train` with only `args` (and no wandb, one thread).
fn train_as(train: &Path, out: &Path, args: &[&str]) {
    let result = Command::new(train)
        .args(["--no-wandb", "--threads", "1"])
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
    // Single runs that differ in most hyper-parameters: 16 axes on the
    // parallel plot, nine learning rates over 17× (a continuous log axis).
    for i in 0..8usize {
        let lr = format!("{:.6}", 0.0005 * 1.5f64.powi(i as i32));
        let pick = |levels: &[&'static str]| levels[i % levels.len()];
        let name = format!("scan_{i}");
        let args = [
            "--train_limit",
            "2000",
            "--run_name",
            &name,
            "-lr",
            &lr,
            "--epochs",
            pick(&["1", "2"]),
            "-b",
            pick(&["16", "32", "64", "128"]),
            "-o",
            pick(&["adam", "nadam", "rmsprop", "momentum"]),
            "-w_i",
            pick(&["Xavier", "random"]),
            "-nhl",
            pick(&["1", "2"]),
            "-sz",
            pick(&["16", "32", "48"]),
            "-a",
            pick(&["ReLU", "tanh", "sigmoid"]),
            "-w_d",
            pick(&["0", "0.0005"]),
            "--label_smoothing",
            pick(&["0", "0.1"]),
            "--dropout",
            pick(&["0", "0.1"]),
            "--warmup",
            pick(&["0", "0.05", "0.1"]),
            "--lr_schedule",
            pick(&["cosine", "constant"]),
            "--seed",
            pick(&["1", "2"]),
        ];
        train_as(&train_bin, &runs.join("scan").join(&name), &args);
    }
    train(&train_bin, &runs.join("mnist/relu"), &["-d", "mnist", "--run_name", "mnist_relu"]);

    let html = tmp.path().join("report.html");
    let out = cli_support::program("report").arg(&runs).arg("-o").arg(&html).output().expect("run report");
    assert!(out.status.success(), "report failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("13 runs"), "{stdout}");
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
    // The data reached the page: both losses compared, twelve runs on the parallel plot, the sweep's method read.
    assert!(
        section(&dom, "q8-loss").contains("configurations were run with both losses"),
        "no matched comparison in Q8"
    );
    assert_eq!(section(&dom, "q6-params").matches("class=\"pc\"").count(), 12);
    assert!(section(&dom, "q4-sweeps").contains(">grid<"));
    assert_eq!(section(&dom, "q1-samples").matches("<image").count(), 20);
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "screenshot {} is missing or blank ({size} bytes)", png.display());
    println!("screenshot: {}", png.display());

    parallel_coordinates_fit_a_laptop_screen(&browser, &html);
}

/// Measures the parallel-coordinates chart as Chromium lays it out in a
/// 1366-px-wide window, through a copy of the page with a script that writes
/// the boxes of its axes and texts into the DOM.
fn parallel_coordinates_fit_a_laptop_screen(browser: &Path, html: &Path) {
    const MEASURE: &str = r#"<script>(function(){
  var svg=document.querySelector('svg.parcoords'), fig=svg.closest('.figure');
  function box(e){var r=e.getBoundingClientRect();return [r.left,r.top,r.right,r.bottom];}
  var axes=[], texts=[];
  [].forEach.call(svg.children,function(e){
    if(e.matches('line.pc-axis')){axes.push({x:box(e)[0],name:'',ticks:[]});return;}
    if(!e.matches('text')){return;}
    var label=e.firstChild?e.firstChild.nodeValue:'', a=axes[axes.length-1];
    texts.push({box:box(e),label:label});
    if(a&&e.matches('.axis-name')){a.name=label;}
    if(a&&e.matches('.pc-tick')){a.ticks.push(label);}
  });
  document.body.setAttribute('data-layout',JSON.stringify({viewport:document.documentElement.clientWidth,
    scroll:[fig.scrollWidth,fig.clientWidth],axes:axes,texts:texts}));
})();</script></body>"#;
    let page = html.with_file_name("measure.html");
    std::fs::write(&page, std::fs::read_to_string(html).unwrap().replace("</body>", MEASURE)).unwrap();
    let profile = tempfile::tempdir().expect("temp profile");
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        .args(["--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=1366,900"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let attr = dom.split("data-layout=\"").nth(1).and_then(|t| t.split('"').next()).expect("the measuring script ran");
    let json = attr.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let layout: serde_json::Value = serde_json::from_str(&json).expect("layout json");
    let viewport = layout["viewport"].as_f64().unwrap();
    assert_eq!(viewport, 1366.0);
    let axes = layout["axes"].as_array().unwrap();
    let names: Vec<&str> = axes.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(axes.len(), 16, "15 varied hyper-parameters and the metric: {names:?}");
    // Every axis on screen, the metric's last, with room for its labels.
    let xs: Vec<f64> = axes.iter().map(|a| a["x"].as_f64().unwrap()).collect();
    assert!(xs.windows(2).all(|w| w[1] > w[0] + 40.0), "axes in order, apart: {xs:?}");
    assert_eq!(names.last(), Some(&"val_accuracy"));
    assert!(
        xs[0] >= 0.0 && xs[15] + 40.0 <= viewport,
        "axes from {} to {} px in a {viewport} px window",
        xs[0],
        xs[15]
    );
    let (scroll, client) = (layout["scroll"][0].as_f64().unwrap(), layout["scroll"][1].as_f64().unwrap());
    assert!(scroll <= client + 1.0, "the chart scrolls: {scroll} px in a {client} px box");
    // No text leaves the screen or covers another (names, ticks, legend).
    let texts = layout["texts"].as_array().unwrap();
    let boxes: Vec<([f64; 4], &str)> = texts
        .iter()
        .map(|t| {
            let b: Vec<f64> = t["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            ([b[0], b[1], b[2], b[3]], t["label"].as_str().unwrap())
        })
        .collect();
    for (b, label) in &boxes {
        assert!(b[0] >= 0.0 && b[2] <= viewport, "{label:?} is off screen: {b:?}");
    }
    for (i, (a, la)) in boxes.iter().enumerate() {
        for (b, lb) in &boxes[i + 1..] {
            let overlap_x = a[2].min(b[2]) - a[0].max(b[0]);
            let overlap_y = a[3].min(b[3]) - a[1].max(b[1]);
            assert!(overlap_x <= 0.5 || overlap_y <= 0.5, "{la:?} {a:?} overlaps {lb:?} {b:?}");
        }
    }
    // Round ticks: the learning rate on a log axis at 1-2-5 steps, epochs as whole numbers.
    let ticks = |name: &str| -> Vec<&str> {
        let axis = axes.iter().find(|a| a["name"] == name).unwrap_or_else(|| panic!("no {name} axis in {names:?}"));
        axis["ticks"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect()
    };
    let lr = ticks("learning_rate");
    assert!(lr.len() >= 3, "{lr:?}");
    for t in &lr {
        assert!(["5e-4", "0.001", "0.002", "0.005"].contains(t), "learning_rate tick {t:?} is not round: {lr:?}");
    }
    let epochs = ticks("epochs");
    assert!(!epochs.is_empty() && epochs.iter().all(|t| t.parse::<u32>().is_ok()), "epochs ticks: {epochs:?}");
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

/// A report of own data only (a table and an image folder from scikit-learn's
/// iris and digits) renders without console output, every section drawn.
#[test]
fn a_report_of_own_data_renders_in_chromium_without_errors() {
    let Some(browser) = browser_or_skip() else { return };
    let data = cli_support::sklearn_data();
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let train_bin = cli_support::train_bin();
    let own = |name: &str, args: &[&str]| {
        let result = Command::new(&train_bin)
            .args(["--no-wandb", "--threads", "1", "-e", "3", "-nhl", "1", "-sz", "16", "--run_name", name])
            .args(args)
            .arg("--output_dir")
            .arg(runs.join(name))
            .current_dir(data)
            .output()
            .expect("run train");
        assert!(result.status.success(), "train {name}: {}", String::from_utf8_lossy(&result.stderr));
    };
    for (k, lr) in ["0.01", "0.003", "0.001"].iter().enumerate() {
        own(
            &format!("iris_{k}"),
            &["--data", "iris.csv", "-lr", lr, "-l", ["cross_entropy", "mean_squared_error"][k % 2]],
        );
    }
    own("digits_png", &["--data", "digits_png"]);
    let html = tmp.path().join("own.html");
    let out = cli_support::program("report").arg(&runs).arg("-o").arg(&html).current_dir(data).output().unwrap();
    assert!(out.status.success(), "report: {}", String::from_utf8_lossy(&out.stderr));
    let (dom, console) = render(&browser, &html, None);
    assert!(console.is_empty(), "console output while loading the report: {console:#?}");
    assert_eq!(section(&dom, "q1-samples").matches("<image").count(), 10, "the image folder's digits, not the table");
    for id in ["q5-best-iris-csv", "q6-params-iris-csv", "q7-confusion-iris-csv", "q8-loss-iris-csv", "curves-iris-csv"]
    {
        assert!(section(&dom, id).contains("<svg"), "section {id} has no <svg>");
    }
    assert!(section(&dom, "q7-confusion-digits-png").contains("<svg"));
    assert!(!dom.contains("q10-mnist") && !dom.contains("Fashion-MNIST"));
}
