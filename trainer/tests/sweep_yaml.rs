//! The sweep YAML reader: the shipped sweeps parse to the intended spaces,
//! every kind of mistake is reported at its line, and no input panics it.

use ffn_trainer::sweep::config::{Goal, Method, SweepConfig};
use ffn_trainer::sweep::space::Domain;
use ffn_trainer::sweep::{SweepError, search};
use proptest::prelude::*;

fn shipped(name: &str) -> SweepConfig {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sweeps").join(name);
    SweepConfig::from_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn domain<'a>(cfg: &'a SweepConfig, name: &str) -> &'a Domain {
    &cfg.space.params.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no parameter {name}")).1
}

fn values(cfg: &SweepConfig, name: &str) -> Vec<String> {
    match domain(cfg, name) {
        Domain::Categorical { values, .. } => values.iter().map(|v| v.to_string()).collect(),
        Domain::Constant(v) => vec![v.to_string()],
        other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn the_course_sweep_is_the_course_projects_space() {
    for (file, loss) in [("course.yaml", "cross_entropy"), ("mse.yaml", "mean_squared_error")] {
        let cfg = shipped(file);
        assert_eq!(cfg.method, Method::Bayes);
        let metric = cfg.metric.as_ref().unwrap();
        assert_eq!((metric.name.as_str(), metric.goal), ("val_accuracy", Goal::Maximize));
        assert!(cfg.early_terminate.is_some(), "{file}: hyperband");
        assert_eq!(values(&cfg, "loss"), [loss]);
        assert_eq!(values(&cfg, "epochs"), ["5", "10"]);
        assert_eq!(values(&cfg, "num_layers"), ["3", "4", "5"]);
        assert_eq!(values(&cfg, "hidden_size"), ["32", "64", "128"]);
        assert_eq!(values(&cfg, "weight_decay"), ["0", "0.0005", "0.5"]);
        assert_eq!(values(&cfg, "learning_rate"), ["0.001", "0.0001"]);
        assert_eq!(values(&cfg, "optimizer"), ["sgd", "momentum", "nag", "rmsprop", "adam", "nadam"]);
        assert_eq!(values(&cfg, "batch_size"), ["16", "32", "64"]);
        assert_eq!(values(&cfg, "weight_init"), ["random", "Xavier"]);
        assert_eq!(values(&cfg, "activation"), ["sigmoid", "tanh", "ReLU"]);
        // The agent runs the native binary directly.
        assert_eq!(cfg.command.as_deref().unwrap(), ["${env}", "${program}", "${args}"]);
    }
}

#[test]
fn the_wide_sweep_parses_with_continuous_ranges() {
    let cfg = shipped("ffn-best.yaml");
    assert_eq!(cfg.method, Method::Bayes);
    assert!(matches!(domain(&cfg, "learning_rate"), Domain::Numeric(n) if n.log));
    assert!(matches!(domain(&cfg, "epochs"), Domain::Numeric(n) if n.int));
    assert_eq!(values(&cfg, "lr_schedule"), ["cosine"]);
    assert_eq!(search::budget(&cfg, Some(7)), Some(7));
}

/// `(line, column, message)` of the error for `yaml`.
fn error(yaml: &str) -> (usize, usize, String) {
    match SweepConfig::parse(yaml, "t.yaml") {
        Err(SweepError::Yaml { line, column, message, file }) => {
            assert_eq!(file, "t.yaml");
            (line, column, message)
        }
        Err(other) => panic!("not a YAML error: {other}"),
        Ok(_) => panic!("accepted:\n{yaml}"),
    }
}

const GOOD: &str = "\
method: random
metric: {name: val_accuracy, goal: maximize}
parameters:
  epochs: {values: [5, 10]}
  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.01}
";

#[test]
fn a_good_file_parses() {
    let cfg = SweepConfig::parse(GOOD, "t.yaml").unwrap();
    assert_eq!(cfg.space.params.len(), 2);
}

#[test]
fn every_mistake_is_reported_at_its_line() {
    // (file, expected line, a fragment of the message)
    let cases: &[(&str, usize, &str)] = &[
        (
            "method: random\nmetrik: {name: val_accuracy}\nparameters:\n  epochs: {values: [5]}\n",
            2,
            "unknown field `metrik`",
        ),
        ("method: randm\nparameters:\n  epochs: {values: [5]}\n", 1, "unknown variant `randm`"),
        (
            "method: random\nparameters:\n  epochs: {values: [5]}\n  learning_rate: {min: 0.1, mx: 0.2}\n",
            4,
            "unknown field `mx`",
        ),
        (
            "method: random\nparameters:\n  epochs: {values: [5]}\n  hidden_layers: {values: [3]}\n",
            4,
            "`hidden_layers` is not a train flag",
        ),
        (
            "method: random\nparameters:\n  epochs: {values: [5]}\n  learning_rate:\n    distribution: uniform\n    min: 0.1\n    max: 0.01\n",
            6,
            "greater than `max`",
        ),
        ("method: random\nparameters:\n  optimizer: {values: [sgd, adamm]}\n", 3, "`adamm` is not one of"),
        ("method: random\nparameters:\n  batch_size: {values: [16, 32.0]}\n", 3, "not a whole number"),
        ("method: random\nparameters:\n  batch_size: {distribution: uniform, min: 16, max: 64}\n", 3, "whole numbers"),
        (
            "method: random\nparameters:\n  learning_rate: {distribution: uniform, min: 0, max: 0.1}\n",
            3,
            "out of range",
        ),
        (
            "method: random\nparameters:\n  learning_rate: {distribution: log_uniform_values, min: 0, max: 0.1}\n",
            3,
            "needs `min` > 0",
        ),
        (
            "method: random\nparameters:\n  learning_rate: {distribution: gaussian, min: 0, max: 0.1}\n",
            3,
            "unknown variant `gaussian`",
        ),
        (
            "method: grid\nparameters:\n  epochs: {values: [5]}\n  learning_rate: {distribution: uniform, min: 0.001, max: 0.1}\n",
            4,
            "grid search needs",
        ),
        ("method: bayes\nparameters:\n  epochs: {values: [5]}\n", 1, "needs a `metric`"),
        ("method: random\nmetric: {name: val_acc}\nparameters:\n  epochs: {values: [5]}\n", 2, "not logged by train"),
        (
            "method: random\nmetric: {name: val_accuracy}\nearly_terminate: {type: hyperband, eta: 3}\nparameters:\n  epochs: {values: [5]}\n",
            3,
            "min_iter",
        ),
        (
            "method: random\nmetric: {name: val_accuracy}\nearly_terminate: {type: hyperband, min_iter: 1, eta: 1}\nparameters:\n  epochs: {values: [5]}\n",
            3,
            "`eta` must be",
        ),
        ("method: random\nparameters:\n  output_dir: {value: x}\n", 3, "set by the sweep"),
        ("method: random\nparameters:\n  epochs: {values: []}\n", 3, "`values` is empty"),
        ("method: random\nparameters:\n  epochs: {values: [5, 5]}\n", 3, "listed twice"),
        ("method: random\nparameters:\n  epochs: {values: [5]}\ncommand: [a, b]\n", 4, "add ${args}"),
        // An unclosed flow mapping is noticed at the end of the input; the message names where it opened.
        ("method: random\nparameters:\n  epochs: {values: [5]\n", 4, "flow mapping at line 3"),
        ("method: random\nrun_cap: 0\nparameters:\n  epochs: {values: [5]}\n", 2, "run_cap"),
        (
            "method: random\nparameters:\n  momentum: {values: [0.9], probabilities: [0.5, 0.5]}\n",
            3,
            "one non-negative number per value",
        ),
    ];
    for (yaml, line, fragment) in cases {
        let (l, _, message) = error(yaml);
        assert!(message.contains(fragment), "{yaml}\n→ {message}\n(wanted `{fragment}`)");
        assert_eq!(l, *line, "{yaml}\n→ line {l}: {message}");
    }
}

#[test]
fn the_error_display_leads_with_file_line_and_column() {
    let err = SweepConfig::parse("method: random\nparameters:\n  nope: {values: [1]}\n", "sweeps/x.yaml").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("sweeps/x.yaml:3:3: "), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

fn course_text() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sweeps/course.yaml")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Damaged files (lines dropped, duplicated or cut, bytes replaced) give
    /// an error located inside the file, never a panic.
    #[test]
    fn damaged_files_never_panic(edits in proptest::collection::vec((0usize..4, any::<usize>(), any::<u8>()), 1..6)) {
        let mut lines: Vec<String> = course_text().lines().map(str::to_string).collect();
        for (kind, at, byte) in edits {
            if lines.is_empty() {
                break;
            }
            let i = at % lines.len();
            match kind {
                0 => { lines.remove(i); }
                1 => { let l = lines[i].clone(); lines.insert(i, l); }
                2 => { let cut = lines[i].floor_char_boundary(at % (lines[i].len() + 1)); lines[i].truncate(cut); }
                _ => {
                    let mut bytes = lines[i].clone().into_bytes();
                    if !bytes.is_empty() {
                        let j = at % bytes.len();
                        bytes[j] = byte % 128;
                    }
                    lines[i] = String::from_utf8_lossy(&bytes).into_owned();
                }
            }
        }
        let text = lines.join("\n");
        if let Err(SweepError::Yaml { line, column, .. }) = SweepConfig::parse(&text, "t.yaml") {
            prop_assert!(line >= 1 && line <= lines.len() + 1, "line {line} of {}", lines.len());
            prop_assert!(column >= 1);
        }
    }

    /// Arbitrary text never panics the reader.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = SweepConfig::parse(&text, "t.yaml");
    }
}
