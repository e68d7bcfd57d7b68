//! The defaults of own data (`--data`) that follow from its size. The built-in
//! datasets' values are the sweeps' (README, "Defaults"); these rules were chosen
//! on validation data of small tables and image sets (README, "Your own data").

use serde_json::Value;

use super::defaults::{DataRule, SizeRule};

pub static EPOCHS: DataRule = DataRule {
    builtin: "30",
    recipes: &[],
    own: Some(SizeRule { says: "30", value: |_, _| Some((Value::from(30), "30".into())) }),
};

pub static BATCH_SIZE: DataRule = DataRule {
    builtin: "256",
    recipes: &[],
    own: Some(SizeRule { says: "256", value: |_, _| Some((Value::from(256), "256".into())) }),
};

pub static HIDDEN_SIZE: DataRule = DataRule {
    builtin: "768",
    recipes: &[],
    own: Some(SizeRule { says: "768", value: |_, _| Some((Value::from(768), "768".into())) }),
};
