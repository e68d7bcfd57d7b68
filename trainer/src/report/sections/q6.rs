//! Q6: what worked and what did not — parallel coordinates, the importance
//! and correlation table, observations written from the numbers, and the
//! configuration to recommend.

use super::{command_line, command_line_without, empty, wide_figure};
use crate::flags::AUGMENTATION;
use crate::report::charts::parallel::parallel;
use crate::report::html::{Section, cell_bar, table};
use crate::report::observations::{self, by_level, pct};
use crate::report::params::Table;
use crate::report::runs::Run;
use crate::report::stats::{self, mean};
use crate::report::svg::esc;
use crate::report::{Context, DatasetView};

/// The course project's target accuracy for the recommendation.
const TARGET: f64 = 0.95;

pub fn render(ctx: &Context, view: &DatasetView) -> Section {
    let title = view.title("What worked: parameters, importance and observations");
    let id = view.id("q6-params");
    let scored = ctx.scored(&view.key);
    if scored.len() < 3 {
        let body = empty(&format!(
            "{} {} runs with a validation accuracy: at least 3 are needed to compare configurations.",
            scored.len(),
            view.label
        ));
        return Section { id, question: "Q6", title, body };
    }
    let configs: Vec<_> = scored.iter().map(|&i| &ctx.runs[i].config).collect();
    let metric: Vec<f64> = scored.iter().map(|&i| ctx.runs[i].val_accuracy().unwrap_or(0.0)).collect();
    let names: Vec<String> = scored.iter().map(|&i| ctx.runs[i].name.clone()).collect();
    let table_data = Table::new(&configs, metric, names);
    if table_data.params.is_empty() {
        let body =
            empty(&format!("All {} {} runs share one configuration: nothing to compare.", scored.len(), view.label));
        return Section { id, question: "Q6", title, body };
    }
    let importance = stats::importance(&table_data);
    let mut body = String::new();
    body.push_str(&format!(
        "<p>{} {} runs, {} hyper-parameters that vary. Each line is a run, coloured by validation accuracy (yellow = best).</p><p class=\"brush-info\">Drag along any axis to select the runs that pass through a range.</p>",
        table_data.len(),
        esc(&view.label),
        table_data.params.len()
    ));
    body.push_str(&wide_figure(
        &parallel(&table_data, "val_accuracy"),
        "Parallel coordinates: categorical and few-valued axes are evenly spaced levels; continuous ones are linear, or logarithmic when they span 10× or more.",
    ));

    body.push_str("<h3>Parameter importance and correlation with validation accuracy</h3>");
    body.push_str(&format!(
        "<p>Importance is <b>η² (eta squared, the correlation ratio)</b>: the share of the variance of validation accuracy explained by the parameter's levels (continuous parameters cut into {} equal-count bins), each parameter taken alone. Correlation is Pearson's r between validation accuracy and the value (log₁₀ on log axes), or, for a categorical parameter, with the indicator of each level (one-hot).</p>",
        stats::CONTINUOUS_BINS
    ));
    let rows: Vec<Vec<String>> = importance
        .iter()
        .map(|row| {
            let param = &table_data.params[row.param];
            let corr: Vec<String> = row
                .correlations
                .iter()
                .map(|(label, r)| {
                    let short = label.split_once('=').map_or("r", |(_, v)| v);
                    let text = r.map_or("–".to_string(), |r| format!("{short} {r:+.2}"));
                    cell_bar(*r, true, &text)
                })
                .collect();
            let levels = if param.is_discrete() {
                by_level(&table_data, row.param)
                    .iter()
                    .map(|(l, ys)| {
                        format!(
                            "{} {} <span class=\"meta\">({})</span>",
                            esc(l),
                            pct(mean(ys).unwrap_or(0.0)),
                            ys.len()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            } else {
                format!("{} distinct values", param.level_count())
            };
            vec![
                format!("<b>{}</b>", esc(&param.name)),
                cell_bar(row.eta2, false, &row.eta2.map_or("–".into(), |e| format!("{e:.3}"))),
                corr.join("<br>"),
                levels,
            ]
        })
        .collect();
    body.push_str(&table(
        &["parameter", "importance (η²)", "correlation r", "mean validation accuracy per level (runs)"],
        &rows,
        "importance",
    ));

    body.push_str("<h3>Observations</h3><ul class=\"obs\">");
    for line in observations::observations(&table_data, &importance) {
        body.push_str(&format!("<li>{}</li>", esc(&line)));
    }
    for line in run_outcomes(ctx, &view.key) {
        body.push_str(&format!("<li>{}</li>", esc(&line)));
    }
    body.push_str("</ul>");

    if let Some(rec) = observations::recommendation(&table_data) {
        let run = &ctx.runs[scored[rec.best_run]];
        body.push_str("<div class=\"rec\"><h3>Recommendation</h3>");
        body.push_str(&format!(
            "<p>Use the best run's configuration, <b>{}</b> ({} validation accuracy):</p><p><code>{}</code></p>",
            esc(&run.name),
            pct(table_data.metric[rec.best_run]),
            esc(&command_line(run))
        ));
        let augmentation = augmentation_effect(&scored.iter().map(|&i| &ctx.runs[i]).collect::<Vec<_>>());
        // Where augmented runs have twins, their table answers for the
        // augmentation flags better than averages over unlike runs.
        let disagree: Vec<String> = rec
            .marginal
            .iter()
            .filter(|m| m.1 != m.3)
            .filter(|m| augmentation.is_empty() || !AUGMENTATION.contains(&m.0.as_str()))
            .map(|m| format!("{} = {} ({} on average; the best run uses {})", m.0, m.1, pct(m.2), m.3))
            .collect();
        if disagree.is_empty() {
            body.push_str("<p>It uses the level with the best average accuracy on every discrete parameter.</p>");
        } else {
            body.push_str(&format!(
                "<p>Levels with a better average than the best run's choice (worth a try, though averages mix in other settings): {}.</p>",
                esc(&disagree.join("; "))
            ));
        }
        if view.course {
            body.push_str(&format!("<p>{}</p>", esc(&toward_target(run, table_data.metric[rec.best_run]))));
        }
        body.push_str(&seed_repeats(ctx, &scored));
        body.push_str(&augmentation);
        body.push_str("</div>");
    }
    Section { id, question: "Q6", title, body }
}

/// The runs of one configuration over several seeds.
struct Repeats<'a> {
    runs: &'a [usize],
    mean_val: f64,
    min_val: f64,
    max_val: f64,
    mean_test: Option<f64>,
}

impl<'a> Repeats<'a> {
    fn of(ctx: &Context, runs: &'a [usize]) -> Option<Self> {
        let vals: Vec<f64> = runs.iter().filter_map(|&i| ctx.runs[i].val_accuracy()).collect();
        let tests: Vec<f64> = runs.iter().filter_map(|&i| ctx.runs[i].test_accuracy()).collect();
        Some(Repeats {
            runs,
            mean_val: mean(&vals)?,
            min_val: vals.iter().copied().fold(f64::INFINITY, f64::min),
            max_val: vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mean_test: mean(&tests),
        })
    }
}

/// Two decimals: seed repeats differ by tenths of a point.
fn pct2(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Configurations run with several seeds, by mean validation accuracy: a
/// single run's accuracy moves with the seed (which also redraws the
/// validation split), so a choice between close configurations rests on the
/// mean. Empty when no configuration was repeated.
fn seed_repeats(ctx: &Context, scored: &[usize]) -> String {
    let groups = draws_by_configuration(&scored.iter().map(|&i| &ctx.runs[i]).collect::<Vec<_>>());
    let groups: Vec<Vec<usize>> = groups.into_iter().map(|g| g.into_iter().map(|k| scored[k]).collect()).collect();
    let seed_of = |i: usize| crate::report::params::config_value(&ctx.runs[i].config, "seed").as_u64();
    let seeds_of = |runs: &[usize]| {
        let mut seeds: Vec<Option<u64>> = runs.iter().map(|&i| seed_of(i)).collect();
        seeds.sort();
        seeds.dedup();
        seeds
    };
    let repeated: Vec<Vec<usize>> = groups.into_iter().filter(|runs| seeds_of(runs).len() >= 2).collect();
    // Every configuration is compared over the same seeds, when they share at
    // least two: more seeds of one must not move its mean and not the others'.
    let seeds: Vec<Vec<Option<u64>>> = repeated.iter().map(|runs| seeds_of(runs)).collect();
    let shared: Vec<Option<u64>> = seeds
        .first()
        .map_or(Vec::new(), |first| first.iter().copied().filter(|s| seeds.iter().all(|g| g.contains(s))).collect());
    let compared: Vec<Vec<usize>> = if shared.len() >= 2 {
        repeated.iter().map(|runs| runs.iter().copied().filter(|&i| shared.contains(&seed_of(i))).collect()).collect()
    } else {
        repeated
    };
    let mut repeated: Vec<Repeats> = compared.iter().filter_map(|runs| Repeats::of(ctx, runs)).collect();
    if repeated.is_empty() {
        return String::new();
    }
    repeated.sort_by(|a, b| b.mean_val.total_cmp(&a.mean_val));
    let rows: Vec<Vec<String>> = repeated
        .iter()
        .map(|r| {
            vec![
                esc(&ctx.runs[r.runs[0]].name),
                r.runs.len().to_string(),
                pct2(r.mean_val),
                format!("{}–{}", pct2(r.min_val), pct2(r.max_val)),
                r.mean_test.map_or("–".into(), pct2),
            ]
        })
        .collect();
    let best = &repeated[0];
    let widest = repeated.iter().map(|r| r.max_val - r.min_val).fold(0.0, f64::max);
    let means_span = best.mean_val - repeated.last().map_or(best.mean_val, |r| r.mean_val);
    let command = command_line_without(&ctx.runs[best.runs[0]], &["seed"]);
    format!(
        "<h3>Seed repeats</h3><p>{} configurations ran with several seeds. Between seeds, one configuration's validation \
         accuracy moved by up to {:.2} points, while the configurations' means lie within {:.2} points of each other, \
         so the best mean depends least on one draw: <b>{}</b> validation accuracy on average over {} runs of {} \
         seeds{} (test accuracy is shown, not used to choose; a seed run again on other code that gave other bits is \
         another draw):</p><p><code>{}</code></p>{}",
        repeated.len(),
        widest * 100.0,
        means_span * 100.0,
        pct2(best.mean_val),
        best.runs.len(),
        seeds_of(best.runs).len(),
        if shared.len() >= 2 { ", the seeds every configuration here ran with" } else { "" },
        esc(&command),
        table(&["first run", "runs", "mean val", "val range", "mean test"], &rows, "seeds")
    )
}

/// `runs` (as indices) grouped by configuration, each group in folder order
/// with one run per draw. The same configuration and seed give the same bits,
/// so a run repeated in another sweep is one draw, not two; the same seed on
/// other code (other bits, so other accuracies) is another draw.
fn draws_by_configuration(runs: &[&Run]) -> Vec<Vec<usize>> {
    let draw =
        |run: &Run| (crate::report::params::config_value(&run.config, "seed"), run.val_accuracy(), run.test_accuracy());
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let key = config_key(run, &["seed"]);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) if group.iter().any(|&j| draw(runs[j]) == draw(run)) => {}
            Some((_, group)) => group.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// A run's hyper-parameters less `left_out` ([`crate::reproduce::flags`]),
/// as one comparable string, numbers as f64 so that `0` and `0.0` are one
/// value.
fn config_key(run: &Run, left_out: &[&str]) -> String {
    crate::reproduce::flags(&run.config, left_out)
        .into_iter()
        .map(|(flag, value)| format!("{flag}={}", value.parse::<f64>().map_or(value, |x| x.to_string())))
        .collect::<Vec<_>>()
        .join(",")
}

/// The augmentation a run trained with, e.g. `shift 1, flip 0.5`; empty for none.
fn transforms(run: &Run) -> String {
    AUGMENTATION
        .iter()
        .filter_map(|&k| {
            let v = crate::report::params::config_value(&run.config, k).as_f64().unwrap_or(0.0);
            (v != 0.0).then(|| format!("{k} {v}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What augmentation did here: each augmented run against its twin without
/// augmentation (the same configuration and seed). Empty when no augmented
/// run has a twin.
fn augmentation_effect(runs: &[&Run]) -> String {
    let twin_key = |run: &Run| config_key(run, &AUGMENTATION);
    let plain: Vec<&Run> = runs.iter().copied().filter(|r| transforms(r).is_empty()).collect();
    let mut rows = Vec::new();
    let mut diffs = Vec::new();
    for &run in runs {
        let (what, Some(val)) = (transforms(run), run.val_accuracy()) else { continue };
        if what.is_empty() {
            continue;
        }
        let Some(twin) = plain.iter().find(|r| twin_key(r) == twin_key(run)) else { continue };
        let Some(twin_val) = twin.val_accuracy() else { continue };
        diffs.push(val - twin_val);
        rows.push((
            val - twin_val,
            vec![esc(&what), pct2(val), pct2(twin_val), format!("{:+.2}", (val - twin_val) * 100.0)],
        ));
    }
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let helped = diffs.iter().filter(|&&d| d > 0.0).count();
    let best = rows[0].0;
    let verdict = if best > 0.0 {
        format!("the best transform gained {:+.2} points", best * 100.0)
    } else {
        format!("every transform cost validation accuracy, the least {:.2} points", -best * 100.0)
    };
    format!(
        "<h3>Augmentation</h3><p>{} runs trained with augmentation beside the same configuration and seed without it; \
         {helped} of them did better on validation, and {verdict} (mean {:+.2} points).</p>{}",
        rows.len(),
        mean(&diffs).unwrap_or(0.0) * 100.0,
        table(
            &["augmentation", "val", "twin without it", "difference (points)"],
            &rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
            "augmentation"
        )
    )
}

/// How far the best run is from the course's 95 %, and whether it was still improving.
fn toward_target(run: &crate::report::runs::Run, best: f64) -> String {
    let mut s = if best >= TARGET {
        format!("It reaches the course project's {} target.", pct(TARGET))
    } else {
        format!("It is {:.1} points short of the course project's {} target.", (TARGET - best) * 100.0, pct(TARGET))
    };
    let vals: Vec<f64> = run.epochs.iter().filter_map(|e| e.val_accuracy).collect();
    let trains: Vec<f64> = run.epochs.iter().filter_map(|e| e.accuracy).collect();
    if let [.., a, b] = vals[..] {
        // A tenth of a point is within a validation split's noise, and a
        // cosine schedule's last epochs barely move the weights.
        if b - a > 0.001 {
            s.push_str(&format!(
                " Its validation accuracy was still rising at the last epoch (+{:.2} points), so more epochs should help.",
                (b - a) * 100.0
            ));
        } else {
            s.push_str(&format!(
                " Its validation accuracy had levelled off by the last epoch ({:+.2} points), so more epochs alone will not close the gap.",
                (b - a) * 100.0
            ));
        }
    }
    if let (Some(t), Some(v)) = (trains.last(), vals.last())
        && t - v > 0.03
    {
        let value = |k: &str| crate::report::params::config_value(&run.config, k).as_f64().unwrap_or(0.0);
        let on: Vec<String> = ["dropout", "label_smoothing", "weight_decay"]
            .iter()
            .filter(|k| value(k) > 0.0)
            .map(|k| format!("{} {}", k.replace('_', " "), value(k)))
            .collect();
        let next = if on.is_empty() {
            "more regularisation (dropout, label smoothing, weight decay) is the next thing to try".to_string()
        } else {
            format!(
                "the gap is generalisation, not fitting, and it remains with {} already on; the augmentation runs below \
                 (where there are any) show whether transformed images close it",
                on.join(", ")
            )
        };
        s.push_str(&format!(
            " Train accuracy ({}) is {:.1} points above validation: {next}.",
            pct(*t),
            (t - v) * 100.0
        ));
    }
    s
}

/// Sentences about the runs on `dataset` that did not finish normally.
fn run_outcomes(ctx: &Context, dataset: &str) -> Vec<String> {
    let runs: Vec<&crate::report::runs::Run> = ctx.runs.iter().filter(|r| r.dataset() == dataset).collect();
    let mut out = Vec::new();
    let failed: Vec<&&crate::report::runs::Run> = runs.iter().filter(|r| r.state() == "failed").collect();
    if !failed.is_empty() {
        let mut reasons: Vec<String> =
            failed.iter().filter_map(|r| r.summary.as_ref().and_then(|s| s.reason.clone())).collect();
        reasons.sort();
        reasons.dedup();
        out.push(format!(
            "{} runs failed{}{}.",
            failed.len(),
            if reasons.is_empty() { "" } else { ": " },
            reasons.into_iter().take(3).collect::<Vec<_>>().join("; ")
        ));
    }
    let stopped = runs.iter().filter(|r| r.state() == "stopped").count();
    if stopped > 0 {
        let epochs: Vec<f64> = runs.iter().filter(|r| r.state() == "stopped").map(|r| r.epochs.len() as f64).collect();
        out.push(format!(
            "{stopped} runs were stopped early by the sweep's early termination, after {:.1} epochs on average.",
            mean(&epochs).unwrap_or(0.0)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pairs::tests::run;

    fn with(mut run: Run, key: &str, value: f64) -> Run {
        run.config.insert(key.into(), value.into());
        run
    }

    #[test]
    fn augmented_runs_are_compared_with_their_twin_only() {
        let plain = run("cross_entropy", 0.1, &[0.91]);
        let shifted = with(run("cross_entropy", 0.1, &[0.90]), "shift", 1.0);
        let flipped = with(run("cross_entropy", 0.1, &[0.9120]), "flip", 0.5);
        // No twin: another learning rate.
        let lonely = with(run("cross_entropy", 0.2, &[0.99]), "erase", 0.3);
        let text = augmentation_effect(&[&plain, &shifted, &flipped, &lonely]);
        assert!(text.contains("2 runs trained with augmentation"), "{text}");
        assert!(text.contains("1 of them did better"), "{text}");
        assert!(text.contains("the best transform gained +0.20 points"), "{text}");
        assert!(text.contains("(mean -0.40 points)"), "{text}");
        assert!(!text.contains("erase"), "{text}");
        assert!(text.find("flip 0.5").unwrap() < text.find("shift 1").unwrap(), "best first: {text}");
        // Another seed is not a twin either.
        let other_seed = with(plain.clone(), "seed", 2.0);
        assert_eq!(augmentation_effect(&[&other_seed, &shifted]), "");
    }

    #[test]
    fn a_seed_run_again_counts_once_with_the_same_bits_and_twice_with_other_bits() {
        let first = run("cross_entropy", 0.1, &[0.91]);
        let copy = first.clone();
        let other_bits = run("cross_entropy", 0.1, &[0.9125]);
        let seed_2 = with(run("cross_entropy", 0.1, &[0.915]), "seed", 2.0);
        let other_config = run("cross_entropy", 0.2, &[0.91]);
        let groups = draws_by_configuration(&[&first, &copy, &other_config, &other_bits, &seed_2]);
        assert_eq!(groups, vec![vec![0, 3, 4], vec![2]]);
    }

    #[test]
    fn more_epochs_are_suggested_only_for_a_rise_above_the_noise() {
        let flat = toward_target(&run("cross_entropy", 0.1, &[0.90, 0.9102, 0.9105]), 0.9105);
        assert!(flat.contains("levelled off by the last epoch (+0.03 points)"), "{flat}");
        let rising = toward_target(&run("cross_entropy", 0.1, &[0.90, 0.905]), 0.905);
        assert!(rising.contains("still rising at the last epoch (+0.50 points)"), "{rising}");
        assert!(rising.contains("4.5 points short of the course project's 95.0% target"), "{rising}");
    }

    #[test]
    fn a_loss_to_every_transform_is_said_as_such() {
        let plain = run("cross_entropy", 0.1, &[0.91]);
        let shifted = with(run("cross_entropy", 0.1, &[0.90]), "shift", 1.0);
        let text = augmentation_effect(&[&plain, &shifted]);
        assert!(text.contains("every transform cost validation accuracy, the least 1.00 points"), "{text}");
    }
}
