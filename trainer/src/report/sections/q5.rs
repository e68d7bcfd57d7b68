//! Q5: the validation accuracy of every run on one dataset, the best marked.

use super::{empty, figure};
use crate::report::charts::scatter::{Point, scatter};
use crate::report::html::Section;
use crate::report::observations::pct;
use crate::report::stats::median;
use crate::report::svg::esc;
use crate::report::{Context, DatasetView};

pub fn render(ctx: &Context, view: &DatasetView) -> Section {
    let scored = ctx.scored(&view.key);
    let title = view.title("Best validation accuracy across runs");
    let Some(best) = ctx.best(&scored) else {
        return Section {
            id: view.id("q5-best"),
            question: "Q5",
            title,
            body: empty(&format!("No {} run has a validation accuracy yet.", view.label)),
        };
    };
    // Colour by sweep; only the sweeps that have scored runs get a legend entry.
    let mut groups: Vec<usize> = scored.iter().filter_map(|&i| ctx.sweep_of(i)).collect();
    groups.sort();
    groups.dedup();
    let points: Vec<Point> = scored
        .iter()
        .map(|&i| Point {
            value: ctx.runs[i].val_accuracy().unwrap_or(0.0),
            label: ctx.runs[i].name.clone(),
            group: ctx.sweep_of(i).and_then(|s| groups.iter().position(|g| *g == s)).unwrap_or(0),
        })
        .collect();
    let names: Vec<String> = groups.iter().map(|&g| ctx.sweeps[g].name.clone()).collect();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let run = &ctx.runs[best];
    let above = |t: f64| values.iter().filter(|&&v| v >= t).count();
    let mut body = format!(
        "<p class=\"lead\"><span class=\"big\">{}</span> best validation accuracy, by <b>{}</b> (run {} of the {} {} runs, in folder order).</p>",
        pct(run.val_accuracy().unwrap_or(0.0)),
        esc(&run.name),
        scored.iter().position(|&i| i == best).map_or(0, |p| p + 1),
        scored.len(),
        esc(&view.label)
    );
    // 85 % and 88 % are landmarks on Fashion-MNIST only; own data has no such scale.
    let landmarks = if view.course {
        format!(" Runs at or above 85%: {}; at or above 88%: {}.", above(0.85), above(0.88))
    } else {
        String::new()
    };
    body.push_str(&format!(
        "<p>Median run: {}.{landmarks} Its best epoch reached {}.</p>",
        pct(median(&values).unwrap_or(0.0)),
        pct(run.best_val_accuracy().unwrap_or(0.0))
    ));
    body.push_str(&figure(
        &scatter(&points, &names, "validation accuracy"),
        "Each dot is one run, coloured by sweep: sweeps in the order of their folders' names, each sweep's runs in the order it started them; the dashed line is the best so far. Hover a dot for its run.",
    ));
    Section { id: view.id("q5-best"), question: "Q5", title, body }
}
