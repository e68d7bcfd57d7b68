//! Q10: taking the Fashion-MNIST lessons to MNIST — the MNIST runs (the
//! course asks for three configurations), their test accuracies, and how
//! they differ from each other.

use super::{command_line, empty, figure, hyper, pct_opt, run_curves};
use crate::report::Context;
use crate::report::charts::bars::{Bar, Segment, bars};
use crate::report::html::{Section, table};
use crate::report::observations::pct;
use crate::report::svg::{esc, palette};

/// Runs whose curves are drawn.
const CURVES: usize = 3;

pub fn render(ctx: &Context) -> Section {
    let title = "MNIST with three configurations".to_string();
    let mut mnist: Vec<usize> = (0..ctx.runs.len()).filter(|&i| ctx.runs[i].is_mnist()).collect();
    if mnist.is_empty() {
        return Section {
            id: "q10-mnist".into(),
            question: "Q10",
            title,
            body: empty("No MNIST run found (dataset = mnist)."),
        };
    }
    let key = |i: usize| ctx.runs[i].test_accuracy().or(ctx.runs[i].val_accuracy()).unwrap_or(f64::NEG_INFINITY);
    mnist.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    // Show what sets the configurations apart, then what they share.
    let all: Vec<Vec<(&str, String)>> = mnist.iter().map(|&i| hyper(&ctx.runs[i])).collect();
    let keys: Vec<&str> = all.first().map(|h| h.iter().map(|(k, _)| *k).collect()).unwrap_or_default();
    let value = |r: usize, k: &str| all[r].iter().find(|(kk, _)| *kk == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let differing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| *k != "dataset" && (0..all.len()).any(|r| value(r, k) != value(0, k)))
        .collect();
    let shared: Vec<String> = keys
        .iter()
        .copied()
        .filter(|k| *k != "dataset" && !differing.contains(k))
        .map(|k| format!("{k} {}", value(0, k)))
        .collect();

    let mut body = format!(
        "<p class=\"lead\">{} MNIST run{}{}. Best test accuracy: <span class=\"big\">{}</span> ({}).</p>",
        mnist.len(),
        if mnist.len() == 1 { "" } else { "s" },
        if mnist.len() == 3 { ", the three configurations the course asks for" } else { "" },
        pct_opt(ctx.runs[mnist[0]].test_accuracy()),
        esc(&ctx.runs[mnist[0]].name)
    );
    let mut headers = vec!["#", "run"];
    headers.extend(differing.iter().copied());
    headers.extend(["validation", "test accuracy", "state"]);
    let rows: Vec<Vec<String>> = mnist
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            let run = &ctx.runs[i];
            let mut row = vec![format!("{}", r + 1), format!("<b>{}</b>", esc(&run.name))];
            row.extend(differing.iter().map(|k| esc(&value(r, k))));
            row.extend([
                pct_opt(run.val_accuracy()),
                format!("<b>{}</b>", pct_opt(run.test_accuracy())),
                esc(run.state()),
            ]);
            row
        })
        .collect();
    body.push_str(&table(&headers, &rows, "mnist"));
    let commands: Vec<String> = mnist
        .iter()
        .enumerate()
        .map(|(r, &i)| format!("<li value=\"{}\"><code>{}</code></li>", r + 1, esc(&command_line(&ctx.runs[i]))))
        .collect();
    body.push_str(&format!(
        "<p class=\"meta\">Commands that reproduce them:</p><ol class=\"meta\">{}</ol>",
        commands.join("")
    ));
    if !shared.is_empty() {
        body.push_str(&format!("<p class=\"meta\">Shared by all: {}.</p>", esc(&shared.join(", "))));
    }
    if let Some(line) = transfer(ctx, &mnist) {
        body.push_str(&format!("<p>{}</p>", esc(&line)));
    }
    let accs: Vec<f64> = mnist.iter().filter_map(|&i| ctx.runs[i].test_accuracy()).collect();
    let lo = accs.iter().copied().fold(1.0f64, f64::min);
    let floor = ((lo * 20.0).floor() / 20.0).clamp(0.0, 0.95);
    let chart: Vec<Bar> = mnist
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            let run = &ctx.runs[i];
            let v = run.test_accuracy().unwrap_or(floor);
            Bar {
                label: format!("#{}", r + 1),
                segments: vec![Segment {
                    value: (v - floor).max(0.0),
                    color: palette(r).into(),
                    title: format!("{}: {}", run.name, pct(v)),
                }],
                note: format!("{} {}", pct_opt(run.test_accuracy()), run.name),
            }
        })
        .collect();
    body.push_str(&figure(
        &bars(&chart, floor, 1.0, 60.0, 430.0),
        &format!("Test accuracy on the 10 000 MNIST test images (axis from {} to 100%).", pct(floor)),
    ));
    body.push_str("<h3>Learning curves</h3>");
    for (r, &i) in mnist.iter().take(CURVES).enumerate() {
        let run = &ctx.runs[i];
        body.push_str(&format!("<h4>#{} {} — test {}</h4>", r + 1, esc(&run.name), pct_opt(run.test_accuracy())));
        body.push_str(&run_curves(run));
    }
    Section { id: "q10-mnist".into(), question: "Q10", title, body }
}

/// How the best Fashion-MNIST configuration did on MNIST, when it was run there.
fn transfer(ctx: &Context, mnist: &[usize]) -> Option<String> {
    let best = ctx.best(&ctx.scored(crate::report::COURSE_DATASET))?;
    let strip = |i: usize| -> Vec<(&str, String)> {
        hyper(&ctx.runs[i]).into_iter().filter(|(k, _)| !matches!(*k, "dataset" | "train_limit" | "seed")).collect()
    };
    let target = strip(best);
    let same = mnist.iter().copied().find(|&i| strip(i) == target)?;
    Some(format!(
        "The best Fashion-MNIST configuration ({} validation accuracy there) reaches {} test accuracy on MNIST as run {}.",
        pct(ctx.runs[best].val_accuracy()?),
        pct_opt(ctx.runs[same].test_accuracy()),
        ctx.runs[same].name
    ))
}
