//! Q8: cross-entropy vs squared error — learning curves of the best run of
//! each loss, the distribution of final validation accuracies, and runs that
//! differ only in the loss compared pair by pair.

use super::{empty, figure, hyper};
use crate::report::Context;
use crate::report::charts::lines::{Series, YKind, lines};
use crate::report::charts::strip::{Group, strip};
use crate::report::html::{Section, table};
use crate::report::observations::pct;
use crate::report::runs::Run;
use crate::report::stats::{mean, median};
use crate::report::svg::{esc, palette};
use std::collections::BTreeMap;

const LOSSES: &[(&str, &str)] = &[("cross_entropy", "cross-entropy"), ("mean_squared_error", "squared error")];

/// Runs that differ only in their loss: `(cross-entropy accuracy, squared-error accuracy)`.
pub fn matched_pairs(runs: &[&Run]) -> Vec<(f64, f64)> {
    let mut by_rest: BTreeMap<String, [Vec<f64>; 2]> = BTreeMap::new();
    for run in runs {
        let Some(v) = run.val_accuracy() else { continue };
        let Some(slot) = LOSSES.iter().position(|(l, _)| *l == run.loss()) else { continue };
        let rest: Vec<String> =
            hyper(run).into_iter().filter(|(k, _)| *k != "loss").map(|(k, v)| format!("{k}={v}")).collect();
        by_rest.entry(rest.join(",")).or_default()[slot].push(v);
    }
    by_rest.values().filter_map(|[ce, mse]| Some((mean(ce)?, mean(mse)?))).collect()
}

pub fn render(ctx: &Context) -> Section {
    let title = "Cross-entropy vs squared error".to_string();
    let scored = ctx.scored(false);
    let per_loss: Vec<Vec<usize>> =
        LOSSES.iter().map(|(l, _)| scored.iter().copied().filter(|&i| ctx.runs[i].loss() == *l).collect()).collect();
    if per_loss.iter().all(Vec::is_empty) {
        return Section {
            id: "q8-loss",
            question: "Q8",
            title,
            body: empty("No Fashion-MNIST run has a validation accuracy yet."),
        };
    }
    let mut body = String::new();
    let missing: Vec<&str> = LOSSES.iter().zip(&per_loss).filter(|(_, r)| r.is_empty()).map(|((_, n), _)| *n).collect();
    if !missing.is_empty() {
        body.push_str(&empty(&format!(
            "No Fashion-MNIST run used {}: the comparison below is one-sided.",
            missing.join(", ")
        )));
    }

    // Summary table and the verdict.
    let accs: Vec<Vec<f64>> =
        per_loss.iter().map(|r| r.iter().filter_map(|&i| ctx.runs[i].val_accuracy()).collect()).collect();
    let rows: Vec<Vec<String>> = LOSSES
        .iter()
        .zip(&accs)
        .filter(|(_, a)| !a.is_empty())
        .map(|((_, name), a)| {
            let best = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            vec![
                esc(name),
                a.len().to_string(),
                pct(mean(a).unwrap_or(0.0)),
                pct(median(a).unwrap_or(0.0)),
                pct(best),
                format!("{:.0}%", 100.0 * a.iter().filter(|&&v| v >= 0.85).count() as f64 / a.len() as f64),
            ]
        })
        .collect();
    let fashion: Vec<&Run> = scored.iter().map(|&i| &ctx.runs[i]).collect();
    let pairs = matched_pairs(&fashion);
    if let ([ce, mse], true) = (&accs[..], !accs.iter().any(Vec::is_empty)) {
        let (ce_best, mse_best) = (
            ce.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mse.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        let winner = if ce_best >= mse_best { "Cross-entropy" } else { "Squared error" };
        let mut verdict = format!(
            "{winner} reaches the higher best validation accuracy ({} vs {}); the medians are {} for cross-entropy and {} for squared error.",
            pct(ce_best.max(mse_best)),
            pct(ce_best.min(mse_best)),
            pct(median(ce).unwrap_or(0.0)),
            pct(median(mse).unwrap_or(0.0))
        );
        if !pairs.is_empty() {
            let wins = pairs.iter().filter(|(a, b)| a > b).count();
            let diffs: Vec<f64> = pairs.iter().map(|(a, b)| a - b).collect();
            verdict.push_str(&format!(
                " In {} configurations run with both losses and nothing else changed, cross-entropy wins {wins} times, by {:+.1} points on average.",
                pairs.len(),
                mean(&diffs).unwrap_or(0.0) * 100.0
            ));
        }
        body.push_str(&format!("<p class=\"lead\">{}</p>", esc(&verdict)));
    }
    body.push_str(&table(&["loss", "runs", "mean", "median", "best", "runs ≥ 85%"], &rows, "losses"));

    // Learning curves of the best run of each loss.
    let bests: Vec<(usize, &str, usize)> =
        LOSSES.iter().enumerate().filter_map(|(k, (_, name))| ctx.best(&per_loss[k]).map(|b| (k, *name, b))).collect();
    let mut acc_series = Vec::new();
    for &(k, name, b) in &bests {
        let run = &ctx.runs[b];
        let pts = |f: fn(&crate::report::runs::Epoch) -> Option<f64>| -> Vec<(f64, f64)> {
            run.epochs.iter().filter_map(|e| f(e).map(|v| (e.epoch as f64, v))).collect()
        };
        acc_series.push(Series {
            label: format!("{name}: train"),
            color: palette(k).into(),
            dashed: false,
            points: pts(|e| e.accuracy),
        });
        acc_series.push(Series {
            label: format!("{name}: validation"),
            color: palette(k).into(),
            dashed: true,
            points: pts(|e| e.val_accuracy),
        });
    }
    body.push_str("<h3>Learning curves of the best run of each loss</h3>");
    let names: Vec<String> = bests.iter().map(|&(_, name, b)| format!("{name}: {}", ctx.runs[b].name)).collect();
    body.push_str(&format!("<p class=\"meta\">{}</p>", esc(&names.join(" · "))));
    body.push_str(&figure(
        &lines(&acc_series, "accuracy per epoch (solid = train, dashed = validation)", "accuracy", YKind::Percent, 900.0),
        "Accuracy is comparable across losses; the loss values are not (different scales), so each loss has its own chart below.",
    ));
    body.push_str("<div class=\"curves\">");
    for &(k, name, b) in &bests {
        let run = &ctx.runs[b];
        let pts = |f: fn(&crate::report::runs::Epoch) -> Option<f64>| -> Vec<(f64, f64)> {
            run.epochs.iter().filter_map(|e| f(e).map(|v| (e.epoch as f64, v))).collect()
        };
        let series = [
            Series { label: "train".into(), color: palette(k).into(), dashed: false, points: pts(|e| e.loss) },
            Series { label: "validation".into(), color: palette(k).into(), dashed: true, points: pts(|e| e.val_loss) },
        ];
        body.push_str(&format!(
            "<div class=\"figure\">{}</div>",
            lines(&series, &format!("{name} loss"), "loss", YKind::Plain, 540.0)
        ));
    }
    body.push_str("</div>");

    // Distribution of final validation accuracies.
    let groups: Vec<Group> = LOSSES
        .iter()
        .enumerate()
        .filter(|(k, _)| !per_loss[*k].is_empty())
        .map(|(k, (_, name))| Group {
            label: name.to_string(),
            color: palette(k).into(),
            values: per_loss[k]
                .iter()
                .filter_map(|&i| ctx.runs[i].val_accuracy().map(|v| (v, ctx.runs[i].name.clone())))
                .collect(),
        })
        .collect();
    body.push_str("<h3>Final validation accuracy of every run, by loss</h3>");
    body.push_str(&figure(&strip(&groups, "validation accuracy"), "Each dot is a run; the box spans the middle half of the runs, the thick line is the median, the whisker the range."));
    Section { id: "q8-loss", question: "Q8", title, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::metrics::Summary;
    use serde_json::json;

    fn run(loss: &str, lr: f64, val: f64) -> Run {
        let config = json!({"loss": loss, "learning_rate": lr, "activation": "ReLU"});
        Run {
            dir: Default::default(),
            name: format!("{loss}-{lr}"),
            config: config.as_object().unwrap().clone(),
            epochs: Vec::new(),
            summary: Some(Summary {
                state: "finished".into(),
                epochs_done: 1,
                val_accuracy: Some(val),
                best_val_accuracy: Some(val),
                test_accuracy: None,
                test_loss: None,
                wall_seconds: 1.0,
                reason: None,
                weights_digest: None,
            }),
            confusion: None,
            relative: Default::default(),
            sweep_index: None,
        }
    }

    #[test]
    fn pairs_only_runs_that_differ_in_the_loss_alone() {
        let runs = [
            run("cross_entropy", 0.001, 0.88),
            run("mean_squared_error", 0.001, 0.85),
            run("cross_entropy", 0.0001, 0.80),
            run("mean_squared_error", 0.01, 0.50),
        ];
        let refs: Vec<&Run> = runs.iter().collect();
        assert_eq!(matched_pairs(&refs), vec![(0.88, 0.85)]);
    }
}
