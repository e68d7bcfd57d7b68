//! `ffn report`: one self-contained HTML page that answers the course project's
//! questions (sample images, sweeps, best runs, what matters, the best
//! model's confusions, cross-entropy vs squared error, MNIST) from run
//! folders written by `train` and `ffn sweep`.
//!
//! Runs are grouped by what they trained on ([`runs::Run::dataset`]): the
//! built-in datasets answer the course's questions as the course asks them
//! (Fashion-MNIST, then the transfer to MNIST); each own dataset (`--data`)
//! gets the same questions in sections of its own, with its class names, and
//! sample images only when its samples are images. The course-only parts are
//! left out when no run has them: Fashion-MNIST's Q5–Q8 (its 85 %/88 %
//! landmarks, the 95 % target) without a Fashion-MNIST run, the built-in
//! sample images and the MNIST transfer without a built-in run.
//!
//! ```no_run
//! use ffn_trainer::report::{self, Options};
//! let opts = Options::new(vec!["results".into()]);
//! let summary = report::write(&opts, std::path::Path::new("report.html"))?;
//! println!("{} runs", summary.runs);
//! # Ok::<(), report::ReportError>(())
//! ```

pub mod charts;
pub mod html;
pub mod images;
pub mod media;
pub mod observations;
pub mod pairs;
pub mod params;
pub mod runs;
pub mod screenshot;
pub mod sections;
pub mod stats;
pub mod svg;
pub mod sweeps;

use crate::data::DatasetName;
use images::TestSet;
use runs::Run;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use sweeps::Sweep;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0} is not a folder: pass the folder(s) holding the run folders written by train or sweep")]
    NotAFolder(PathBuf),
    #[error("no run folders under {0} (a run folder holds the config.json and metrics.jsonl written by train)")]
    NoRuns(String),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Folders searched recursively for run folders.
    pub inputs: Vec<PathBuf>,
    /// Where the IDX files are (as `train --data_dir`); `None` = the usual places.
    pub data_dir: Option<PathBuf>,
    /// The command line shown in the header.
    pub command: String,
    /// The date shown in the header.
    pub generated: SystemTime,
}

impl Options {
    pub fn new(inputs: Vec<PathBuf>) -> Options {
        Options { inputs, data_dir: None, command: "ffn report".into(), generated: SystemTime::now() }
    }
}

/// The dataset the course's questions Q5–Q8 are asked on.
pub const COURSE_DATASET: &str = "fashion_mnist";

/// One dataset whose runs get the questions Q5–Q8 answered, and how its
/// sections are labelled.
#[derive(Clone, Debug)]
pub struct DatasetView {
    /// [`Run::dataset`] of its runs.
    pub key: String,
    /// As the page names it: `Fashion-MNIST`, or own data's source (`iris.csv`).
    pub label: String,
    /// Appended to its sections' ids: empty for Fashion-MNIST, whose ids the
    /// course report has always had.
    pub id_suffix: String,
    /// Fashion-MNIST: the course's thresholds and target apply.
    pub course: bool,
    /// Class count (chance is one in this many).
    pub classes: usize,
    /// Its samples are images.
    pub images: bool,
}

impl DatasetView {
    /// `base` made unique for this dataset.
    pub fn id(&self, base: &str) -> String {
        format!("{base}{}", self.id_suffix)
    }

    /// `title` of a section, naming the dataset unless it is the course's.
    pub fn title(&self, title: &str) -> String {
        if self.course { title.to_string() } else { format!("{title} — {}", self.label) }
    }

    /// What one sample is called: `image` or `sample`.
    pub fn sample(&self) -> &'static str {
        if self.images { "image" } else { "sample" }
    }
}

/// Everything the sections draw from.
pub struct Context<'a> {
    pub options: &'a Options,
    /// In folder order (see [`runs::find`]).
    pub runs: Vec<Run>,
    pub skipped: Vec<(PathBuf, String)>,
    pub sweeps: Vec<Sweep>,
    /// Whether any run trained on a built-in dataset: the course's sections apply.
    pub course: bool,
    pub fashion: Result<TestSet, String>,
    pub mnist: Result<TestSet, String>,
    /// Fashion-MNIST (when a run trained on it), then each own dataset by name.
    pub datasets: Vec<DatasetView>,
    /// The test images of each own image dataset, by [`Run::dataset`].
    pub own_images: BTreeMap<String, Result<TestSet, String>>,
}

/// The run of `runs` with the highest validation accuracy among `among`.
pub fn best_of(runs: &[Run], among: &[usize]) -> Option<usize> {
    among.iter().copied().max_by(|&a, &b| {
        let (x, y) = (runs[a].val_accuracy(), runs[b].val_accuracy());
        x.unwrap_or(f64::NEG_INFINITY).total_cmp(&y.unwrap_or(f64::NEG_INFINITY))
    })
}

impl Context<'_> {
    /// Indices of the runs on `dataset` ([`Run::dataset`]) that reached a validation accuracy.
    pub fn scored(&self, dataset: &str) -> Vec<usize> {
        (0..self.runs.len())
            .filter(|&i| self.runs[i].dataset() == dataset && self.runs[i].val_accuracy().is_some())
            .collect()
    }

    /// The run with the highest validation accuracy among `among`.
    pub fn best(&self, among: &[usize]) -> Option<usize> {
        best_of(&self.runs, among)
    }

    /// The test images of `dataset` ([`Run::dataset`]), when it is image data and they were found.
    pub fn test_set(&self, dataset: &str) -> Option<&TestSet> {
        match dataset {
            "fashion_mnist" => self.fashion.as_ref().ok(),
            "mnist" => self.mnist.as_ref().ok(),
            own => self.own_images.get(own).and_then(|t| t.as_ref().ok()),
        }
    }

    /// The sweep a run belongs to.
    pub fn sweep_of(&self, run: usize) -> Option<usize> {
        self.sweeps.iter().position(|s| s.runs.contains(&run))
    }
}

/// What a written report holds.
#[derive(Clone, Debug)]
pub struct Written {
    pub runs: usize,
    pub skipped: usize,
    pub sections: Vec<String>,
    pub bytes: usize,
}

/// Reads the runs and renders the page.
pub fn render(opts: &Options) -> Result<(String, Written), ReportError> {
    let found = runs::find(&opts.inputs)?;
    if found.runs.is_empty() {
        let names: Vec<String> = opts.inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(ReportError::NoRuns(names.join(", ")));
    }
    let sweeps = sweeps::group(&found.runs);
    let course = found.runs.iter().any(|r| r.builtin().is_some());
    let not_read = || Err("no run trained on it".to_string());
    let (fashion, mnist) = if course {
        std::thread::scope(|s| {
            let fashion = s.spawn(|| TestSet::load(DatasetName::FashionMnist, opts.data_dir.as_deref()));
            let mnist = TestSet::load(DatasetName::Mnist, opts.data_dir.as_deref());
            (fashion.join().unwrap_or_else(|_| Err("the test-set reader crashed".into())), mnist)
        })
    } else {
        (not_read(), not_read())
    };
    let (datasets, own_images) = own_datasets(&found.runs);
    let course_view = DatasetView {
        key: COURSE_DATASET.into(),
        label: "Fashion-MNIST".into(),
        id_suffix: String::new(),
        course: true,
        classes: DatasetName::FashionMnist.class_names().len(),
        images: true,
    };
    // Fashion-MNIST's sections only with Fashion-MNIST runs; Q1 and the MNIST transfer with any built-in run.
    let fashion_runs = found.runs.iter().any(|r| r.dataset() == COURSE_DATASET);
    let datasets = fashion_runs.then_some(course_view).into_iter().chain(datasets).collect();
    let ctx = Context {
        options: opts,
        runs: found.runs,
        skipped: found.skipped,
        sweeps,
        course,
        fashion,
        mnist,
        datasets,
        own_images,
    };
    let sections = sections::all(&ctx);
    let title = if course {
        "ffn: the course project's questions, answered from real runs".to_string()
    } else {
        let labels: Vec<&str> = ctx.datasets.iter().map(|d| d.label.as_str()).collect();
        format!("ffn: what the runs on {} show", labels.join(", "))
    };
    let page = html::page(&title, &sections::header(&ctx), &sections);
    let written = Written {
        runs: ctx.runs.len(),
        skipped: ctx.skipped.len(),
        sections: sections.iter().map(|s| s.id.clone()).collect(),
        bytes: page.len(),
    };
    Ok((page, written))
}

/// The own datasets among `runs` (by name), and the test images of those that are images.
fn own_datasets(runs: &[Run]) -> (Vec<DatasetView>, BTreeMap<String, Result<TestSet, String>>) {
    let mut first: BTreeMap<&str, &Run> = BTreeMap::new();
    for run in runs.iter().filter(|r| r.builtin().is_none()) {
        first.entry(run.dataset()).or_insert(run);
    }
    let mut views: Vec<DatasetView> = Vec::new();
    let mut images = BTreeMap::new();
    for (key, run) in first {
        let mut id_suffix = format!("-{}", slug(key));
        if views.iter().any(|v| v.id_suffix == id_suffix) {
            id_suffix = format!("{id_suffix}-{}", views.len() + 1);
        }
        let classes = run
            .data
            .as_ref()
            .map(|d| d.classes.len())
            .or_else(|| run.confusion.as_ref().map(|c| c.classes.len()))
            .unwrap_or(0);
        if run.is_image_data() {
            images.insert(key.to_string(), TestSet::of_run(run));
        }
        views.push(DatasetView {
            key: key.to_string(),
            label: key.to_string(),
            id_suffix,
            course: false,
            classes,
            images: run.is_image_data(),
        });
    }
    (views, images)
}

/// `text` as an HTML id fragment: ASCII letters and digits, `-` between words.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() { "data".into() } else { out.into() }
}

/// [`render`] and write the page atomically to `out`.
pub fn write(opts: &Options, out: &Path) -> Result<Written, ReportError> {
    let (page, written) = render(opts)?;
    crate::atomic::write(out, page.as_bytes())
        .map_err(|source| ReportError::Write { path: out.to_path_buf(), source })?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_ids_of_own_data_are_plain_words() {
        assert_eq!(slug("iris.csv (test: iris.tsv)"), "iris-csv-test-iris-tsv");
        assert_eq!(slug("Données_été"), "donn-es-t");
        assert_eq!(slug("été"), "t");
        assert_eq!(slug("«»"), "data");
    }
}
