//! `train` (and `ffn train`): the course project's training command (see `crate::flags`).

use crate::config::{Request, TrainConfig};
use crate::data::{self, Dataset};
use crate::flags::{self, DataFacts};
use crate::run::{self, signals::Signals};
use std::ffi::OsString;
use std::path::Path;

/// `args` are the command line after the program name; `program` names the
/// command in messages and help (`train` or `ffn train`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) {
    // std::env::args() panics on an argument that is not UTF-8.
    let args =
        match std::iter::once(program.into()).chain(args).map(OsString::into_string).collect::<Result<Vec<_>, _>>() {
            Ok(args) => flags::translate_args(args),
            Err(bad) => crate::cli::fail(program, &format!("argument {bad:?} is not valid UTF-8"), 2),
        };
    let matches = match flags::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => crate::cli::exit_with_clap_error(e, program),
    };
    let parsed = flags::parse_args(&matches);
    let dry_run = matches.get_flag("dry_run");
    let (config, dataset) = match parsed.values.get("resume").and_then(|v| v.as_str()).map(str::to_string) {
        Some(dir) => {
            let extra: Vec<_> = parsed.given.iter().filter(|f| !matches!(**f, "resume" | "dry_run")).collect();
            if !extra.is_empty() {
                let extra: Vec<&str> = extra.into_iter().copied().collect();
                let msg =
                    format!("--resume takes the configuration from {dir}/config.json; drop --{}", extra.join(", --"));
                crate::cli::fail(program, &msg, 2);
            }
            match resumed(&dir) {
                Ok(config) => (config, None),
                Err(e) => crate::cli::fail(program, &e, 1),
            }
        }
        None => configure(program, parsed),
    };
    if dry_run {
        match serde_json::to_string_pretty(&config) {
            Ok(json) => println!("{json}"),
            Err(e) => crate::cli::fail(program, &format!("cannot print the configuration: {e}"), 1),
        }
        return;
    }
    let signals = Signals::install();
    match run::train(config, dataset, &signals) {
        Ok(outcome) => std::process::exit(outcome.exit_code()),
        Err(e) => crate::cli::fail(program, &e.to_string(), 1),
    }
}

/// The configuration of a new run: the given flags and their defaults for the
/// data (own data is loaded here, since its defaults follow from its size, and
/// handed to the run).
fn configure(program: &str, parsed: flags::Parsed) -> (TrainConfig, Option<Dataset>) {
    let request = Request::new(parsed).unwrap_or_else(|e| crate::cli::fail(program, &e, 2));
    let (facts, dataset) = match request.builtin_facts() {
        Some(facts) => (facts, None),
        None => {
            let dataset = data::load_source(&request.source, &request.load_options())
                .unwrap_or_else(|e| crate::cli::fail(program, &e.to_string(), 1));
            (DataFacts::of(&dataset), Some(dataset))
        }
    };
    let config = request.resolve(&facts).unwrap_or_else(|e| crate::cli::fail(program, &e, 2));
    if let Err(e) = config.validate(&facts) {
        crate::cli::fail(program, &format!("invalid configuration: {e}"), 2);
    }
    (config, dataset)
}

/// The configuration of the run in `dir`, to continue it.
fn resumed(dir: &str) -> Result<TrainConfig, String> {
    let path = Path::new(dir).join("config.json");
    if !Path::new(dir).is_dir() {
        return Err(format!("--resume {dir}: no such folder"));
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "--resume {dir}: not a run folder (it has no config.json); give the folder train wrote, \
                 e.g. runs/<run name>"
            ));
        }
        Err(e) => return Err(format!("cannot resume from {}: {e}", path.display())),
    };
    let config = serde_json::from_str::<TrainConfig>(&text)
        .map_err(|e| format!("cannot resume from {}: it is not a run's configuration ({e})", path.display()))?;
    Ok(TrainConfig { resume: Some(dir.to_string()), ..config })
}
