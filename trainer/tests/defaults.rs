//! `train`'s defaults are the configuration our sweeps chose (issue 4), read
//! from the committed `results/`: among the Fashion-MNIST configurations run
//! with seeds 1–3, the one with the best mean validation accuracy over those
//! three (a configuration run with more seeds is compared on the same ones);
//! MNIST's recipe (`-d mnist`, issue 24) the same among MNIST's.
//! (One validation split of 6,000 images measures accuracy to about ±0.4
//! points, so single runs are not compared; see sweeps/ffn-seeds.yaml.)
//! A seed run again on other code that gave other bits (the confirm-*
//! sweeps) is another draw and counts beside the first; the same bits again
//! are one draw.

mod cli_support;

use cli_support::{dry_run, read_json, same, workspace};
use ffn_trainer::flags::AUGMENTATION;
use ffn_trainer::report::params::config_value;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The hyper-parameters that make a configuration (everything `train` is
/// given except the seed).
const KEYS: [&str; 20] = [
    "epochs",
    "batch_size",
    "loss",
    "optimizer",
    "learning_rate",
    "momentum",
    "beta",
    "beta1",
    "beta2",
    "epsilon",
    "weight_decay",
    "weight_init",
    "num_layers",
    "hidden_size",
    "activation",
    "lr_schedule",
    "warmup",
    "label_smoothing",
    "dropout",
    "pixel_scaling",
];
/// The augmentation flags are part of a configuration too (a run with shifts
/// is not a seed repeat of one without).
const AUGMENT_KEYS: [&str; 6] = AUGMENTATION;
const MIN_SEEDS: usize = 3;

/// seed → the distinct (val_accuracy, test_accuracy) draws of one configuration.
type Seeds = BTreeMap<u64, Vec<(f64, f64)>>;

/// (configuration, seed, val_accuracy, test_accuracy) of every finished run on `dataset`.
fn finished_runs(results: &Path, dataset: &str) -> Vec<(Vec<Value>, u64, f64, f64)> {
    let mut runs = Vec::new();
    for sweep in std::fs::read_dir(results).expect("results/").flatten() {
        let Ok(folders) = std::fs::read_dir(sweep.path().join("runs")) else { continue };
        for run in folders.flatten() {
            let (config, summary) =
                (read_json(&run.path().join("config.json")), read_json(&run.path().join("summary.json")));
            let config = config.as_object().expect("config object");
            if config.get("dataset").and_then(Value::as_str) != Some(dataset) || summary["state"] != "finished" {
                continue;
            }
            // Run folders from before `--dropout` ran without it: the report's rule.
            // Numbers as f64, so `"shift": 0` and a missing shift (0.0) are one value.
            let key = KEYS
                .iter()
                .chain(&AUGMENT_KEYS)
                .map(|k| config_value(config, k))
                .map(|v| v.as_f64().map_or(v.clone(), Value::from))
                .collect();
            let seed = config["seed"].as_u64().expect("seed");
            runs.push((
                key,
                seed,
                summary["val_accuracy"].as_f64().unwrap(),
                summary["test_accuracy"].as_f64().unwrap(),
            ));
        }
    }
    runs
}

/// The configuration with the best mean validation accuracy among those run
/// on `dataset` with at least [`MIN_SEEDS`] seeds, and its seeds; every
/// repeated configuration is printed.
fn best_repeated(dataset: &str, min_runs: usize) -> (Vec<Value>, Seeds) {
    let runs = finished_runs(&workspace().join("results"), dataset);
    assert!(runs.len() >= min_runs, "results/ holds the sweeps' {dataset} runs ({} found)", runs.len());
    let mut by_config: BTreeMap<String, (Vec<Value>, Seeds)> = BTreeMap::new();
    for (key, seed, val, test) in runs {
        let entry = by_config.entry(serde_json::to_string(&key).unwrap()).or_insert_with(|| (key, BTreeMap::new()));
        let draws = entry.1.entry(seed).or_default();
        if !draws.contains(&(val, test)) {
            draws.push((val, test));
        }
    }
    // Over seeds 1..=MIN_SEEDS, which every repeated configuration ran: more
    // seeds of one configuration must not move its mean and not the others'.
    let mean = |seeds: &Seeds| {
        let vals: Vec<f64> = (1..=MIN_SEEDS as u64).flat_map(|s| seeds[&s].iter().map(|d| d.0)).collect();
        vals.iter().sum::<f64>() / vals.len() as f64
    };
    let repeated: Vec<_> =
        by_config.values().filter(|(_, seeds)| (1..=MIN_SEEDS as u64).all(|s| seeds.contains_key(&s))).collect();
    assert!(repeated.len() >= 2, "at least two configurations were repeated over {MIN_SEEDS} seeds");
    for (config, runs) in &repeated {
        println!(
            "{dataset}: mean val {:.4} over {} runs of seeds 1-{MIN_SEEDS} (seeds run: {:?}): {}",
            mean(runs),
            (1..=MIN_SEEDS as u64).map(|s| runs[&s].len()).sum::<usize>(),
            runs.keys().collect::<Vec<_>>(),
            Value::from(config.clone())
        );
    }
    let (best, seeds) = repeated.iter().max_by(|a, b| mean(&a.1).total_cmp(&mean(&b.1))).expect("non-empty");
    (best.clone(), seeds.clone())
}

/// `train`'s resolved configuration for `args` matches `best` on every key.
fn assert_defaults_are(args: &[&str], best: &[Value], seeds: &Seeds) -> Value {
    let tmp = tempfile::tempdir().expect("tempdir");
    let defaults = dry_run(tmp.path(), args).unwrap_or_else(|r| panic!("{}", r.describe()));
    for (key, want) in KEYS.iter().chain(&AUGMENT_KEYS).zip(best) {
        assert!(
            same(&defaults[*key], want),
            "{args:?}: default {key} is {} but the best configuration has {want}",
            defaults[*key]
        );
    }
    assert_eq!(defaults["seed"], 1);
    assert!(seeds.contains_key(&1), "the default seed's run is among the repeats");
    defaults
}

#[test]
fn defaults_are_the_best_mean_validation_configuration_of_our_seed_repeats() {
    let (best, seeds) = best_repeated("fashion_mnist", 50);
    assert_eq!(assert_defaults_are(&[], &best, &seeds)["dataset"], "fashion_mnist");
}

/// MNIST's recipe (its ±1-pixel shifts) won on MNIST's own seed repeats: the
/// shared recipe with and without them, seeds 1–3 each.
#[test]
fn mnist_recipe_is_the_best_mean_validation_configuration_of_its_seed_repeats() {
    let (best, seeds) = best_repeated("mnist", 8);
    assert_defaults_are(&["-d", "mnist"], &best, &seeds);
}

/// The report recommends the same configuration (its "Seed repeats" part).
#[test]
fn the_report_recommends_the_defaults() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let html = tmp.path().join("report.html");
    let r = cli_support::run(
        "report",
        workspace(),
        &[workspace().join("results").as_os_str(), "-o".as_ref(), html.as_os_str()],
    );
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let page = std::fs::read_to_string(&html).expect("report written");
    let part = &page[page.find("<h3>Seed repeats</h3>").expect("a seed-repeats part")..];
    let command = &part[part.find("<code>").expect("a command") + 6..part.find("</code>").expect("end of command")];
    let defaults = dry_run::<&str>(tmp.path(), &[]).unwrap_or_else(|r| panic!("{}", r.describe()));
    for key in KEYS {
        let shown = match &defaults[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let flag = format!("--{key} ");
        let at = command.find(&flag).unwrap_or_else(|| panic!("{key} missing from {command}"));
        let given = command[at + flag.len()..].split(' ').next().unwrap_or("");
        let (a, b) = (given.parse::<f64>(), shown.parse::<f64>());
        assert!(given == shown || matches!((a, b), (Ok(x), Ok(y)) if x == y), "{key}: report {given}, default {shown}");
    }
    assert!(!command.contains("--seed"), "the recommendation is a configuration, not one seed: {command}");
}
