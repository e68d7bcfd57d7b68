//! Finding run folders under the report's inputs and reading what `train`
//! wrote into them (`config.json`, `metrics.jsonl`, `summary.json`,
//! `confusion.json`, `data.json`).

use super::ReportError;
use crate::data::DataInfo;
use crate::data::info::DATA_INFO_FILE;
use crate::run::metrics::{Confusion, Summary};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Folders never searched for runs: wandb's own files and hidden folders.
const SKIPPED_DIRS: &[&str] = &["wandb", "node_modules", "target"];
/// Deep enough for `results/<sweep>/<group>/<run>`, shallow enough to stop at a symlink loop.
const MAX_DEPTH: usize = 8;

/// One epoch line of `metrics.jsonl`. Every number is optional because a
/// diverged run writes its NaN loss as `null`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Epoch {
    pub epoch: usize,
    pub loss: Option<f64>,
    pub accuracy: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    pub learning_rate: Option<f64>,
    pub seconds: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Run {
    pub dir: PathBuf,
    pub name: String,
    pub config: Map<String, Value>,
    pub epochs: Vec<Epoch>,
    pub summary: Option<Summary>,
    pub confusion: Option<Confusion>,
    /// What the run's data was (`data.json`: shape, class names, source);
    /// runs written before it existed have none.
    pub data: Option<DataInfo>,
    /// The run folder relative to the input folder it was found under.
    pub relative: PathBuf,
    /// Its position in its sweep (`sweep-state.json` beside `runs/`): file
    /// times do not survive a git checkout, this order does.
    pub sweep_index: Option<usize>,
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

impl Run {
    pub fn text(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// The built-in dataset (`fashion_mnist`, `mnist`), or `None` for own data
    /// (`--data`). Runs written before either was recorded trained on Fashion-MNIST.
    pub fn builtin(&self) -> Option<&str> {
        match self.text("dataset") {
            Some(name) => Some(name),
            None if self.text("data").is_some() => None,
            None => Some("fashion_mnist"),
        }
    }

    /// What the run trained on, as the report groups runs: the built-in
    /// dataset's name, or own data's source (`data.json`, else `--data`).
    pub fn dataset(&self) -> &str {
        self.builtin().unwrap_or_else(|| match &self.data {
            Some(info) if !info.source.is_empty() => info.source.as_str(),
            _ => self.text("data").unwrap_or("own data"),
        })
    }

    /// Whether the samples are images (built-in datasets, IDX files, image
    /// folders, arrays of 2-D samples): only then does the report show them.
    pub fn is_image_data(&self) -> bool {
        self.builtin().is_some() || self.data.as_ref().is_some_and(|d| d.image.is_some())
    }

    pub fn loss(&self) -> &str {
        self.text("loss").unwrap_or("cross_entropy")
    }

    pub fn is_mnist(&self) -> bool {
        self.dataset() == "mnist"
    }

    /// `finished`, `stopped`, `failed`, `interrupted`, or `running` while
    /// there is no summary yet.
    pub fn state(&self) -> &str {
        self.summary.as_ref().map_or("running", |s| s.state.as_str())
    }

    /// The validation accuracy the sweeps optimise: the last epoch's.
    pub fn val_accuracy(&self) -> Option<f64> {
        finite(self.summary.as_ref().and_then(|s| s.val_accuracy))
            .or_else(|| self.epochs.iter().rev().find_map(|e| finite(e.val_accuracy)))
    }

    pub fn best_val_accuracy(&self) -> Option<f64> {
        finite(self.summary.as_ref().and_then(|s| s.best_val_accuracy))
            .or_else(|| self.epochs.iter().filter_map(|e| finite(e.val_accuracy)).reduce(f64::max))
    }

    pub fn test_accuracy(&self) -> Option<f64> {
        finite(self.summary.as_ref().and_then(|s| s.test_accuracy))
    }
}

/// What was found under the input folders: the runs in a fixed order (see
/// [`find`]), and the folders that looked like runs but could not be read (with why).
#[derive(Debug, Default)]
pub struct Found {
    pub runs: Vec<Run>,
    pub skipped: Vec<(PathBuf, String)>,
}

/// Every run folder (a folder with `config.json`) under each root, recursively.
///
/// The order depends on the runs alone, so the same runs always give the same
/// report: input folders as given, then folder paths, with a sweep's runs
/// together at its folder in the order it started them (`sweep-state.json`).
/// File times are not used: a copy or a git checkout resets them.
pub fn find(roots: &[PathBuf]) -> Result<Found, ReportError> {
    let mut found = Found::default();
    let mut root_of: Vec<usize> = Vec::new();
    for (r, root) in roots.iter().enumerate() {
        if !root.is_dir() {
            return Err(ReportError::NotAFolder(root.clone()));
        }
        let mut dirs = Vec::new();
        collect(root, 0, &mut dirs);
        for dir in dirs {
            match load(&dir) {
                Ok(mut run) => {
                    run.relative = dir.strip_prefix(root).unwrap_or(&dir).to_path_buf();
                    found.runs.push(run);
                    root_of.push(r);
                }
                Err(why) => found.skipped.push((dir, why)),
            }
        }
    }
    let mut indices: HashMap<PathBuf, HashMap<String, usize>> = HashMap::new();
    for run in &mut found.runs {
        let Some(sweep_dir) = sweep_dir(run) else { continue };
        let index = indices.entry(sweep_dir.to_path_buf()).or_insert_with(|| sweep_order(sweep_dir));
        run.sweep_index = index.get(&run.name).copied();
    }
    let mut keyed: Vec<(usize, Run)> = root_of.into_iter().zip(std::mem::take(&mut found.runs)).collect();
    keyed.sort_by(|(ra, a), (rb, b)| {
        let anchor = |r: &Run| r.sweep_index.and(sweep_dir(r)).unwrap_or(&r.dir).to_path_buf();
        (ra, anchor(a), a.sweep_index, &a.relative).cmp(&(rb, anchor(b), b.sweep_index, &b.relative))
    });
    found.runs = keyed.into_iter().map(|(_, run)| run).collect();
    Ok(found)
}

/// The sweep folder of a run at `<sweep>/runs/<run>`.
fn sweep_dir(run: &Run) -> Option<&Path> {
    run.dir.parent().filter(|p| p.ends_with("runs")).and_then(Path::parent)
}

/// Run name → position, from the `runs` list of a sweep's `sweep-state.json`.
fn sweep_order(sweep_dir: &Path) -> HashMap<String, usize> {
    let Ok(Some(state)) = read_json::<Value>(&sweep_dir.join("sweep-state.json")) else { return HashMap::new() };
    let runs = state.get("runs").and_then(Value::as_array).cloned().unwrap_or_default();
    runs.iter()
        .enumerate()
        .filter_map(|(k, r)| {
            let name = r.get("name")?.as_str()?.to_string();
            let index = r.get("index").and_then(Value::as_u64).map_or(k, |i| i as usize);
            Some((name, index))
        })
        .collect()
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if dir.join("config.json").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref())
        })
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        collect(&sub, depth + 1, out);
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Reads one run folder. A missing or corrupt `config.json` makes the folder
/// unusable; an unreadable summary or confusion file only loses that part.
pub fn load(dir: &Path) -> Result<Run, String> {
    let config_path = dir.join("config.json");
    let config: Map<String, Value> = read_json(&config_path)?.ok_or("no config.json")?;
    let epochs = match std::fs::read_to_string(dir.join("metrics.jsonl")) {
        // A run killed mid-write can leave a torn last line: keep the whole ones.
        Ok(text) => text.lines().filter_map(|l| serde_json::from_str::<Epoch>(l).ok()).collect(),
        Err(_) => Vec::new(),
    };
    let summary = read_json::<Summary>(&dir.join("summary.json")).ok().flatten();
    let confusion = read_json::<Confusion>(&dir.join("confusion.json"))
        .ok()
        .flatten()
        .filter(|c| c.classes.len() == c.matrix.len() && c.matrix.iter().all(|r| r.len() == c.classes.len()));
    let data = read_json::<DataInfo>(&dir.join(DATA_INFO_FILE)).ok().flatten();
    let name = config
        .get("run_name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    Ok(Run {
        dir: dir.to_path_buf(),
        name,
        config,
        epochs,
        summary,
        confusion,
        data,
        relative: PathBuf::new(),
        sweep_index: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_runs_skips_wandb_and_reports_corrupt_ones() {
        let tmp = std::env::temp_dir().join(format!("ffn-report-runs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let good = tmp.join("sweep_a/run_1");
        let bad = tmp.join("sweep_a/run_2");
        std::fs::create_dir_all(good.join("wandb/run-x")).unwrap();
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(good.join("config.json"), r#"{"run_name":"r1","dataset":"mnist"}"#).unwrap();
        std::fs::write(good.join("wandb/run-x/config.json"), "{}").unwrap();
        std::fs::write(
            good.join("metrics.jsonl"),
            "{\"epoch\":1,\"loss\":null,\"val_accuracy\":0.5}\n{\"epoch\":2,\"val_accuracy\":0.75}\n{\"epo",
        )
        .unwrap();
        std::fs::write(bad.join("config.json"), "{not json").unwrap();
        let found = find(std::slice::from_ref(&tmp)).unwrap();
        assert_eq!(found.runs.len(), 1);
        let run = &found.runs[0];
        assert_eq!(run.name, "r1");
        assert!(run.is_mnist());
        assert_eq!(run.epochs.len(), 2);
        assert_eq!(run.val_accuracy(), Some(0.75));
        assert_eq!(run.state(), "running");
        assert_eq!(run.relative, Path::new("sweep_a/run_1"));
        assert_eq!(found.skipped.len(), 1);
        assert_eq!(found.skipped[0].0, bad);
        assert!(find(&[tmp.join("missing")]).is_err());

        // A sweep's own order wins over file times (which a git checkout resets).
        for name in ["a_r000", "b_r001", "c_r002"] {
            let dir = tmp.join("swp/runs").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("config.json"), format!(r#"{{"run_name":"{name}"}}"#)).unwrap();
        }
        std::fs::write(
            tmp.join("swp/sweep-state.json"),
            r#"{"runs":[{"index":0,"name":"c_r002"},{"index":1,"name":"a_r000"},{"index":2,"name":"b_r001"}]}"#,
        )
        .unwrap();
        let found = find(&[tmp.join("swp")]).unwrap();
        let names: Vec<&str> = found.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["c_r002", "a_r000", "b_r001"]);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn runs_are_grouped_by_their_built_in_dataset_or_own_data() {
        let tmp = std::env::temp_dir().join(format!("ffn-report-datasets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let write = |name: &str, config: &str, data: Option<&str>| {
            let dir = tmp.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("config.json"), config).unwrap();
            if let Some(data) = data {
                std::fs::write(dir.join(DATA_INFO_FILE), data).unwrap();
            }
            load(&dir).unwrap()
        };
        // Before `dataset` was recorded every run was Fashion-MNIST.
        let old = write("old", r#"{"run_name":"old"}"#, None);
        assert_eq!((old.builtin(), old.dataset(), old.is_image_data()), (Some("fashion_mnist"), "fashion_mnist", true));
        let mnist = write("mnist", r#"{"dataset":"mnist","data":null}"#, None);
        assert_eq!((mnist.builtin(), mnist.dataset()), (Some("mnist"), "mnist"));
        let table = r#"{"input_len":4,"preprocessing":{"kind":"identity"},"image":null,"classes":["a","b"],"source":"iris.csv"}"#;
        let iris = write("iris", r#"{"dataset":null,"data":"data/iris.csv"}"#, Some(table));
        assert_eq!((iris.builtin(), iris.dataset(), iris.is_image_data()), (None, "iris.csv", false));
        assert_eq!(iris.data.as_ref().map(|d| d.classes.len()), Some(2));
        let folder = r#"{"input_len":64,"preprocessing":{"kind":"identity"},"image":{"height":8,"width":8,"channels":1},"classes":["0","1"],"source":"digits_png"}"#;
        let png = write("png", r#"{"dataset":null,"data":"digits_png"}"#, Some(folder));
        assert_eq!((png.dataset(), png.is_image_data()), ("digits_png", true));
        // Without data.json (an older own-data run), the --data path names it.
        let bare = write("bare", r#"{"dataset":null,"data":"x.npy"}"#, None);
        assert_eq!((bare.dataset(), bare.is_image_data()), ("x.npy", false));
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn the_order_of_runs_does_not_depend_on_file_times() {
        let tmp = std::env::temp_dir().join(format!("ffn-report-order-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let write = |rel: &str, name: &str, age_secs: u64| {
            let dir = tmp.join(rel);
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("config.json");
            std::fs::write(&path, format!(r#"{{"run_name":"{name}"}}"#)).unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
            file.set_modified(when).unwrap();
        };
        // File times say: single runs first, then sweep b, then sweep a, each backwards.
        write("a_sweep/runs/x_r000", "x_r000", 10);
        write("a_sweep/runs/y_r001", "y_r001", 20);
        write("b_sweep/runs/z_r000", "z_r000", 30);
        write("c_single/late", "late", 40);
        write("c_single/early", "early", 50);
        std::fs::write(
            tmp.join("a_sweep/sweep-state.json"),
            r#"{"runs":[{"index":0,"name":"x_r000"},{"index":1,"name":"y_r001"}]}"#,
        )
        .unwrap();
        let names =
            |roots: &[PathBuf]| -> Vec<String> { find(roots).unwrap().runs.into_iter().map(|r| r.name).collect() };
        assert_eq!(names(std::slice::from_ref(&tmp)), ["x_r000", "y_r001", "z_r000", "early", "late"]);
        // Input folders keep the order they were given in.
        assert_eq!(names(&[tmp.join("c_single"), tmp.join("a_sweep")]), ["early", "late", "x_r000", "y_r001"]);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
