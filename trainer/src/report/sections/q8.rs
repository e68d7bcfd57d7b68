//! Q8: cross-entropy vs squared error — learning curves of the best run of
//! each loss, the distribution of final validation accuracies, and runs that
//! differ only in the loss compared pair by pair.

use super::{empty, figure};
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

/// Fashion-MNIST has ten classes: a run below this validation accuracy has
/// learned next to nothing (chance is 10 %).
const NEAR_CHANCE: f64 = 0.15;
/// Differences smaller than this (0.1 point, 6 of the 6,000 validation images) are ties.
const TIE: f64 = 0.001;

/// Two runs with the same configuration but the loss, compared at the last
/// epoch both reached: when hyperband stopped one of them earlier, its
/// partner is read at that epoch (same configuration, same seed, same
/// schedule so far), never at a later one.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub cross_entropy: f64,
    pub squared_error: f64,
    pub epoch: usize,
    /// The two runs ended after different numbers of epochs.
    pub cut: bool,
    pub names: [String; 2],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    CrossEntropy,
    SquaredError,
    /// Neither run got above chance.
    TieAtChance,
    /// Within [`TIE`] of each other.
    Tie,
}

impl Pair {
    pub fn verdict(&self) -> Verdict {
        let (ce, se) = (self.cross_entropy, self.squared_error);
        if ce < NEAR_CHANCE && se < NEAR_CHANCE {
            Verdict::TieAtChance
        } else if (ce - se).abs() < TIE {
            Verdict::Tie
        } else if ce > se {
            Verdict::CrossEntropy
        } else {
            Verdict::SquaredError
        }
    }
}

/// Validation accuracy after `epoch`, from the run's per-epoch metrics.
fn at_epoch(run: &Run, epoch: usize) -> Option<f64> {
    run.epochs.iter().find(|e| e.epoch == epoch).and_then(|e| e.val_accuracy).filter(|v| v.is_finite())
}

/// Runs that differ only in their loss (every other hyper-parameter, seed
/// included, the same), one pair per configuration, in run order. A
/// configuration run twice with one loss keeps the run that went furthest.
pub fn matched_pairs(runs: &[&Run]) -> Vec<Pair> {
    let mut by_rest: BTreeMap<String, (usize, [Option<&Run>; 2])> = BTreeMap::new();
    for (order, run) in runs.iter().enumerate() {
        let Some(slot) = LOSSES.iter().position(|(l, _)| *l == run.loss()) else { continue };
        let rest: Vec<String> =
            crate::reproduce::flags(&run.config, &["loss"]).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let entry = by_rest.entry(rest.join(",")).or_insert((order, [None, None]));
        if entry.1[slot].is_none_or(|kept| kept.epochs.len() < run.epochs.len()) {
            entry.1[slot] = Some(run);
        }
    }
    let mut pairs: Vec<(usize, Pair)> = by_rest
        .into_values()
        .filter_map(|(order, [ce, se])| {
            let (ce, se) = (ce?, se?);
            let last =
                |r: &Run| r.epochs.iter().filter(|e| e.val_accuracy.is_some_and(f64::is_finite)).map(|e| e.epoch).max();
            let (ce_last, se_last) = (last(ce)?, last(se)?);
            let epoch = ce_last.min(se_last);
            let pair = Pair {
                cross_entropy: at_epoch(ce, epoch)?,
                squared_error: at_epoch(se, epoch)?,
                epoch,
                cut: ce_last != se_last,
                names: [ce.name.clone(), se.name.clone()],
            };
            Some((order, pair))
        })
        .collect();
    pairs.sort_by_key(|(order, _)| *order);
    pairs.into_iter().map(|(_, p)| p).collect()
}

/// One sentence on the matched pairs: who wins how often, ties stated.
fn pairs_sentence(pairs: &[Pair]) -> String {
    let count = |v: Verdict| pairs.iter().filter(|p| p.verdict() == v).count();
    let (ce, se, chance, close) =
        (count(Verdict::CrossEntropy), count(Verdict::SquaredError), count(Verdict::TieAtChance), count(Verdict::Tie));
    let cut = pairs.iter().filter(|p| p.cut).count();
    let times = |n: usize| if n == 1 { "1 pair".to_string() } else { format!("{n} pairs") };
    let mut s = format!(
        " {} configurations were run with both losses and nothing else changed. Compared at the last epoch both runs of a pair reached",
        pairs.len()
    );
    if cut > 0 {
        s.push_str(&format!(
            " ({} where hyperband stopped one run earlier are compared at that earlier epoch)",
            times(cut)
        ));
    }
    s.push_str(&format!(
        ", cross-entropy is ahead in {}, squared error in {}, and {} tie",
        times(ce),
        times(se),
        times(chance + close)
    ));
    let mut why = Vec::new();
    if chance > 0 {
        why.push(format!("{chance} with neither run above {:.0}%, chance being 10%", NEAR_CHANCE * 100.0));
    }
    if close > 0 {
        why.push(format!("{close} within {:.1} point", TIE * 100.0));
    }
    if !why.is_empty() {
        s.push_str(&format!(" ({})", why.join("; ")));
    }
    s.push('.');
    let decided: Vec<f64> = pairs
        .iter()
        .filter(|p| matches!(p.verdict(), Verdict::CrossEntropy | Verdict::SquaredError))
        .map(|p| p.cross_entropy - p.squared_error)
        .collect();
    if let Some(m) = mean(&decided) {
        s.push_str(&format!(
            " Over the pairs that do not tie, cross-entropy's lead averages {:+.1} points.",
            m * 100.0
        ));
    }
    s
}

/// Every matched pair, for the reader to check the sentence.
fn pairs_table(pairs: &[Pair]) -> String {
    let rows: Vec<Vec<String>> = pairs
        .iter()
        .map(|p| {
            let result = match p.verdict() {
                Verdict::CrossEntropy => "cross-entropy",
                Verdict::SquaredError => "squared error",
                Verdict::TieAtChance => "tie (both at chance)",
                Verdict::Tie => "tie",
            };
            let names = if p.names[0] == p.names[1] {
                esc(&p.names[0])
            } else {
                format!("{} / {}", esc(&p.names[0]), esc(&p.names[1]))
            };
            let epoch = if p.cut { format!("{} (one run stopped here)", p.epoch) } else { p.epoch.to_string() };
            vec![names, epoch, pct(p.cross_entropy), pct(p.squared_error), result.to_string()]
        })
        .collect();
    table(&["runs (cross-entropy / squared error)", "epoch", "cross-entropy", "squared error", "ahead"], &rows, "pairs")
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
            verdict.push_str(&pairs_sentence(&pairs));
        }
        body.push_str(&format!("<p class=\"lead\">{}</p>", esc(&verdict)));
    }
    body.push_str(&table(&["loss", "runs", "mean", "median", "best", "runs ≥ 85%"], &rows, "losses"));
    if !pairs.is_empty() {
        body.push_str("<h3>Runs that differ only in the loss</h3>");
        body.push_str(&pairs_table(&pairs));
    }

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
    use crate::report::runs::Epoch;
    use crate::run::metrics::Summary;
    use serde_json::json;

    /// A run with one validation accuracy per epoch.
    fn run(loss: &str, lr: f64, vals: &[f64]) -> Run {
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
            relative: Default::default(),
            sweep_index: None,
        }
    }

    fn values(pairs: &[Pair]) -> Vec<(f64, f64, usize, bool)> {
        pairs.iter().map(|p| (p.cross_entropy, p.squared_error, p.epoch, p.cut)).collect()
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
        assert_eq!(values(&matched_pairs(&refs)), [(0.88, 0.85, 1, false)]);
    }

    #[test]
    fn a_pair_cut_short_by_hyperband_is_compared_at_the_earlier_epoch() {
        // Cross-entropy ran all 5 epochs; squared error was stopped after 3.
        let runs = [
            run("cross_entropy", 0.001, &[0.5, 0.6, 0.70, 0.8, 0.9]),
            run("mean_squared_error", 0.001, &[0.55, 0.65, 0.72]),
        ];
        let refs: Vec<&Run> = runs.iter().collect();
        let pairs = matched_pairs(&refs);
        assert_eq!(values(&pairs), [(0.70, 0.72, 3, true)]);
        assert_eq!(pairs[0].verdict(), Verdict::SquaredError);
    }

    #[test]
    fn ties_are_stated_not_counted_as_wins() {
        let runs = [
            run("cross_entropy", 0.1, &[0.88]),
            run("mean_squared_error", 0.1, &[0.85]),
            run("cross_entropy", 0.2, &[0.80]),
            run("mean_squared_error", 0.2, &[0.82]),
            run("cross_entropy", 0.3, &[0.1023]),
            run("mean_squared_error", 0.3, &[0.0958]),
            run("cross_entropy", 0.4, &[0.8505]),
            run("mean_squared_error", 0.4, &[0.8500]),
            run("cross_entropy", 0.5, &[0.0958]),
            run("mean_squared_error", 0.5, &[0.0958]),
        ];
        let refs: Vec<&Run> = runs.iter().collect();
        let pairs = matched_pairs(&refs);
        let verdicts: Vec<Verdict> = pairs.iter().map(Pair::verdict).collect();
        use Verdict::*;
        assert_eq!(verdicts, [CrossEntropy, SquaredError, TieAtChance, Tie, TieAtChance]);
        assert_eq!(
            pairs_sentence(&pairs),
            " 5 configurations were run with both losses and nothing else changed. Compared at the last epoch both \
             runs of a pair reached, cross-entropy is ahead in 1 pair, squared error in 1 pair, and 3 pairs tie (2 \
             with neither run above 15%, chance being 10%; 1 within 0.1 point). Over the pairs that do not tie, \
             cross-entropy's lead averages +0.5 points."
        );
    }
}
