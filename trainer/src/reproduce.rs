//! The `train` command that reproduces a run from its `config.json`. Every
//! hyper-parameter of the flag table is spelled out, so the command stays
//! right when the defaults change later, and a run recorded before a flag
//! existed gets the value it ran with, not today's default. `--data_dir` is
//! kept when the run was given one (the data must be found); where outputs
//! go (`--output_dir`, the wandb names) is left to the user.

use crate::flags::FLAGS;
use serde_json::{Map, Value};

/// Flags added after runs were already recorded, with what those older runs
/// did (the feature was off), not today's default.
const ADDED_LATER: &[(&str, &str)] = &[
    ("dropout", "0"),
    ("shift", "0"),
    ("rotate", "0"),
    ("zoom", "0"),
    ("elastic", "0"),
    ("flip", "0"),
    ("erase", "0"),
    ("pixel_scaling", "unit"),
    ("precision", "f32"),
    ("no_header", "false"),
];

/// `config[key]`, or for a flag added later what runs without it did.
pub fn config_value(config: &Map<String, Value>, key: &str) -> Value {
    match config.get(key) {
        Some(v) => v.clone(),
        None => {
            let Some(&(_, off)) = ADDED_LATER.iter().find(|(name, _)| *name == key) else { return Value::Null };
            // A whole-number flag (`--shift`) refuses `0.0`.
            match crate::flags::flag(key).map(|f| f.kind) {
                Some(crate::flags::Kind::Int { .. }) => off.parse::<i64>().map_or(Value::Null, Value::from),
                Some(crate::flags::Kind::Float { .. }) => off.parse::<f64>().map_or(Value::Null, Value::from),
                Some(crate::flags::Kind::Switch) => Value::Bool(off == "true"),
                _ => Value::from(off),
            }
        }
    }
}

/// `(flag, exact value)` of every hyper-parameter in flag-table order, less
/// those in `left_out` and those the run left unset (`null`).
pub fn flags(config: &Map<String, Value>, left_out: &[&str]) -> Vec<(&'static str, String)> {
    FLAGS
        .iter()
        .filter(|f| f.hyper && !left_out.contains(&f.long))
        .filter_map(|f| match config_value(config, f.long) {
            Value::Number(n) => Some((f.long, n.to_string())),
            Value::String(s) => Some((f.long, s)),
            Value::Bool(true) => Some((f.long, "true".to_string())),
            _ => None,
        })
        .collect()
}

/// `train --flag=value …` for a run folder's `config.json`.
pub fn command(config: &Map<String, Value>) -> Vec<String> {
    let mut argv: Vec<String> = std::iter::once("train".to_string())
        .chain(flags(config, &[]).into_iter().map(|(k, v)| format!("--{k}={v}")))
        .collect();
    if let Some(dir) = config.get("data_dir").and_then(Value::as_str).filter(|d| !d.is_empty()) {
        argv.push(format!("--data_dir={dir}"));
    }
    argv
}

/// [`command`] for the run in `run_dir`, `None` when it has no readable `config.json`.
pub fn command_of_run(run_dir: &std::path::Path) -> Option<Vec<String>> {
    let bytes = std::fs::read(run_dir.join("config.json")).ok()?;
    let config: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    Some(command(&config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_hyper_parameter_with_its_recorded_value() {
        let config = json!({
            "epochs": 10, "learning_rate": 0.001, "optimizer": "nadam", "train_limit": 20000, "seed": 1,
            "lr_schedule": "constant", "label_smoothing": 0.0, "threads": 2, "no-wandb": false,
            "output_dir": "/abs/sweeps-out/x/runs/r000", "data_dir": null, "wandb_group": "g",
        });
        let argv = command(config.as_object().unwrap());
        assert_eq!(
            argv,
            [
                "train",
                "--epochs=10",
                "--optimizer=nadam",
                "--learning_rate=0.001",
                "--lr_schedule=constant",
                "--label_smoothing=0.0",
                "--dropout=0.0",
                "--pixel_scaling=unit",
                "--shift=0",
                "--rotate=0.0",
                "--zoom=0.0",
                "--elastic=0.0",
                "--flip=0.0",
                "--erase=0.0",
                "--seed=1",
                "--train_limit=20000",
                "--precision=f32"
            ]
        );
        let with_data = json!({"epochs": 5, "data_dir": "/data/fashion"});
        assert_eq!(
            command(with_data.as_object().unwrap()),
            [
                "train",
                "--epochs=5",
                "--dropout=0.0",
                "--pixel_scaling=unit",
                "--shift=0",
                "--rotate=0.0",
                "--zoom=0.0",
                "--elastic=0.0",
                "--flip=0.0",
                "--erase=0.0",
                "--precision=f32",
                "--data_dir=/data/fashion"
            ]
        );
        let no_limit = json!({"epochs": 5, "train_limit": null, "dropout": 0.2, "shift": 1, "rotate": 0.0,
                              "zoom": 0.0, "elastic": 0.0, "flip": 0.5, "erase": 0.0});
        let left_out = ["epochs", "rotate", "zoom", "elastic", "erase", "pixel_scaling", "precision"];
        let kept = flags(no_limit.as_object().unwrap(), &left_out);
        assert_eq!(kept, [("dropout", "0.2"), ("shift", "1"), ("flip", "0.5")].map(|(k, v)| (k, v.to_string())));
        // A switch added later reads as off, as the runs now record it (one level, not two).
        assert_eq!(config_value(&Map::new(), "no_header"), Value::Bool(false));
    }
}
