//! Shared by the tests that upload to wandb: a stand-in W&B server on the
//! loopback interface (`standin_server.py`: the GraphQL calls and file-stream
//! posts of `wandb sync` and `wandb agent`, each logged) and the environment
//! that points today's wandb client at it.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The server's source; tests write it to their temp folder.
const STANDIN: &str = include_str!("standin_server.py");

/// A running stand-in server; killed when dropped, however the test ends.
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
    home: PathBuf,
    dir: tempfile::TempDir,
}

/// What the server does besides accepting uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// Every run upload fails with HTTP 403, as for a run the server refuses.
    Reject,
}

impl Server {
    /// Starts the server with `python`; `sweep` is a JSON file `{id, yaml, runs}`
    /// that makes it the controller of one sweep (see `standin_server.py`).
    pub fn start(python: &Path, sweep: Option<&Path>, mode: Mode) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("standin_server.py");
        std::fs::write(&script, STANDIN).expect("write the server");
        let log = dir.path().join("requests.jsonl");
        let mut child = Command::new(python)
            .arg(&script)
            .arg(&log)
            .arg(sweep.map(|p| p.as_os_str().to_owned()).unwrap_or_default())
            .arg(if mode == Mode::Reject { "reject" } else { "accept" })
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the stand-in server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut port = String::new();
        BufReader::new(stdout).read_line(&mut port).expect("the server prints its port");
        let port: u16 = port.trim().parse().unwrap_or_else(|_| panic!("a port number, not {port:?}"));
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        Server { child, port, log, home, dir }
    }

    /// Points a wandb command (or a program that runs one) at this server,
    /// with a throw-away home, an API key and no reporting.
    pub fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env("HOME", &self.home)
            .env("WANDB_CONFIG_DIR", self.home.join("config"))
            .env("WANDB_CACHE_DIR", self.home.join("cache"))
            .env("WANDB_DATA_DIR", self.home.join("data"))
            .env("WANDB_API_KEY", "0123456789012345678901234567890123456789")
            .env("WANDB_ERROR_REPORTING", "false")
            .env("WANDB_BASE_URL", format!("http://127.0.0.1:{}", self.port))
            .env_remove("WANDB_DIR")
            .env_remove("WANDB_MODE")
            .env_remove("WANDB_RUN_ID")
            .env_remove("WANDB_SWEEP_ID")
    }

    /// Every request so far, as the server logged it.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wandb sync DIR` with `python`'s wandb against `server`; returns whether it
/// exited 0 and what it printed. It runs in the server's temp folder: wandb
/// writes debug logs to `./wandb`, which must stay out of the source tree.
pub fn sync(python: &Path, server: &Server, dir: &Path) -> (bool, String) {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "wandb", "sync"]).arg(dir);
    let out = server.env(&mut cmd).current_dir(server.dir.path()).output().expect("run wandb sync");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

/// Whether `wandb sync` marked the run folder as uploaded (`run-<id>.wandb.synced`).
pub fn marked_synced(run_dir: &Path) -> bool {
    std::fs::read_dir(run_dir)
        .map(|d| d.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().ends_with(".wandb.synced")))
        .unwrap_or(false)
}

/// The JSON lines the server received for `file` (history rows, summaries), in order.
pub fn stream_lines(requests: &[Value], file: &str) -> Vec<Value> {
    stream_lines_of(requests, "", file)
}

/// [`stream_lines`] of one run (file-stream paths end in `/<run id>/file_stream`).
pub fn stream_lines_of(requests: &[Value], run_id: &str, file: &str) -> Vec<Value> {
    let tail = format!("/{run_id}/file_stream");
    requests
        .iter()
        .filter(|r| {
            r["kind"] == "file_stream" && (run_id.is_empty() || r["path"].as_str().is_some_and(|p| p.ends_with(&tail)))
        })
        .flat_map(|r| r["body"]["files"][file]["content"].as_array().cloned().unwrap_or_default())
        .map(|c| serde_json::from_str(c.as_str().expect("line")).expect("json row"))
        .collect()
}

/// The run upserts that named run `id`, in order.
pub fn upserts<'a>(requests: &'a [Value], id: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| r["op"] == "UpsertBucket" && r["variables"]["name"] == id)
        .map(|r| &r["variables"])
        .collect()
}
