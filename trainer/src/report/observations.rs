//! Sentences written from the numbers of a sweep: which levels win, which
//! never get anywhere, what the weak runs have in common, and the
//! configuration to recommend. Every figure comes from the table.

use super::params::{Axis, Table};
use super::stats::{self, Importance, mean, median};

/// The course project looks into the runs below 65 %.
pub const LOW_ACCURACY: f64 = 0.65;
/// At most this many "never exceed" sentences.
const MAX_CEILINGS: usize = 4;

pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Per level of a discrete parameter: (label, metric values).
pub fn by_level(table: &Table, p: usize) -> Vec<(String, Vec<f64>)> {
    let param = &table.params[p];
    let mut out: Vec<(String, Vec<f64>)> =
        (0..param.level_count()).map(|l| (param.level_label(l), Vec::new())).collect();
    for (cell, &y) in table.column(p).zip(&table.metric) {
        if let Some(l) = param.level_of(cell) {
            out[l].1.push(y);
        }
    }
    out.retain(|(_, ys)| !ys.is_empty());
    out
}

fn best(ys: &[f64]) -> f64 {
    ys.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Observations, most telling first.
pub fn observations(table: &Table, importance: &[Importance]) -> Vec<String> {
    let ys = &table.metric;
    let mut out = Vec::new();
    let (Some(med), Some(lo), Some(hi)) =
        (median(ys), ys.iter().copied().reduce(f64::min), ys.iter().copied().reduce(f64::max))
    else {
        return out;
    };
    out.push(format!(
        "Validation accuracy ranges from {} to {} over {} runs (median {}).",
        pct(lo),
        pct(hi),
        ys.len(),
        pct(med)
    ));
    for row in importance {
        let param = &table.params[row.param];
        let eta = row.eta2.map(|e| format!(" (η² = {e:.2})")).unwrap_or_default();
        if param.is_discrete() {
            let mut levels = by_level(table, row.param);
            // Levels seen once are anecdotes; prefer those seen at least twice.
            if levels.iter().filter(|(_, v)| v.len() >= 2).count() >= 2 {
                levels.retain(|(_, v)| v.len() >= 2);
            }
            if levels.len() < 2 {
                continue;
            }
            levels.sort_by(|a, b| mean(&b.1).unwrap_or(0.0).total_cmp(&mean(&a.1).unwrap_or(0.0)));
            let (top, bottom) = (&levels[0], &levels[levels.len() - 1]);
            out.push(format!(
                "{}{eta}: {} runs average {} (best {}, {} runs) vs {} for {} (best {}, {} runs).",
                param.name,
                level_phrase(&param.name, &top.0),
                pct(mean(&top.1).unwrap_or(0.0)),
                pct(best(&top.1)),
                top.1.len(),
                pct(mean(&bottom.1).unwrap_or(0.0)),
                level_phrase(&param.name, &bottom.0),
                pct(best(&bottom.1)),
                bottom.1.len(),
            ));
        } else if let Some((_, Some(r))) = row.correlations.first() {
            let groups = stats::groups(table, row.param);
            let top_bin = groups.iter().copied().max().unwrap_or(0);
            let pick = |bin: usize| -> Vec<f64> {
                groups.iter().zip(ys).filter(|(g, _)| **g == bin).map(|(_, y)| *y).collect()
            };
            let direction = if *r >= 0.0 { "higher" } else { "lower" };
            let log = matches!(param.axis, Axis::Numeric { log: true, .. });
            out.push(format!(
                "{}{eta}: {direction} values go with higher accuracy (r = {r:+.2}{}); the top quarter of its values averages {} vs {} for the bottom quarter.",
                param.name,
                if log { " on log scale" } else { "" },
                pct(mean(&pick(top_bin)).unwrap_or(0.0)),
                pct(mean(&pick(0)).unwrap_or(0.0)),
            ));
        }
    }
    out.extend(ceilings(table, med));
    out.extend(low_runs(table));
    out
}

fn level_phrase(param: &str, level: &str) -> String {
    match param {
        "activation" | "optimizer" | "loss" | "weight_init" | "lr_schedule" => level.to_string(),
        _ => format!("{param} = {level}"),
    }
}

/// Levels whose runs all stay below the median of every run.
fn ceilings(table: &Table, overall_median: f64) -> Vec<String> {
    let mut found: Vec<(f64, String)> = Vec::new();
    for (p, param) in table.params.iter().enumerate() {
        if !param.is_discrete() {
            continue;
        }
        for (label, ys) in by_level(table, p) {
            let top = best(&ys);
            if ys.len() >= 2 && top < overall_median {
                found.push((
                    top,
                    format!(
                        "Runs with {} = {label} never exceed {} ({} runs; the median run reaches {}).",
                        param.name,
                        pct(top),
                        ys.len(),
                        pct(overall_median)
                    ),
                ));
            }
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().take(MAX_CEILINGS).map(|(_, s)| s).collect()
}

/// What the runs below [`LOW_ACCURACY`] have in common: the level most
/// over-represented among them.
fn low_runs(table: &Table) -> Vec<String> {
    let ys = &table.metric;
    let low: Vec<bool> = ys.iter().map(|&y| y < LOW_ACCURACY).collect();
    let n_low = low.iter().filter(|&&l| l).count();
    if n_low == 0 {
        let worst = ys.iter().copied().fold(f64::INFINITY, f64::min);
        return vec![format!("No run stays below {}: the weakest reaches {}.", pct(LOW_ACCURACY), pct(worst))];
    }
    let mut sentence = format!(
        "{n_low} of {} runs ({:.0}%) stay below {}.",
        ys.len(),
        100.0 * n_low as f64 / ys.len() as f64,
        pct(LOW_ACCURACY)
    );
    // (lift, in low, in all, param, level)
    let mut best_lift: Option<(f64, usize, usize, String, String)> = None;
    for (p, param) in table.params.iter().enumerate() {
        if !param.is_discrete() {
            continue;
        }
        for level in 0..param.level_count() {
            let has: Vec<bool> = table.column(p).map(|c| param.level_of(c) == Some(level)).collect();
            let in_all = has.iter().filter(|&&h| h).count();
            let in_low = has.iter().zip(&low).filter(|(h, l)| **h && **l).count();
            if in_low < 2 || in_all == ys.len() {
                continue;
            }
            let lift = (in_low as f64 / n_low as f64) / (in_all as f64 / ys.len() as f64);
            if best_lift.as_ref().is_none_or(|b| lift > b.0 || (lift == b.0 && in_low > b.1)) {
                best_lift = Some((lift, in_low, in_all, param.name.clone(), param.level_label(level)));
            }
        }
    }
    if let Some((lift, in_low, in_all, name, level)) = best_lift.filter(|b| b.0 > 1.2) {
        sentence.push_str(&format!(
            " {in_low} of them use {name} = {level}, which only {:.0}% of all runs use ({in_all} runs; {lift:.1}× over-represented).",
            100.0 * in_all as f64 / ys.len() as f64
        ));
    }
    vec![sentence]
}

/// The best run, and the best level of each parameter by mean accuracy.
#[derive(Clone, Debug)]
pub struct Recommendation {
    pub best_run: usize,
    /// `(parameter, best level by mean, its mean, the best run's level)`.
    pub marginal: Vec<(String, String, f64, String)>,
}

pub fn recommendation(table: &Table) -> Option<Recommendation> {
    let best_run = (0..table.len()).max_by(|&a, &b| table.metric[a].total_cmp(&table.metric[b]))?;
    let mut marginal = Vec::new();
    for (p, param) in table.params.iter().enumerate() {
        if !param.is_discrete() {
            continue;
        }
        let levels = by_level(table, p);
        if let Some((label, ys)) =
            levels.iter().max_by(|a, b| mean(&a.1).unwrap_or(0.0).total_cmp(&mean(&b.1).unwrap_or(0.0)))
        {
            let mine = param.level_of(&table.cells[best_run][p]).map(|l| param.level_label(l)).unwrap_or_default();
            marginal.push((param.name.clone(), label.clone(), mean(ys).unwrap_or(0.0), mine));
        }
    }
    Some(Recommendation { best_run, marginal })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::importance;
    use serde_json::{Map, Value, json};

    fn table(rows: &[(&str, f64, f64)]) -> Table {
        let configs: Vec<Value> = rows.iter().map(|(a, wd, _)| json!({"activation": a, "weight_decay": wd})).collect();
        let maps: Vec<&Map<String, Value>> = configs.iter().map(|c| c.as_object().unwrap()).collect();
        Table::new(&maps, rows.iter().map(|r| r.2).collect(), (0..rows.len()).map(|i| format!("run{i}")).collect())
    }

    #[test]
    fn writes_level_means_ceilings_and_what_low_runs_share() {
        let t = table(&[
            ("ReLU", 0.0, 0.88),
            ("ReLU", 0.0005, 0.86),
            ("ReLU", 0.5, 0.30),
            ("sigmoid", 0.0, 0.72),
            ("sigmoid", 0.0005, 0.70),
            ("sigmoid", 0.5, 0.10),
            ("tanh", 0.0, 0.85),
            ("tanh", 0.0005, 0.84),
        ]);
        let obs = observations(&t, &importance(&t));
        let text = obs.join("\n");
        assert!(text.contains("over 8 runs"), "{text}");
        // weight_decay explains most: 0 → 81.7%, 0.5 → 20.0%.
        assert!(
            text.contains("weight_decay = 0 runs average 81.7% (best 88.0%, 3 runs) vs 20.0% for weight_decay = 0.5"),
            "{text}"
        );
        assert!(
            text.contains("tanh runs average 84.5% (best 85.0%, 2 runs) vs 50.7% for sigmoid (best 72.0%, 3 runs)"),
            "{text}"
        );
        assert!(text.contains("Runs with weight_decay = 0.5 never exceed 30.0% (2 runs"), "{text}");
        assert!(text.contains("2 of 8 runs (25%) stay below 65.0%. 2 of them use weight_decay = 0.5"), "{text}");
        let rec = recommendation(&t).unwrap();
        assert_eq!(rec.best_run, 0);
        let act = rec.marginal.iter().find(|m| m.0 == "activation").unwrap();
        // tanh has the best mean (no 0.5 decay run), although the best run is ReLU.
        assert_eq!((act.1.as_str(), act.3.as_str()), ("tanh", "ReLU"));
    }

    #[test]
    fn says_so_when_no_run_is_weak() {
        let t = table(&[("ReLU", 0.0, 0.88), ("tanh", 0.0, 0.80), ("tanh", 0.5, 0.81)]);
        let text = observations(&t, &importance(&t)).join("\n");
        assert!(text.contains("No run stays below 65.0%: the weakest reaches 80.0%."), "{text}");
        assert!(!text.contains("never exceed"), "{text}");
    }
}
