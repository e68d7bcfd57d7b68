//! Q1: one sample image per class, drawn from the test IDX files.

use super::{empty, figure};
use crate::report::Context;
use crate::report::charts::gallery::{Tile, gallery};
use crate::report::html::Section;
use crate::report::images::{TestSet, image_uri};

pub fn render(ctx: &Context) -> Section {
    let mut body = String::from(
        "<p>The first test image of each class, pixel for pixel (28×28, white = ink). Hover an image for its test-set index.</p>",
    );
    for (title, set) in [("Fashion-MNIST", &ctx.fashion), ("MNIST", &ctx.mnist)] {
        body.push_str(&format!("<h3>{title}</h3>"));
        match set {
            Ok(test) => body.push_str(&samples(test)),
            Err(why) => body.push_str(&empty(&format!("{title} test images not found: {why}"))),
        }
    }
    Section { id: "q1-samples", question: "Q1", title: "One sample image per class".into(), body }
}

fn samples(test: &TestSet) -> String {
    let names = test.name.class_names();
    let tiles: Vec<Tile> = test
        .first_of_each_class()
        .iter()
        .enumerate()
        .filter_map(|(class, index)| {
            let index = (*index)?;
            Some(Tile {
                href: image_uri(test.image(index)?),
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
    let caption = format!("{} test images from …/{shown}.", test.len());
    figure(&gallery(&tiles, 10, 72.0, "sample images"), &caption)
}
