//! The end-of-sweep report: every run sorted by the metric, the best
//! configuration, and the exact `train` command that reproduces it; printed
//! and written next to the state file (`sweep-summary.txt`, `.json`).

use super::state::{RunRecord, RunState, SweepState};
use serde_json::json;

pub struct Summary {
    pub text: String,
    pub json: serde_json::Value,
}

/// Runs with a result first, best first; then the rest in run order.
pub fn ranked(state: &SweepState) -> Vec<&RunRecord> {
    let mut runs: Vec<&RunRecord> = state.runs.iter().collect();
    let metric = state.metric.as_ref();
    runs.sort_by(|a, b| {
        let key = |r: &RunRecord| match (metric, r.metric) {
            (Some(m), Some(v)) if v.is_finite() && matches!(r.state, RunState::Finished | RunState::Stopped) => {
                m.as_loss(v)
            }
            _ => f64::INFINITY,
        };
        key(a).total_cmp(&key(b)).then(a.index.cmp(&b.index))
    });
    runs
}

/// `command` gives the reproducing command line of a run.
pub fn summarize(state: &SweepState, command: &dyn Fn(&RunRecord) -> Vec<String>, show: usize) -> Summary {
    let metric_name = state.metric.as_ref().map_or("metric", |m| m.name.as_str());
    let count = |s: RunState| state.runs.iter().filter(|r| r.state == s).count();
    // `+ 0.0`: an empty f64 sum is -0.0.
    let wall: f64 = state.runs.iter().filter_map(|r| r.wall_seconds).sum::<f64>() + 0.0;
    let mut text = format!(
        "sweep {} ({}): {} runs: {} finished, {} stopped early, {} failed, {} unfinished; {:.0} run-seconds\n",
        state.name,
        state.sweep_id,
        state.runs.len(),
        count(RunState::Finished),
        count(RunState::Stopped),
        count(RunState::Failed),
        count(RunState::Interrupted) + count(RunState::Running),
        wall
    );
    let runs = ranked(state);
    let num = |r: &RunRecord, key: &str| r.summary.as_ref().and_then(|s| s.get(key)).and_then(|v| v.as_f64());
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.4}"));
    let w = runs.iter().map(|r| r.name.len()).max().unwrap_or(3).max(3);
    text.push_str(&format!(
        "{:>4}  {:<w$} {:<11} {:>6} {:>13} {:>13}\n",
        "rank", "run", "state", "epochs", metric_name, "test_accuracy"
    ));
    for (rank, r) in runs.iter().enumerate().take(show) {
        text.push_str(&format!(
            "{:>4}  {:<w$} {:<11} {:>6} {:>13} {:>13}\n",
            rank + 1,
            r.name,
            r.state.as_str(),
            r.epochs_done,
            fmt(r.metric),
            fmt(num(r, "test_accuracy"))
        ));
    }
    if runs.len() > show {
        text.push_str(&format!("      … {} more in sweep-summary.txt\n", runs.len() - show));
    }
    let best = super::runner::best_run(state);
    let mut best_json = serde_json::Value::Null;
    if let Some(b) = best {
        let cmd = command(b);
        text.push_str(&format!("\nbest configuration ({metric_name} {}): {}\n", fmt(b.metric), b.name));
        for (k, v) in &b.config {
            text.push_str(&format!("  {k}: {v}\n"));
        }
        text.push_str(&format!("reproduce it:\n  {}\n", shell_join(&cmd)));
        best_json = json!({"name": b.name, "config": b.config, "metric": b.metric, "test_accuracy": num(b, "test_accuracy"), "command": cmd});
    }
    let json = json!({
        "sweep": state.name,
        "sweep_id": state.sweep_id,
        "method": state.method,
        "metric": state.metric,
        "best": best_json,
        "runs": runs.iter().enumerate().map(|(rank, r)| json!({
            "rank": rank + 1,
            "name": r.name,
            "state": r.state,
            "epochs": r.epochs_done,
            "metric": r.metric,
            "val_accuracy": r.val_accuracy.iter().rev().flatten().next(),
            "test_accuracy": num(r, "test_accuracy"),
            "wall_seconds": r.wall_seconds,
            "reason": r.reason,
            "config": r.config,
        })).collect::<Vec<_>>(),
    });
    Summary { text, json }
}

/// A command line a POSIX shell reads back as the same arguments.
pub fn shell_join(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_=./:+,@%".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
