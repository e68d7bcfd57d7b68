//! The `bayes` method is a model, not random search under another name: on a
//! cheap synthetic objective over a course-like space, TPE finds better
//! configurations than random search with the same budget, over many seeds.

use ffn_trainer::sweep::config::{Method, SweepConfig};
use ffn_trainer::sweep::search::{self, History};
use ffn_trainer::sweep::space::Config;
use ffn_trainer::sweep::value::Value;

const SPACE: &str = "\
method: bayes
metric: {name: val_accuracy, goal: maximize}
parameters:
  optimizer: {values: [sgd, momentum, nag, rmsprop, adam, nadam]}
  activation: {values: [sigmoid, tanh, ReLU]}
  weight_init: {values: [random, Xavier]}
  learning_rate: {distribution: log_uniform_values, min: 0.00001, max: 0.1}
  hidden_size: {distribution: q_uniform, min: 16, max: 512, q: 16}
  num_layers: {distribution: int_uniform, min: 1, max: 6}
  weight_decay: {distribution: uniform, min: 0.0, max: 0.5}
";

/// A stand-in for validation accuracy with the shape real sweeps show: one
/// good learning-rate decade, preferred optimizers and activation, a width
/// and depth optimum, weight decay that only hurts. Maximum 0.95.
fn accuracy(c: &Config) -> f64 {
    let num = |k: &str| c[k].as_f64().unwrap();
    let name = |k: &str| match &c[k] {
        Value::Str(s) => s.clone(),
        v => panic!("{k} = {v}"),
    };
    let lr_miss = (num("learning_rate").log10() + 3.0).powi(2); // optimum 1e-3
    let opt = match name("optimizer").as_str() {
        "adam" | "nadam" => 0.0,
        "rmsprop" => 0.03,
        "momentum" | "nag" => 0.08,
        _ => 0.15,
    };
    let act = match name("activation").as_str() {
        "ReLU" => 0.0,
        "tanh" => 0.03,
        _ => 0.1,
    };
    let init = if name("weight_init") == "Xavier" { 0.0 } else { 0.04 };
    let width = ((num("hidden_size") - 320.0) / 320.0).powi(2) * 0.1;
    let depth = (num("num_layers") - 3.0).abs() * 0.02;
    let wd = num("weight_decay") * 0.4;
    0.95 - 0.06 * lr_miss - opt - act - init - width - depth - wd
}

/// The best accuracy a sequential sweep of `budget` runs reaches.
fn best_of(method: Method, seed: u64, budget: usize) -> f64 {
    let mut cfg = SweepConfig::parse(SPACE, "synthetic.yaml").unwrap();
    cfg.method = method;
    let metric = cfg.metric.clone().unwrap();
    let mut started: Vec<Config> = Vec::new();
    let mut done: Vec<(Config, f64)> = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for index in 0..budget {
        let history = History { started: &started, done: &done, pending: &[] };
        let config = search::next(&cfg, &history, index, seed).expect("random and bayes never run out");
        let acc = accuracy(&config);
        best = best.max(acc);
        started.push(config.clone());
        done.push((config, metric.as_loss(acc)));
    }
    best
}

#[test]
fn bayes_beats_random_search_over_repeated_seeds() {
    let (seeds, budget) = (30u64, 40);
    let mut wins = 0;
    let (mut sum_bayes, mut sum_random) = (0.0, 0.0);
    for seed in 0..seeds {
        let b = best_of(Method::Bayes, seed, budget);
        let r = best_of(Method::Random, seed, budget);
        sum_bayes += b;
        sum_random += r;
        wins += usize::from(b > r);
    }
    let (mean_bayes, mean_random) = (sum_bayes / seeds as f64, sum_random / seeds as f64);
    println!(
        "best after {budget} runs, mean over {seeds} seeds: bayes {mean_bayes:.4}, random {mean_random:.4}; bayes better in {wins}/{seeds}"
    );
    assert!(mean_bayes > mean_random + 0.01, "bayes {mean_bayes:.4} vs random {mean_random:.4}");
    assert!(wins * 3 >= seeds as usize * 2, "bayes better in only {wins}/{seeds} seeds");
}

#[test]
fn bayes_does_not_repeat_a_configuration_of_a_small_discrete_space() {
    // 2 × 3 = 6 configurations: the model must visit all six in six runs.
    let yaml = "method: bayes\nmetric: {name: val_accuracy, goal: maximize}\nparameters:\n  \
                epochs: {values: [5, 10]}\n  num_layers: {values: [3, 4, 5]}\n";
    let cfg = SweepConfig::parse(yaml, "small.yaml").unwrap();
    let mut started: Vec<Config> = Vec::new();
    let mut done: Vec<(Config, f64)> = Vec::new();
    for index in 0..6 {
        let history = History { started: &started, done: &done, pending: &[] };
        let config = search::next(&cfg, &history, index, 11).unwrap();
        assert!(!started.contains(&config), "run {index} repeats {config:?}");
        started.push(config.clone());
        done.push((config, -(index as f64)));
    }
}
