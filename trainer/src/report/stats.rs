//! The statistics behind the parameter table: Pearson correlation, and the
//! importance measure, η² (eta squared, the correlation ratio): the share of
//! the metric's variance explained by the parameter's levels,
//! SS_between / SS_total. Continuous parameters are cut into quantile bins
//! first so that a value per run does not explain everything by itself.

use super::params::{Axis, Table};

/// Bins a continuous parameter is cut into for η².
pub const CONTINUOUS_BINS: usize = 4;

pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() { None } else { Some(xs.iter().sum::<f64>() / xs.len() as f64) }
}

pub fn median(xs: &[f64]) -> Option<f64> {
    quantile(xs, 0.5)
}

/// Linear-interpolated quantile `q` in [0, 1].
pub fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (s.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    Some(if i + 1 < s.len() { s[i] * (1.0 - frac) + s[i + 1] * frac } else { s[i] })
}

/// Pearson's r; `None` for fewer than 3 pairs or a constant side.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    if n < 3 {
        return None;
    }
    let (mx, my) = (mean(&xs[..n])?, mean(&ys[..n])?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= f64::EPSILON * n as f64 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// η² of `ys` grouped by `groups` (a group id per sample).
pub fn eta_squared(groups: &[usize], ys: &[f64]) -> Option<f64> {
    let total_mean = mean(ys)?;
    let ss_total: f64 = ys.iter().map(|y| (y - total_mean).powi(2)).sum();
    if ss_total <= 0.0 {
        return None;
    }
    let k = groups.iter().copied().max()? + 1;
    let (mut sum, mut count) = (vec![0.0; k], vec![0usize; k]);
    for (&g, &y) in groups.iter().zip(ys) {
        sum[g] += y;
        count[g] += 1;
    }
    let ss_between: f64 = (0..k)
        .filter(|&g| count[g] > 0)
        .map(|g| count[g] as f64 * (sum[g] / count[g] as f64 - total_mean).powi(2))
        .sum();
    Some((ss_between / ss_total).clamp(0.0, 1.0))
}

/// Equal-count bins by rank (ties share the lower rank's bin).
pub fn quantile_bins(xs: &[f64], bins: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut out = vec![0; xs.len()];
    let mut prev: Option<(f64, usize)> = None;
    for (rank, &i) in order.iter().enumerate() {
        let bin = match prev {
            Some((x, b)) if x == xs[i] => b,
            _ => rank * bins / xs.len().max(1),
        };
        out[i] = bin;
        prev = Some((xs[i], bin));
    }
    out
}

/// One row of the parameter table.
#[derive(Clone, Debug)]
pub struct Importance {
    pub param: usize,
    /// η² of the metric by the parameter's levels (or bins).
    pub eta2: Option<f64>,
    /// `(label, r)`: the value itself for a numeric parameter, one
    /// indicator per level for a categorical one (one-hot).
    pub correlations: Vec<(String, Option<f64>)>,
}

/// Group id of each run on parameter `p` (level, or quantile bin).
pub fn groups(table: &Table, p: usize) -> Vec<usize> {
    let param = &table.params[p];
    if param.is_discrete() {
        table.column(p).map(|c| param.level_of(c).unwrap_or(0)).collect()
    } else {
        let xs: Vec<f64> = table.column(p).map(|c| param.numeric(c).unwrap_or(0.0)).collect();
        quantile_bins(&xs, CONTINUOUS_BINS)
    }
}

/// The table's rows, most important first.
pub fn importance(table: &Table) -> Vec<Importance> {
    let ys = &table.metric;
    let mut rows: Vec<Importance> = (0..table.params.len())
        .map(|p| {
            let param = &table.params[p];
            let correlations = match param.axis {
                Axis::Numeric { .. } => {
                    let xs: Vec<f64> = table.column(p).map(|c| param.numeric(c).unwrap_or(f64::NAN)).collect();
                    vec![(param.name.clone(), pearson(&xs, ys))]
                }
                Axis::Categorical(_) => (0..param.level_count())
                    .map(|level| {
                        let xs: Vec<f64> =
                            table.column(p).map(|c| f64::from(u8::from(param.level_of(c) == Some(level)))).collect();
                        (format!("{}={}", param.name, param.level_label(level)), pearson(&xs, ys))
                    })
                    .collect(),
            };
            Importance { param: p, eta2: eta_squared(&groups(table, p), ys), correlations }
        })
        .collect();
    rows.sort_by(|a, b| b.eta2.unwrap_or(-1.0).total_cmp(&a.eta2.unwrap_or(-1.0)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    #[test]
    fn pearson_matches_hand_computed_values() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        // x = 1..4, y = 1,3,2,4: r = 0.8.
        assert!((pearson(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap() - 0.8).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[1.0, 2.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn eta_squared_is_the_share_of_variance_between_groups() {
        // Groups {1,3} and {5,7}: means 2 and 6, grand mean 4; SS_between = 4*4 = 16, SS_total = 20.
        let eta = eta_squared(&[0, 0, 1, 1], &[1.0, 3.0, 5.0, 7.0]).unwrap();
        assert!((eta - 0.8).abs() < 1e-12);
        assert_eq!(eta_squared(&[0, 1, 0, 1], &[2.0, 2.0, 2.0, 2.0]), None);
        assert!((eta_squared(&[0, 1, 2], &[1.0, 2.0, 3.0]).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn quantiles_and_bins() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(quantile(&[0.0, 10.0], 0.25), Some(2.5));
        assert_eq!(quantile_bins(&[5.0, 1.0, 3.0, 7.0], 2), vec![1, 0, 0, 1]);
        assert_eq!(quantile_bins(&[1.0, 1.0, 1.0, 2.0], 2), vec![0, 0, 0, 1]);
    }

    #[test]
    fn importance_ranks_the_parameter_that_drives_the_metric_first() {
        // Accuracy is set by the activation; the batch size is noise.
        let rows = [
            ("ReLU", 16, 0.88),
            ("ReLU", 32, 0.86),
            ("ReLU", 64, 0.87),
            ("sigmoid", 16, 0.70),
            ("sigmoid", 32, 0.72),
            ("sigmoid", 64, 0.71),
        ];
        let configs: Vec<Value> =
            rows.iter().map(|(a, b, _)| json!({"activation": a, "batch_size": b, "epochs": 10})).collect();
        let maps: Vec<&Map<String, Value>> = configs.iter().map(|c| c.as_object().unwrap()).collect();
        let table = Table::new(&maps, rows.iter().map(|r| r.2).collect(), vec![String::new(); rows.len()]);
        let imp = importance(&table);
        assert_eq!(table.params[imp[0].param].name, "activation");
        assert!(imp[0].eta2.unwrap() > 0.95);
        assert!(imp[1].eta2.unwrap() < 0.05);
        let relu = imp[0].correlations.iter().find(|(l, _)| l == "activation=ReLU").unwrap();
        assert!(relu.1.unwrap() > 0.95);
        let sigmoid = imp[0].correlations.iter().find(|(l, _)| l == "activation=sigmoid").unwrap();
        assert!(sigmoid.1.unwrap() < -0.95);
        assert_eq!(imp[1].correlations.len(), 1);
    }
}
