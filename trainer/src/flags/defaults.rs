//! Defaults that depend on the data, declared per flag in the flag table.
//!
//! A flag's default is a [`DefaultRule`]: none, one value, or a [`DataRule`] —
//! a value for the built-in datasets, optionally a recipe of a dataset's own
//! (`(DatasetName::Mnist, "40")`), and for the user's own data (`--data`)
//! optionally a [`SizeRule`] that derives the value from the data's size
//! ([`DataFacts`]: training rows, inputs, classes). `--help` and the README
//! show the rule; `--dry_run` and `config.json` show the value it gave and
//! why (`data_defaults`). A rule may read flags resolved before it (the epochs
//! rule reads the batch size, given or derived), so rules are resolved until
//! none is left.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::{FLAGS, Flag};
use crate::data::{self, DataInfo, Dataset, DatasetName};

/// How a flag's default is found.
#[derive(Clone, Copy, Debug)]
pub enum DefaultRule {
    /// No default: the setting is optional (`null` in the config).
    None,
    /// One value for all data.
    Value(&'static str),
    /// A value that depends on the data.
    Data(&'static DataRule),
}

/// A default that depends on which data a run trains on.
#[derive(Debug)]
pub struct DataRule {
    /// The value for the built-in datasets without a recipe below.
    pub builtin: &'static str,
    /// Built-in datasets with a value of their own (their recipe).
    pub recipes: &'static [(DatasetName, &'static str)],
    /// Own data (`--data`): the value from the data's size; without one, `builtin`.
    pub own: Option<SizeRule>,
}

/// A default derived from the size of the user's data.
pub struct SizeRule {
    /// The rule in words, for `--help` and the README.
    pub says: &'static str,
    /// The value and the reason (the numbers it used), or `None` while a flag the
    /// rule reads is not resolved yet.
    pub value: fn(&DataFacts, &Resolving) -> Option<(Value, String)>,
}

impl std::fmt::Debug for SizeRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.says)
    }
}

/// What the defaults may depend on: the data a run trains on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFacts {
    /// The built-in dataset, or `None` for own data.
    pub dataset: Option<DatasetName>,
    /// Samples the model trains on (after the validation and test hold-outs and `--train_limit`).
    pub train_rows: usize,
    /// Values per sample.
    pub inputs: usize,
    pub classes: usize,
}

/// Samples in the training file of both built-in datasets.
const BUILTIN_TRAIN_FILE: usize = 60_000;
/// The share of the training file held out for validation (all data).
pub const VALIDATION_FRACTION: f32 = 0.1;

impl DataFacts {
    /// A built-in dataset's facts, known without loading it.
    pub fn builtin(name: DatasetName, train_limit: Option<usize>) -> Self {
        let info = DataInfo::for_dataset(name);
        let rows = data::train_count(BUILTIN_TRAIN_FILE, VALIDATION_FRACTION);
        DataFacts {
            dataset: Some(name),
            train_rows: train_limit.map_or(rows, |l| l.min(rows)),
            inputs: info.input_len,
            classes: info.classes.len(),
        }
    }

    /// The facts of loaded data.
    pub fn of(dataset: &Dataset) -> Self {
        DataFacts {
            dataset: dataset.name,
            train_rows: dataset.train.len(),
            inputs: dataset.info.input_len,
            classes: dataset.info.classes.len(),
        }
    }
}

/// The flag values while defaults are being resolved.
pub struct Resolving<'a>(pub(super) &'a Map<String, Value>);

impl Resolving<'_> {
    /// A resolved whole-number flag.
    pub fn usize(&self, long: &str) -> Option<usize> {
        self.0.get(long).and_then(Value::as_u64).map(|v| v as usize)
    }
}

impl DefaultRule {
    /// The default for a built-in dataset, known without loading it.
    pub fn for_builtin(&self, dataset: DatasetName) -> Option<&'static str> {
        match self {
            DefaultRule::None => None,
            DefaultRule::Value(v) => Some(v),
            DefaultRule::Data(rule) => {
                Some(rule.recipes.iter().find(|(d, _)| *d == dataset).map_or(rule.builtin, |(_, v)| v))
            }
        }
    }

    /// The rule in words, for `--help`: `30`, or `30; own data: …`.
    pub fn describe(&self) -> Option<String> {
        match self {
            DefaultRule::None => None,
            DefaultRule::Value(v) => Some((*v).to_string()),
            DefaultRule::Data(rule) => {
                let mut text = rule.builtin.to_string();
                for (dataset, value) in rule.recipes {
                    text.push_str(&format!("; {dataset}: {value}"));
                }
                if let Some(own) = &rule.own {
                    text.push_str(&format!("; own data: {}", own.says));
                }
                Some(text)
            }
        }
    }
}

/// The value `f`'s default takes for `facts` with the other flags as in
/// `values` (a full configuration): what a run name compares against.
pub fn default_in(f: &Flag, values: &Map<String, Value>, facts: &DataFacts) -> Value {
    if let (Some(off), Some(Value::Bool(true))) = (f.extra, values.get("no_extras")) {
        return super::parse::checked(f, off);
    }
    match f.default {
        DefaultRule::None => Value::Null,
        DefaultRule::Value(v) => super::parse::checked(f, v),
        DefaultRule::Data(_) => {
            let mut others = values.clone();
            others.remove(f.long);
            resolve_one(f, facts, &others).map_or(Value::Null, |(v, _)| v)
        }
    }
}

/// Why a flag has the value it has, for the flags whose default was not one
/// fixed value (`config.json`'s `data_defaults`).
pub type Reasons = BTreeMap<String, String>;

/// Fills every default that needs no data into `values` (which holds the given
/// flags): `--data` replaces `-d` (the dataset becomes `null`; both given is an
/// error), `--no_extras` makes each extra's default its off value, and the
/// flags with one default get it. Flags with a [`DataRule`] stay unset.
pub fn fill(values: &mut Map<String, Value>) -> Result<Reasons, String> {
    let mut why = Reasons::new();
    let given = |values: &Map<String, Value>, long: &str| values.get(long).is_some_and(|v| !v.is_null());
    if given(values, "data") {
        if given(values, "dataset") {
            return Err("--data and -d/--dataset both name the data: keep -d for a built-in dataset, or --data for \
                        your own"
                .into());
        }
        values.insert("dataset".into(), Value::Null);
    } else if !values.contains_key("test_fraction") {
        // A built-in dataset has its own test set: no hold-out share to record.
        values.insert("test_fraction".into(), Value::Null);
    }
    if values.get("no_extras") == Some(&Value::Bool(true)) {
        for f in FLAGS {
            if let (Some(off), false) = (f.extra, values.contains_key(f.long)) {
                values.insert(f.long.into(), super::parse::checked(f, off));
                why.insert(f.long.into(), "off: --no_extras".into());
            }
        }
    }
    for f in FLAGS {
        if values.contains_key(f.long) {
            continue;
        }
        match f.default {
            DefaultRule::None if matches!(f.kind, super::Kind::Switch) => values.insert(f.long.into(), false.into()),
            DefaultRule::None => values.insert(f.long.into(), Value::Null),
            DefaultRule::Value(v) => values.insert(f.long.into(), super::parse::checked(f, v)),
            DefaultRule::Data(_) => None,
        };
    }
    Ok(why)
}

/// Fills the defaults that depend on the data from `facts` (after [`fill`]);
/// returns why each has its value.
pub fn resolve(values: &mut Map<String, Value>, facts: &DataFacts) -> Reasons {
    let mut why = Reasons::new();
    let mut waiting: Vec<&Flag> =
        FLAGS.iter().filter(|f| matches!(f.default, DefaultRule::Data(_)) && !values.contains_key(f.long)).collect();
    while !waiting.is_empty() {
        let before = waiting.len();
        waiting.retain(|f| {
            let resolved = resolve_one(f, facts, values);
            let Some((value, reason)) = resolved else { return true };
            values.insert(f.long.into(), value);
            why.insert(f.long.to_string(), reason);
            false
        });
        assert!(waiting.len() < before, "data rules wait for each other: {waiting:?}");
    }
    why
}

/// A data rule's value and reason, or `None` while a flag it reads is unset.
fn resolve_one(f: &Flag, facts: &DataFacts, values: &Map<String, Value>) -> Option<(Value, String)> {
    let DefaultRule::Data(rule) = f.default else { return None };
    match (facts.dataset, &rule.own) {
        (Some(name), _) => {
            let recipe = rule.recipes.iter().find(|(d, _)| *d == name);
            let (value, reason) = match recipe {
                Some((_, v)) => (*v, format!("{name}'s recipe")),
                None => (rule.builtin, format!("the default for {name}")),
            };
            Some((super::parse::checked(f, value), reason))
        }
        (None, Some(own)) => {
            (own.value)(facts, &Resolving(values)).map(|(v, reason)| (v, format!("own data: {reason}")))
        }
        (None, None) => Some((super::parse::checked(f, rule.builtin), "the default for all data".into())),
    }
}

/// Every flag's value for a built-in dataset (`-d`, default Fashion-MNIST):
/// the given ones, and the defaults for that dataset. `None` with `--data`,
/// whose defaults need the data's facts ([`resolve`]).
pub fn to_values(matches: &clap::ArgMatches) -> Option<Map<String, Value>> {
    let mut values = super::parse_args(matches).values;
    if values.contains_key("data") {
        return None;
    }
    fill(&mut values).ok()?;
    let name = values.get("dataset").and_then(Value::as_str).and_then(crate::data::DatasetName::from_name)?;
    let limit = values.get("train_limit").and_then(Value::as_u64).map(|l| l as usize);
    resolve(&mut values, &DataFacts::builtin(name, limit));
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_facts_are_those_of_the_loaded_data() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mnist");
        let opts = data::LoadOptions { seed: 5, train_limit: Some(7000), ..data::LoadOptions::default() };
        let dataset = data::load_dir(DatasetName::Mnist, &dir, &opts).expect("MNIST in ../shared/data");
        assert_eq!(DataFacts::of(&dataset), DataFacts::builtin(DatasetName::Mnist, Some(7000)));
        assert_eq!(DataFacts::builtin(DatasetName::FashionMnist, None).train_rows, 54_000);
    }

    #[test]
    fn every_rule_resolves_for_every_kind_of_data() {
        let own = |rows, inputs, classes| DataFacts { dataset: None, train_rows: rows, inputs, classes };
        let mut all = vec![own(1, 1, 2), own(100, 4, 3), own(1_077, 64, 10), own(1_000_000, 3072, 1000)];
        all.extend(DatasetName::ALL.map(|d| DataFacts::builtin(d, None)));
        for facts in all {
            let mut values = Map::new();
            fill(&mut values).expect("no flags given");
            let why = resolve(&mut values, &facts);
            for f in FLAGS {
                let value = &values[f.long];
                if let DefaultRule::Data(_) = f.default {
                    assert!(why.contains_key(f.long), "{facts:?}: no reason for {}", f.long);
                    let text = value.to_string();
                    assert!(
                        super::super::check(f.kind, text.trim_matches('"')).is_ok(),
                        "{facts:?}: {} = {value}",
                        f.long
                    );
                }
            }
        }
    }

    #[test]
    fn data_replaces_the_dataset_and_no_extras_turns_the_extras_off() {
        let mut values = Map::new();
        values.insert("data".into(), "x.csv".into());
        values.insert("no_extras".into(), true.into());
        values.insert("dropout".into(), 0.5.into());
        let why = fill(&mut values).expect("fills");
        assert_eq!(values["dataset"], Value::Null);
        assert_eq!((values["lr_schedule"].as_str(), values["dropout"].as_f64()), (Some("constant"), Some(0.5)));
        assert!(why.contains_key("warmup") && !why.contains_key("dropout"), "{why:?}");
        values.insert("dataset".into(), "mnist".into());
        assert!(fill(&mut values).unwrap_err().contains("--data and -d"));
    }
}
