//! `wandb sync` itself uploads our runs: wandb's Go service (`wandb-core`, the
//! only sync in wandb ≥ 0.30) reads the log and sends it to a stand-in W&B
//! server on localhost, which records what it receives: the run's
//! entity/project/name/group/sweep/tags/config, every history row, the summary,
//! the uploaded files and the exit code.

use ffn_trainer::wandb::{WandbRun, WandbSettings, check};
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Answers the handful of GraphQL calls and file-stream posts a sync makes and
/// appends each request to a JSON-lines log.
const FAKE_SERVER: &str = r#"
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
LOG = open(sys.argv[1], "a")
def log(**kw):
    LOG.write(json.dumps(kw) + "\n"); LOG.flush()
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""
    def send(self, obj):
        b = json.dumps(obj).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self): self.send({})
    def do_PUT(self):
        log(kind="put", path=self.path, size=len(self.body())); self.send({})
    def do_POST(self):
        b = self.body()
        if self.path.startswith("/graphql"):
            q = json.loads(b); query = q.get("query", ""); v = q.get("variables") or {}
            log(kind="graphql", op=q.get("operationName"), variables=v)
            if "upsertBucket" in query:
                self.send({"data": {"upsertBucket": {"inserted": True, "bucket": {
                    "id": "QnVja2V0", "name": v.get("name"), "displayName": v.get("displayName"), "description": "",
                    "config": "{}", "sweepName": v.get("sweep"), "historyLineCount": 0, "eventsLineCount": 0,
                    "summaryMetrics": "{}", "createdAt": "2026-01-01T00:00:00",
                    "project": {"id": "UA==", "name": v.get("project"), "entity": {"id": "RQ==", "name": v.get("entity")}}}}}})
            elif "createRunFiles" in query:
                port = self.server.server_address[1]
                self.send({"data": {"createRunFiles": {"runID": "QnVja2V0", "uploadHeaders": [], "files": [
                    {"name": f, "uploadUrl": "http://127.0.0.1:%d/upload/%s" % (port, f)} for f in v.get("files", [])]}}})
            else:
                self.send({"data": {}})
        elif "file_stream" in self.path:
            log(kind="file_stream", body=json.loads(b)); self.send({"exitcode": None, "limits": {}})
        else:
            self.send({})
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

/// A 1×1 PNG: signature, IHDR, IDAT, IEND.
const ONE_PIXEL_PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Kills the stand-in server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Syncs `dir` with `wandb beta sync` to a fresh stand-in server; returns the
/// requests it received.
fn sync(checker: &check::Checker, dir: &Path) -> Vec<Value> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server_log = tmp.path().join("requests.jsonl");
    let mut child = Command::new(&checker.python)
        .arg("-c")
        .arg(FAKE_SERVER)
        .arg(&server_log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the stand-in server");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut port = String::new();
    BufReader::new(stdout).read_line(&mut port).expect("server prints its port");
    let port: u16 = port.trim().parse().expect("a port number");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let out = Command::new(&checker.python)
        .args(["-m", "wandb", "beta", "sync"])
        .arg(dir)
        // wandb writes its debug logs to ./wandb: not into the source tree.
        .current_dir(tmp.path())
        .env("HOME", &home)
        .env("WANDB_CONFIG_DIR", home.join("config"))
        .env("WANDB_CACHE_DIR", home.join("cache"))
        .env("WANDB_DATA_DIR", home.join("data"))
        .env("WANDB_API_KEY", "0123456789012345678901234567890123456789")
        .env("WANDB_ERROR_REPORTING", "false")
        .env("WANDB_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env_remove("WANDB_DIR")
        .env_remove("WANDB_MODE")
        .output()
        .expect("run wandb beta sync");
    drop(server);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.contains("Finished syncing"), "wandb sync failed:\n{said}");
    let marked = std::fs::read_dir(dir)
        .expect("run dir")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().ends_with(".wandb.synced"));
    assert!(marked, "sync marks the run as uploaded");

    let requests: Vec<Value> = std::fs::read_to_string(&server_log)
        .expect("server log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    requests
}

/// The JSON lines the server received for `file` (history rows, summaries).
fn stream_lines(requests: &[Value], file: &str) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r["kind"] == "file_stream")
        .flat_map(|r| r["body"]["files"][file]["content"].as_array().cloned().unwrap_or_default())
        .map(|c| serde_json::from_str(c.as_str().expect("line")).expect("json row"))
        .collect()
}

#[test]
fn wandb_core_sync_uploads_history_summary_config_and_files() {
    let Some(checker) = check::for_tests() else { return };
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
    let dir = run.finish(0).expect("finish");

    let requests = sync(&checker, &dir);
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
    let Some(checker) = check::for_tests() else { return };
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
    let requests = sync(&checker, &dir);
    let history = stream_lines(&requests, "wandb-history.jsonl");
    let steps: Vec<&Value> = history.iter().map(|r| &r["_step"]).collect();
    assert_eq!(steps, [0, 1, 2, 3, 4].map(|s| json!(s)).iter().collect::<Vec<_>>());
    let losses: Vec<Option<f64>> = history.iter().map(|r| r["loss"].as_f64()).collect();
    assert_eq!(losses, [Some(1.0), Some(1.0), Some(0.5), Some(0.5), Some(0.5)]);
}
