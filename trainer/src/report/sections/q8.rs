//! Q8: cross-entropy vs squared error — learning curves of the best run of
//! each loss, the distribution of final validation accuracies, and runs that
//! differ only in the loss compared pair by pair.

use super::{empty, figure};
use crate::report::charts::lines::{Series, YKind, lines};
use crate::report::charts::strip::{Group, strip};
use crate::report::html::{Section, table};
use crate::report::observations::pct;
use crate::report::pairs::{Pair, TIE, Verdict, matched_pairs, near_chance};
use crate::report::runs::Run;
use crate::report::stats::{mean, median};
use crate::report::svg::{esc, palette};
use crate::report::{Context, DatasetView};

const LOSSES: &[(&str, &str)] = &[("cross_entropy", "cross-entropy"), ("mean_squared_error", "squared error")];

/// One sentence on the matched pairs: who wins how often, ties stated
/// (`classes` sets what chance is).
fn pairs_sentence(pairs: &[Pair], classes: usize) -> String {
    let floor = near_chance(classes);
    let count = |v: Verdict| pairs.iter().filter(|p| p.verdict_at(floor) == v).count();
    let (ce, se, chance, close) =
        (count(Verdict::First), count(Verdict::Second), count(Verdict::TieAtChance), count(Verdict::Tie));
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
        why.push(format!(
            "{chance} with neither run above {:.0}%, chance being {:.0}%",
            floor * 100.0,
            100.0 / classes.max(1) as f64
        ));
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
        .filter(|p| matches!(p.verdict_at(floor), Verdict::First | Verdict::Second))
        .map(|p| p.values[0] - p.values[1])
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
fn pairs_table(pairs: &[Pair], classes: usize) -> String {
    let rows: Vec<Vec<String>> = pairs
        .iter()
        .map(|p| {
            let result = match p.verdict_at(near_chance(classes)) {
                Verdict::First => "cross-entropy",
                Verdict::Second => "squared error",
                Verdict::TieAtChance => "tie (both at chance)",
                Verdict::Tie => "tie",
            };
            let names = if p.names[0] == p.names[1] {
                esc(&p.names[0])
            } else {
                format!("{} / {}", esc(&p.names[0]), esc(&p.names[1]))
            };
            let epoch = if p.cut { format!("{} (one run stopped here)", p.epoch) } else { p.epoch.to_string() };
            vec![names, epoch, pct(p.values[0]), pct(p.values[1]), result.to_string()]
        })
        .collect();
    table(&["runs (cross-entropy / squared error)", "epoch", "cross-entropy", "squared error", "ahead"], &rows, "pairs")
}

/// `None` for own data whose runs did not use both losses: the comparison
/// is the course's question, asked of Fashion-MNIST whatever its runs did.
pub fn render(ctx: &Context, view: &DatasetView) -> Option<Section> {
    let title = view.title("Cross-entropy vs squared error");
    let id = view.id("q8-loss");
    let scored = ctx.scored(&view.key);
    let per_loss: Vec<Vec<usize>> =
        LOSSES.iter().map(|(l, _)| scored.iter().copied().filter(|&i| ctx.runs[i].loss() == *l).collect()).collect();
    if !view.course && per_loss.iter().any(Vec::is_empty) {
        return None;
    }
    if per_loss.iter().all(Vec::is_empty) {
        return Some(Section {
            id,
            question: "Q8",
            title,
            body: empty(&format!("No {} run has a validation accuracy yet.", view.label)),
        });
    }
    let mut body = String::new();
    let missing: Vec<&str> = LOSSES.iter().zip(&per_loss).filter(|(_, r)| r.is_empty()).map(|((_, n), _)| *n).collect();
    if !missing.is_empty() {
        body.push_str(&empty(&format!(
            "No {} run used {}: the comparison below is one-sided.",
            view.label,
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
            let mut row = vec![
                esc(name),
                a.len().to_string(),
                pct(mean(a).unwrap_or(0.0)),
                pct(median(a).unwrap_or(0.0)),
                pct(best),
            ];
            // 85 % is a landmark on Fashion-MNIST only.
            if view.course {
                row.push(format!("{:.0}%", 100.0 * a.iter().filter(|&&v| v >= 0.85).count() as f64 / a.len() as f64));
            }
            row
        })
        .collect();
    let scored_runs: Vec<&Run> = scored.iter().map(|&i| &ctx.runs[i]).collect();
    let pairs = matched_pairs(&scored_runs, "loss", [LOSSES[0].0, LOSSES[1].0]);
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
            verdict.push_str(&pairs_sentence(&pairs, view.classes));
        }
        body.push_str(&format!("<p class=\"lead\">{}</p>", esc(&verdict)));
    }
    let headers: &[&str] = if view.course {
        &["loss", "runs", "mean", "median", "best", "runs ≥ 85%"]
    } else {
        &["loss", "runs", "mean", "median", "best"]
    };
    body.push_str(&table(headers, &rows, "losses"));
    if !pairs.is_empty() {
        body.push_str("<h3>Runs that differ only in the loss</h3>");
        body.push_str(&pairs_table(&pairs, view.classes));
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
    Some(Section { id, question: "Q8", title, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pairs::tests::run;

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
        let pairs = matched_pairs(&refs, "loss", ["cross_entropy", "mean_squared_error"]);
        let verdicts: Vec<Verdict> = pairs.iter().map(Pair::verdict).collect();
        use Verdict::*;
        assert_eq!(verdicts, [First, Second, TieAtChance, Tie, TieAtChance]);
        assert_eq!(
            pairs_sentence(&pairs, 10),
            " 5 configurations were run with both losses and nothing else changed. Compared at the last epoch both \
             runs of a pair reached, cross-entropy is ahead in 1 pair, squared error in 1 pair, and 3 pairs tie (2 \
             with neither run above 15%, chance being 10%; 1 within 0.1 point). Over the pairs that do not tie, \
             cross-entropy's lead averages +0.5 points."
        );
    }
}
