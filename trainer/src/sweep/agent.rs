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
