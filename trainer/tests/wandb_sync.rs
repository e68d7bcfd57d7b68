//! `wandb sync` itself uploads our runs: wandb's Go service (`wandb-core`, the
//! only sync in wandb ≥ 0.30) reads the log and sends it to a stand-in W&B
//! server on localhost, which records what it receives: the run's
//! entity/project/name/group/sweep/tags/config, every history row, the summary,
//! the uploaded files and the exit code.

mod wandb_support;

use ffn_trainer::wandb::{WandbRun, WandbSettings, check};
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wandb_support::{Mode, Server, marked_synced, stream_lines};

/// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const ONE_PIXEL_PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Syncs `dir` with today's `wandb sync` (wandb-core) to a fresh stand-in
/// server; returns the requests it received.
fn sync(python: &Path, dir: &Path) -> Vec<Value> {
    let server = Server::start(python, None, Mode::Accept);
    let (ok, said) = wandb_support::sync(python, &server, dir);
    assert!(ok && said.contains("Finished syncing"), "wandb sync failed:\n{said}");
    assert!(marked_synced(dir), "sync marks the run as uploaded");
    server.requests()
}

#[test]
fn wandb_core_sync_uploads_history_summary_config_and_files() {
    let Some(python) = check::current_client_for_tests() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = WandbSettings {
        entity: "myname".into(),
        project: "myprojectname".into(),
        display_name: "hl_3_sz_64_bs_16_ac_tanh".into(),
        group: Some("sweep-g1".into()),
        sweep_id: Some("sw42".into()),
        job_type: Some("train".into()),
        tags: vec!["fashion_mnist".into(), "rmsprop".into()],
        run_id: Some("sync0001".into()),
        base_dir: tmp.path().to_path_buf(),
        config: obj(json!({"activation": "tanh", "learning_rate": 1e-4, "hidden_size": 64})),
    };
    let mut run = WandbRun::create(settings).expect("create");
    for epoch in 0..3u64 {
        let e = epoch as f64 + 1.0;
        let mut row = obj(json!({"epoch": epoch, "loss": 1.0 / e, "val_accuracy": 0.8 + 0.01 * e}));
        if epoch == 2 {
            row.insert("samples".into(), run.image_png("samples", &ONE_PIXEL_PNG, None).expect("image"));
        }
        run.log(&row).expect("log");
        run.output_line(&format!("epoch {epoch}")).expect("output");
    }
    run.update_summary(&obj(json!({"best_val_accuracy": 0.83, "test_accuracy": 0.82}))).expect("summary");
    // A run of over a second, so its runtime cannot pass for a missing one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let dir = run.finish(0).expect("finish");

    let requests = sync(&python, &dir);
    let upsert = requests
        .iter()
        .find(|r| r["op"] == "UpsertBucket" && r["variables"]["displayName"].is_string())
        .expect("the run is created");
    let v = &upsert["variables"];
    assert_eq!(
        (&v["name"], &v["project"], &v["entity"]),
        (&json!("sync0001"), &json!("myprojectname"), &json!("myname"))
    );
    assert_eq!(
        (&v["displayName"], &v["groupName"], &v["jobType"]),
        (&json!("hl_3_sz_64_bs_16_ac_tanh"), &json!("sweep-g1"), &json!("train"))
    );
    assert_eq!(v["sweep"], json!("sw42"), "the sweep id reaches the server");
    assert_eq!(v["tags"], json!(["fashion_mnist", "rmsprop"]));
    let config: Value = serde_json::from_str(v["config"].as_str().expect("config text")).expect("config json");
    assert_eq!(
        (&config["activation"]["value"], config["learning_rate"]["value"].as_f64()),
        (&json!("tanh"), Some(1e-4))
    );

    let streams: Vec<&Value> = requests.iter().filter(|r| r["kind"] == "file_stream").map(|r| &r["body"]).collect();
    let history = stream_lines(&requests, "wandb-history.jsonl");
    assert_eq!(history.len(), 3);
    for (i, row) in history.iter().enumerate() {
        assert_eq!((&row["_step"], &row["epoch"]), (&json!(i), &json!(i)));
        // Go writes 1.0 as `1`: compare numbers, not JSON text.
        assert_eq!(row["loss"].as_f64(), Some(1.0 / (i as f64 + 1.0)));
    }
    let summary = stream_lines(&requests, "wandb-summary.json").pop().expect("a summary");
    let number = |k: &str| summary[k].as_f64();
    assert_eq!((number("best_val_accuracy"), number("val_accuracy")), (Some(0.83), Some(0.8 + 0.01 * 3.0)));
    // The run's duration: wandb-core takes it from the summary, not from the exit record.
    let runtime = summary["_wandb"]["runtime"].as_u64().unwrap_or_else(|| panic!("no _wandb.runtime in {summary}"));
    assert!((1..60).contains(&runtime), "{summary}");
    assert_eq!(summary["_runtime"].as_u64(), Some(runtime));
    // The environment record: wandb files it under the config's `_wandb.e`.
    let last_config: Value = requests
        .iter()
        .rev()
        .filter(|r| r["op"] == "UpsertBucket")
        .find_map(|r| r["variables"]["config"].as_str().map(|c| serde_json::from_str(c).expect("config json")))
        .expect("config");
    let env = last_config["_wandb"]["value"]["e"].as_object().and_then(|e| e.values().next()).expect("an environment");
    let os = format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH);
    assert_eq!((&env["os"], env["cpu_count_logical"].as_u64().is_some()), (&json!(os), true), "{env}");
    assert!(env["program"].as_str().is_some_and(|p| !p.is_empty()), "{env}");
    let console: Vec<String> = streams
        .iter()
        .flat_map(|b| b["files"]["output.log"]["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    assert_eq!(console.len(), 3);
    assert!(console[2].ends_with(" epoch 2"), "{console:?}");
    let last = streams.last().expect("file_stream posts");
    assert_eq!((&last["complete"], &last["exitcode"]), (&json!(true), &json!(0)));
    let uploaded: Vec<&str> = last["uploaded"].as_array().expect("uploaded").iter().filter_map(Value::as_str).collect();
    for f in ["wandb-metadata.json", "output.log", "config.yaml", "wandb-summary.json"] {
        assert!(uploaded.contains(&f), "{f} not in {uploaded:?}");
    }
    let image = history[2]["samples"]["path"].as_str().expect("image path in the last row");
    assert!(uploaded.contains(&image), "{image} not in {uploaded:?}");
    let put = requests.iter().find(|r| r["kind"] == "put" && r["path"] == format!("/upload/{image}"));
    assert_eq!(put.map(|p| &p["size"]), Some(&json!(ONE_PIXEL_PNG.len())), "the image bytes are uploaded");
}

#[test]
fn a_resumed_run_uploads_each_step_once() {
    let Some(python) = check::current_client_for_tests() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = WandbSettings {
        entity: "e".into(),
        project: "p".into(),
        display_name: "resumed".into(),
        run_id: Some("sync0002".into()),
        base_dir: tmp.path().to_path_buf(),
        ..WandbSettings::default()
    };
    let mut run = WandbRun::create(settings).expect("create");
    for epoch in 0..4u64 {
        run.log(&obj(json!({"epoch": epoch, "loss": 1.0}))).expect("log");
    }
    let dir = run.dir().to_path_buf();
    drop(run); // killed after 4 rows; the checkpoint covered 2 epochs
    let mut run = WandbRun::resume(&dir, 2).expect("resume");
    for epoch in 2..5u64 {
        run.log(&obj(json!({"epoch": epoch, "loss": 0.5}))).expect("log");
    }
    let dir = run.finish(0).expect("finish");
    let requests = sync(&python, &dir);
    let history = stream_lines(&requests, "wandb-history.jsonl");
    let steps: Vec<&Value> = history.iter().map(|r| &r["_step"]).collect();
    assert_eq!(steps, [0, 1, 2, 3, 4].map(|s| json!(s)).iter().collect::<Vec<_>>());
    let losses: Vec<Option<f64>> = history.iter().map(|r| r["loss"].as_f64()).collect();
    assert_eq!(losses, [Some(1.0), Some(1.0), Some(0.5), Some(0.5), Some(0.5)]);
}

/// The offline run folder under `run_dir/wandb/`.
fn offline_run(run_dir: &Path) -> PathBuf {
    std::fs::read_dir(run_dir.join("wandb"))
        .expect("wandb folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("offline-run-")))
        .expect("an offline run")
}

/// `train` stopped by SIGTERM after its first epoch, then `train --resume`:
/// the upload ends `finished` without the interruption's `reason`, as ffn's
/// own summary.json does, with all epochs once and the runtime of both parts.
#[test]
fn a_run_resumed_after_sigterm_uploads_as_finished_without_the_old_reason() {
    let Some(python) = check::current_client_for_tests() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let run_dir = tmp.path().join("run");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist");
    let train = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
        for key in ["WANDB_DIR", "WANDB_MODE", "WANDB_DISABLED", "WANDB_RUN_ID", "WANDB_SWEEP_ID"] {
            cmd.env_remove(key);
        }
        cmd.current_dir(tmp.path()).stdin(Stdio::null());
        cmd
    };
    // Epochs of a fraction of a second, so the signal lands well before the last one.
    let mut child = train()
        .args(["--train_limit", "6000", "--epochs", "12", "-nhl", "1", "-sz", "64", "--threads", "1"])
        .arg("--data_dir")
        .arg(&data)
        .arg("--output_dir")
        .arg(&run_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start train");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first_epoch = lines.by_ref().map_while(Result::ok).find(|l| l.starts_with("epoch   1/12"));
    assert!(first_epoch.is_some(), "train printed no epoch");
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(kill.success());
    lines.for_each(drop);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(143), "SIGTERM ends train with 128 + 15");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("summary.json")).expect("summary")).unwrap();
    assert_eq!(summary["state"], "interrupted", "{summary}");
    let epochs_before = summary["epochs_done"].as_u64().expect("epochs_done");
    assert!(epochs_before < 12, "{summary}");

    let resumed = train().arg("--resume").arg(&run_dir).output().expect("resume");
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let summary: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("summary.json")).expect("summary")).unwrap();
    assert_eq!((&summary["state"], &summary["reason"]), (&json!("finished"), &Value::Null), "{summary}");

    let requests = sync(&python, &offline_run(&run_dir));
    let uploaded = stream_lines(&requests, "wandb-summary.json").pop().expect("a summary");
    assert_eq!(uploaded["state"], "finished", "{uploaded}");
    assert!(uploaded.get("reason").is_none(), "the interruption's reason outlived the resume: {uploaded}");
    assert!(uploaded["_wandb"]["runtime"].is_u64(), "{uploaded}");
    let steps: Vec<u64> =
        stream_lines(&requests, "wandb-history.jsonl").iter().filter_map(|r| r["_step"].as_u64()).collect();
    assert_eq!(steps, (0..12).collect::<Vec<u64>>(), "every epoch once");
}
