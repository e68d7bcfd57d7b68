//! Q1: one sample image per class: the built-in datasets' from their test IDX
//! files, own image data's from the run's test split. Tables have no images:
//! without image data the section is left out.

use super::{empty, figure};
use crate::report::Context;
use crate::report::charts::gallery::{Tile, gallery};
use crate::report::html::Section;
use crate::report::images::TestSet;
use crate::report::svg::esc;

/// Classes drawn per dataset: a thousand-class folder would make a wall of tiles.
const MAX_TILES: usize = 100;

pub fn render(ctx: &Context) -> Option<Section> {
    let own: Vec<_> = ctx.datasets.iter().filter(|v| !v.course && v.images).collect();
    if !ctx.course && own.is_empty() {
        return None;
    }
    let mut body = String::new();
    if ctx.course {
        body.push_str(
            "<p>The first test image of each class, pixel for pixel (28×28, white = ink). Hover an image for its test-set index.</p>",
        );
        for (title, set) in [("Fashion-MNIST", &ctx.fashion), ("MNIST", &ctx.mnist)] {
            body.push_str(&format!("<h3>{title}</h3>"));
            match set {
                Ok(test) => body.push_str(&samples(test)),
                Err(why) => body.push_str(&empty(&format!("{title} test images not found: {why}"))),
            }
        }
    } else {
        body.push_str(
            "<p>The first test image of each class, pixel for pixel. Hover an image for its test-set index.</p>",
        );
    }
    for view in own {
        let shape = ctx.own_images.get(&view.key).and_then(|t| t.as_ref().ok()).map(|t| t.shape);
        let size =
            shape.map(|s| format!(" ({}×{}, {})", s.height, s.width, if s.channels == 3 { "RGB" } else { "grey" }));
        body.push_str(&format!("<h3>{}{}</h3>", esc(&view.label), size.unwrap_or_default()));
        match ctx.own_images.get(&view.key) {
            Some(Ok(test)) => body.push_str(&samples(test)),
            Some(Err(why)) => body.push_str(&empty(&format!("{} test images not found: {why}", view.label))),
            None => body.push_str(&empty(&format!("{}: no test images", view.label))),
        }
    }
    let tables: Vec<&str> = ctx.datasets.iter().filter(|v| !v.course && !v.images).map(|v| v.label.as_str()).collect();
    if !tables.is_empty() {
        body.push_str(&format!("<p class=\"meta\">Not images, so not shown: {}.</p>", esc(&tables.join(", "))));
    }
    Some(Section { id: "q1-samples".into(), question: "Q1", title: "One sample image per class".into(), body })
}

fn samples(test: &TestSet) -> String {
    let names = &test.classes;
    let tiles: Vec<Tile> = test
        .first_of_each_class()
        .iter()
        .enumerate()
        .take(MAX_TILES)
        .filter_map(|(class, index)| {
            let index = (*index)?;
            Some(Tile {
                href: test.image_uri(index)?,
                caption: names[class].to_string(),
                title: format!("class {class} ({}), test image #{index}", names[class]),
            })
        })
        .collect();
    // The last folders only: the page must not carry this machine's absolute paths.
    let parts: Vec<String> = test
        .source
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let shown = parts[parts.len().saturating_sub(3)..].join("/");
    let mut caption = format!("{} test images from …/{shown}.", test.len());
    if names.len() > MAX_TILES {
        caption.push_str(&format!(" The first {MAX_TILES} of {} classes.", names.len()));
    }
    figure(&gallery(&tiles, 10, 72.0, "sample images"), &caption)
}
