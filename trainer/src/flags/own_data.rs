//! The defaults of own data (`--data`) that follow from its size.
//!
//! Not chosen yet (issue 20, point 6: rules picked on the validation data of
//! small tables and image sets, and written in the README): until they are,
//! own data gets the built-in datasets' values (README, "Defaults"), and no
//! rule here claims otherwise. A rule is a [`super::SizeRule`] in `own`; the flag
//! table, `--help`, `--dry_run`'s `data_defaults` and the console's "defaults
//! from the data" line pick it up from there.

use super::defaults::DataRule;

pub static EPOCHS: DataRule = DataRule { builtin: "30", recipes: &[], own: None };

pub static BATCH_SIZE: DataRule = DataRule { builtin: "256", recipes: &[], own: None };

pub static HIDDEN_SIZE: DataRule = DataRule { builtin: "768", recipes: &[], own: None };
