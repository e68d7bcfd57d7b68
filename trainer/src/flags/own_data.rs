//! The defaults of own data (`--data`) that follow from its size.
//!
//! Chosen on validation accuracy and loss only (issue 20, point 6), in the
//! sweeps `sweeps/small-data*.yaml` on scikit-learn's iris, wine,
//! breast_cancer and digits (108 to 1,294 training rows, three seeds each;
//! results in `results/small-data*/`, the README's "Your own data" tells the
//! story). What they showed: the number of optimizer *steps* decides — runs
//! with fewer than about 300 steps trail (iris at the built-in datasets'
//! batch 256 × 30 epochs makes 30 steps), and from about 600 steps on every
//! batch size and epoch count ties within the seeds' noise. So the batch size
//! gives an epoch about 16 steps (the smaller batches cost less per step) and
//! the epochs reach [`STEPS`]; data large enough for 30 epochs to make that
//! many steps get the built-in datasets' 30 epochs of batch 256. Widths 256
//! and 768 tie on validation there (64 trails on digits), and 256 costs an
//! eighth of the arithmetic: small data — fewer than [`SMALL`] rows, where the
//! batch-size rule stays under 256 — gets 256, larger data 768 (MNIST's
//! width; Fashion-MNIST's recipe has 1,024, see `recipes.rs`). The sweeps
//! measured 108 to 1,294 rows and the built-in ones 54,000: between them the
//! rules are an interpolation, not a measurement.
//!
//! A rule is a [`SizeRule`] in `own`; the flag table, `--help`, `--dry_run`'s
//! `data_defaults`, `config.json` and the console's "defaults from the data"
//! line pick it up from there. The built-in datasets never reach these rules.

use serde_json::Value;

use super::defaults::{DataFacts, DataRule, Resolving, SizeRule};
use crate::data::DatasetName;

/// Optimizer steps the epochs rule reaches at least.
pub const STEPS: usize = 1_000;
/// The built-in datasets' batch size and epochs: the most own data gets.
const MAX_BATCH: usize = 256;
const MIN_EPOCHS: usize = 30;
/// Steps an epoch the batch-size rule aims at.
const STEPS_PER_EPOCH: usize = 16;
const MIN_BATCH: usize = 16;
/// Training rows from which the batch-size rule gives the built-in batch size,
/// and the width rule the built-in width.
pub const SMALL: usize = MAX_BATCH * STEPS_PER_EPOCH;
const SMALL_WIDTH: usize = 256;
const WIDTH: usize = 768;

pub static EPOCHS: DataRule = DataRule {
    builtin: "30",
    recipes: &[],
    own: Some(SizeRule { says: "enough for 1,000 optimizer steps, at least 30", value: epochs }),
};

pub static BATCH_SIZE: DataRule = DataRule {
    builtin: "256",
    recipes: &[],
    own: Some(SizeRule {
        says: "training rows / 16 rounded down to a power of two, within 16..=256",
        value: batch_size,
    }),
};

pub static HIDDEN_SIZE: DataRule = DataRule {
    builtin: "768",
    recipes: &[(DatasetName::FashionMnist, "1024")],
    own: Some(SizeRule { says: "256 below 4,096 training rows, else 768", value: hidden_size }),
};

fn hidden_size(facts: &DataFacts, _: &Resolving) -> Option<(Value, String)> {
    let rows = facts.train_rows;
    let (width, side) = if rows < SMALL { (SMALL_WIDTH, "<") } else { (WIDTH, ">=") };
    Some((width.into(), format!("{rows} training rows {side} {SMALL} -> {width}")))
}

fn batch_size(facts: &DataFacts, _: &Resolving) -> Option<(Value, String)> {
    let rows = facts.train_rows;
    let batch = power_of_two_at_most(rows / STEPS_PER_EPOCH).clamp(MIN_BATCH, MAX_BATCH);
    Some((batch.into(), format!("{rows} training rows / {STEPS_PER_EPOCH} -> {batch}")))
}

/// Reads the batch size, given or derived.
fn epochs(facts: &DataFacts, flags: &Resolving) -> Option<(Value, String)> {
    let batch = flags.usize("batch_size")?.max(1);
    let per_epoch = facts.train_rows.div_ceil(batch).max(1);
    let epochs = STEPS.div_ceil(per_epoch).max(MIN_EPOCHS);
    let reason =
        format!("{per_epoch} steps an epoch at batch {batch} -> {epochs} epochs ({} steps)", epochs * per_epoch);
    Some((epochs.into(), reason))
}

/// The largest power of two `<= n` (1 for 0).
fn power_of_two_at_most(n: usize) -> usize {
    if n == 0 { 1 } else { 1 << n.ilog2() }
}

#[cfg(test)]
mod tests {
    use super::super::defaults::{fill, resolve};
    use super::*;
    use serde_json::Map;

    fn own(rows: usize, given: &[(&str, usize)]) -> (usize, usize, String) {
        let mut values = Map::new();
        values.insert("data".into(), "x.csv".into());
        for (long, v) in given {
            values.insert((*long).into(), (*v).into());
        }
        fill(&mut values).expect("fills");
        let facts = DataFacts { dataset: None, train_rows: rows, inputs: 4, classes: 3 };
        let why = resolve(&mut values, &facts);
        let get = |long: &str| values[long].as_u64().expect("a number") as usize;
        (get("batch_size"), get("epochs"), why.get("epochs").cloned().unwrap_or_default())
    }

    /// Batch size and epochs.
    fn sizes(rows: usize, given: &[(&str, usize)]) -> [usize; 2] {
        let (batch, epochs, _) = own(rows, given);
        [batch, epochs]
    }

    #[test]
    fn small_data_gets_small_batches_and_a_thousand_steps() {
        // iris's 108 training rows: 7 steps an epoch of 16.
        let (batch, epochs, why) = own(108, &[]);
        assert_eq!((batch, epochs), (16, 143), "{why}");
        assert!(why.contains("7 steps an epoch at batch 16 -> 143 epochs (1001 steps)"), "{why}");
        // digits' 1,294: batch 64, 21 steps an epoch.
        assert_eq!(sizes(1_294, &[]), [64, 48]);
        // Any size makes at least 1,000 steps, one row included.
        for rows in [1, 2, 15, 16, 17, 100, 1_000, 4_095, 4_096, 5_000, 50_000, 1_000_000] {
            let (batch, epochs, why) = own(rows, &[]);
            assert!((MIN_BATCH..=MAX_BATCH).contains(&batch), "{rows}: {batch}");
            assert!(epochs >= MIN_EPOCHS && epochs * rows.div_ceil(batch) >= STEPS, "{rows}: {why}");
        }
    }

    #[test]
    fn large_data_gets_the_builtin_datasets_values() {
        assert_eq!(sizes(54_000, &[]), [256, 30]);
        assert_eq!(sizes(9_000, &[]), [256, 30]);
        // The built-in values are what own data grows into.
        for f in [&EPOCHS, &BATCH_SIZE, &HIDDEN_SIZE] {
            let facts = DataFacts { dataset: None, train_rows: 54_000, inputs: 784, classes: 10 };
            let mut values = Map::new();
            values.insert("data".into(), "x.csv".into());
            fill(&mut values).expect("fills");
            resolve(&mut values, &facts);
            let value = (f.own.as_ref().expect("a size rule").value)(&facts, &Resolving(&values));
            assert_eq!(value.expect("resolves").0.to_string(), f.builtin);
        }
    }

    #[test]
    fn small_data_is_narrower() {
        let width = |rows| {
            let facts = DataFacts { dataset: None, train_rows: rows, inputs: 4, classes: 3 };
            let map = Map::new();
            hidden_size(&facts, &Resolving(&map)).expect("resolves").0
        };
        assert_eq!((width(108), width(4_095), width(4_096)), (256.into(), 256.into(), 768.into()));
    }

    #[test]
    fn a_given_batch_size_sets_the_epochs_and_given_epochs_stay() {
        assert_eq!(sizes(108, &[("batch_size", 256)]), [256, 1_000]);
        assert_eq!(sizes(108, &[("epochs", 5)]), [16, 5]);
    }
}
