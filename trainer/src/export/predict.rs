//! The `predict` command: classify images (image models) or the rows of
//! CSV/TSV files (table models) with a model file, printing each sample's
//! class name (from the model file) and probability. A sample that cannot be
//! read is reported and skipped; the others are still classified.

use super::{HostModel, image, read_model, resolve_model_path, rows};
use ffn_infer_embedded::InputSlice;
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct PredictOptions {
    /// The command as the user typed it (`ffn predict`), for the per-sample error lines.
    pub program: String,
    /// A model file or a run folder holding `model.ffn`.
    pub model: PathBuf,
    /// Images (`FILE`, `IDX_FILE:INDEX`) or table files (`-` for standard input).
    pub inputs: Vec<String>,
    /// Images are dark on light: invert them first.
    pub invert: bool,
    /// Table files' delimiter (default: detected).
    pub delimiter: Option<u8>,
}

/// How many samples were classified and how many could not be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub classified: usize,
    pub failed: usize,
}

/// The most probable classes first: every class when there are at most ten, else the ten best.
fn scores_text(model: &HostModel<'_>, scores: &[f32]) -> String {
    let mut ranked: Vec<usize> = (0..scores.len()).collect();
    if scores.len() > 10 {
        ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        ranked.truncate(10);
    }
    let name = |c: usize| model.class_name(c).unwrap_or("?");
    ranked.iter().map(|&c| format!("{} {:.4}", name(c), scores[c])).collect::<Vec<_>>().join(", ")
}

/// Classifies every input; errors that concern one sample go to `err` and are counted.
pub fn run(opts: &PredictOptions, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let loaded = read_model(&resolve_model_path(&opts.model))?;
    if let Some(note) = loaded.conversion_note() {
        writeln!(err, "{note}")?;
    }
    let model = loaded.model();
    let mut scratch = vec![0u32; model.scratch_bytes().div_ceil(4)];
    let mut scores = vec![0.0f32; model.classes()];
    let mut outcome = Outcome::default();
    let mut classify = |label: &str, input: InputSlice<'_>, out: &mut dyn Write| -> anyhow::Result<()> {
        let class = model.predict_slice(input, bytemuck::cast_slice_mut(&mut scratch), &mut scores)?;
        let name = model.class_name(class).unwrap_or("?");
        writeln!(out, "{label}: {name} ({:.1}%) | {}", 100.0 * scores[class], scores_text(&model, &scores))?;
        Ok(())
    };
    let mut report = |label: &str, result: anyhow::Result<()>, outcome: &mut Outcome| -> std::io::Result<()> {
        match result {
            Ok(()) => outcome.classified += 1,
            Err(error) => {
                outcome.failed += 1;
                writeln!(err, "{}: {label}: {error:#}", opts.program)?;
            }
        }
        Ok(())
    };
    if let Some(shape) = model.image() {
        for spec in &opts.inputs {
            let result = image::load(spec, shape).and_then(|mut pixels| {
                if opts.invert {
                    pixels.iter_mut().for_each(|p| *p = 255 - *p);
                }
                classify(spec, InputSlice::U8(&pixels), out)
            });
            report(spec, result, &mut outcome)?;
        }
        return Ok(outcome);
    }
    let features: Vec<&str> = model.feature_names().collect();
    for file in &opts.inputs {
        match rows::read(file.as_ref(), model.inputs(), &features, opts.delimiter) {
            Err(error) => report(file, Err(error), &mut outcome)?,
            Ok(rows) => {
                for row in rows {
                    let label = format!("{file}:{}", row.line);
                    let result = match row.values {
                        Ok(values) => classify(&label, InputSlice::F32(&values), out),
                        Err(message) => Err(anyhow::anyhow!(message)),
                    };
                    report(&label, result, &mut outcome)?;
                }
            }
        }
    }
    Ok(outcome)
}
