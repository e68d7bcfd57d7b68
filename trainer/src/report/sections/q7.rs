//! Q7: the best model (chosen on validation accuracy) on the test set: its
//! accuracy, the confusion matrix as a heat map, per-class precision, recall
//! and F1, and the most confused pairs with the test images involved.

use super::{command_line, empty, figure, hyper_line, pct_opt};
use crate::report::charts::gallery::{Tile, gallery};
use crate::report::charts::heatmap::heatmap;
use crate::report::html::{Section, cell_bar, table};
use crate::report::images::TestSet;
use crate::report::observations::pct;
use crate::report::svg::esc;
use crate::report::{Context, DatasetView};
use crate::run::metrics::Confusion;

/// Confused (true, predicted) cells shown with their images.
const PAIRS: usize = 6;

/// Per class: (support, precision, recall, F1).
pub fn per_class(c: &Confusion) -> Vec<(u64, f64, f64, f64)> {
    let n = c.classes.len();
    (0..n)
        .map(|k| {
            let support: u64 = c.matrix[k].iter().sum();
            let predicted: u64 = c.matrix.iter().map(|r| r[k]).sum();
            let hit = c.matrix[k][k] as f64;
            let precision = if predicted > 0 { hit / predicted as f64 } else { 0.0 };
            let recall = if support > 0 { hit / support as f64 } else { 0.0 };
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            (support, precision, recall, f1)
        })
        .collect()
}

/// Off-diagonal cells, largest first: (true, predicted, count).
pub fn confused_pairs(c: &Confusion) -> Vec<(usize, usize, u64)> {
    let n = c.classes.len();
    let mut cells: Vec<(usize, usize, u64)> = (0..n)
        .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| (i, j, c.matrix[i][j]))
        .filter(|x| x.2 > 0)
        .collect();
    cells.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    cells
}

pub fn render(ctx: &Context, view: &DatasetView) -> Section {
    let title = view.title("The best model on the test set");
    let id = view.id("q7-confusion");
    let scored = ctx.scored(&view.key);
    let with_matrix: Vec<usize> = scored.iter().copied().filter(|&i| ctx.runs[i].confusion.is_some()).collect();
    let Some(best) = ctx.best(&with_matrix) else {
        let body = empty(&format!("No {} run has a test confusion matrix (confusion.json) yet.", view.label));
        return Section { id, question: "Q7", title, body };
    };
    let run = &ctx.runs[best];
    let Some(c) = run.confusion.as_ref() else { unreachable!("filtered on confusion") };
    let total: u64 = c.matrix.iter().flatten().sum();
    let hits: u64 = (0..c.classes.len()).map(|k| c.matrix[k][k]).sum();
    let test_acc = run.test_accuracy().unwrap_or(if total > 0 { hits as f64 / total as f64 } else { 0.0 });
    let mut body = format!(
        "<p class=\"lead\"><span class=\"big\">{}</span> test accuracy of <b>{}</b>, the run with the best validation accuracy ({}){}.</p>",
        pct(test_acc),
        esc(&run.name),
        pct_opt(run.val_accuracy()),
        if ctx.best(&scored) == Some(best) {
            String::new()
        } else {
            " among the runs that saved a confusion matrix".into()
        }
    );
    body.push_str(&format!(
        "<p class=\"meta\">{} — {} of {} test {}s right. Reproduce: <code>{}</code></p>",
        esc(&hyper_line(run)),
        hits,
        total,
        view.sample(),
        esc(&command_line(run))
    ));
    body.push_str(&figure(
        &heatmap(c),
        "Rows are the true class and sum to 100%. Diagonal cells (blue) are the share of the class recognised; off-diagonal cells (red) are the share lost to another class, with the colour scaled to the worst confusion so the few that matter stand out. Counts in every cell; recall at the end of each row, precision under each column.",
    ));

    let stats = per_class(c);
    let pairs = confused_pairs(c);
    let rows: Vec<Vec<String>> = stats
        .iter()
        .enumerate()
        .map(|(k, (support, p, r, f1))| {
            let worst = pairs.iter().find(|(t, _, _)| *t == k).map_or("–".to_string(), |(_, j, n)| {
                format!("{} ({n}, {:.1}%)", esc(&c.classes[*j]), 100.0 * *n as f64 / (*support).max(1) as f64)
            });
            vec![
                esc(&c.classes[k]),
                support.to_string(),
                cell_bar(Some(*p), false, &pct(*p)),
                cell_bar(Some(*r), false, &pct(*r)),
                cell_bar(Some(*f1), false, &format!("{f1:.3}")),
                worst,
            ]
        })
        .collect();
    body.push_str("<h3>Per class</h3>");
    body.push_str(&table(
        &["class", &format!("test {}s", view.sample()), "precision", "recall", "F1", "most often mistaken for"],
        &rows,
        "perclass",
    ));
    let (hardest, easiest) = (
        (0..stats.len()).min_by(|&a, &b| stats[a].3.total_cmp(&stats[b].3)),
        (0..stats.len()).max_by(|&a, &b| stats[a].3.total_cmp(&stats[b].3)),
    );
    if let (Some(h), Some(e)) = (hardest, easiest) {
        body.push_str(&format!(
            "<p>Hardest class: <b>{}</b> (F1 {:.3}); easiest: <b>{}</b> (F1 {:.3}).</p>",
            esc(&c.classes[h]),
            stats[h].3,
            esc(&c.classes[e]),
            stats[e].3
        ));
    }

    body.push_str("<h3>Most confused pairs</h3>");
    if pairs.is_empty() {
        body.push_str(&empty("No test image was misclassified."));
    } else {
        let both_ways = |i: usize, j: usize| c.matrix[i][j] + c.matrix[j][i];
        let errors = total - hits;
        let top = &pairs[0];
        body.push_str(&format!(
            "<p>{} of the {} errors ({:.0}%) are between {} and {} (both directions).</p><div class=\"pairs\">",
            both_ways(top.0, top.1),
            errors,
            100.0 * both_ways(top.0, top.1) as f64 / errors.max(1) as f64,
            esc(&c.classes[top.0]),
            esc(&c.classes[top.1])
        ));
        for &(i, j, n) in pairs.iter().take(PAIRS) {
            body.push_str(&format!(
                "<div class=\"pair\"><h4>{} → predicted {}: {n} ({:.1}%)</h4>{}</div>",
                esc(&c.classes[i]),
                esc(&c.classes[j]),
                100.0 * n as f64 / stats[i].0.max(1) as f64,
                if view.images { examples(ctx.test_set(&view.key), c, i, j) } else { String::new() }
            ));
        }
        body.push_str("</div>");
    }
    Section { id, question: "Q7", title, body }
}

fn examples(test: Option<&TestSet>, c: &Confusion, i: usize, j: usize) -> String {
    let Some(test) = test else { return empty("test images not found: no thumbnails") };
    let indices = c.examples.get(i).and_then(|row| row.get(j)).cloned().unwrap_or_default();
    let tiles: Vec<Tile> = indices
        .iter()
        .filter_map(|&idx| {
            Some(Tile {
                href: test.image_uri(idx as usize)?,
                caption: format!("#{idx}"),
                title: format!("test image #{idx}: a {} taken for a {}", c.classes[i], c.classes[j]),
            })
        })
        .collect();
    if tiles.is_empty() {
        return empty("no example indices recorded");
    }
    gallery(&tiles, 6, 44.0, "confused examples")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_recall_f1_and_pairs_from_a_small_matrix() {
        let mut c = Confusion::new(&["a", "b", "c"]);
        c.matrix = vec![vec![8, 2, 0], vec![1, 9, 0], vec![0, 3, 7]];
        let s = per_class(&c);
        // Class b: predicted 14 times, 9 right; 10 true, 9 found.
        assert_eq!(s[1].0, 10);
        assert!((s[1].1 - 9.0 / 14.0).abs() < 1e-12);
        assert!((s[1].2 - 0.9).abs() < 1e-12);
        let f1 = 2.0 * (9.0 / 14.0) * 0.9 / (9.0 / 14.0 + 0.9);
        assert!((s[1].3 - f1).abs() < 1e-12);
        assert_eq!(confused_pairs(&c), vec![(2, 1, 3), (0, 1, 2), (1, 0, 1)]);
    }
}
