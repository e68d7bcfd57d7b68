//! `ffn report`: one self-contained HTML page that answers the course project's
//! questions (sample images, sweeps, best runs, what matters, the best
//! model's confusions, cross-entropy vs squared error, MNIST) from run
//! folders written by `train` and `ffn sweep`.
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

/// Everything the sections draw from.
pub struct Context<'a> {
    pub options: &'a Options,
    /// In folder order (see [`runs::find`]).
    pub runs: Vec<Run>,
    pub skipped: Vec<(PathBuf, String)>,
    pub sweeps: Vec<Sweep>,
    pub fashion: Result<TestSet, String>,
    pub mnist: Result<TestSet, String>,
}

impl Context<'_> {
    /// Indices of the runs on `dataset` that reached a validation accuracy.
    pub fn scored(&self, mnist: bool) -> Vec<usize> {
        (0..self.runs.len())
            .filter(|&i| {
                let run = &self.runs[i];
                (if mnist { run.is_mnist() } else { run.is_fashion() }) && run.val_accuracy().is_some()
            })
            .collect()
    }

    /// The run with the highest validation accuracy among `among`.
    pub fn best(&self, among: &[usize]) -> Option<usize> {
        among.iter().copied().max_by(|&a, &b| {
            let (x, y) = (self.runs[a].val_accuracy(), self.runs[b].val_accuracy());
            x.unwrap_or(f64::NEG_INFINITY).total_cmp(&y.unwrap_or(f64::NEG_INFINITY))
        })
    }

    pub fn test_set(&self, mnist: bool) -> Option<&TestSet> {
        if mnist { self.mnist.as_ref().ok() } else { self.fashion.as_ref().ok() }
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
    pub sections: Vec<&'static str>,
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
    let (fashion, mnist) = std::thread::scope(|s| {
        let fashion = s.spawn(|| TestSet::load(DatasetName::FashionMnist, opts.data_dir.as_deref()));
        let mnist = TestSet::load(DatasetName::Mnist, opts.data_dir.as_deref());
        (fashion.join().unwrap_or_else(|_| Err("the test-set reader crashed".into())), mnist)
    });
    let ctx = Context { options: opts, runs: found.runs, skipped: found.skipped, sweeps, fashion, mnist };
    let sections = sections::all(&ctx);
    let page =
        html::page("ffn: the course project's questions, answered from real runs", &sections::header(&ctx), &sections);
    let written = Written {
        runs: ctx.runs.len(),
        skipped: ctx.skipped.len(),
        sections: sections.iter().map(|s| s.id).collect(),
        bytes: page.len(),
    };
    Ok((page, written))
}

/// [`render`] and write the page atomically to `out`.
pub fn write(opts: &Options, out: &Path) -> Result<Written, ReportError> {
    let (page, written) = render(opts)?;
    crate::atomic::write(out, page.as_bytes())
        .map_err(|source| ReportError::Write { path: out.to_path_buf(), source })?;
    Ok(written)
}
