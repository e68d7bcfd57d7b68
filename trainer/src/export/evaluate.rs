//! Accuracy of a model file over a split, through `ffn-infer-embedded`.

use super::{HostModel, HostScratch};
use ffn_infer_embedded::INPUT_SIZE;

/// Predicted class of every image (`pixels`: row-major `count × 784` grey levels).
pub fn predict_all(model: &HostModel<'_>, pixels: &[u8]) -> Vec<u8> {
    let mut scratch = Box::new(HostScratch::new());
    pixels
        .chunks_exact(INPUT_SIZE)
        .filter_map(|image| <&[u8; INPUT_SIZE]>::try_from(image).ok())
        .map(|image| model.predict(image, &mut scratch).class as u8)
        .collect()
}

/// Share of `labels` predicted right, in percent.
pub fn accuracy_percent(model: &HostModel<'_>, pixels: &[u8], labels: &[u8]) -> f64 {
    let predicted = predict_all(model, pixels);
    let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    100.0 * correct as f64 / labels.len().max(1) as f64
}
