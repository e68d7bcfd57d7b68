//! Learning curves (loss and accuracy, train vs validation) of the top runs
//! on one dataset.

use super::{empty, hyper_line, pct_opt, run_curves};
use crate::report::html::Section;
use crate::report::svg::esc;
use crate::report::{Context, DatasetView};

const TOP: usize = 3;

pub fn render(ctx: &Context, view: &DatasetView) -> Section {
    let title = view.title("Learning curves of the top runs");
    let mut scored = ctx.scored(&view.key);
    scored.sort_by(|&a, &b| {
        let key = |i: usize| ctx.runs[i].val_accuracy().unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a))
    });
    if scored.is_empty() {
        return Section {
            id: view.id("curves"),
            question: "Q6–8",
            title,
            body: empty(&format!("No {} run has a validation accuracy yet.", view.label)),
        };
    }
    let mut body = format!(
        "<p>The {} {} runs with the best validation accuracy. A widening gap between the train (solid) and validation (dashed) curves is over-fitting; curves still rising at the end mean more epochs would help.</p>",
        scored.len().min(TOP),
        esc(&view.label)
    );
    for (rank, &i) in scored.iter().take(TOP).enumerate() {
        let run = &ctx.runs[i];
        body.push_str(&format!(
            "<h3>#{} {} — validation {}, test {}</h3><p class=\"meta\">{}</p>",
            rank + 1,
            esc(&run.name),
            pct_opt(run.val_accuracy()),
            pct_opt(run.test_accuracy()),
            esc(&hyper_line(run))
        ));
        body.push_str(&run_curves(run));
    }
    Section { id: view.id("curves"), question: "Q6–8", title, body }
}
