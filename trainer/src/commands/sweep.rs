//! `ffn sweep CONFIG.yaml`: runs a wandb sweep YAML locally with N parallel
//! `train` processes (see `crate::sweep`).

use crate::sweep::config::SweepConfig;
use crate::sweep::runner::{Options, Outcome, Runner};
use crate::sweep::state::{self, SweepState};
use crate::sweep::{SweepError, agent, export, search, summary};
use clap::Parser;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// `println!` that ignores a closed stdout (`sweep … | head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "sweep",
    version,
    about = "Run a wandb sweep YAML (grid, random or bayes; hyperband) locally with parallel `train` runs",
    after_help = "Stop it with Ctrl-C; the same command resumes it: finished, stopped and failed runs are kept,\n\
                  interrupted runs continue from their last epoch checkpoint (without one they start over).\n\
                  The same YAML works with `wandb sweep CONFIG.yaml` + `wandb agent` (see the README)."
)]
pub struct Cli {
    /// The sweep configuration (wandb's YAML format).
    config: PathBuf,
    /// Runs at a time [default: number of cores].
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Total number of runs in the sweep (with the YAML's run_cap, the smaller wins;
    /// counted over restarts). Without either, random and bayes sweeps run until stopped.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Sweep folder: state, summary and one folder per run [default: sweeps-out/SWEEP_NAME].
    #[arg(long = "output_dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// The train binary [default: `train` next to this executable].
    #[arg(long = "train_bin", value_name = "PATH")]
    train_bin: Option<PathBuf>,
    /// Seed of the search (random draws, bayes); fixed when the sweep starts.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs write no wandb offline runs.
    #[arg(long = "no-wandb")]
    no_wandb: bool,
    /// After the sweep, copy a compact result folder (no model files) to DIR.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
    /// Only export (with --export) the runs that ended so far; run nothing. Works
    /// while the sweep is running.
    #[arg(long = "export_only", requires = "export")]
    export_only: bool,
    /// Check the YAML and print the first configurations and their agent command lines, run nothing.
    #[arg(long = "dry_run")]
    dry_run: bool,
    /// Extra `train` arguments for every run, after `--` (e.g. -- --train_limit=5000).
    #[arg(last = true, value_name = "TRAIN_ARGS")]
    train_args: Vec<String>,
}

/// `args` are the command line after the program name; `program` names the
/// command in messages and help (`ffn sweep`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = Cli::try_parse_from(std::iter::once(program.into()).chain(args))
        .unwrap_or_else(|e| crate::cli::exit_with_clap_error(e, program));
    match run(program, cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{program}: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(program: &str, cli: Cli) -> Result<ExitCode, SweepError> {
    let text = std::fs::read_to_string(&cli.config).map_err(SweepError::io(&cli.config))?;
    let cfg = SweepConfig::parse(&text, &cli.config.display().to_string())?;
    let name = sweep_name(&cfg, &cli.config);
    let out_dir = cli.output_dir.clone().unwrap_or_else(|| Path::new("sweeps-out").join(&name));
    let jobs = cli.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |j| j as usize);
    let train_bin = cli.train_bin.clone().unwrap_or_else(default_train_bin);

    if cli.dry_run {
        return dry_run(&cfg, &cli, &name);
    }

    let state_path = out_dir.join(state::FILE_NAME);
    let digest = state::config_digest(&text);
    let options = |state: &SweepState| Options {
        train_bin: train_bin.clone(),
        jobs,
        count: cli.count.map(|c| usize::try_from(c).unwrap_or(usize::MAX)),
        out_dir: out_dir.clone(),
        extra_args: state.train_args.clone().unwrap_or_else(|| cli.train_args.clone()),
        no_wandb: cli.no_wandb,
        seed: state.seed,
        tty: std::io::stdout().is_terminal(),
    };

    if cli.export_only {
        let dest = cli.export.as_deref().unwrap_or(Path::new("."));
        let state = same_sweep(SweepState::load(&state_path)?, &digest, &state_path)?.ok_or_else(|| {
            SweepError::State { path: state_path.clone(), message: "no sweep has run in this folder".into() }
        })?;
        if !cli.train_args.is_empty() {
            // Read-only here: a sweep may be running in this folder.
            state
                .clone()
                .adopt_train_args(&cli.train_args)
                .map_err(|message| SweepError::State { path: state_path.clone(), message })?;
        }
        let opts = options(&state);
        let runner = Runner::new(&cfg, &opts, state, state_path.clone());
        let n = export::export(&out_dir, dest)?;
        // The running sweep writes its summary at the end; this one is of now.
        let (full, short) = summaries(&runner);
        write_summary(dest, &full)?;
        say!("{}", short.text);
        say!("exported {n} ended runs to {}", dest.display());
        return Ok(ExitCode::SUCCESS);
    }

    if !train_bin.is_file() {
        return Err(SweepError::Train(format!(
            "train binary not found at {}: build it with `cargo build --release --bin train`, or pass --train_bin",
            train_bin.display()
        )));
    }
    std::fs::create_dir_all(&out_dir).map_err(SweepError::io(&out_dir))?;
    let _lock = Lock::take(&out_dir)?;
    let mut state = match same_sweep(SweepState::load(&state_path)?, &digest, &state_path)? {
        Some(s) => s,
        None => SweepState::new(&name, digest.clone(), cli.seed, cfg.method, cfg.metric.clone()),
    };
    state
        .adopt_train_args(&cli.train_args)
        .map_err(|message| SweepError::State { path: state_path.clone(), message })?;
    crate::atomic::write(&out_dir.join("sweep.yaml"), text.as_bytes()).map_err(SweepError::io(&out_dir))?;
    // The folder belongs to this sweep from now on, even if no run starts.
    state.save(&state_path)?;

    let interrupted = Arc::new(AtomicBool::new(false));
    for (signal, code) in
        [(signal_hook::consts::SIGINT, 130), (signal_hook::consts::SIGTERM, 143), (signal_hook::consts::SIGHUP, 129)]
    {
        // A second signal ends the sweep at once; the state file is consistent at every moment.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, code, Arc::clone(&interrupted));
        let _ = signal_hook::flag::register(signal, Arc::clone(&interrupted));
    }

    let opts = options(&state);
    let mut runner = Runner::new(&cfg, &opts, state, state_path);
    let outcome = runner.run(&interrupted);
    // Even a failed sweep gets its summary: it says which runs failed and why.
    let (full, short) = summaries(&runner);
    write_summary(&out_dir, &full)?;
    say!("{}", short.text);
    say!("sweep folder: {}", out_dir.display());
    if let Some(dest) = &cli.export {
        let n = export::export(&out_dir, dest)?;
        say!("exported {n} runs to {}", dest.display());
    }
    match outcome? {
        Outcome::Complete => Ok(ExitCode::SUCCESS),
        Outcome::Interrupted => {
            eprintln!("{program}: interrupted; run the same command to resume");
            Ok(ExitCode::from(130))
        }
    }
}

/// The state, unless it belongs to a different search than the YAML's.
fn same_sweep(state: Option<SweepState>, digest: &str, path: &Path) -> Result<Option<SweepState>, SweepError> {
    match state {
        Some(s) if s.config_digest != digest => Err(SweepError::State {
            path: path.to_path_buf(),
            message: format!(
                "this folder holds sweep `{}`, started from a different search (method, metric, parameters or \
                 early_terminate changed); use another --output_dir, or delete the folder to start over",
                s.name
            ),
        }),
        other => Ok(other),
    }
}

/// The full summary (for the files) and the top 20 (for the terminal).
fn summaries(runner: &Runner) -> (summary::Summary, summary::Summary) {
    // What the run recorded in its config.json, else what the sweep would pass.
    let command = |r: &state::RunRecord| {
        crate::reproduce::command_of_run(&runner.run_dir(r))
            .unwrap_or_else(|| std::iter::once("train".to_string()).chain(runner.run_args(r, None)).collect())
    };
    (summary::summarize(&runner.state, &command, usize::MAX), summary::summarize(&runner.state, &command, 20))
}

fn write_summary(dir: &Path, full: &summary::Summary) -> Result<(), SweepError> {
    crate::atomic::write(&dir.join("sweep-summary.txt"), full.text.as_bytes()).map_err(SweepError::io(dir))?;
    crate::atomic::write_json(&dir.join("sweep-summary.json"), &full.json).map_err(SweepError::io(dir))
}

fn dry_run(cfg: &SweepConfig, cli: &Cli, name: &str) -> Result<ExitCode, SweepError> {
    let budget = search::budget(cfg, cli.count.map(|c| c as usize));
    let method = serde_json::to_value(cfg.method).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    say!("sweep {name}: method {method}, {} runs", budget.map_or("unlimited".into(), |b| b.to_string()));
    if let Some(hb) = &cfg.early_terminate {
        let bands: Vec<String> = hb.bands.iter().take(6).map(|b| b.to_string()).collect();
        let judged = if hb.strict { "the metric at the band" } else { "the best metric so far (strict: false)" };
        say!("hyperband: eta {}, bands at epochs {} …; judges {judged}", hb.eta, bands.join(", "));
    }
    let missing = agent::program_missing(cfg);
    match &missing {
        Some(why) => say!("note: {why}\nthe first runs' arguments (sweep runs them with its train binary):"),
        None => {
            say!("the first command lines wandb's agent runs (sweep runs the same arguments with its train binary):")
        }
    }
    let mut started = Vec::new();
    for index in 0..budget.unwrap_or(5).min(5) {
        let history = search::History { started: &started, done: &[], pending: &started };
        let Some(config) = search::next(cfg, &history, index, cli.seed) else { break };
        let argv = match missing {
            Some(_) => agent::local_command(&config, &cli.train_args),
            None => agent::command(cfg, &config),
        };
        say!("{}", summary::shell_join(&argv));
        started.push(config);
    }
    Ok(ExitCode::SUCCESS)
}

/// The YAML's `name`, else the file stem, made safe for a folder name.
fn sweep_name(cfg: &SweepConfig, path: &Path) -> String {
    let raw = cfg
        .name
        .clone()
        .unwrap_or_else(|| path.file_stem().map_or("sweep".into(), |s| s.to_string_lossy().into_owned()));
    let safe: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    if safe.is_empty() { "sweep".into() } else { safe }
}

fn default_train_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name(format!("train{}", std::env::consts::EXE_SUFFIX))
}

/// One sweep per folder at a time: `sweep.lock` holds the owner's pid; a lock
/// whose process is gone (a killed sweep) is taken over.
struct Lock(PathBuf);

impl Lock {
    fn take(dir: &Path) -> Result<Lock, SweepError> {
        let path = dir.join("sweep.lock");
        if let Some(pid) = std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<i32>().ok())
            && pid != std::process::id() as i32
            && alive(pid)
        {
            return Err(SweepError::State {
                path,
                message: format!("another sweep (pid {pid}) is running in this folder; wait for it or stop it first"),
            });
        }
        crate::atomic::write(&path, format!("{}\n", std::process::id()).as_bytes()).map_err(SweepError::io(&path))?;
        Ok(Lock(path))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}
