//! Accuracy of a model file over a split, through `ffn-infer-embedded`.

use super::{HostModel, HostScratch};
use ffn_infer_embedded::INPUT_SIZE;

/// Predicted class of every image (`pixels`: row-major `count × 784` grey
/// levels), the images split over the available cores (one scratch each).
pub fn predict_all(model: &HostModel<'_>, pixels: &[u8]) -> Vec<u32> {
    let count = pixels.len() / INPUT_SIZE;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(count.div_ceil(256)).max(1);
    let per_thread = count.div_ceil(threads).max(1);
    let mut classes = vec![0u32; count];
    std::thread::scope(|scope| {
        for (images, out) in pixels.chunks(per_thread * INPUT_SIZE).zip(classes.chunks_mut(per_thread)) {
            scope.spawn(move || {
                let mut scratch = Box::new(HostScratch::new());
                for (image, class) in images.chunks_exact(INPUT_SIZE).zip(out) {
                    if let Ok(image) = <&[u8; INPUT_SIZE]>::try_from(image) {
                        *class = model.predict(image, &mut scratch).class as u32;
                    }
                }
            });
        }
    });
    classes
}

/// Share of `labels` predicted right, in percent.
pub fn accuracy_percent(model: &HostModel<'_>, pixels: &[u8], labels: &[u32]) -> f64 {
    let predicted = predict_all(model, pixels);
    let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    100.0 * correct as f64 / labels.len().max(1) as f64
}
