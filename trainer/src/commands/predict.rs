//! `ffn predict MODEL.ffn IMAGE...`: classify 28×28 images (PNG, PGM, or `IDX_FILE:INDEX`)
//! with the same `ffn-infer-embedded` code the firmware runs.

use crate::data::DatasetName;
use crate::export::{HostModel, HostScratch, image, read_model, resolve_model_path};
use anyhow::Context;
use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "predict", version, about = "Classify 28×28 images with an ffn model file")]
pub struct Args {
    /// A model file (f32 or int8) or a run folder holding model.ffn.
    model: PathBuf,
    /// PNG or PGM files of 28×28 pixels, or `IDX_FILE[.gz]:INDEX`.
    #[arg(required = true)]
    images: Vec<String>,
    /// Class names to print (the model file does not record its dataset).
    #[arg(short = 'd', long, default_value = "fashion_mnist", value_parser = parse_dataset)]
    dataset: DatasetName,
    /// The images are dark on light (the datasets are light on dark): invert them first.
    #[arg(long)]
    invert: bool,
}

fn parse_dataset(s: &str) -> Result<DatasetName, String> {
    DatasetName::from_name(s).ok_or_else(|| format!("unknown dataset {s:?} (expected fashion_mnist or mnist)"))
}

fn run(args: &Args) -> anyhow::Result<()> {
    let path = resolve_model_path(&args.model);
    let bytes = read_model(&path)?;
    let model = HostModel::from_bytes(&bytes).with_context(|| format!("{} is not a usable model", path.display()))?;
    let names = args.dataset.class_names();
    let mut scratch = Box::new(HostScratch::new());
    for spec in &args.images {
        let mut pixels = image::load(spec)?;
        if args.invert {
            pixels.iter_mut().for_each(|p| *p = 255 - *p);
        }
        let prediction = model.predict(&pixels, &mut scratch);
        let scores: Vec<String> =
            names.iter().zip(prediction.scores).map(|(name, p)| format!("{name} {p:.4}")).collect();
        println!(
            "{spec}: {} ({:.1}%) | {}",
            names[prediction.class],
            100.0 * prediction.scores[prediction.class],
            scores.join(", ")
        );
    }
    Ok(())
}

/// `args` are the command line after the program name; `program` names the
/// command in messages and help (`ffn predict`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) {
    let args = Args::try_parse_from(std::iter::once(program.into()).chain(args))
        .unwrap_or_else(|e| crate::cli::exit_with_clap_error(e, program));
    if let Err(error) = run(&args) {
        crate::cli::fail(program, &format!("{error:#}"), 1);
    }
}
