//! The hyper-parameters that vary across a set of runs, as axes: categorical
//! (a choice) or numeric (ordinal when there are few values, log when they
//! span decades), each run's value on them, and the metric beside them.

use crate::flags::{FLAGS, Kind};
use serde_json::{Map, Value};

/// Numeric parameters with at most this many distinct values are drawn and
/// grouped value by value, like a grid sweep's levels.
pub const MAX_ORDINAL: usize = 8;

#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    /// Levels in the flag table's order (or sorted when not a choice).
    Categorical(Vec<String>),
    /// Distinct values, sorted; `log` when all are positive and span ≥ 10×.
    Numeric { distinct: Vec<f64>, log: bool },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub axis: Axis,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Num(f64),
    Cat(String),
}

/// Runs × varied hyper-parameters, with each run's metric.
#[derive(Clone, Debug)]
pub struct Table {
    pub params: Vec<Param>,
    /// `cells[run][param]`.
    pub cells: Vec<Vec<Cell>>,
    pub metric: Vec<f64>,
    pub names: Vec<String>,
}

/// How a config value is shown (and grouped, for categoricals).
pub fn show(value: &Value) -> String {
    match value {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map(fmt_num).unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

/// A number in at most four significant digits, exponent form for tiny/huge ones.
pub fn fmt_num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{x:.3e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exp}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

pub use crate::reproduce::config_value;

/// The hyper-parameter keys of the flag table, minus the dataset (a report
/// section never mixes datasets).
fn hyper_keys() -> impl Iterator<Item = &'static crate::flags::Flag> {
    FLAGS.iter().filter(|f| f.hyper && f.long != "dataset")
}

impl Table {
    /// Builds the table of the hyper-parameters that take more than one value
    /// among `configs`.
    pub fn new(configs: &[&Map<String, Value>], metric: Vec<f64>, names: Vec<String>) -> Table {
        let mut params = Vec::new();
        let mut columns: Vec<Vec<Cell>> = Vec::new();
        for flag in hyper_keys() {
            let values: Vec<Value> = configs.iter().map(|c| config_value(c, flag.long)).collect();
            let numeric = values.iter().all(|v| v.is_number());
            let cells: Vec<Cell> = values
                .iter()
                .map(|v| match v.as_f64() {
                    Some(x) if numeric => Cell::Num(x),
                    _ => Cell::Cat(show(v)),
                })
                .collect();
            let axis = if numeric {
                let mut distinct: Vec<f64> =
                    cells.iter().filter_map(|c| if let Cell::Num(x) = c { Some(*x) } else { None }).collect();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup();
                let (lo, hi) = (distinct.first().copied().unwrap_or(0.0), distinct.last().copied().unwrap_or(0.0));
                Axis::Numeric { log: lo > 0.0 && hi / lo >= 10.0, distinct }
            } else {
                let mut levels: Vec<String> = Vec::new();
                if let Kind::Choice(names) = flag.kind {
                    levels.extend(names.names().into_iter().map(String::from));
                }
                let mut extra: Vec<String> = cells
                    .iter()
                    .filter_map(|c| if let Cell::Cat(s) = c { Some(s.clone()) } else { None })
                    .filter(|s| !levels.contains(s))
                    .collect();
                extra.sort();
                extra.dedup();
                levels.extend(extra);
                levels.retain(|l| cells.iter().any(|c| matches!(c, Cell::Cat(s) if s == l)));
                Axis::Categorical(levels)
            };
            let param = Param { name: flag.long.to_string(), axis };
            if param.level_count() > 1 {
                params.push(param);
                columns.push(cells);
            }
        }
        let cells = (0..configs.len()).map(|r| columns.iter().map(|col| col[r].clone()).collect()).collect();
        Table { params, cells, metric, names }
    }

    pub fn len(&self) -> usize {
        self.metric.len()
    }

    pub fn is_empty(&self) -> bool {
        self.metric.is_empty()
    }

    pub fn column(&self, p: usize) -> impl Iterator<Item = &Cell> + '_ {
        self.cells.iter().map(move |row| &row[p])
    }
}

impl Param {
    pub fn level_count(&self) -> usize {
        match &self.axis {
            Axis::Categorical(levels) => levels.len(),
            Axis::Numeric { distinct, .. } => distinct.len(),
        }
    }

    /// Drawn and grouped level by level (categorical, or few numeric values).
    pub fn is_discrete(&self) -> bool {
        matches!(self.axis, Axis::Categorical(_)) || self.level_count() <= MAX_ORDINAL
    }

    /// The number correlations use: the value (log10 on a log axis); none for categoricals.
    pub fn numeric(&self, cell: &Cell) -> Option<f64> {
        match (&self.axis, cell) {
            (Axis::Numeric { log: true, .. }, Cell::Num(x)) => Some(x.log10()),
            (Axis::Numeric { .. }, Cell::Num(x)) => Some(*x),
            _ => None,
        }
    }

    /// Index of the level a discrete value falls on.
    pub fn level_of(&self, cell: &Cell) -> Option<usize> {
        match (&self.axis, cell) {
            (Axis::Categorical(levels), Cell::Cat(s)) => levels.iter().position(|l| l == s),
            (Axis::Numeric { distinct, .. }, Cell::Num(x)) => distinct.iter().position(|d| d == x),
            _ => None,
        }
    }

    pub fn level_label(&self, level: usize) -> String {
        match &self.axis {
            Axis::Categorical(levels) => levels[level].clone(),
            Axis::Numeric { distinct, .. } => fmt_num(distinct[level]),
        }
    }

    /// Position of a value on the axis, 0 (bottom) to 1 (top).
    pub fn position(&self, cell: &Cell) -> f64 {
        let n = self.level_count();
        if self.is_discrete() {
            return match self.level_of(cell) {
                Some(i) if n > 1 => i as f64 / (n - 1) as f64,
                _ => 0.5,
            };
        }
        let Axis::Numeric { distinct, log } = &self.axis else { return 0.5 };
        let t = |x: f64| if *log { x.log10() } else { x };
        let (lo, hi) = (t(distinct[0]), t(distinct[distinct.len() - 1]));
        match cell {
            Cell::Num(x) if hi > lo => ((t(*x) - lo) / (hi - lo)).clamp(0.0, 1.0),
            _ => 0.5,
        }
    }

    /// Labelled ticks `(position, label)` for drawing the axis.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        let n = self.level_count();
        if self.is_discrete() {
            return (0..n)
                .map(|i| (if n > 1 { i as f64 / (n - 1) as f64 } else { 0.5 }, self.level_label(i)))
                .collect();
        }
        let Axis::Numeric { distinct, log } = &self.axis else { return Vec::new() };
        let (lo, hi) = (distinct[0], distinct[distinct.len() - 1]);
        let values: Vec<f64> = if *log {
            let steps = 4;
            (0..=steps).map(|k| 10f64.powf(lo.log10() + (hi.log10() - lo.log10()) * k as f64 / steps as f64)).collect()
        } else {
            (0..=4).map(|k| lo + (hi - lo) * k as f64 / 4.0).collect()
        };
        values.into_iter().map(|v| (self.position(&Cell::Num(v)), fmt_num(v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> Table {
        let configs = [
            json!({"activation": "ReLU", "learning_rate": 0.001, "batch_size": 16, "epochs": 5, "weight_decay": 0.0}),
            json!({"activation": "sigmoid", "learning_rate": 0.0001, "batch_size": 32, "epochs": 5, "weight_decay": 0.5}),
            json!({"activation": "tanh", "learning_rate": 0.001, "batch_size": 64, "epochs": 5, "weight_decay": 0.0005}),
        ];
        let maps: Vec<&Map<String, Value>> = configs.iter().map(|c| c.as_object().unwrap()).collect();
        Table::new(&maps, vec![0.8, 0.5, 0.7], vec!["a".into(), "b".into(), "c".into()])
    }

    #[test]
    fn keeps_only_varied_parameters_with_their_kinds() {
        let t = table();
        let names: Vec<&str> = t.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["batch_size", "learning_rate", "weight_decay", "activation"]);
        let act = &t.params[3];
        // The flag table's order, restricted to the levels present.
        assert_eq!(act.axis, Axis::Categorical(vec!["sigmoid".into(), "tanh".into(), "ReLU".into()]));
        assert_eq!(act.position(&t.cells[0][3]), 1.0);
        let lr = &t.params[1];
        assert!(matches!(lr.axis, Axis::Numeric { log: true, .. }));
        assert!((lr.numeric(&Cell::Num(0.001)).unwrap() + 3.0).abs() < 1e-12);
        // 0 rules the log axis out.
        assert!(matches!(t.params[2].axis, Axis::Numeric { log: false, .. }));
        assert_eq!(t.params[2].ticks()[1].1, "5e-4");
    }

    #[test]
    fn formats_numbers_compactly() {
        assert_eq!(fmt_num(0.0001), "1e-4");
        assert_eq!(fmt_num(0.0005), "5e-4");
        assert_eq!(fmt_num(0.001), "0.001");
        assert_eq!(fmt_num(16.0), "16");
        assert_eq!(fmt_num(0.8766), "0.8766");
        assert_eq!(fmt_num(0.30000000000000004), "0.3");
        assert_eq!(fmt_num(1e-8), "1e-8");
    }

    #[test]
    fn runs_from_before_a_flag_existed_count_as_the_feature_off() {
        let configs = [json!({"dropout": 0.2}), json!({})];
        let maps: Vec<&Map<String, Value>> = configs.iter().map(|c| c.as_object().unwrap()).collect();
        let t = Table::new(&maps, vec![0.9, 0.8], vec!["new".into(), "old".into()]);
        let p = t.params.iter().position(|p| p.name == "dropout").expect("dropout varies");
        assert_eq!(t.params[p].axis, Axis::Numeric { distinct: vec![0.0, 0.2], log: false });
    }
}
