//! The evaluate stage: the validation score after each epoch, and the test set,
//! scored once at the end. Owns `model.ffn` and `confusion.json`.

use super::metrics::Confusion;
use super::{Run, TrainError, output_error};

/// Validation loss and accuracy of the current weights.
pub(super) fn validation(run: &mut Run) -> (f64, f64) {
    let split = &run.dataset.validation;
    let stats = run.model.evaluate(&run.pool, &split.inputs(), &split.labels, run.loss, |_, _| {});
    let n = split.len().max(1) as f64;
    (stats.loss_sum as f64 / n, stats.correct as f64 / n)
}

/// Scores the test set, writes the model file and the confusion matrix (and
/// prints it); test loss and accuracy.
pub(super) fn test(run: &mut Run) -> Result<(f64, f64), TrainError> {
    let split = &run.dataset.test;
    let mut confusion = Confusion::new(&run.dataset.class_names());
    let mut index = 0;
    let stats = run.model.evaluate(&run.pool, &split.inputs(), &split.labels, run.loss, |truth, predicted| {
        confusion.add(index, truth, predicted);
        index += 1;
    });
    let n = split.len().max(1) as f64;
    let scores = (stats.loss_sum as f64 / n, stats.correct as f64 / n);
    if run.model.params.iter().any(|p| !p.is_finite()) {
        let refused = std::io::Error::other("refusing to write a model with non-finite weights");
        return Err(output_error(&run.dir)(refused));
    }
    crate::export::write_run_model(&run.dir, &run.model).map_err(output_error(&run.dir))?;
    crate::atomic::write_json(&run.dir.join("confusion.json"), &confusion).map_err(output_error(&run.dir))?;
    for line in confusion.to_text().lines() {
        run.console.say(line);
    }
    run.test = Some(scores);
    Ok(scores)
}
