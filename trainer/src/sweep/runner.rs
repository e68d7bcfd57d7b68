//! Runs a sweep: N `train` processes at a time, each a normal run with its own
//! folder and wandb offline run; follows their `metrics.jsonl`, stops weak
//! runs through hyperband (an empty `STOP` file that `train` checks at each
//! epoch end), records every change in the state file, and on Ctrl-C or a
//! signal stops the runs and leaves a state the same command resumes from.

use super::agent;
use super::config::SweepConfig;
use super::error::{Result, SweepError};
use super::hyperband::Verdict;
use super::names::run_name;
use super::search::{self, History};
use super::space::Config;
use super::state::{RunRecord, RunState, SweepState};
use super::table::{Row, Table, percent};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct Options {
    pub train_bin: PathBuf,
    pub jobs: usize,
    pub count: Option<usize>,
    pub out_dir: PathBuf,
    /// Appended to every run's arguments (after the swept parameters).
    pub extra_args: Vec<String>,
    pub no_wandb: bool,
    pub seed: u64,
    pub tty: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every run of the budget has its result (or the grid / target ended the sweep).
    Complete,
    /// Stopped by a signal; the same command resumes.
    Interrupted,
}

/// How long runs get to end cleanly after SIGTERM before they are killed.
const GRACE: Duration = Duration::from_secs(30);
const TICK: Duration = Duration::from_millis(100);
const CHECKPOINT: &str = crate::run::checkpoint::FILE_NAME;

struct Active {
    slot: usize,
    child: Child,
    dir: PathBuf,
    /// Epochs a continued run had done before this attempt: `metrics.jsonl`
    /// holds them again, and the log must not show them as new.
    continued_after: usize,
    offset: u64,
    partial: String,
    verdict: Option<Verdict>,
    started: Instant,
}

pub struct Runner<'a> {
    cfg: &'a SweepConfig,
    opts: &'a Options,
    pub state: SweepState,
    state_path: PathBuf,
    active: Vec<Active>,
    rerun: VecDeque<usize>,
    table: Table,
    budget: Option<usize>,
    threads: usize,
    abort: Option<String>,
    /// Runs in a row that failed before training (no summary): a broken setup, not a bad configuration.
    setup_failures: usize,
}

impl<'a> Runner<'a> {
    pub fn new(cfg: &'a SweepConfig, opts: &'a Options, state: SweepState, state_path: PathBuf) -> Runner<'a> {
        let rerun: VecDeque<usize> = state.runs.iter().filter(|r| !r.state.is_final()).map(|r| r.index).collect();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Runner {
            cfg,
            opts,
            state,
            state_path,
            active: Vec::new(),
            rerun,
            table: Table::new(opts.tty),
            budget: search::budget(cfg, opts.count),
            threads: (cores / opts.jobs.max(1)).max(1),
            abort: None,
            setup_failures: 0,
        }
    }

    pub fn run(&mut self, interrupted: &Arc<AtomicBool>) -> Result<Outcome> {
        if !self.opts.train_bin.is_file() {
            return Err(SweepError::Train(format!(
                "train binary not found at {}: build it with `cargo build --release --bin train`, or pass --train_bin",
                self.opts.train_bin.display()
            )));
        }
        let kept = self.state.runs.iter().filter(|r| r.state.is_final()).count();
        if kept > 0 || !self.rerun.is_empty() {
            let continued = self.rerun.iter().filter(|&&slot| self.continues(slot)).count();
            let runs = |n: usize| if n == 1 { "1 run".to_string() } else { format!("{n} runs") };
            let mut line =
                format!("resuming sweep {} ({}): {} that ended kept", self.state.name, self.state.sweep_id, runs(kept));
            if continued > 0 {
                line.push_str(&format!("; {} interrupted continue from their last epoch checkpoint", runs(continued)));
            }
            if self.rerun.len() > continued {
                line.push_str(&format!(
                    "; {} interrupted start over (no checkpoint)",
                    runs(self.rerun.len() - continued)
                ));
            }
            self.table.line(&line);
        }
        let mut stopping_since: Option<Instant> = None;
        loop {
            if interrupted.load(Ordering::SeqCst) && stopping_since.is_none() {
                stopping_since = Some(Instant::now());
                self.table.line("interrupted: stopping the running runs (the same command resumes the sweep)");
                for a in &self.active {
                    terminate(&a.child);
                }
            }
            if stopping_since.is_some_and(|since| since.elapsed() > GRACE) {
                for a in &mut self.active {
                    let _ = a.child.kill();
                }
            }
            while stopping_since.is_none() && self.abort.is_none() && self.active.len() < self.opts.jobs.max(1) {
                let Some(slot) = self.next_job() else { break };
                // Runs already going finish first; the failed slot runs again on resume.
                if let Err(e) = self.start(slot) {
                    self.abort = Some(e.to_string());
                }
            }
            let mut changed = false;
            let mut still = Vec::with_capacity(self.active.len());
            for mut a in std::mem::take(&mut self.active) {
                changed |= self.follow(&mut a);
                match a.child.try_wait() {
                    Ok(Some(status)) => {
                        self.finish(a, status);
                        changed = true;
                    }
                    // A failed wait is retried at the next tick.
                    Ok(None) | Err(_) => still.push(a),
                }
            }
            self.active = still;
            if changed && let Err(e) = self.state.save(&self.state_path) {
                self.abort.get_or_insert(e.to_string());
            }
            if self.active.is_empty() && (stopping_since.is_some() || self.abort.is_some() || !self.can_launch()) {
                break;
            }
            self.draw();
            std::thread::sleep(TICK);
        }
        self.table.clear();
        self.state.save(&self.state_path)?;
        if let Some(message) = self.abort.take() {
            return Err(SweepError::Train(message));
        }
        Ok(if stopping_since.is_some() { Outcome::Interrupted } else { Outcome::Complete })
    }

    fn can_launch(&self) -> bool {
        if !self.rerun.is_empty() {
            return true;
        }
        if self.target_reached() {
            return false;
        }
        match self.budget {
            Some(b) if self.state.runs.len() >= b => false,
            _ => search::next(self.cfg, &(&self.history()).into(), self.state.runs.len(), self.state.seed).is_some(),
        }
    }

    fn target_reached(&self) -> bool {
        let Some(m) = &self.state.metric else { return false };
        let Some(target) = m.target else { return false };
        self.state
            .runs
            .iter()
            .filter(|r| r.state == RunState::Finished)
            .filter_map(|r| r.metric)
            .any(|v| v == target || m.better(v, target))
    }

    fn history(&self) -> HistoryOwned {
        let metric = self.state.metric.as_ref();
        let mut h = HistoryOwned::default();
        for r in &self.state.runs {
            h.started.push(r.config.clone());
            match r.state {
                RunState::Finished | RunState::Stopped => {
                    let loss = match (metric, r.metric) {
                        (Some(m), Some(v)) if v.is_finite() => m.as_loss(v),
                        _ => f64::INFINITY,
                    };
                    h.done.push((r.config.clone(), loss));
                }
                RunState::Failed => h.done.push((r.config.clone(), f64::INFINITY)),
                RunState::Running | RunState::Interrupted => h.pending.push(r.config.clone()),
            }
        }
        h
    }

    /// The run slot to start next: an unfinished run first, then a new configuration.
    fn next_job(&mut self) -> Option<usize> {
        if let Some(slot) = self.rerun.pop_front() {
            return Some(slot);
        }
        if self.target_reached() || self.budget.is_some_and(|b| self.state.runs.len() >= b) {
            return None;
        }
        let index = self.state.runs.len();
        let config = search::next(self.cfg, &(&self.history()).into(), index, self.state.seed)?;
        let name = run_name(&self.cfg.space, &config, index);
        self.state.runs.push(RunRecord {
            index,
            name,
            config,
            state: RunState::Interrupted,
            epochs_done: 0,
            history: Vec::new(),
            val_accuracy: Vec::new(),
            metric: None,
            summary: None,
            reason: None,
            attempts: 0,
            wall_seconds: None,
        });
        Some(index)
    }

    pub fn train_bin(&self) -> &Path {
        &self.opts.train_bin
    }

    pub fn run_dir(&self, rec: &RunRecord) -> PathBuf {
        self.opts.out_dir.join("runs").join(&rec.name)
    }

    /// An interrupted run continues from its last epoch checkpoint (train
    /// takes the configuration from the folder); one without a checkpoint,
    /// or whose resumption failed before, starts again from scratch.
    fn continues(&self, slot: usize) -> bool {
        let rec = &self.state.runs[slot];
        let dir = self.run_dir(rec);
        rec.attempts > 0 && rec.attempts < 3 && dir.join(CHECKPOINT).is_file() && dir.join("config.json").is_file()
    }

    fn start(&mut self, slot: usize) -> Result<()> {
        let dir = self.run_dir(&self.state.runs[slot]);
        let resume = self.continues(slot);
        let continued_after =
            if resume { crate::run::checkpoint::Checkpoint::load(&dir).map_or(0, |c| c.epochs_done) } else { 0 };
        if resume {
            // A stale summary must not be taken for the new attempt's.
            let _ = std::fs::remove_file(dir.join("summary.json"));
            let _ = std::fs::remove_file(dir.join(crate::run::STOP_FILE));
        } else if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(SweepError::io(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(SweepError::io(&dir))?;
        let log_path = dir.join("train.log");
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(&log_path).map_err(SweepError::io(&log_path))?;
        let err = log.try_clone().map_err(SweepError::io(&log_path))?;
        let args = if resume {
            vec![format!("--resume={}", dir.display())]
        } else {
            self.run_args(&self.state.runs[slot], Some(&dir))
        };
        let child = Command::new(&self.opts.train_bin)
            .args(&args)
            // An id inherited from an enclosing wandb agent would give every run the same id.
            .env_remove("WANDB_RUN_ID")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| SweepError::Train(format!("cannot start {}: {e}", self.opts.train_bin.display())))?;
        let rec = &mut self.state.runs[slot];
        rec.state = RunState::Running;
        rec.attempts += 1;
        rec.epochs_done = 0;
        rec.history.clear();
        rec.val_accuracy.clear();
        rec.metric = None;
        rec.summary = None;
        rec.reason = None;
        if !self.table.is_tty() {
            let line = if resume {
                let of = epochs_of(&rec.config, &self.opts.extra_args).map_or(String::new(), |n| format!("/{n}"));
                format!("continue  {} after epoch {continued_after}{of} (its checkpoint)", rec.name)
            } else {
                format!("start     {}", rec.name)
            };
            self.table.line(&line);
        }
        self.active.push(Active {
            slot,
            child,
            dir,
            continued_after,
            offset: 0,
            partial: String::new(),
            verdict: None,
            started: Instant::now(),
        });
        self.state.save(&self.state_path)
    }

    /// The arguments of a run: the swept parameters as wandb's agent prints
    /// them, the sweep's bookkeeping flags, then the user's extra arguments.
    /// With `dir = None`, the command that reproduces the run by hand.
    pub fn run_args(&self, rec: &RunRecord, dir: Option<&Path>) -> Vec<String> {
        let mut args = agent::args(&rec.config);
        let given = |flag: &str| {
            rec.config.contains_key(flag)
                || self
                    .opts
                    .extra_args
                    .iter()
                    .any(|a| a == &format!("--{flag}") || a.starts_with(&format!("--{flag}=")))
        };
        if let Some(dir) = dir {
            args.push(format!("--run_name={}", rec.name));
            args.push(format!("--output_dir={}", dir.display()));
            args.push(format!("--wandb_group={}", self.state.name));
            args.push(format!("--wandb_sweep_id={}", self.state.sweep_id));
            if !given("threads") {
                args.push(format!("--threads={}", self.threads));
            }
        }
        if let (Some(p), false) = (&self.cfg.project, given("wandb_project")) {
            args.push(format!("--wandb_project={p}"));
        }
        if let (Some(e), false) = (&self.cfg.entity, given("wandb_entity")) {
            args.push(format!("--wandb_entity={e}"));
        }
        args.extend(self.opts.extra_args.iter().cloned());
        if self.opts.no_wandb && dir.is_some() {
            args.push("--no-wandb".into());
        }
        args
    }

    /// Reads new lines of the run's `metrics.jsonl`; judges it by hyperband.
    fn follow(&mut self, a: &mut Active) -> bool {
        let path = a.dir.join("metrics.jsonl");
        let Ok(mut file) = File::open(&path) else { return false };
        let mut text = String::new();
        if file.seek(SeekFrom::Start(a.offset)).is_err() || file.read_to_string(&mut text).is_err() {
            return false;
        }
        if text.is_empty() {
            return false;
        }
        a.offset += text.len() as u64;
        a.partial.push_str(&text);
        let mut lines: Vec<String> = a.partial.split('\n').map(str::to_string).collect();
        a.partial = lines.pop().unwrap_or_default();
        let slot = a.slot;
        let metric_name = self.state.metric.as_ref().map(|m| m.name.clone());
        let mut any = false;
        for line in lines.iter().filter(|l| !l.trim().is_empty()) {
            let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let rec = &mut self.state.runs[slot];
            rec.epochs_done = row.get("epoch").and_then(|e| e.as_u64()).map_or(rec.epochs_done + 1, |e| e as usize);
            let val = row.get("val_accuracy").and_then(|v| v.as_f64());
            rec.val_accuracy.push(val);
            let m = metric_name.as_ref().and_then(|n| row.get(n)).and_then(|v| v.as_f64()).filter(|v| v.is_finite());
            rec.history.push(m);
            any = true;
            if !self.table.is_tty() && rec.epochs_done > a.continued_after {
                let epochs = epochs_of(&rec.config, &self.opts.extra_args);
                let of = epochs.map_or(String::new(), |n| format!("/{n}"));
                self.table.line(&format!("epoch {}{of}  {}  val_accuracy {}", rec.epochs_done, rec.name, percent(val)));
            }
        }
        if any {
            self.judge(a);
        }
        any
    }

    fn judge(&mut self, a: &mut Active) {
        let (Some(hb), Some(metric)) = (&self.cfg.early_terminate, &self.state.metric) else { return };
        if a.verdict.is_some() {
            return;
        }
        let loss_form = |r: &RunRecord| -> Vec<f64> {
            r.history.iter().map(|v| v.map_or(f64::NAN, |x| metric.as_loss(x))).collect()
        };
        let all: Vec<Vec<f64>> = self.state.runs.iter().map(loss_form).collect();
        let refs: Vec<&[f64]> = all.iter().map(Vec::as_slice).collect();
        if let Some(v) = hb.judge(&all[a.slot], &refs)
            && File::create(a.dir.join("STOP")).is_ok()
        {
            a.verdict = Some(v);
        }
    }

    fn finish(&mut self, mut a: Active, status: std::process::ExitStatus) {
        self.follow(&mut a);
        let summary: Option<serde_json::Value> =
            std::fs::read(a.dir.join("summary.json")).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let code = status.code();
        let reported = summary.as_ref().and_then(|s| s.get("state")).and_then(|s| s.as_str()).map(str::to_string);
        let reason_of_train =
            summary.as_ref().and_then(|s| s.get("reason")).and_then(|r| r.as_str()).map(str::to_string);
        let metric = self.state.metric.clone();
        let rec = &mut self.state.runs[a.slot];
        let (state, reason) = match (reported.as_deref(), code) {
            (Some("finished"), _) => (RunState::Finished, None),
            (Some("stopped"), _) => (
                RunState::Stopped,
                Some(match a.verdict {
                    Some(v) => {
                        let m = metric.as_ref().map_or("metric", |m| m.name.as_str());
                        let show = |x: f64| metric.as_ref().map_or(x, |m| m.as_loss(x));
                        let strict = self.cfg.early_terminate.as_ref().is_none_or(|hb| hb.strict);
                        let judged = if strict { format!("at epoch {}", v.band) } else { "(best so far)".into() };
                        format!(
                            "hyperband: {m} {:.4} {judged} is worse than the threshold {:.4} of the band at epoch {}",
                            show(v.value),
                            show(v.threshold),
                            v.band
                        )
                    }
                    None => reason_of_train.clone().unwrap_or_else(|| "stopped by train".into()),
                }),
            ),
            (Some("failed"), _) => {
                (RunState::Failed, Some(reason_of_train.clone().unwrap_or_else(|| last_log_line(&a.dir))))
            }
            (Some("interrupted"), _) | (None, Some(130 | 143) | None) => {
                (RunState::Interrupted, Some("interrupted".into()))
            }
            (_, Some(2)) => {
                (RunState::Failed, Some(format!("train rejected its arguments: {}", last_log_line(&a.dir))))
            }
            (_, c) => (
                RunState::Failed,
                Some(format!(
                    "train exited with code {} without a summary: {}",
                    c.unwrap_or(-1),
                    last_log_line(&a.dir)
                )),
            ),
        };
        rec.state = state;
        rec.reason = reason;
        rec.wall_seconds = summary
            .as_ref()
            .and_then(|s| s.get("wall_seconds"))
            .and_then(|w| w.as_f64())
            .or(Some(a.started.elapsed().as_secs_f64()));
        rec.metric = metric
            .as_ref()
            .and_then(|m| summary.as_ref().and_then(|s| s.get(&m.name)).and_then(|v| v.as_f64()))
            .or_else(|| rec.history.iter().rev().flatten().next().copied());
        rec.summary = summary;
        let setup_failure = rec.state == RunState::Failed && reported.is_none();
        self.setup_failures = if setup_failure { self.setup_failures + 1 } else { 0 };
        let none_succeeded = !self.state.runs.iter().any(|r| matches!(r.state, RunState::Finished | RunState::Stopped));
        if setup_failure && ((code == Some(2) && none_succeeded) || self.setup_failures >= 3) {
            let rec = &self.state.runs[a.slot];
            self.abort = Some(format!(
                "run {} failed before training ({} such failures in a row); {}. Command: {} {}",
                rec.name,
                self.setup_failures,
                rec.reason.clone().unwrap_or_default(),
                self.opts.train_bin.display(),
                self.run_args(rec, Some(&a.dir)).join(" ")
            ));
        }
        let rec = &self.state.runs[a.slot];
        let what = match rec.state {
            RunState::Finished => format!(
                "finished  {}  val_accuracy {}",
                rec.name,
                percent(rec.val_accuracy.iter().rev().flatten().next().copied())
            ),
            other => format!("{:<9} {}  ({})", other.as_str(), rec.name, rec.reason.clone().unwrap_or_default()),
        };
        let epochs = crate::run::count(rec.epochs_done, "epoch");
        self.table.line(&format!("{what}  [{epochs}, {:.0} s]", rec.wall_seconds.unwrap_or(0.0)));
    }

    fn draw(&mut self) {
        if !self.table.is_tty() {
            return;
        }
        let done = self.state.runs.iter().filter(|r| r.state.is_final()).count();
        let budget = self.budget.map_or("∞".to_string(), |b| b.to_string());
        let best = self.best().map_or(String::new(), |r| {
            let m = self.state.metric.as_ref().map_or("metric", |m| m.name.as_str());
            format!(" · best {m} {} ({})", r.metric.map_or("-".into(), |v| format!("{v:.4}")), r.name)
        });
        let header = format!(
            "sweep {} ({}) · {done}/{budget} runs done · {} running{best}",
            self.state.name,
            self.state.sweep_id,
            self.active.len()
        );
        let rows: Vec<Row> = self
            .active
            .iter()
            .map(|a| {
                let r = &self.state.runs[a.slot];
                Row {
                    name: r.name.clone(),
                    epoch: r.epochs_done,
                    epochs: epochs_of(&r.config, &self.opts.extra_args),
                    val_accuracy: r.val_accuracy.iter().rev().flatten().next().copied(),
                    state: if a.verdict.is_some() { "stopping".into() } else { "running".into() },
                }
            })
            .collect();
        self.table.draw(&header, &rows);
    }

    /// The best run with a result, by the sweep metric.
    pub fn best(&self) -> Option<&RunRecord> {
        best_run(&self.state)
    }
}

#[derive(Default)]
struct HistoryOwned {
    started: Vec<Config>,
    done: Vec<(Config, f64)>,
    pending: Vec<Config>,
}

impl<'h> From<&'h HistoryOwned> for History<'h> {
    fn from(h: &'h HistoryOwned) -> History<'h> {
        History { started: &h.started, done: &h.done, pending: &h.pending }
    }
}

pub fn best_run(state: &SweepState) -> Option<&RunRecord> {
    let metric = state.metric.as_ref()?;
    state
        .runs
        .iter()
        .filter(|r| matches!(r.state, RunState::Finished | RunState::Stopped))
        .filter(|r| r.metric.is_some_and(f64::is_finite))
        .reduce(|a, b| if metric.better(b.metric.unwrap_or(f64::NAN), a.metric.unwrap_or(f64::NAN)) { b } else { a })
}

/// The run's epoch count when the sweep knows it (swept, constant or an extra argument).
fn epochs_of(config: &Config, extra: &[String]) -> Option<usize> {
    if let Some(v) = config.get("epochs") {
        return v.as_f64().map(|e| e as usize);
    }
    if let Some(e) = extra.iter().find_map(|a| a.strip_prefix("--epochs=")) {
        return e.parse().ok();
    }
    // Otherwise the default, known without the data for a built-in dataset.
    let given = |flag: &str| {
        let prefix = format!("--{flag}=");
        config
            .get(flag)
            .map(|v| v.to_string())
            .or_else(|| extra.iter().find_map(|a| a.strip_prefix(&prefix).map(String::from)))
    };
    if given("data").is_some() {
        return None;
    }
    let dataset = given("dataset").and_then(|d| crate::data::DatasetName::from_name(&d)).unwrap_or_default();
    crate::flags::flag("epochs")?.default.for_builtin(dataset)?.parse().ok()
}

fn last_log_line(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("train.log")).unwrap_or_default();
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no output; see train.log)").trim().to_string()
}

/// Asks a run to end cleanly (train writes its summary and wandb exit record on SIGTERM).
fn terminate(child: &Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a pid we spawned and have not reaped; no memory is involved.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}
