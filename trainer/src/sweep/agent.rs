//! The command line wandb's agent builds for a run (`wandb_agent.py`,
//! `sweeps/utils.py`): the sweep's `command:` list with its macros expanded,
//! parameters sorted by name and printed with Python's `str()`. Local runs
//! use the same `--key=value` list, so a configuration found here reruns
//! identically under `wandb agent` and vice versa.

use super::config::SweepConfig;
use super::space::Config;

/// wandb's default when the YAML has no `command:`.
pub const DEFAULT_COMMAND: &[&str] = &["${env}", "${interpreter}", "${program}", "${args}"];

/// `--name=value` for each parameter (`${args}`).
pub fn args(config: &Config) -> Vec<String> {
    config.iter().map(|(k, v)| format!("--{k}={v}")).collect()
}

/// Why wandb's agent could not start this sweep's runs: its command needs
/// `${program}` (wandb's default command does) but the YAML has no `program:`.
pub fn program_missing(cfg: &SweepConfig) -> Option<String> {
    let uses_program = match &cfg.command {
        Some(c) => c.iter().any(|item| item == "${program}"),
        None => DEFAULT_COMMAND.contains(&"${program}"),
    };
    (uses_program && cfg.program.as_deref().is_none_or(str::is_empty)).then(|| {
        "this YAML has no `program:`, which its command needs (${program}), so `wandb agent` could not start its \
         runs; for wandb's agent add `program: sweeps/wandb-train.sh` and a `command:` list of ${env}, \
         ${program}, ${args}, as sweeps/course.yaml has"
            .to_string()
    })
}

/// `train` with a configuration's `--key=value` arguments and the extra ones:
/// what a local sweep runs (less its bookkeeping flags).
pub fn local_command(config: &Config, extra: &[String]) -> Vec<String> {
    std::iter::once("train".to_string()).chain(args(config)).chain(extra.iter().cloned()).collect()
}

/// The full argument vector the agent would execute for `config`.
pub fn command(cfg: &SweepConfig, config: &Config) -> Vec<String> {
    let template: Vec<String> = match &cfg.command {
        Some(c) => c.clone(),
        None => DEFAULT_COMMAND.iter().map(|s| s.to_string()).collect(),
    };
    let mut out = Vec::new();
    for item in template {
        match item.as_str() {
            "${env}" => out.push("/usr/bin/env".into()),
            "${interpreter}" => out.push("python".into()),
            "${program}" => out.push(cfg.program.clone().unwrap_or_default()),
            "${args}" => out.extend(args(config)),
            "${args_no_hyphens}" => out.extend(config.iter().map(|(k, v)| format!("{k}={v}"))),
            "${args_no_equals}" => {
                for (k, v) in config {
                    out.push(format!("--{k}"));
                    out.push(v.to_string());
                }
            }
            "${args_no_boolean_flags}" => {
                for (k, v) in config {
                    match v {
                        super::value::Value::Bool(true) => out.push(format!("--{k}")),
                        super::value::Value::Bool(false) => {}
                        _ => out.push(format!("--{k}={v}")),
                    }
                }
            }
            "${args_json}" => out.push(serde_json::to_string(config).unwrap_or_default()),
            "${args_append_hydra}" => out.extend(config.iter().map(|(k, v)| format!("+{k}={v}"))),
            "${args_override_hydra}" => out.extend(config.iter().map(|(k, v)| format!("++{k}={v}"))),
            other => match other.strip_prefix("${envvar:").and_then(|s| s.strip_suffix('}')) {
                Some(var) => out.push(std::env::var(var).unwrap_or_default()),
                None => out.push(other.to_string()),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::value::Value;
    use super::*;

    fn parse(yaml_head: &str) -> SweepConfig {
        let yaml = format!("{yaml_head}method: grid\nparameters:\n  epochs: {{values: [2]}}\n");
        SweepConfig::parse(&yaml, "t.yaml").expect("valid")
    }

    #[test]
    fn a_sweep_without_program_is_named_as_such() {
        let cfg = parse("");
        let why = program_missing(&cfg).expect("the default command needs a program");
        assert!(why.contains("no `program:`"), "{why}");
        let config = cfg.space.grid_point(&cfg.space.grid().expect("grid"), 0);
        assert_eq!(local_command(&config, &["--train_limit=500".into()]), ["train", "--epochs=2", "--train_limit=500"]);
        assert_eq!(program_missing(&parse("program: sweeps/wandb-train.sh\n")), None);
        let own = parse("command:\n  - ${env}\n  - ./target/release/train\n  - ${args}\n");
        assert_eq!(program_missing(&own), None, "a command without ${{program}} needs none");
    }

    #[test]
    fn args_are_sorted_and_python_formatted() {
        let config: Config = [
            ("learning_rate", Value::Float(1e-5)),
            ("batch_size", Value::Int(16)),
            ("activation", Value::Str("ReLU".into())),
            ("weight_decay", Value::Float(0.0005)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(
            args(&config),
            vec!["--activation=ReLU", "--batch_size=16", "--learning_rate=1e-05", "--weight_decay=0.0005"]
        );
    }
}
