//! `train` (and `ffn train`): the course project's training command (see `crate::flags`).

use crate::config::TrainConfig;
use crate::flags;
use crate::run::{self, signals::Signals};
use std::ffi::OsString;

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
    let mut config = match TrainConfig::from_values(flags::to_values(&matches)) {
        Ok(c) => c,
        Err(e) => crate::cli::fail(program, &format!("invalid configuration: {e}"), 2),
    };
    if let Some(dir) = config.resume.clone() {
        let extra: Vec<_> =
            flags::given(&matches).into_iter().filter(|f| !matches!(*f, "resume" | "dry_run")).collect();
        if !extra.is_empty() {
            let msg = format!("--resume takes the configuration from {dir}/config.json; drop --{}", extra.join(", --"));
            crate::cli::fail(program, &msg, 2);
        }
        let path = std::path::Path::new(&dir).join("config.json");
        config = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<TrainConfig>(&s).map_err(|e| e.to_string()))
        {
            Ok(c) => TrainConfig { resume: Some(dir), ..c },
            Err(e) => crate::cli::fail(program, &format!("cannot resume from {}: {e}", path.display()), 1),
        };
    }
    if let Err(e) = config.validate() {
        crate::cli::fail(program, &format!("invalid configuration: {e}"), 2);
    }
    if matches.get_flag("dry_run") {
        let resolved = TrainConfig {
            run_name: Some(config.run_name.clone().unwrap_or_else(|| config.derived_run_name())),
            ..config
        };
        match serde_json::to_string_pretty(&resolved) {
            Ok(json) => println!("{json}"),
            Err(e) => crate::cli::fail(program, &format!("cannot print the configuration: {e}"), 1),
        }
        return;
    }
    let signals = Signals::install();
    match run::train(config, &signals) {
        Ok(outcome) => std::process::exit(outcome.exit_code()),
        Err(e) => crate::cli::fail(program, &e.to_string(), 1),
    }
}
