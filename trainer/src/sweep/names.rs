//! Run names in `train`'s style (`hl_4_sz_128_bs_16_ac_ReLU_o_rmsprop_lr_0.0001`)
//! from the swept parameters only, plus the run index so two runs never share
//! a name or a folder.

use super::space::{Config, Space};
use super::value::{Value, python_float};

/// Short names; the first six lead, in this order, as in the course project.
const SHORT: &[(&str, &str)] = &[
    ("num_layers", "hl"),
    ("hidden_size", "sz"),
    ("batch_size", "bs"),
    ("activation", "ac"),
    ("optimizer", "o"),
    ("learning_rate", "lr"),
    ("epochs", "ep"),
    ("weight_decay", "wd"),
    ("weight_init", "wi"),
    ("loss", "l"),
    ("momentum", "m"),
    ("beta", "b"),
    ("beta1", "b1"),
    ("beta2", "b2"),
    ("epsilon", "eps"),
    ("dataset", "d"),
    ("lr_schedule", "sch"),
    ("warmup", "wu"),
    ("label_smoothing", "ls"),
    ("dropout", "do"),
];

pub fn run_name(space: &Space, config: &Config, index: usize) -> String {
    let swept: Vec<&str> = space.swept().collect();
    let mut parts = Vec::new();
    let ordered =
        SHORT.iter().map(|(long, _)| *long).chain(swept.iter().copied().filter(|n| !SHORT.iter().any(|(l, _)| l == n)));
    for long in ordered {
        if !swept.contains(&long) {
            continue;
        }
        let Some(value) = config.get(long) else { continue };
        let short = SHORT.iter().find(|(l, _)| *l == long).map_or(long, |(_, s)| s);
        parts.push(format!("{short}_{}", short_value(value)));
    }
    parts.push(format!("r{index:03}"));
    parts.join("_")
}

/// Values as in `--key=value`, floats cut to 3 significant digits, and
/// anything a file name should not hold replaced by `-`.
fn short_value(v: &Value) -> String {
    let text = match v {
        Value::Float(x) => python_float(format!("{x:.2e}").parse().unwrap_or(*x)),
        other => other.to_string(),
    };
    text.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+') { c } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use super::super::space::Domain;
    use super::*;

    #[test]
    fn names_follow_train_style_with_swept_params_only() {
        let cat = |vals: Vec<Value>| Domain::Categorical { weights: vec![1.0; vals.len()], values: vals };
        let space = Space {
            params: vec![
                ("activation".into(), cat(vec![Value::Str("ReLU".into()), Value::Str("tanh".into())])),
                ("epochs".into(), Domain::Constant(Value::Int(5))),
                ("learning_rate".into(), cat(vec![Value::Float(0.000123456), Value::Float(1e-3)])),
                ("num_layers".into(), cat(vec![Value::Int(3), Value::Int(4)])),
            ],
        };
        let config: Config = [
            ("activation", Value::Str("ReLU".into())),
            ("epochs", Value::Int(5)),
            ("learning_rate", Value::Float(0.000123456)),
            ("num_layers", Value::Int(4)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(run_name(&space, &config, 7), "hl_4_ac_ReLU_lr_0.000123_r007");
    }
}
