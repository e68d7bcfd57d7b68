//! Byte-for-byte comparison with the hand-written Python reference writer
//! (`shared/tools/wandb_offline_writer_reference.py`), whose output the format
//! doc says equals wandb's own protobuf serializer: the same record sequence,
//! with the clock pinned, must give the identical `.wandb` file.

use ffn_trainer::wandb::proto::Msg;
use ffn_trainer::wandb::records::{self, RunInfo};
use ffn_trainer::wandb::{framing, pyjson};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

/// Exactly representable, so Python's float and our `Duration` agree on the nanos.
const T_SECS: u64 = 1_764_138_020;
const T_NANOS: u32 = 250_000_000;
const RUN_ID: &str = "ref00001";

fn shared_tools() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools")
}

/// Runs the reference `write_run` with `time.time` pinned; returns its log bytes.
fn python_reference(out: &Path) -> Option<Vec<u8>> {
    let script = r#"
import sys, time
sys.path.insert(0, sys.argv[1])
T = 1764138020.25
time.time = lambda: T
import wandb_offline_writer_reference as ref
config = {"hidden_layers": 3, "batch_size": 16, "activation": "tanh", "learning_rate": 1e-05,
          "layer_sizes": [64, 32, 16], "use_bias": True, "schedule": {"gamma": 0.5, "type": "step"},
          "notes": None, "name": "caf\u00e9 \"q\""}
rows = [{"epoch": ep, "loss": 1.0 / (ep + 1), "accuracy": 0.5 + 0.04 * ep,
         "val_loss": 1.1 / (ep + 1), "val_accuracy": 0.45 + 0.04 * ep} for ep in range(3)]
print(ref.write_run(sys.argv[2], run_id="ref00001", entity="e", project="p", name="hl_3_bs_16_ac_tanh",
                    config=config, rows=rows, summary_extra={"best_val_accuracy": rows[-1]["val_accuracy"]},
                    tags=["native", "reference"], group="g1", job_type="train", sweep_id="sw1",
                    console=["epoch %d" % r["epoch"] for r in rows], big=True))
"#;
    let python = std::env::var_os("FFN_PYTHON").unwrap_or_else(|| "python3".into());
    let run = Command::new(&python).arg("-c").arg(script).arg(shared_tools()).arg(out).output();
    let output = match run {
        Ok(o) if o.status.success() => o,
        other => {
            let why = format!("cannot run the reference writer with {}: {other:?}", python.to_string_lossy());
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("skipping: {why}");
            return None;
        }
    };
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Some(std::fs::read(Path::new(&dir).join(format!("run-{RUN_ID}.wandb"))).expect("reference log"))
}

/// The same sequence through our builders and framing.
fn native() -> Vec<u8> {
    let t = UNIX_EPOCH + Duration::new(T_SECS, T_NANOS);
    let t_json = pyjson::dumps(&json!(T_SECS as f64 + f64::from(T_NANOS) / 1e9));
    let config = [
        ("hidden_layers", json!(3)),
        ("batch_size", json!(16)),
        ("activation", json!("tanh")),
        ("learning_rate", json!(1e-5)),
        ("layer_sizes", json!([64, 32, 16])),
        ("use_bias", json!(true)),
        ("schedule", json!({"gamma": 0.5, "type": "step"})),
        ("notes", Value::Null),
        ("name", json!("café \"q\"")),
    ];
    let info = RunInfo {
        run_id: RUN_ID.into(),
        entity: "e".into(),
        project: "p".into(),
        config: config.iter().map(|(k, v)| (k.to_string(), pyjson::dumps(v))).collect(),
        group: "g1".into(),
        job_type: "train".into(),
        display_name: "hl_3_bs_16_ac_tanh".into(),
        tags: vec!["native".into(), "reference".into()],
        sweep_id: "sw1".into(),
        host: String::new(),
        start_time: Some(t),
    };
    let mut payloads = Vec::new();
    let mut emit = |kind, body: Msg| {
        let num = payloads.len() as i64 + 1;
        payloads.push(records::record(num, kind, body, RUN_ID));
    };
    emit(records::HEADER, Msg::new().message(1, Msg::new().string(1, "rust-native-writer 0.1").string(2, "0.70.0")));
    emit(records::RUN, records::run(&info));
    for ep in 0..3 {
        emit(records::OUTPUT_RAW, records::output_raw(t, &format!("epoch {ep}\n")));
    }
    let mut last: Vec<(String, String)> = Vec::new();
    for ep in 0..3u64 {
        let e = ep as f64;
        let row = [
            ("epoch", json!(ep)),
            ("loss", json!(1.0 / (e + 1.0))),
            ("accuracy", json!(0.5 + 0.04 * e)),
            ("val_loss", json!(1.1 / (e + 1.0))),
            ("val_accuracy", json!(0.45 + 0.04 * e)),
        ];
        let mut items: Vec<(String, String)> = row.iter().map(|(k, v)| (k.to_string(), pyjson::dumps(v))).collect();
        items.push(("_step".into(), ep.to_string()));
        items.push(("_runtime".into(), pyjson::dumps(&json!(0.0))));
        items.push(("_timestamp".into(), t_json.clone()));
        emit(records::HISTORY, records::history(items.iter().map(|(k, v)| (k.as_str(), v.as_str())), ep));
        last = items;
    }
    let blob = pyjson::dumps(&json!("x".repeat(70_000)));
    emit(records::CONFIG, records::updates([("big_blob", blob.as_str())]));
    last.push(("best_val_accuracy".into(), pyjson::dumps(&json!(0.45 + 0.04 * 2.0))));
    emit(records::SUMMARY, records::updates(last.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
    emit(records::EXIT, records::exit(0, 0));
    framing::encode_log(payloads.iter().map(Vec::as_slice))
}

#[test]
fn native_bytes_equal_the_reference_writer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(reference) = python_reference(tmp.path()) else { return };
    let ours = native();
    assert!(ours.len() > 2 * framing::BLOCK as usize, "the sequence crosses blocks: {} bytes", ours.len());
    if let Some(at) = ours.iter().zip(&reference).position(|(a, b)| a != b) {
        let show = |b: &[u8]| String::from_utf8_lossy(&b[at.saturating_sub(40)..(at + 40).min(b.len())]).into_owned();
        panic!("first difference at byte {at}:\n ours: {:?}\n  ref: {:?}", show(&ours), show(&reference));
    }
    assert_eq!(ours.len(), reference.len());
    let d = framing::decode_log(&ours);
    assert_eq!((d.records.len(), d.error), (11, None));
}
