//! The native wandb writer end to end: every run folder it produces is read
//! back by wandb's own reader (`shared/tools/wandb-check`) and by ours.

use ffn_trainer::wandb::framing::{self, FrameError};
use ffn_trainer::wandb::records::{self, RunInfo};
use ffn_trainer::wandb::{WandbError, WandbRun, WandbSettings, check, pyjson};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const KEYS: [&str; 5] = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"];

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn settings(base: &Path, run_id: &str) -> WandbSettings {
    WandbSettings {
        entity: "myname".into(),
        project: "myprojectname".into(),
        display_name: "hl_3_sz_64_bs_16_ac_tanh".into(),
        group: Some("sweep-g1".into()),
        sweep_id: Some("sw42".into()),
        job_type: Some("train".into()),
        tags: vec!["native".into(), "test".into()],
        run_id: Some(run_id.into()),
        base_dir: base.to_path_buf(),
        config: obj(json!({
            "activation": "tanh", "batch_size": 16, "learning_rate": 1e-5, "hidden_size": [64, 32],
            "use_bias": true, "schedule": {"gamma": 0.5, "type": "step"}, "notes": null,
        })),
    }
}

fn row(epoch: u64, scale: f64) -> Map<String, Value> {
    let e = epoch as f64 + 1.0;
    obj(json!({
        "epoch": epoch, "loss": scale / e, "accuracy": 0.5 + 0.04 * e,
        "val_loss": 1.1 * scale / e, "val_accuracy": 0.45 + 0.04 * e,
    }))
}

/// `_step` of every history row, read back with our own decoder.
fn history_steps(log: &Path) -> Vec<u64> {
    let bytes = std::fs::read(log).expect("log readable");
    let d = framing::decode_log(&bytes);
    assert_eq!(d.error, None, "{}", log.display());
    d.records
        .iter()
        .map(|r| records::parse(r).expect("record"))
        .filter(|p| p.kind == records::HISTORY)
        .map(|p| records::history_step(p.body).expect("history").expect("has step"))
        .collect()
}

fn kinds(log: &Path) -> Vec<u32> {
    let d = framing::decode_log(&std::fs::read(log).expect("log readable"));
    d.records.iter().map(|r| records::parse(r).expect("record").kind).collect()
}

#[test]
fn full_run_is_accepted_by_wandb_and_holds_config_history_and_summary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut run = WandbRun::create(settings(tmp.path(), "full0001")).expect("create");
    assert_eq!(run.run_id(), "full0001");
    let name = run.dir().file_name().and_then(|n| n.to_str()).expect("utf-8 name").to_owned();
    assert!(name.starts_with("offline-run-") && name.ends_with("-full0001") && name.len() == 12 + 15 + 9, "{name}");
    assert_eq!(run.sync_command(), format!("wandb sync {}", run.dir().display()));
    for epoch in 0..3 {
        run.log(&row(epoch, 1.0)).expect("log");
        run.output_line(&format!("epoch {epoch} loss {:.4}", 1.0 / (epoch as f64 + 1.0))).expect("output");
    }
    run.update_summary(&obj(json!({"best_val_accuracy": 0.57, "test_accuracy": 0.55}))).expect("summary");
    let log_path = run.log_path().to_path_buf();
    let dir = run.finish(0).expect("finish");

    assert_eq!(history_steps(&log_path), vec![0, 1, 2]);
    let k = kinds(&log_path);
    assert_eq!(&k[..3], &[records::HEADER, records::RUN, records::ENVIRONMENT]);
    // The runtime summary goes just before the exit record, as the wandb library writes it.
    assert_eq!(&k[k.len() - 4..], &[records::FILES, records::SUMMARY, records::EXIT, records::FINAL]);

    let files = dir.join("files");
    let output = std::fs::read_to_string(files.join("output.log")).expect("output.log");
    assert_eq!(output, "epoch 0 loss 1.0000\nepoch 1 loss 0.5000\nepoch 2 loss 0.3333\n");
    let summary: Value = serde_json::from_slice(&std::fs::read(files.join("wandb-summary.json")).expect("summary"))
        .expect("summary json");
    assert_eq!(summary["val_accuracy"], json!(0.45 + 0.04 * 3.0));
    assert_eq!(summary["best_val_accuracy"], json!(0.57));
    assert_eq!(summary["_step"], json!(2));
    let yaml = std::fs::read_to_string(files.join("config.yaml")).expect("config.yaml");
    assert!(yaml.starts_with("wandb_version: 1\n") && yaml.contains("\nactivation:\n  value: tanh\n"), "{yaml}");
    let meta: Value = serde_json::from_slice(&std::fs::read(files.join("wandb-metadata.json")).expect("metadata"))
        .expect("metadata json");
    assert!(meta["startedAt"].as_str().is_some_and(|s| s.ends_with('Z')), "{meta}");

    let Some(checker) = check::for_tests() else { return };
    let r = checker.check(&dir, &KEYS).expect("wandb accepts the run");
    assert_eq!(r["run_id"], "full0001");
    assert_eq!((r["entity"].as_str(), r["project"].as_str()), (Some("myname"), Some("myprojectname")));
    assert_eq!(r["display_name"], "hl_3_sz_64_bs_16_ac_tanh");
    assert_eq!(
        (r["group"].as_str(), r["job_type"].as_str(), r["sweep_id"].as_str()),
        (Some("sweep-g1"), Some("train"), Some("sw42"))
    );
    assert_eq!(r["tags"], json!(["native", "test"]));
    assert_eq!(r["config"], Value::Object(settings(tmp.path(), "x").config));
    assert_eq!(r["history_rows"], 3);
    let last = &r["last_history_row"];
    assert_eq!((&last["_step"], &last["epoch"], &last["loss"]), (&json!(2), &json!(2), &json!(1.0 / 3.0)));
    assert!(last["_runtime"].as_f64().is_some_and(|t| (0.0..60.0).contains(&t)), "{last}");
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("clock").as_secs_f64();
    assert!(last["_timestamp"].as_f64().is_some_and(|t| (now - 60.0..=now).contains(&t)), "{last}");
    for key in KEYS {
        assert_eq!(r["summary"][key], last[key], "summary {key} is the last row's");
    }
    assert_eq!((&r["summary"]["best_val_accuracy"], &r["summary"]["test_accuracy"]), (&json!(0.57), &json!(0.55)));
    assert_eq!((&r["exit_code"], r["runtime"].as_i64()), (&json!(0), Some(0)));
    assert_eq!(r["record_type_counts"]["output_raw"], 3);
    assert!(r["start_time"].as_str().is_some_and(|s| s.starts_with("20")), "{}", r["start_time"]);
}

#[test]
fn failed_run_records_its_exit_code() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut run = WandbRun::create(settings(tmp.path(), "fail0001")).expect("create");
    run.log(&row(0, f64::NAN)).expect("NaN metrics become null, not a broken log");
    let dir = run.finish(3).expect("finish");
    let Some(checker) = check::for_tests() else { return };
    let r = checker.check(&dir, &["loss"]).expect("valid");
    assert_eq!(r["exit_code"], 3);
    assert_eq!(r["last_history_row"]["loss"], Value::Null);
}

/// Puts a hand-built record sequence in a run folder, like the writer would.
fn write_log(base: &Path, run_id: &str, payloads: &[Vec<u8>]) -> PathBuf {
    let dir = base.join(format!("offline-run-20261126_000000-{run_id}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bytes = framing::encode_log(payloads.iter().map(Vec::as_slice));
    std::fs::write(dir.join(format!("run-{run_id}.wandb")), bytes).expect("write log");
    dir
}

/// header, run, one config record whose blob length makes it end `room_left`
/// bytes before the end of block 0, a history row, summary, exit; and that length.
fn sequence(run_id: &str, room_left: u64) -> (Vec<Vec<u8>>, usize) {
    let info = RunInfo { run_id: run_id.into(), entity: "e".into(), project: "p".into(), ..RunInfo::default() };
    let mut out = vec![
        records::record(1, records::HEADER, records::header("test"), run_id),
        records::record(2, records::RUN, records::run(&info), run_id),
    ];
    let start = out.iter().fold(7u64, |off, r| framing::frame_record(off, r, &mut Vec::new()));
    let len = blob_for_room(start, room_left, run_id);
    let blob = pyjson::dumps(&Value::String("x".repeat(len)));
    out.push(records::record(3, records::CONFIG, records::updates([("blob", blob.as_str())]), run_id));
    out.push(records::record(4, records::HISTORY, records::history([("loss", "0.5"), ("_step", "0")], 0), run_id));
    out.push(records::record(5, records::SUMMARY, records::updates([("loss", "0.5")]), run_id));
    out.push(records::record(6, records::EXIT, records::exit(0, 1), run_id));
    (out, len)
}

/// The blob length that makes the config record (framed as one FULL chunk)
/// end exactly `room_left` bytes before the end of block 0.
fn blob_for_room(start: u64, room_left: u64, run_id: &str) -> usize {
    let target = framing::BLOCK - room_left;
    (30_000..32_768)
        .find(|&n| {
            let blob = pyjson::dumps(&Value::String("x".repeat(n)));
            let rec = records::record(3, records::CONFIG, records::updates([("blob", blob.as_str())]), run_id);
            framing::frame_record(start, &rec, &mut Vec::new()) == target
        })
        .expect("some blob length lands on the target offset")
}

#[test]
fn block_edge_cases_are_read_by_wandb() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let checker = check::for_tests();
    let cases: [(&str, u64, u8); 3] = [("edge0007", 7, framing::FIRST), ("edge0003", 3, 0), ("edge0000", 0, 0)];
    for (id, left, chunk_at_edge) in cases {
        let (seq, blob_len) = sequence(id, left);
        let dir = write_log(tmp.path(), id, &seq);
        let bytes = std::fs::read(dir.join(format!("run-{id}.wandb"))).expect("log");
        let edge = (framing::BLOCK - left) as usize;
        if left == 7 {
            // The zero-length FIRST chunk both official writers emit here.
            assert_eq!(&bytes[edge + 4..edge + 7], &[0, 0, chunk_at_edge], "{id}");
        } else {
            assert!(bytes[edge..framing::BLOCK as usize].iter().all(|&b| b == 0), "{id}: zero padding");
        }
        let d = framing::decode_log(&bytes);
        assert_eq!((d.records, d.error), (seq, None), "{id}");
        if let Some(c) = &checker {
            let r = c.check(&dir, &["loss"]).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(r["records"], 6, "{id}");
            assert_eq!(r["config"]["blob"].as_str().map(str::len), Some(blob_len));
        }
    }
}

#[test]
fn records_spanning_several_blocks_are_read_by_wandb() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut run = WandbRun::create(settings(tmp.path(), "bigrec01")).expect("create");
    let big: String = (0..120_000u32).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    run.update_summary(&obj(json!({"notes_blob": big.clone()}))).expect("summary");
    for epoch in 0..200 {
        run.log(&row(epoch, 1.0)).expect("log");
    }
    let log = run.log_path().to_path_buf();
    let dir = run.finish(0).expect("finish");
    let len = std::fs::metadata(&log).expect("log").len();
    assert!(len > 4 * framing::BLOCK, "{len} bytes");
    assert_eq!(history_steps(&log), (0..200).collect::<Vec<_>>());
    let Some(checker) = check::for_tests() else { return };
    let r = checker.check(&dir, &KEYS).expect("valid");
    assert_eq!(r["summary"]["notes_blob"], json!(big));
    assert_eq!((&r["history_rows"], &r["last_history_row"]["_step"]), (&json!(200), &json!(199)));
}

#[test]
fn every_state_a_kill_can_leave_is_a_readable_log() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut run = WandbRun::create(settings(tmp.path(), "kill0001")).expect("create");
    let log = run.log_path().to_path_buf();
    // Each record is one unbuffered write, so after every call the file is what a
    // SIGKILL at that moment would leave.
    let mut snapshots = vec![std::fs::read(&log).expect("log")];
    for epoch in 0..4 {
        run.log(&row(epoch, 1.0)).expect("log");
        run.output_line("x").expect("output");
        snapshots.push(std::fs::read(&log).expect("log"));
    }
    drop(run);
    let checker = check::for_tests();
    for (i, snap) in snapshots.iter().enumerate() {
        let d = framing::decode_log(snap);
        assert_eq!((d.error, d.records.len()), (None, 3 + 3 * i), "snapshot {i}");
        let dir = write_log(&tmp.path().join(format!("snap{i}")), "kill0001", &d.records);
        // wandb's reader is slow to start: ask it about the first and the last state.
        if let Some(c) = checker.as_ref().filter(|_| i == 0 || i + 1 == snapshots.len()) {
            let err = c.check(&dir, &[]).expect_err("no exit record");
            assert!(err.contains("no exit record") && !err.contains("CRC") && !err.contains("truncated"), "{err}");
        }
    }
    // A kill in the middle of a write: our reader keeps every complete record.
    let last = snapshots.last().expect("snapshots");
    let cut = &last[..last.len() - 5];
    let d = framing::decode_log(cut);
    assert_eq!(d.records.len(), 3 + 3 * 4 - 1);
    assert!(matches!(d.error, Some(FrameError::Truncated(_))), "{:?}", d.error);
}

#[test]
fn resume_drops_later_rows_and_continues_numbering() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut run = WandbRun::create(settings(tmp.path(), "resum001")).expect("create");
    for epoch in 0..5 {
        run.log(&row(epoch, 1.0)).expect("log");
        run.output_line(&format!("first try epoch {epoch}")).expect("output");
    }
    let (dir, log) = (run.dir().to_path_buf(), run.log_path().to_path_buf());
    drop(run); // killed: no exit record
    // …and killed in the middle of writing one more record.
    let mut bytes = std::fs::read(&log).expect("log");
    let full_len = bytes.len();
    let extra = records::record(99, records::HISTORY, records::history([("loss", "9.0")], 5), "resum001");
    framing::frame_record(full_len as u64, &extra, &mut bytes);
    bytes.truncate(full_len + 12);
    std::fs::write(&log, &bytes).expect("write");

    let mut run = WandbRun::resume(&dir, 3).expect("resume");
    assert_eq!((run.next_step(), run.run_id()), (3, "resum001"));
    assert_eq!(run.summary()["_step"], json!(2));
    for epoch in 3..6 {
        run.log(&row(epoch, 2.0)).expect("log");
        run.output_line(&format!("second try epoch {epoch}")).expect("output");
    }
    let dir = run.finish(0).expect("finish");
    assert_eq!(history_steps(&log), vec![0, 1, 2, 3, 4, 5]);
    let output = std::fs::read_to_string(dir.join("files/output.log")).expect("output.log");
    let expected: String = (0..3)
        .map(|e| format!("first try epoch {e}\n"))
        .chain((3..6).map(|e| format!("second try epoch {e}\n")))
        .collect();
    assert_eq!(output, expected);

    // Resuming a finished run removes its exit so the run ends once.
    let mut again = WandbRun::resume(&dir, 6).expect("resume finished run");
    assert_eq!(again.next_step(), 6);
    again.log(&row(6, 2.0)).expect("log");
    let dir = again.finish(0).expect("finish");
    let k = kinds(&log);
    assert_eq!(k.iter().filter(|&&k| k == records::EXIT).count(), 1);
    assert_eq!(k.iter().filter(|&&k| k == records::RUN).count(), 1);
    assert_eq!(history_steps(&log), (0..7).collect::<Vec<_>>());

    let Some(checker) = check::for_tests() else { return };
    let r = checker.check(&dir, &KEYS).expect("valid");
    assert_eq!(r["history_rows"], 7);
    assert_eq!(r["summary"]["loss"], json!(2.0 / 7.0), "summary holds the resumed rows' values");
    assert_eq!(r["config"]["activation"], "tanh");
}

#[test]
fn bad_inputs_give_clear_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"x").expect("write");
    let err = WandbRun::create(settings(&file, "badbase1")).err().expect("a file is no base dir");
    assert!(matches!(err, WandbError::CreateDir { .. }), "{err}");
    assert!(
        err.to_string().starts_with(&format!("cannot create the wandb run folder {}", file.join("wandb").display())),
        "{err}"
    );

    let err = WandbRun::create(settings(tmp.path(), "no/slash")).err().expect("bad id");
    assert!(err.to_string().contains("invalid wandb run id \"no/slash\""), "{err}");

    let mut run = WandbRun::create(settings(tmp.path(), "reserv01")).expect("create");
    let err = run.log(&obj(json!({"_step": 5}))).expect_err("reserved");
    assert!(err.to_string().contains("\"_step\" is reserved"), "{err}");

    let err = WandbRun::resume(tmp.path(), 0).err().expect("not a run dir");
    assert!(err.to_string().starts_with("no run-*.wandb file in"), "{err}");

    let mut bytes = std::fs::read(run.log_path()).expect("log");
    bytes[30] ^= 0xFF;
    std::fs::write(run.log_path(), &bytes).expect("write");
    let err = WandbRun::resume(run.dir(), 0).err().expect("corrupt");
    assert!(err.to_string().contains("is not a usable wandb run log: bad CRC"), "{err}");
}

/// The first Fashion-MNIST test image as a 28×28 greyscale PNG, built with
/// flate2 (zlib stream and CRC-32), so the test needs no image crate.
fn fashion_png() -> Option<Vec<u8>> {
    use std::io::{Read, Write};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist/t10k-images-idx3-ubyte.gz");
    let Ok(file) = std::fs::File::open(&path) else {
        assert!(std::env::var_os("CI").is_none(), "missing {}", path.display());
        eprintln!("skipping: no {}", path.display());
        return None;
    };
    let mut idx = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut idx).expect("gzip");
    assert_eq!(&idx[..4], &[0, 0, 8, 3], "IDX magic of an image file");
    let pixels = &idx[16..16 + 784];
    let mut raw = Vec::new();
    for row in pixels.chunks(28) {
        raw.push(0); // filter type None
        raw.extend_from_slice(row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("deflate");
    let idat = z.finish().expect("deflate");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    };
    chunk(b"IHDR", &[0, 0, 0, 28, 0, 0, 0, 28, 8, 0, 0, 0, 0]);
    chunk(b"IDAT", &idat);
    chunk(b"IEND", &[]);
    Some(png)
}

#[test]
fn images_are_stored_like_wandb_image_and_survive_resume() {
    use sha2::{Digest, Sha256};
    let Some(png) = fashion_png() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut run = WandbRun::create(settings(tmp.path(), "image001")).expect("create");
    let mut first = row(0, 1.0);
    let value = run.image_png("samples/ankle boot", &png, Some("first test image")).expect("image");
    first.insert("samples".into(), value.clone());
    run.log(&first).expect("log");
    let rel = value["path"].as_str().expect("path").to_owned();
    assert!(rel.starts_with("media/images/samples/ankle_boot_0_") && rel.ends_with(".png"), "{rel}");
    let stored = std::fs::read(run.dir().join("files").join(&rel)).expect("image file");
    assert_eq!(stored, png);
    let sha: String = Sha256::digest(&png).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(value["sha256"], json!(sha));
    assert_eq!((&value["_type"], &value["width"], &value["height"]), (&json!("image-file"), &json!(28), &json!(28)));
    assert_eq!(value["size"], json!(png.len()));
    let err = run.image_png("x", b"not a png at all, just some bytes", None).expect_err("not a PNG");
    assert!(err.to_string().contains("not a PNG"), "{err}");
    run.log(&row(1, 1.0)).expect("log");
    let dir = run.dir().to_path_buf();
    drop(run);

    // The FilesRecord that names the image is kept by a resume before step 1.
    let run = WandbRun::resume(&dir, 1).expect("resume");
    let log = run.log_path().to_path_buf();
    let dir = run.finish(0).expect("finish");
    assert_eq!(kinds(&log).iter().filter(|&&k| k == records::FILES).count(), 2, "image + side files");
    let Some(checker) = check::for_tests() else { return };
    let r = checker.check(&dir, &["samples"]).expect("valid");
    assert_eq!(r["last_history_row"]["samples"], value);
    assert_eq!(r["history_rows"], 1);
}
