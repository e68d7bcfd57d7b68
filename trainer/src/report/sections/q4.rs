//! Q4: the sweeps — how many runs each had, by which method, how they ended
//! and which hyper-parameters they varied.

use super::{figure, pct_opt};
use crate::report::Context;
use crate::report::charts::bars::{Bar, Segment, bars};
use crate::report::html::{Section, table};
use crate::report::params::{Axis, Table, fmt_num};
use crate::report::svg::esc;
use crate::report::sweeps::SINGLE_RUNS;

/// Run states in the order they are stacked, with their colours.
pub const STATES: &[(&str, &str)] = &[
    ("finished", "#009E73"),
    ("stopped", "#E69F00"),
    ("failed", "#D55E00"),
    ("interrupted", "#CC79A7"),
    ("running", "#56B4E9"),
];

pub fn render(ctx: &Context) -> Section {
    let mut rows = Vec::new();
    let mut details = Vec::new();
    let mut chart = Vec::new();
    for sweep in &ctx.sweeps {
        let runs: Vec<&crate::report::runs::Run> = sweep.runs.iter().map(|&i| &ctx.runs[i]).collect();
        let configs: Vec<_> = runs.iter().map(|r| &r.config).collect();
        let varied = Table::new(&configs, vec![0.0; runs.len()], Vec::new());
        let varied: Vec<String> = varied
            .params
            .iter()
            .map(|p| match &p.axis {
                Axis::Categorical(levels) => format!("{} ({})", p.name, levels.join(", ")),
                Axis::Numeric { distinct, .. } if distinct.len() <= 6 => {
                    let v: Vec<String> = distinct.iter().map(|x| fmt_num(*x)).collect();
                    format!("{} ({})", p.name, v.join(", "))
                }
                Axis::Numeric { distinct, .. } => format!(
                    "{} ({} values in {}…{})",
                    p.name,
                    distinct.len(),
                    fmt_num(distinct[0]),
                    fmt_num(distinct[distinct.len() - 1])
                ),
            })
            .collect();
        let count = |state: &str| runs.iter().filter(|r| r.state() == state).count();
        let states: Vec<String> =
            STATES.iter().filter(|(s, _)| count(s) > 0).map(|(s, _)| format!("{} {s}", count(s))).collect();
        let best = ctx.best(&sweep.runs);
        let datasets: Vec<&str> = {
            let mut d: Vec<&str> = runs.iter().map(|r| r.dataset()).collect();
            d.sort();
            d.dedup();
            d
        };
        rows.push(vec![
            format!("<b>{}</b>", esc(&sweep.name)),
            esc(sweep.method.as_deref().unwrap_or(if sweep.name == SINGLE_RUNS {
                "single runs"
            } else {
                "not recorded"
            })),
            esc(sweep.metric.as_deref().unwrap_or("–")),
            esc(sweep.early_terminate.as_deref().unwrap_or("none")),
            esc(&datasets.join(", ")),
            format!("{} ({})", runs.len(), esc(&states.join(", "))),
            best.map(|b| {
                format!("<span title=\"{}\">{}</span>", esc(&ctx.runs[b].name), pct_opt(ctx.runs[b].val_accuracy()))
            })
            .unwrap_or_else(|| "–".into()),
        ]);
        details.push(format!(
            "<p><b>{}</b>{}: {} <span class=\"meta\">Varied: {}.</span></p>",
            esc(&sweep.name),
            sweep
                .config_file
                .as_ref()
                .map(|f| format!(" (<code>{}</code>)", esc(&f.display().to_string())))
                .unwrap_or_default(),
            esc(sweep.description.as_deref().unwrap_or(if sweep.config_file.is_some() {
                "no description in its configuration."
            } else {
                "no sweep configuration found beside these runs."
            })),
            if varied.is_empty() { "nothing".into() } else { esc(&varied.join("; ")) }
        ));
        chart.push(Bar {
            label: sweep.name.clone(),
            segments: STATES
                .iter()
                .filter(|(s, _)| count(s) > 0)
                .map(|(s, colour)| Segment {
                    value: count(s) as f64,
                    color: colour.to_string(),
                    title: format!("{} {s}", count(s)),
                })
                .collect(),
            note: format!("{} runs", runs.len()),
        });
    }
    let max = ctx.sweeps.iter().map(|s| s.runs.len()).max().unwrap_or(1) as f64;
    let methods: Vec<String> = {
        let mut m: Vec<String> = ctx.sweeps.iter().filter_map(|s| s.method.clone()).collect();
        m.sort();
        let mut counted: Vec<String> = Vec::new();
        for name in m.iter() {
            if !counted.iter().any(|c| c.starts_with(&format!("{name} "))) {
                counted.push(format!("{name} ×{}", m.iter().filter(|x| *x == name).count()));
            }
        }
        counted
    };
    let stopped = ctx.runs.iter().filter(|r| r.state() == "stopped").count();
    let mut body = format!(
        "<p class=\"lead\">{} runs in {} group{}{}.{}</p>",
        ctx.runs.len(),
        ctx.sweeps.len(),
        if ctx.sweeps.len() == 1 { "" } else { "s" },
        if methods.is_empty() { String::new() } else { format!(" (sweep methods: {})", esc(&methods.join(", "))) },
        if stopped > 0 {
            format!(
                " Early termination stopped {stopped} runs before their last epoch, which saved their remaining epochs for other configurations."
            )
        } else {
            String::new()
        }
    );
    body.push_str(&table(
        &["sweep / group", "method", "metric", "early termination", "dataset", "runs", "best validation accuracy"],
        &rows,
        "sweeps",
    ));
    body.push_str(&details.concat());
    let legend: Vec<String> = STATES.iter().map(|(s, c)| format!("<span style=\"color:{c}\">■</span> {s}")).collect();
    body.push_str(&figure(&bars(&chart, 0.0, max, 260.0, 120.0), "Runs per sweep by how they ended."));
    body.push_str(&format!("<p class=\"meta\">{}</p>", legend.join(" &nbsp; ")));
    Section { id: "q4-sweeps".into(), question: "Q4", title: "The sweeps".into(), body }
}
