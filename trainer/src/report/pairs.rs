//! Runs that differ in one hyper-parameter alone (every other one, seed
//! included, the same), paired and compared at the last epoch both reached:
//! when hyperband stopped one of them earlier, its partner is read at that
//! epoch (same configuration, same seed, same schedule so far), never later.

use super::runs::Run;
use std::collections::BTreeMap;

/// Fashion-MNIST and MNIST have ten classes: a run below this validation
/// accuracy has learned next to nothing (chance is 10 %).
pub const NEAR_CHANCE: f64 = 0.15;

/// [`NEAR_CHANCE`] for `classes` classes: one and a half times chance.
pub fn near_chance(classes: usize) -> f64 {
    if classes == 0 { NEAR_CHANCE } else { 1.5 / classes as f64 }
}
/// Differences smaller than this (0.1 point, 6 of the 6,000 validation images) are ties.
pub const TIE: f64 = 0.001;

/// Two runs that differ in one hyper-parameter: their validation accuracy
/// after `epoch`, in the order of the two levels compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub values: [f64; 2],
    pub epoch: usize,
    /// The two runs ended after different numbers of epochs.
    pub cut: bool,
    pub names: [String; 2],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The run with the first level is ahead.
    First,
    Second,
    /// Neither run got above chance ([`NEAR_CHANCE`]).
    TieAtChance,
    /// Within [`TIE`] of each other.
    Tie,
}

impl Pair {
    /// The verdict on ten classes.
    pub fn verdict(&self) -> Verdict {
        self.verdict_at(NEAR_CHANCE)
    }

    /// The verdict when runs below `near_chance` have learned next to nothing.
    pub fn verdict_at(&self, near_chance: f64) -> Verdict {
        let [a, b] = self.values;
        if a < near_chance && b < near_chance {
            Verdict::TieAtChance
        } else if (a - b).abs() < TIE {
            Verdict::Tie
        } else if a > b {
            Verdict::First
        } else {
            Verdict::Second
        }
    }
}

/// Validation accuracy after `epoch`, from the run's per-epoch metrics.
fn at_epoch(run: &Run, epoch: usize) -> Option<f64> {
    run.epochs.iter().find(|e| e.epoch == epoch).and_then(|e| e.val_accuracy).filter(|v| v.is_finite())
}

/// The pairs of runs whose `key` is `levels[0]` and `levels[1]` and that
/// agree on every other hyper-parameter, one pair per configuration, in run
/// order. A configuration run twice with one level keeps the run that went
/// furthest.
pub fn matched_pairs(runs: &[&Run], key: &str, levels: [&str; 2]) -> Vec<Pair> {
    let level_of = |run: &Run| -> Option<usize> {
        let dataset =
            crate::data::DatasetName::from_name(run.dataset()).unwrap_or(crate::data::DatasetName::FashionMnist);
        let value = run.text(key).or_else(|| crate::flags::flag(key)?.default.for_builtin(dataset))?;
        levels.iter().position(|l| *l == value)
    };
    let mut by_rest: BTreeMap<String, (usize, [Option<&Run>; 2])> = BTreeMap::new();
    for (order, run) in runs.iter().enumerate() {
        let Some(slot) = level_of(run) else { continue };
        let rest: Vec<String> =
            crate::reproduce::flags(&run.config, &[key]).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let entry = by_rest.entry(rest.join(",")).or_insert((order, [None, None]));
        if entry.1[slot].is_none_or(|kept| kept.epochs.len() < run.epochs.len()) {
            entry.1[slot] = Some(run);
        }
    }
    let mut pairs: Vec<(usize, Pair)> = by_rest
        .into_values()
        .filter_map(|(order, [a, b])| {
            let (a, b) = (a?, b?);
            let last =
                |r: &Run| r.epochs.iter().filter(|e| e.val_accuracy.is_some_and(f64::is_finite)).map(|e| e.epoch).max();
            let (a_last, b_last) = (last(a)?, last(b)?);
            let epoch = a_last.min(b_last);
            let pair = Pair {
                values: [at_epoch(a, epoch)?, at_epoch(b, epoch)?],
                epoch,
                cut: a_last != b_last,
                names: [a.name.clone(), b.name.clone()],
            };
            Some((order, pair))
        })
        .collect();
    pairs.sort_by_key(|(order, _)| *order);
    pairs.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::runs::Epoch;
    use crate::run::metrics::Summary;
    use serde_json::json;

    /// A run with one validation accuracy per epoch.
    pub(crate) fn run(loss: &str, lr: f64, vals: &[f64]) -> Run {
        let config = json!({"loss": loss, "learning_rate": lr, "activation": "ReLU", "seed": 1});
        let epochs: Vec<Epoch> = vals
            .iter()
            .enumerate()
            .map(|(i, &v)| Epoch { epoch: i + 1, val_accuracy: Some(v), ..Epoch::default() })
            .collect();
        let last = vals.last().copied();
        Run {
            dir: Default::default(),
            name: format!("{loss}-{lr}"),
            config: config.as_object().unwrap().clone(),
            epochs,
            summary: Some(Summary {
                state: "finished".into(),
                epochs_done: vals.len(),
                val_accuracy: last,
                best_val_accuracy: last,
                test_accuracy: None,
                test_loss: None,
                wall_seconds: 1.0,
                reason: None,
                weights_digest: None,
            }),
            confusion: None,
            data: None,
            relative: Default::default(),
            sweep_index: None,
        }
    }

    fn values(pairs: &[Pair]) -> Vec<(f64, f64, usize, bool)> {
        pairs.iter().map(|p| (p.values[0], p.values[1], p.epoch, p.cut)).collect()
    }

    #[test]
    fn pairs_only_runs_that_differ_in_the_loss_alone() {
        let runs = [
            run("cross_entropy", 0.001, &[0.88]),
            run("mean_squared_error", 0.001, &[0.85]),
            run("cross_entropy", 0.0001, &[0.80]),
            run("mean_squared_error", 0.01, &[0.50]),
        ];
        let refs: Vec<&Run> = runs.iter().collect();
        assert_eq!(
            values(&matched_pairs(&refs, "loss", ["cross_entropy", "mean_squared_error"])),
            [(0.88, 0.85, 1, false)]
        );
    }

    #[test]
    fn a_pair_cut_short_by_hyperband_is_compared_at_the_earlier_epoch() {
        // Cross-entropy ran all 5 epochs; squared error was stopped after 3.
        let runs = [
            run("cross_entropy", 0.001, &[0.5, 0.6, 0.70, 0.8, 0.9]),
            run("mean_squared_error", 0.001, &[0.55, 0.65, 0.72]),
        ];
        let refs: Vec<&Run> = runs.iter().collect();
        let pairs = matched_pairs(&refs, "loss", ["cross_entropy", "mean_squared_error"]);
        assert_eq!(values(&pairs), [(0.70, 0.72, 3, true)]);
        assert_eq!(pairs[0].verdict(), Verdict::Second);
    }
}
