//! wandb's own agent drives ffn. Today's `wandb agent` (the pinned client
//! `scripts/setup.sh` installs) polls a stand-in sweep server on the loopback
//! interface for the runs of the shipped `sweeps/agent-check.yaml`, starts
//! each through `sweeps/wandb-train.sh` as it would on a user's machine, and
//! the runs it starts are ffn runs that finish and upload (`wandb sync`, with
//! the sweep's id). The wrapper also fails a run the server refuses, which
//! `wandb sync` itself does not (it exits 0).

mod sweep_support;
mod wandb_support;

use ffn_trainer::sweep::config::SweepConfig;
use ffn_trainer::wandb::check;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use sweep_support::{read_json, train_bin, workspace};
use wandb_support::{Mode, Server, marked_synced, stream_lines_of, upserts};

const SWEEP_ID: &str = "sw000001";

/// Runs `cmd` to its end, or kills it after `limit` (a hung agent must not hang the suite).
fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("still running after {limit:?}:\n{}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    child.wait_with_output().expect("output")
}

fn text(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A folder to run in whose `sweeps/` is the repository's, as the YAML's
/// `program: sweeps/wandb-train.sh` expects, without writing into the repository.
fn workdir(tmp: &Path) -> PathBuf {
    let work = tmp.join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    std::os::unix::fs::symlink(workspace().join("sweeps"), work.join("sweeps")).expect("link sweeps/");
    work
}

/// The environment of a shell started from the client's activated venv, with
/// the train binary and the data the wrapper needs.
fn agent_env<'c>(cmd: &'c mut Command, server: &Server, python: &Path, work: &Path) -> &'c mut Command {
    let venv_bin = python.parent().expect("venv bin");
    let path = std::env::join_paths(
        std::iter::once(venv_bin.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    server.env(cmd);
    cmd.current_dir(work)
        .env("PATH", path)
        .env("WANDB_DIR", work)
        .env("FFN_TRAIN", train_bin())
        .env("FFN_DATA_DIR", sweep_support::data_dir())
}

/// The offline run folder the wrapper's `train` wrote for `run_id`.
fn run_dir(work: &Path, run_id: &str) -> PathBuf {
    std::fs::read_dir(work.join("wandb"))
        .expect("wandb folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(&format!("-{run_id}"))))
        .unwrap_or_else(|| panic!("no offline run for {run_id}"))
}

#[test]
fn the_real_wandb_agent_runs_the_shipped_sweep_through_ffn() {
    let Some(python) = check::current_client_for_tests() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let yaml = std::fs::read_to_string(workspace().join("sweeps/agent-check.yaml")).expect("shipped YAML");
    let cfg = SweepConfig::parse(&yaml, "sweeps/agent-check.yaml").expect("valid sweep");
    let grid = cfg.space.grid().expect("a grid");
    // The server's commands, one per grid point, as wandb's controller words them.
    let runs: Vec<Value> = (0..cfg.space.grid_size().expect("finite"))
        .map(|i| {
            let args: Map<String, Value> =
                cfg.space.grid_point(&grid, i).iter().map(|(k, v)| (k.clone(), json!({ "value": v }))).collect();
            json!({"type": "run", "run_id": format!("agent{i:03}"), "program": cfg.program, "args": args})
        })
        .collect();
    assert_eq!(runs.len(), 2);
    let sweep = tmp.path().join("sweep.json");
    std::fs::write(&sweep, json!({"id": SWEEP_ID, "yaml": yaml, "runs": runs}).to_string()).expect("sweep json");
    let server = Server::start(&python, Some(&sweep), Mode::Accept);
    let work = workdir(tmp.path());

    let mut agent = Command::new(&python);
    agent.args(["-m", "wandb", "agent", &format!("myname/myproject/{SWEEP_ID}")]);
    let out = output_within(agent_env(&mut agent, &server, &python, &work), Duration::from_secs(300));
    assert!(out.status.success(), "{}", text(&out));

    let requests = server.requests();
    let commands: Vec<&Value> =
        requests.iter().filter(|r| r["kind"] == "heartbeat").flat_map(|r| r["commands"].as_array().unwrap()).collect();
    let kinds: Vec<&str> = commands.iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["run", "run", "exit"], "{commands:#?}");

    for (i, expected_lr) in [(0, 0.001), (1, 0.003)] {
        let id = format!("agent{i:03}");
        // An ffn run: train's own run folder says it finished its one epoch.
        let upsert = upserts(&requests, &id);
        let first = upsert.first().unwrap_or_else(|| panic!("{id} never reached the server"));
        assert_eq!(
            (&first["sweep"], &first["project"], &first["entity"]),
            (&json!(SWEEP_ID), &json!("myproject"), &json!("myname"))
        );
        let name = first["displayName"].as_str().expect("a run name");
        assert!(name.starts_with("hl_1_sz_32_") && name.contains(&format!("_lr_{expected_lr}")), "{name}");
        let summary = read_json(&work.join("runs").join(name).join("summary.json"));
        assert_eq!((&summary["state"], &summary["epochs_done"]), (&json!("finished"), &json!(1)), "{name}");
        // Its upload: config, one history row, a summary with the runtime, exit code 0.
        let config: Value = upsert
            .iter()
            .rev()
            .find_map(|u| u["config"].as_str())
            .map(|c| serde_json::from_str(c).unwrap())
            .expect("config");
        assert_eq!(config["learning_rate"]["value"].as_f64(), Some(expected_lr));
        assert_eq!(config["train_limit"]["value"], json!(2000));
        let history = stream_lines_of(&requests, &id, "wandb-history.jsonl");
        assert_eq!(history.len(), 1, "{id}: {history:?}");
        assert!(history[0]["val_accuracy"].as_f64().is_some_and(|v| v > 0.2), "{id} learned: {history:?}");
        let last = stream_lines_of(&requests, &id, "wandb-summary.json").pop().expect("a summary");
        assert!(last["_wandb"]["runtime"].is_u64(), "{id}: {last}");
        assert_eq!(last["state"], "finished");
        let end = requests
            .iter()
            .rev()
            .find(|r| r["kind"] == "file_stream" && r["path"].as_str().is_some_and(|p| p.contains(&format!("/{id}/"))))
            .expect("file_stream");
        assert_eq!((&end["body"]["complete"], &end["body"]["exitcode"]), (&json!(true), &json!(0)), "{id}");
        assert!(marked_synced(&run_dir(&work, &id)), "{id}: wandb sync marked it uploaded");
    }
}

#[test]
fn the_wrapper_fails_a_run_the_server_refuses() {
    let Some(python) = check::current_client_for_tests() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = workdir(tmp.path());
    let wrapper = |server: &Server, run_id: &str| {
        let mut cmd = Command::new("sh");
        cmd.arg("sweeps/wandb-train.sh").args([
            "--epochs=1",
            "--train_limit=1000",
            "--hidden_size=16",
            "--num_layers=1",
            "--threads=1",
        ]);
        agent_env(&mut cmd, server, &python, &work).env("WANDB_RUN_ID", run_id);
        output_within(&mut cmd, Duration::from_secs(180))
    };

    let refusing = Server::start(&python, None, Mode::Reject);
    let out = wrapper(&refusing, "refused1");
    assert_eq!(out.status.code(), Some(1), "training went well, the upload did not:\n{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not uploaded"), "{}", text(&out));
    let dir = run_dir(&work, "refused1");
    assert!(!marked_synced(&dir));
    // Why the wrapper looks for the marker: `wandb sync` itself calls this a success.
    let (ok, said) = wandb_support::sync(&python, &refusing, &dir);
    assert!(ok && !marked_synced(&dir), "wandb sync exits 0 on a refused run: {said}");

    let accepting = Server::start(&python, None, Mode::Accept);
    let out = wrapper(&accepting, "accepted1");
    assert!(out.status.success(), "{}", text(&out));
    assert!(marked_synced(&run_dir(&work, "accepted1")));
}
