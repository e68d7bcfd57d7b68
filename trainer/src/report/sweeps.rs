//! Grouping runs into the sweeps that made them, and finding each sweep's
//! configuration (method, metric, early termination) next to its runs.

use super::runs::Run;
use serde_yaml::Value as Yaml;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct Sweep {
    /// The wandb group of its runs, or the folder holding them.
    pub name: String,
    /// Indices into the run list.
    pub runs: Vec<usize>,
    /// From the sweep configuration file, when one was found.
    pub method: Option<String>,
    pub metric: Option<String>,
    pub early_terminate: Option<String>,
    /// The configuration's `description`: why the sweep was set up that way.
    pub description: Option<String>,
    pub config_file: Option<PathBuf>,
    /// The configuration's `parameters`: the space it searched.
    pub parameters: Option<Yaml>,
}

/// Name of the group of runs that were not started by a sweep.
pub const SINGLE_RUNS: &str = "single runs";

fn group_of(run: &Run) -> String {
    if let Some(group) = run.text("wandb_group") {
        return group.to_string();
    }
    match run.relative.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => SINGLE_RUNS.to_string(),
    }
}

/// Groups `runs` into sweeps, in order of their first run.
pub fn group(runs: &[Run]) -> Vec<Sweep> {
    let mut by_name: BTreeMap<String, Sweep> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        let name = group_of(run);
        by_name.entry(name.clone()).or_insert_with(|| Sweep { name, ..Sweep::default() }).runs.push(i);
    }
    let mut sweeps: Vec<Sweep> = by_name.into_values().collect();
    for sweep in &mut sweeps {
        if sweep.name != SINGLE_RUNS
            && let Some((path, config)) = sweep.runs.iter().find_map(|&i| find_config(&runs[i]))
        {
            describe(sweep, &config);
            sweep.config_file = Some(path);
        }
    }
    sweeps.sort_by_key(|s| s.runs.first().copied());
    sweeps
}

/// Looks for a sweep configuration (a YAML/JSON file with a top-level
/// `method`) in the folders between the run folder and its input folder.
fn find_config(run: &Run) -> Option<(PathBuf, Yaml)> {
    let levels = run.relative.components().count();
    let mut dir: &Path = run.dir.parent()?;
    for _ in 1..levels.max(1) {
        if let Some(found) = config_in(dir) {
            return Some(found);
        }
        dir = dir.parent()?;
    }
    config_in(dir)
}

fn config_in(dir: &Path) -> Option<(PathBuf, Yaml)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"))
        .collect();
    // The sweep's own YAML before any JSON state a tool may keep beside it.
    files.sort_by_key(|p| (p.extension().is_some_and(|e| e == "json"), p.clone()));
    files.into_iter().find_map(|path| {
        let text = std::fs::read_to_string(&path).ok()?;
        // JSON is YAML, so one parser reads both kinds of file.
        let value: Yaml = serde_yaml::from_str(&text).ok()?;
        let method = value.get("method").or_else(|| value.get("config").and_then(|c| c.get("method")))?;
        method.as_str()?;
        let config = if value.get("method").is_some() { value } else { value.get("config")?.clone() };
        Some((path, config))
    })
}

fn describe(sweep: &mut Sweep, config: &Yaml) {
    sweep.parameters = config.get("parameters").cloned();
    sweep.description = config.get("description").and_then(Yaml::as_str).map(|d| d.trim().to_string());
    sweep.method = config.get("method").and_then(Yaml::as_str).map(str::to_string);
    sweep.metric = config.get("metric").map(|m| {
        let name = m.get("name").and_then(Yaml::as_str).unwrap_or("?");
        match m.get("goal").and_then(Yaml::as_str) {
            Some(goal) => format!("{goal} {name}"),
            None => name.to_string(),
        }
    });
    sweep.early_terminate = config.get("early_terminate").map(|e| {
        let kind = e.get("type").and_then(Yaml::as_str).unwrap_or("early termination");
        let mut parts = vec![kind.to_string()];
        for key in ["min_iter", "max_iter", "eta", "s", "strict"] {
            if let Some(v) = e.get(key) {
                let shown = serde_yaml::to_string(v).unwrap_or_default();
                parts.push(format!("{key} {}", shown.trim()));
            }
        }
        parts.join(", ")
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_wandb_group_then_folder_and_reads_the_sweep_file() {
        let tmp = std::env::temp_dir().join(format!("ffn-report-sweeps-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        for (rel, config) in [
            ("grid/a", r#"{"run_name":"a"}"#),
            ("grid/b", r#"{"run_name":"b"}"#),
            ("c", r#"{"run_name":"c","wandb_group":"manual"}"#),
            ("d", r#"{"run_name":"d"}"#),
        ] {
            std::fs::create_dir_all(tmp.join(rel)).unwrap();
            std::fs::write(tmp.join(rel).join("config.json"), config).unwrap();
        }
        std::fs::write(
            tmp.join("grid/sweep.yaml"),
            "description: why\nmethod: bayes\nmetric: {name: val_accuracy, goal: maximize}\nearly_terminate: {type: hyperband, min_iter: 3, eta: 2, strict: false}\n",
        )
        .unwrap();
        let found = super::super::runs::find(std::slice::from_ref(&tmp)).unwrap();
        let sweeps = group(&found.runs);
        let by_name = |n: &str| sweeps.iter().find(|s| s.name == n).unwrap();
        let grid = by_name("grid");
        assert_eq!(grid.runs.len(), 2);
        assert_eq!(grid.method.as_deref(), Some("bayes"));
        assert_eq!(grid.description.as_deref(), Some("why"));
        assert_eq!(grid.metric.as_deref(), Some("maximize val_accuracy"));
        assert_eq!(grid.early_terminate.as_deref(), Some("hyperband, min_iter 3, eta 2, strict false"));
        assert_eq!(by_name("manual").runs.len(), 1);
        assert_eq!(by_name(SINGLE_RUNS).runs.len(), 1);
        assert!(by_name(SINGLE_RUNS).method.is_none());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
