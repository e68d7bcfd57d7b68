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
use crate::report::sweeps::Sweep;
use crate::report::{Context, DatasetView, best_of};

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

/// The loss a sweep's space fixes (`loss: {value: …}`), and that space without it.
fn space_and_loss(sweep: &Sweep) -> Option<(serde_yaml::Mapping, String)> {
    let mut space = sweep.parameters.as_ref()?.as_mapping()?.clone();
    let loss = space.remove("loss")?.get("value")?.as_str()?.to_string();
    Some((space, loss))
}

/// Sweeps that searched one space with each loss: each side's best on
/// validation, scored on the test set — the fair comparison of the two
/// (the best over all runs mixes in whatever else was tried with one loss).
fn matched_searches(sweeps: &[Sweep], runs: &[Run], dataset: &str) -> String {
    let spaces: Vec<(&Sweep, serde_yaml::Mapping, String)> =
        sweeps.iter().filter_map(|s| space_and_loss(s).map(|(space, loss)| (s, space, loss))).collect();
    let best = |sweep: &Sweep| {
        let scored: Vec<usize> = sweep
            .runs
            .iter()
            .copied()
            .filter(|&i| runs[i].dataset() == dataset && runs[i].val_accuracy().is_some())
            .collect();
        best_of(runs, &scored).map(|b| (scored.len(), &runs[b]))
    };
    let mut rows = Vec::new();
    let mut even = Vec::new();
    for (ce, space, loss) in &spaces {
        if loss != LOSSES[0].0 {
            continue;
        }
        for (se, other, other_loss) in &spaces {
            if other_loss != LOSSES[1].0 || other != space {
                continue;
            }
            let (Some((n_ce, b_ce)), Some((n_se, b_se))) = (best(ce), best(se)) else { continue };
            let (Some(t_ce), Some(t_se)) = (b_ce.test_accuracy(), b_se.test_accuracy()) else { continue };
            if n_ce == n_se {
                even.push(format!("{:+.2}", (t_ce - t_se) * 100.0));
            }
            rows.push(vec![
                format!("{} / {}", esc(&ce.name), esc(&se.name)),
                format!("{n_ce} / {n_se}"),
                format!("{} / {}", pct(b_ce.val_accuracy().unwrap_or(0.0)), pct(t_ce)),
                format!("{} / {}", pct(b_se.val_accuracy().unwrap_or(0.0)), pct(t_se)),
                format!("{:+.2}", (t_ce - t_se) * 100.0),
            ]);
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let even = if even.is_empty() {
        "No pair had the same number of runs on both sides".to_string()
    } else {
        format!(
            "Where both searches had the same number of runs, cross-entropy's lead on the test set is {} points \
             (negative: squared error ahead)",
            even.join(", ")
        )
    };
    format!(
        "<h3>Searches of one space with each loss</h3><p>{} pair{} of sweeps searched the same parameters with each \
         loss; each side's best run on validation is scored on the test set. {even}; a search with fewer runs finds \
         less.</p>{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        table(
            &[
                "sweeps (cross-entropy / squared error)",
                "runs",
                "cross-entropy best: val / test",
                "squared error best: val / test",
                "test difference (points)"
            ],
            &rows,
            "searches"
        )
    )
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
    body.push_str(&matched_searches(&ctx.sweeps, &ctx.runs, &view.key));
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

    fn sweep(name: &str, loss: &str, lrs: &str, runs: Vec<usize>) -> Sweep {
        let yaml = format!("loss: {{value: {loss}}}\nlearning_rate: {{values: [{lrs}]}}\nepochs: {{value: 5}}");
        Sweep { name: name.into(), runs, parameters: Some(serde_yaml::from_str(&yaml).unwrap()), ..Sweep::default() }
    }

    fn scored(loss: &str, lr: f64, val: f64, test: f64) -> Run {
        let mut r = run(loss, lr, &[val]);
        r.config.insert("dataset".into(), "fashion_mnist".into());
        r.summary.as_mut().unwrap().test_accuracy = Some(test);
        r
    }

    #[test]
    fn searches_of_one_space_compare_each_losss_best_on_validation() {
        let runs = vec![
            scored("cross_entropy", 0.1, 0.89, 0.880),
            scored("cross_entropy", 0.01, 0.88, 0.885),
            scored("mean_squared_error", 0.1, 0.885, 0.8795),
            scored("mean_squared_error", 0.01, 0.86, 0.86),
            // Another space (one learning rate more): not a match.
            scored("mean_squared_error", 0.3, 0.95, 0.95),
        ];
        let sweeps = vec![
            sweep("ce", "cross_entropy", "0.1, 0.01", vec![0, 1]),
            sweep("se", "mean_squared_error", "0.1, 0.01", vec![2, 3]),
            sweep("se-wider", "mean_squared_error", "0.3, 0.1, 0.01", vec![4]),
        ];
        let text = matched_searches(&sweeps, &runs, "fashion_mnist");
        assert!(text.contains("1 pair of sweeps"), "{text}");
        // Chosen on validation: cross-entropy's 88.0 % test run, not its 88.5 % one.
        assert!(text.contains("cross-entropy's lead on the test set is +0.05 points"), "{text}");
        assert!(!text.contains("se-wider"), "{text}");
        assert_eq!(matched_searches(&sweeps[1..], &runs, "fashion_mnist"), "");
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
